package sandpit

import "context"

type requestIDKey struct{}

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
