package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
)

// Pages is what the API needs of the store of client-side pages.
type Pages interface {
	// CreatePage stores spec as a new page counted against owner (the
	// caller's API key, "" without keys) and returns its id and expiry.
	CreatePage(ctx context.Context, spec sandpit.Spec, owner string) (sandpit.Page, error)
	// GetPage returns the spec of a live page, or an error with code
	// not_found.
	GetPage(ctx context.Context, id string) (sandpit.Spec, error)
}

// Web is the browser side of sandpit, drawn by the page package.
type Web interface {
	// ServeHTTP serves the playground, the SDK and their files.
	http.Handler
	// ServePage answers the client-side page that runs spec in the
	// viewer's browser, or a page saying it has expired when spec is nil.
	ServePage(w http.ResponseWriter, r *http.Request, spec *sandpit.Spec)
}

// createPage stores the request's job spec as a client-side page.
func (s *server) createPage(c echo.Context) error {
	spec, err := s.decodeSpec(c)
	if err != nil {
		return err
	}
	caller, _ := c.Get(callerKey).(string)
	p, err := s.pages.CreatePage(c.Request().Context(), spec, caller)
	if err != nil {
		return err
	}
	path := "/p/" + p.ID
	p.URL = s.baseURL(c) + path
	c.Response().Header().Set(echo.HeaderLocation, path)
	return c.JSON(http.StatusCreated, p)
}

// page answers GET /p/{id}: the page that runs the stored spec.
func (s *server) page(c echo.Context) error {
	spec, err := s.pages.GetPage(c.Request().Context(), c.Param("id"))
	if sandpit.ErrorCode(err) == sandpit.ENOTFOUND {
		s.web.ServePage(c.Response(), c.Request(), nil)
		return nil
	}
	if err != nil {
		return err
	}
	s.web.ServePage(c.Response(), c.Request(), &spec)
	return nil
}

// baseURL is where the caller reaches the API.
func (s *server) baseURL(c echo.Context) string {
	if s.public != "" {
		return s.public
	}
	return c.Scheme() + "://" + c.Request().Host
}
