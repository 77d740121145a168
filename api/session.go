package api

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
)

// createSession opens a session and answers once its interpreter is ready.
func (s *server) createSession(c echo.Context) error {
	if err := s.checkJSON(c); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, int64(s.limits.MaxSpecBytes)+1))
	if err != nil {
		return sandpit.Errorf(sandpit.EINVALID, "read request body: %v", err)
	}
	spec, err := sandpit.ParseSessionSpec(data, s.limits)
	if err != nil {
		return err
	}
	sess, err := s.sessions.CreateSession(c.Request().Context(), spec)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/sessions/"+sess.ID)
	return c.JSON(http.StatusCreated, sess)
}

func (s *server) getSession(c echo.Context) error {
	sess, err := s.sessions.GetSession(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sess)
}

// runInSession runs code in a session and answers when it has ended.
func (s *server) runInSession(c echo.Context) error {
	spec, err := s.decodeSpec(c)
	if err != nil {
		return err
	}
	job, err := s.sessions.RunInSession(c.Request().Context(), c.Param("id"), spec)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (s *server) closeSession(c echo.Context) error {
	sess, err := s.sessions.CloseSession(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sess)
}
