package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
)

// Client-side pages: a job spec stored under an unguessable id, to be run
// in the browser of whoever opens the page. A page expires after
// Options.PageTTL, and each owner (the API key that made it) may have at
// most Options.MaxPagesPerOwner live at once.

// errPageNotFound is returned for a page that does not exist or expired.
var errPageNotFound = &sandpit.Error{Code: sandpit.ENOTFOUND, Message: "page not found (pages expire)"}

// PageLimitError is returned by CreatePage when the owner already has its
// most live pages. It is a rate_limited error for the caller, and says when
// the owner's oldest page expires.
type PageLimitError struct {
	Limit int
	Wait  time.Duration
}

func (e *PageLimitError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the error its code and message for the caller.
func (e *PageLimitError) Unwrap() error {
	return sandpit.Errorf(sandpit.ERATELIMITED, "this API key already has %d live pages, the most allowed; the oldest expires in %v",
		e.Limit, e.Wait.Round(time.Second))
}

// RetryAfter is when a new page may be accepted.
func (e *PageLimitError) RetryAfter() time.Duration { return e.Wait }

// LimitReason is the limit the owner is at: its live pages.
func (e *PageLimitError) LimitReason() string { return "pages" }

// createPageScript stores a page and counts it against its owner, unless
// the owner is at its limit of live pages.
//
// KEYS[1] page record, KEYS[2] owner's sorted set of pages, KEYS[3]
// owner's hash, KEYS[4] owner's bucket ends, KEYS[5] every live page
// ARGV[1] page id, ARGV[2] record JSON, ARGV[3] now (Unix ms), ARGV[4] TTL
// in ms, ARGV[5] most live pages per owner, ARGV[6] owner's limit of stored
// bytes (0: none), ARGV[7] the end of the bucket the page expires in
// Returns {"ok"}, {"full", expiry of the oldest page (Unix ms)} or
// {"bytes", used, wait ms}.
var createPageScript = redis.NewScript(ownerLua + `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {'full', oldest[2]}
end
local over = overBytes(KEYS[3], KEYS[4], tonumber(ARGV[3]), #ARGV[2], tonumber(ARGV[6]))
if over then
  return {'bytes', over[1], over[2]}
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
keep(KEYS[3], KEYS[4], #ARGV[2], ARGV[7])
tidy(KEYS[3], KEYS[4])
redis.call('ZADD', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], last[2])
redis.call('ZADD', KEYS[5], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIREAT', KEYS[5], tonumber(ARGV[3]) + tonumber(ARGV[4]))
return {'ok'}
`)

// pageRecord is what a page's key holds.
type pageRecord struct {
	Spec  sandpit.Spec `json:"spec"`
	Owner string       `json:"owner"`
}

// CreatePage stores spec as a new page of owner ("" for callers without an
// API key, who share one limit) and returns its id and expiry.
func (q *Queue) CreatePage(ctx context.Context, spec sandpit.Spec, owner string) (sandpit.Page, error) {
	id := newID()
	data, err := json.Marshal(pageRecord{Spec: spec, Owner: owner})
	if err != nil {
		return sandpit.Page{}, fmt.Errorf("encode page: %w", err)
	}
	now := time.Now()
	ttl := q.opts.PageTTL.Milliseconds()
	keys := []string{q.keys.page(id), q.keys.pagesOf(owner), q.keys.owner(owner), q.keys.ownerExpiries(owner), q.keys.livePages()}
	res, err := createPageScript.Run(ctx, q.rdb, keys, id, data, now.UnixMilli(), ttl, q.opts.MaxPagesPerOwner,
		limitOf(q.opts.MaxStoredBytesPerOwner), q.bucket(now.Add(q.opts.PageTTL))).StringSlice()
	if err != nil {
		return sandpit.Page{}, fmt.Errorf("create page: %w", err)
	}
	if res[0] == "bytes" {
		return sandpit.Page{}, q.bytesRefused(res)
	}
	if res[0] == "full" {
		expires, _ := strconv.ParseFloat(res[1], 64)
		wait := time.Duration(math.Max(expires-float64(now.UnixMilli()), 0)) * time.Millisecond
		return sandpit.Page{}, &PageLimitError{Limit: q.opts.MaxPagesPerOwner, Wait: wait}
	}
	return sandpit.Page{ID: id, ExpiresAt: now.Add(q.opts.PageTTL).UTC().Truncate(time.Millisecond)}, nil
}

// GetPage returns the spec of a live page, or an error with code
// not_found.
func (q *Queue) GetPage(ctx context.Context, id string) (sandpit.Spec, error) {
	if !ValidID(id) {
		return sandpit.Spec{}, errPageNotFound
	}
	data, err := q.rdb.Get(ctx, q.keys.page(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return sandpit.Spec{}, errPageNotFound
	}
	if err != nil {
		return sandpit.Spec{}, fmt.Errorf("get page: %w", err)
	}
	var rec pageRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return sandpit.Spec{}, fmt.Errorf("decode page %s: %w", id, err)
	}
	return rec.Spec, nil
}
