package sandpit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
)

type (
	requestIDKey      struct{}
	callerKey         struct{}
	idempotencyKeyKey struct{}
)

// WithRequestID returns ctx carrying the id of the request a job came in
// with, so that every log line of the job's life can name it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Caller is who makes a request: the API key it presented, known only by
// its ID. Every transport puts the caller in the request's context, and
// the services decide from it what the request may see and how much it may
// use.
type Caller struct {
	// ID names the API key: a hash of it, never the key itself. It is ""
	// for the one anonymous caller of a server without keys.
	ID string
}

// KeyID returns the ID of the caller presenting API key key: the first 128
// bits of its SHA-256, in hex. It is the one form in which sandpit keeps a
// key, in Redis keys and records alike.
func KeyID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller carried by ctx; without one, the anonymous
// caller.
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

// WithIdempotencyKey returns ctx carrying the caller's idempotency key for
// the submission made with it: a submission repeated with the same key (by
// the same caller, within the retention time) returns the job the first
// one made instead of running another.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyKey{}, key)
}

// IdempotencyKey returns the idempotency key carried by ctx, or "".
func IdempotencyKey(ctx context.Context) string {
	k, _ := ctx.Value(idempotencyKeyKey{}).(string)
	return k
}
