package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
)

// Access says who may use the API. How much each caller may ask is the
// services' business (service.Access), so that it is the same over every
// transport.
type Access struct {
	// Keys are the accepted bearer tokens; empty means no authentication.
	Keys []string
}

// access enforces Access.
type access struct {
	hashes [][32]byte
}

func newAccess(cfg Access) *access {
	a := &access{}
	for _, k := range cfg.Keys {
		a.hashes = append(a.hashes, sha256.Sum256([]byte(k)))
	}
	return a
}

// identify returns the caller, or an error when keys are required and the
// request has no valid one. Keys are compared by hash in constant time.
func (a *access) identify(c echo.Context) (sandpit.Caller, error) {
	if len(a.hashes) == 0 {
		return sandpit.Caller{}, nil
	}
	token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok || token == "" {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="sandpit"`)
		return sandpit.Caller{}, sandpit.Errorf(sandpit.EUNAUTH, "an API key is required: send Authorization: Bearer KEY")
	}
	h := sha256.Sum256([]byte(token))
	found := 0
	for _, k := range a.hashes {
		found |= subtle.ConstantTimeCompare(h[:], k[:])
	}
	if found == 0 {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="sandpit", error="invalid_token"`)
		return sandpit.Caller{}, sandpit.Errorf(sandpit.EUNAUTH, "the API key is not valid")
	}
	return sandpit.Caller{ID: sandpit.KeyID(token)}, nil
}

// middleware authenticates the request and puts its caller in the
// request's context, where the services find it.
func (a *access) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		caller, err := a.identify(c)
		if err != nil {
			return err
		}
		c.SetRequest(c.Request().WithContext(sandpit.WithCaller(c.Request().Context(), caller)))
		return next(c)
	}
}
