package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
)

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
	p, err := s.pages.CreatePage(c.Request().Context(), spec)
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
	spec, err := s.pages.PageSpec(c.Request().Context(), c.Param("id"))
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
