package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"math"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/sandpit-dev/sandpit"
)

// Access says who may use the API. How much each caller may ask is the
// services' business (service.Access), so that it is the same over every
// transport.
type Access struct {
	// Keys are the accepted bearer tokens; empty means no authentication.
	Keys []string
	// FailureRate is how many invalid keys per second one client address
	// may send, FailureBurst how many at once; past them the address gets
	// 429 until it is under them again, whatever key it sends. Zero means
	// the defaults: 1 a second, 10 at once.
	FailureRate  float64
	FailureBurst int
}

// access enforces Access.
type access struct {
	hashes   [][32]byte
	failures *failures
}

func newAccess(cfg Access) *access {
	a := &access{failures: newFailures(cfg.FailureRate, cfg.FailureBurst)}
	for _, k := range cfg.Keys {
		a.hashes = append(a.hashes, sha256.Sum256([]byte(k)))
	}
	return a
}

// identify returns the caller, or an error when keys are required and the
// request has no valid one. Keys are compared by hash in constant time. An
// address that sent too many invalid keys is refused before its key is
// looked at, so that it cannot learn at full speed which keys are valid.
func (a *access) identify(c echo.Context) (sandpit.Caller, error) {
	if len(a.hashes) == 0 {
		return sandpit.Caller{}, nil
	}
	token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok || token == "" {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="sandpit"`)
		return sandpit.Caller{}, sandpit.Errorf(sandpit.EUNAUTH, "an API key is required: send Authorization: Bearer KEY")
	}
	from := clientAddress(c.RealIP())
	now := time.Now()
	if wait, blocked := a.failures.blocked(from, now); blocked {
		return sandpit.Caller{}, &tooManyFailures{wait: wait}
	}
	h := sha256.Sum256([]byte(token))
	found := 0
	for _, k := range a.hashes {
		found |= subtle.ConstantTimeCompare(h[:], k[:])
	}
	if found == 0 {
		a.failures.failed(from, now)
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

// clientAddress is what failed authentications are counted by: the
// client's IPv4 address, or the /64 network of its IPv6 address, which is
// what one client usually holds.
func clientAddress(ip string) string {
	parsed := net.ParseIP(ip)
	if parsed == nil || parsed.To4() != nil {
		return ip
	}
	return parsed.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// tooManyFailures is the refusal of an address that sent too many invalid
// keys: rate_limited, with when to try again.
type tooManyFailures struct{ wait time.Duration }

func (e *tooManyFailures) Error() string { return e.Unwrap().Error() }

func (e *tooManyFailures) Unwrap() error {
	return sandpit.Errorf(sandpit.ERATELIMITED, "too many requests with an invalid API key came from this address; retry in %v",
		e.RetryAfter())
}

// LimitReason is the limit the address is at.
func (e *tooManyFailures) LimitReason() string { return "invalid_key" }

func (e *tooManyFailures) RetryAfter() time.Duration {
	return time.Duration(math.Ceil(e.wait.Seconds())) * time.Second
}

// maxAddresses bounds the addresses whose failures are counted one by
// one; past it, new addresses share one count, so that a client with
// countless addresses neither grows the map nor escapes the limit.
const maxAddresses = 10000

// overflow is the address under which the addresses past maxAddresses are
// counted together.
const overflow = "(others)"

// failures counts the invalid keys each address sends, as a token bucket
// per address: an address whose bucket is empty is refused.
type failures struct {
	rate  rate.Limit
	burst int

	mu sync.Mutex
	by map[string]*rate.Limiter
}

func newFailures(perSecond float64, burst int) *failures {
	if perSecond <= 0 {
		perSecond = 1
	}
	if burst <= 0 {
		burst = 10
	}
	return &failures{rate: rate.Limit(perSecond), burst: burst, by: make(map[string]*rate.Limiter)}
}

// limiter returns the bucket of addr, nil when it has none and create is
// unset.
func (f *failures) limiter(addr string, now time.Time, create bool) *rate.Limiter {
	if l := f.by[addr]; l != nil || !create {
		return l
	}
	if len(f.by) >= maxAddresses {
		f.prune(now)
	}
	if len(f.by) >= maxAddresses {
		if l := f.by[overflow]; l != nil {
			return l
		}
		addr = overflow
	}
	l := rate.NewLimiter(f.rate, f.burst)
	f.by[addr] = l
	return l
}

// prune forgets the addresses whose buckets are full again: they have
// sent no invalid key for long enough that nothing is held against them.
func (f *failures) prune(now time.Time) {
	for addr, l := range f.by {
		if l.TokensAt(now) >= float64(f.burst) {
			delete(f.by, addr)
		}
	}
}

// blocked reports whether addr has used up its failures, and how long
// until it may try again.
func (f *failures) blocked(addr string, now time.Time) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.limiter(addr, now, false)
	if l == nil && len(f.by) >= maxAddresses {
		l = f.by[overflow]
	}
	if l == nil {
		return 0, false
	}
	if tokens := l.TokensAt(now); tokens < 1 {
		return time.Duration((1 - tokens) / float64(f.rate) * float64(time.Second)), true
	}
	return 0, false
}

// failed counts an invalid key from addr.
func (f *failures) failed(addr string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limiter(addr, now, true).AllowN(now, 1)
}
