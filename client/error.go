package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// Error is an error answer of the server. It wraps the server's
// *sandpit.Error, so that errors.Is(err, sandpit.ErrNotFound),
// errors.As(err, &e) with e a *sandpit.Error, and sandpit.ErrorCode(err)
// all see the code the server gave.
type Error struct {
	// Method and Path are those of the request.
	Method, Path string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// RetryAfter is how long the server asked to wait before trying again
	// (its Retry-After header), or 0.
	RetryAfter time.Duration
	// Err is the code and message of the answer. An answer without
	// sandpit's error body (from a proxy, say) gets the code its status
	// means and the status as message.
	Err *sandpit.Error
}

// Error returns the server's code and message, as "not_found: job not found".
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the server's *sandpit.Error.
func (e *Error) Unwrap() error { return e.Err }

// codeOf is the error code an HTTP status means, for answers that carry no
// code of their own.
var codeOf = map[int]string{
	http.StatusBadRequest:            sandpit.EINVALID,
	http.StatusUnauthorized:          sandpit.EUNAUTH,
	http.StatusForbidden:             sandpit.EUNAUTH,
	http.StatusNotFound:              sandpit.ENOTFOUND,
	http.StatusMethodNotAllowed:      sandpit.EMETHOD,
	http.StatusConflict:              sandpit.ECONFLICT,
	http.StatusRequestEntityTooLarge: sandpit.ETOOLARGE,
	http.StatusUnsupportedMediaType:  sandpit.EUNSUPPORTED,
	http.StatusTooManyRequests:       sandpit.ERATELIMITED,
	http.StatusBadGateway:            sandpit.EUNAVAILABLE,
	http.StatusServiceUnavailable:    sandpit.EUNAVAILABLE,
	http.StatusGatewayTimeout:        sandpit.ETIMEOUT,
}

// answerError reads an error answer into an *Error.
func answerError(resp *http.Response) error {
	e := &Error{Method: resp.Request.Method, Path: resp.Request.URL.Path, StatusCode: resp.StatusCode}
	e.RetryAfter, _ = retryAfter(resp.Header)
	var body struct {
		Error sandpit.Error `json:"error"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(data, &body) == nil && body.Error.Code != "" {
		e.Err = &body.Error
		return e
	}
	code, ok := codeOf[resp.StatusCode]
	if !ok {
		code = sandpit.EINTERNAL
	}
	e.Err = sandpit.Errorf(code, "%s %s: %s", e.Method, e.Path, resp.Status)
	return e
}

// Unreachable reports whether err says that the server could not be
// reached or gave no answer, after the retries the policy allows, rather
// than an answer that refused the request. A 502, 503 or 504 answer counts
// as unreachable: it comes from a server that cannot serve now, or from a
// proxy in front of one that does not answer.
func Unreachable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.StatusCode == http.StatusBadGateway || e.StatusCode == http.StatusServiceUnavailable ||
			e.StatusCode == http.StatusGatewayTimeout
	}
	return true
}
