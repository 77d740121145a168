package api

import (
	"net"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
)

// A server without API keys trusts whoever reaches it, which on loopback
// means the programs of its own machine. A web page the operator visits is
// not one of them, yet a browser sends it requests: plain cross-site POSTs
// (text/plain and form bodies, which sandpit reads as JSON, need no
// preflight), and, through DNS rebinding, requests under a name of the
// attacker's that resolves to 127.0.0.1 and whose answers the page can
// read. So without keys:
//
//   - the Host must be a loopback name, an IP address (a rebinding needs a
//     name it controls), or the host of the configured public URL;
//   - a request to /v1 or /mcp that says where it comes from (Origin)
//     must come from the server's own origin, as the playground's do.
//
// Pages, the SDK and other files stay open to any origin: they run
// nothing on the server.

// sameSite refuses the requests above when the server has no keys.
type sameSite struct {
	publicHost string // host[:port] of the public URL, lower case; "" for none
}

func newSameSite(publicURL string) *sameSite {
	s := &sameSite{}
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
		s.publicHost = strings.ToLower(u.Host)
	}
	return s
}

// hostAllowed reports whether host (a Host header) names this server in a
// way no other site can.
func (s *sameSite) hostAllowed(host string) bool {
	host = strings.ToLower(host)
	if s.publicHost != "" && host == s.publicHost {
		return true
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	return net.ParseIP(name) != nil
}

// originAllowed reports whether origin (an Origin header) is the origin of
// the request's own Host, or of the public URL.
func (s *sameSite) originAllowed(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // "null" and other opaque origins included
	}
	o := strings.ToLower(u.Host)
	return o == strings.ToLower(host) || (s.publicHost != "" && o == s.publicHost)
}

// hosts is the middleware of every route.
func (s *sameSite) hosts(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.hostAllowed(c.Request().Host) {
			return sandpit.Errorf(sandpit.EFORBIDDEN,
				"Host %q is not a loopback name or address: a server without API keys answers only its own machine (set --public-url for the name it is reached by, or API keys)", c.Request().Host)
		}
		return next(c)
	}
}

// origins is the middleware of the API's routes.
func (s *sameSite) origins(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if o := c.Request().Header.Get(echo.HeaderOrigin); o != "" && !s.originAllowed(o, c.Request().Host) {
			return sandpit.Errorf(sandpit.EFORBIDDEN,
				"requests from %s are refused: a server without API keys takes API requests only from its own pages", o)
		}
		return next(c)
	}
}
