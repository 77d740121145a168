package queue

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// twoQueues returns two handles, each on its own connection, on one queue:
// what two API processes hold.
func twoQueues(t *testing.T) (*Queue, *Queue, redis.UniversalClient) {
	t.Helper()
	a, rdb := newQueue(t, Options{})
	b, _ := newQueue(t, Options{Prefix: strings.Trim(a.keys.prefix, "{}:")})
	return a, b, rdb
}

// A caller's rate is one budget for every process: at 5 a minute, 5 calls
// pass in all, whichever process takes them, and the 6th is refused by
// either, with the time until the next.
func TestRateIsSharedByProcesses(t *testing.T) {
	a, b, _ := twoQueues(t)
	ctx := context.Background()
	r := Rate{PerSecond: 5.0 / 60, Burst: 5}
	for i := range 5 {
		q := []*Queue{a, b}[i%2]
		if wait, err := q.Allow(ctx, "alice", r); err != nil || wait != 0 {
			t.Fatalf("call %d: wait %v, %v; want allowed", i+1, wait, err)
		}
	}
	for _, q := range []*Queue{a, b} {
		wait, err := q.Allow(ctx, "alice", r)
		if err != nil || wait <= 0 || wait > 12*time.Second {
			t.Errorf("6th call: wait %v, %v; want refused for at most 12s", wait, err)
		}
	}
	if wait, err := b.Allow(ctx, "bob", r); err != nil || wait != 0 {
		t.Errorf("another caller: wait %v, %v; want allowed", wait, err)
	}
	if _, err := a.Allow(ctx, "alice", Rate{}); err == nil {
		t.Error("a rate of 0 calls per second was taken")
	}
}

// Calls in flight are counted for every process together; one that
// leaves frees its place at once, one whose process stops renewing it
// (it died) when its lease ends, and one renewed holds its place.
func TestCallsInFlightAreSharedAndLeased(t *testing.T) {
	a, b, _ := twoQueues(t)
	ctx := context.Background()
	const lease = time.Second
	enter := func(q *Queue) string {
		t.Helper()
		call, err := q.Enter(ctx, "alice", 2, lease)
		if err != nil {
			t.Fatal(err)
		}
		return call
	}
	left := enter(a)
	died := enter(b)
	if left == "" || died == "" {
		t.Fatal("the first two calls were refused")
	}
	if enter(a) != "" || enter(b) != "" {
		t.Fatal("a third call was let in")
	}
	if n, err := a.InFlight(ctx, "alice"); err != nil || n != 2 {
		t.Errorf("in flight: %d, %v; want 2", n, err)
	}
	if c, _ := b.Enter(ctx, "bob", 2, lease); c == "" {
		t.Error("another caller was refused")
	}
	if err := a.Leave(ctx, "alice", left); err != nil {
		t.Fatal(err)
	}
	renewed := enter(b)
	if renewed == "" {
		t.Fatal("a call was refused after one left")
	}
	// died is never renewed; renewed is, until past the end of its
	// first lease.
	stop := time.Now().Add(3 * lease)
	for time.Now().Before(stop) {
		if err := b.Renew(ctx, "alice", renewed, lease); err != nil {
			t.Fatal(err)
		}
		time.Sleep(lease / 4)
	}
	if n, _ := a.InFlight(ctx, "alice"); n != 1 {
		t.Errorf("in flight after one lease ran out and one was renewed: %d, want 1", n)
	}
	if enter(a) == "" {
		t.Error("the place of the call whose lease ran out was not freed")
	}
	if enter(a) != "" {
		t.Error("the renewed call lost its place")
	}
	// A call that left is not brought back by a late renewal.
	if err := b.Leave(ctx, "alice", renewed); err != nil {
		t.Fatal(err)
	}
	if err := b.Renew(ctx, "alice", renewed, lease); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.InFlight(ctx, "alice"); n != 1 {
		t.Errorf("in flight after a renewal of a call that left: %d, want 1", n)
	}
}

// The limits' keys carry the queue's hash tag, so that on Redis Cluster
// they live in the slot of every other key of the queue.
func TestLimitKeysAreHashTagged(t *testing.T) {
	a, _, rdb := twoQueues(t)
	ctx := context.Background()
	if _, err := a.Allow(ctx, "alice", Rate{PerSecond: 1, Burst: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Enter(ctx, "alice", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	tag := a.keys.prefix[:strings.Index(a.keys.prefix, "}")+1]
	var found []string
	iter := rdb.Scan(ctx, 0, "*"+tag+"*", 100).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		open, end := strings.Index(k, "{"), strings.Index(k, "}")
		if open < 0 || end < open || k[open:end+1] != tag {
			t.Errorf("key %q is not in the slot of %s", k, tag)
		}
		found = append(found, k)
	}
	if len(found) != 2 {
		t.Errorf("keys of the limits: %q, want the rate's and the calls in flight", found)
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
}
