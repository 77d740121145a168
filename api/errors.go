package api

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
)

// statusOf maps each error code to its HTTP status, in this one place.
var statusOf = map[string]int{
	sandpit.EINVALID:     http.StatusBadRequest,
	sandpit.EUNAUTH:      http.StatusUnauthorized,
	sandpit.EFORBIDDEN:   http.StatusForbidden,
	sandpit.ENOTFOUND:    http.StatusNotFound,
	sandpit.EMETHOD:      http.StatusMethodNotAllowed,
	sandpit.ECONFLICT:    http.StatusConflict,
	sandpit.ETOOLARGE:    http.StatusRequestEntityTooLarge,
	sandpit.EUNSUPPORTED: http.StatusUnsupportedMediaType,
	sandpit.EQUEUEFULL:   http.StatusTooManyRequests,
	sandpit.ERATELIMITED: http.StatusTooManyRequests,
	sandpit.EINTERNAL:    http.StatusInternalServerError,
	sandpit.EUNAVAILABLE: http.StatusServiceUnavailable,
	sandpit.ETIMEOUT:     http.StatusGatewayTimeout,
}

// retrier is an error that knows when a retry may succeed.
type retrier interface {
	error
	RetryAfter() time.Duration
}

// LimitReason names the limit a 429 error was for: the error's own
// LimitReason when it has one ("rate", "in_flight", "quota", "sessions",
// "pages", "invalid_key"), "queue_full" for a full queue, else "other".
func LimitReason(err error) string {
	if r, ok := errors.AsType[interface {
		error
		LimitReason() string
	}](err); ok {
		return r.LimitReason()
	}
	if sandpit.ErrorCode(err) == sandpit.EQUEUEFULL {
		return "queue_full"
	}
	return "other"
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// handleError answers err as {"error": {"code", "message"}} with the status
// its code maps to. Internal errors are logged and shown as a generic message.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if c.Request().Context().Err() != nil {
		return // the caller has gone; there is no one to answer
	}
	if he, ok := errors.AsType[*echo.HTTPError](err); ok {
		err = fromEcho(he)
	}
	code := sandpit.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == sandpit.EINTERNAL {
		s.log.Error("internal error", "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
			"path", c.Request().URL.Path, "err", err)
	}
	if code == sandpit.EQUEUEFULL {
		c.Response().Header().Set("Retry-After", "1")
	}
	if status == http.StatusTooManyRequests && s.rejected != nil {
		s.rejected(LimitReason(err))
	}
	if r, ok := errors.AsType[retrier](err); ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(r.RetryAfter().Seconds())))))
	}
	var body errorBody
	body.Error.Code = code
	body.Error.Message = sandpit.ErrorMessage(err)
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	c.JSON(status, body)
}

// fromEcho turns echo's own errors (unknown route, wrong method, body too
// large) into sandpit errors.
func fromEcho(he *echo.HTTPError) error {
	switch he.Code {
	case http.StatusNotFound:
		return sandpit.Errorf(sandpit.ENOTFOUND, "no such endpoint")
	case http.StatusMethodNotAllowed:
		return sandpit.Errorf(sandpit.EMETHOD, "method not allowed on this endpoint")
	case http.StatusRequestEntityTooLarge:
		return sandpit.Errorf(sandpit.ETOOLARGE, "request body too large")
	case http.StatusUnsupportedMediaType:
		return sandpit.Errorf(sandpit.EUNSUPPORTED, "unsupported media type")
	}
	if he.Code >= 500 {
		return errors.New(http.StatusText(he.Code))
	}
	return sandpit.Errorf(sandpit.EINVALID, "%v", he.Message)
}
