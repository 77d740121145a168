package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/version"
)

// Runtime tells of the interpreter jobs run in. The Web the API is given
// (the page package's) implements it; GET /v1/info leaves these fields
// empty when it does not.
type Runtime interface {
	PyodideVersion() string
	PythonVersion() string
	// Packages are the packages jobs may load, sorted.
	Packages() []string
}

// info answers GET /v1/info: the server's version, the interpreter, the
// limits in force and the packages jobs may import.
func (s *server) info(c echo.Context) error {
	return c.JSON(http.StatusOK, Info(s.limits, s.web))
}

// Info is what a server of limits l tells of itself (GET /v1/info), with
// what rt tells of the interpreter when it is a Runtime (the page
// package's Web is).
func Info(l sandpit.Limits, rt any) sandpit.Info {
	in := sandpit.Info{Version: version.String(), Limits: l.Info(), Packages: []string{}}
	if rt, ok := rt.(Runtime); ok {
		in.PyodideVersion, in.PythonVersion = rt.PyodideVersion(), rt.PythonVersion()
		if p := rt.Packages(); p != nil {
			in.Packages = p
		}
	}
	return in
}
