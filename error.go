package sandpit

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the API.
const (
	ECONFLICT    = "conflict"     // the request contradicts the job's state
	EINTERNAL    = "internal"     // a fault of sandpit itself
	EINVALID     = "invalid"      // the request is malformed or breaks a limit
	ENOTFOUND    = "not_found"    // no such job
	ETOOLARGE    = "too_large"    // the request body is over the size limit
	EUNAVAILABLE = "unavailable"  // a dependency (Redis, the browser) is down
	EQUEUEFULL   = "queue_full"   // the queue is at its depth limit
	EUNSUPPORTED = "unsupported"  // the media type is not JSON
	ETIMEOUT     = "timeout"      // waiting took too long
	EMETHOD      = "method"       // the method is not allowed on the path
	EUNAUTH      = "unauthorized" // no valid credentials
	EFORBIDDEN   = "forbidden"    // the request may not be made from where it comes
	ERATELIMITED = "rate_limited" // the caller's key is over its rate or concurrency limit
)

// Error is an error meant for the caller: a code to act on and a message to
// read. Other errors are internal and shown to callers only as a generic
// message.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, ErrNotFound) holds for every not_found error, whatever its
// message, including one decoded from an API answer.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e != nil && t != nil && t.Code == e.Code
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned when a job does not exist (or no longer does).
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "job not found"}

// ErrorCode returns the code of the *Error in err's chain, EINTERNAL for any
// other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the *Error in err's chain, or a generic
// message for any other error, so that internal details never reach callers.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Message
	}
	return "internal error"
}
