package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/sandpit-dev/sandpit"
)

// Access configures who may use the API and how much.
type Access struct {
	// Keys are the accepted bearer tokens; empty means no authentication.
	Keys []string
	// Rate is each key's sustained requests per second, Burst its burst;
	// zero means no rate limit.
	Rate  float64
	Burst int
	// Concurrency bounds each key's requests in flight (a waiting
	// POST /v1/run counts until it answers); zero means no bound.
	Concurrency int
}

// callerKey is the echo context key under which the caller's key id is kept.
const callerKey = "sandpit.caller"

// keyState is what the API tracks per key.
type keyState struct {
	limiter  *rate.Limiter
	inFlight int
}

// access enforces Access.
type access struct {
	cfg    Access
	hashes [][32]byte

	mu   sync.Mutex
	keys map[string]*keyState // by key hash; "" when there are no keys
}

func newAccess(cfg Access) *access {
	a := &access{cfg: cfg, keys: make(map[string]*keyState)}
	for _, k := range cfg.Keys {
		a.hashes = append(a.hashes, sha256.Sum256([]byte(k)))
	}
	return a
}

// identify returns the caller's key id, or an error when keys are required
// and the request has no valid one. Keys are compared by hash in constant
// time.
func (a *access) identify(c echo.Context) (string, error) {
	if len(a.hashes) == 0 {
		return "", nil
	}
	token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok || token == "" {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="sandpit"`)
		return "", sandpit.Errorf(sandpit.EUNAUTH, "an API key is required: send Authorization: Bearer KEY")
	}
	h := sha256.Sum256([]byte(token))
	found := 0
	for _, k := range a.hashes {
		found |= subtle.ConstantTimeCompare(h[:], k[:])
	}
	if found == 0 {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="sandpit", error="invalid_token"`)
		return "", sandpit.Errorf(sandpit.EUNAUTH, "the API key is not valid")
	}
	return string(h[:]), nil
}

// middleware authenticates the request and applies the key's limits.
func (a *access) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := a.identify(c)
		if err != nil {
			return err
		}
		a.mu.Lock()
		st := a.keys[id]
		if st == nil {
			st = &keyState{}
			if a.cfg.Rate > 0 {
				st.limiter = rate.NewLimiter(rate.Limit(a.cfg.Rate), max(a.cfg.Burst, 1))
			}
			a.keys[id] = st
		}
		if st.limiter != nil {
			if r := st.limiter.Reserve(); r.Delay() > 0 {
				r.Cancel()
				a.mu.Unlock()
				return tooMany(c, r.Delay(), "rate limit of %g requests per second reached", a.cfg.Rate)
			}
		}
		if a.cfg.Concurrency > 0 && st.inFlight >= a.cfg.Concurrency {
			a.mu.Unlock()
			return tooMany(c, time.Second, "%d requests of this key are already in flight", a.cfg.Concurrency)
		}
		st.inFlight++
		a.mu.Unlock()
		c.Set(callerKey, id)
		defer func() {
			a.mu.Lock()
			st.inFlight--
			a.mu.Unlock()
		}()
		return next(c)
	}
}

func tooMany(c echo.Context, wait time.Duration, format string, args ...any) error {
	secs := int(math.Ceil(wait.Seconds()))
	c.Response().Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	return sandpit.Errorf(sandpit.ERATELIMITED, format, args...)
}
