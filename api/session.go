package api

import (
	"context"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
)

// Sessions is what the API needs for /v1/sessions. Owner is the caller's
// identity: a session is seen and used only by the key that opened it.
type Sessions interface {
	CreateSession(ctx context.Context, spec sandpit.SessionSpec, owner string) (sandpit.Session, error)
	GetSession(ctx context.Context, id, owner string) (sandpit.Session, error)
	// RunInSession enqueues spec in the session; the API waits for the
	// job through Jobs.Wait.
	RunInSession(ctx context.Context, id, owner string, spec sandpit.Spec) (sandpit.Job, error)
	CloseSession(ctx context.Context, id, owner string) (sandpit.Session, error)
}

func caller(c echo.Context) string {
	id, _ := c.Get(callerKey).(string)
	return id
}

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
	sess, err := s.sessions.CreateSession(c.Request().Context(), spec, caller(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/sessions/"+sess.ID)
	return c.JSON(http.StatusCreated, sess)
}

func (s *server) getSession(c echo.Context) error {
	sess, err := s.sessions.GetSession(c.Request().Context(), c.Param("id"), caller(c))
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
	if spec.MemoryMB != 0 {
		return sandpit.Errorf(sandpit.EINVALID, "memory_mb: a session's memory is set when the session is created")
	}
	if spec.Test != "" {
		return sandpit.Errorf(sandpit.EINVALID, "test: not taken by a session run; run the test as code")
	}
	ctx := c.Request().Context()
	job, err := s.sessions.RunInSession(ctx, c.Param("id"), caller(c), spec)
	if err != nil {
		return err
	}
	job, err = s.jobs.Wait(ctx, job.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (s *server) closeSession(c echo.Context) error {
	sess, err := s.sessions.CloseSession(c.Request().Context(), c.Param("id"), caller(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sess)
}
