package api

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
)

// A job's events go out as server-sent events:
//
//	event: status    data: {"status": "running"}
//	event: stdout    data: {"data": "text the code wrote"}   (stderr alike)
//	event: done      data: the finished job, as GET /v1/jobs/{id} gives it
//
// Each but the first status carries an id: a reader that lost its
// connection sends it back as Last-Event-ID and misses nothing. While
// nothing happens a comment line keeps the connection open.

// jobEvents answers GET /v1/jobs/{id}/events.
func (s *server) jobEvents(c echo.Context) error {
	id := c.Param("id")
	if _, err := s.jobs.Get(c.Request().Context(), id); err != nil {
		return err
	}
	return s.streamEvents(c, id, lastEventID(c))
}

// lastEventID is where a reader resumes: its Last-Event-ID header, or the
// after query parameter of a reader that cannot set headers.
func lastEventID(c echo.Context) string {
	if id := c.Request().Header.Get("Last-Event-ID"); id != "" {
		return id
	}
	return c.QueryParam("after")
}

// wantsEvents reports whether the request asks for server-sent events
// rather than one JSON answer.
func wantsEvents(c echo.Context) bool {
	for _, part := range strings.Split(c.Request().Header.Get(echo.HeaderAccept), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
			return true
		}
	}
	return false
}

// streamEvents writes the events of job id after the event after, until
// the job's end or the reader's leaving.
func (s *server) streamEvents(c echo.Context, id, after string) error {
	ctx := c.Request().Context()
	w := c.Response()
	started := false
	for ev, err := range s.jobs.Events(ctx, id, after) {
		if err != nil {
			if !started {
				return err
			}
			return nil // the answer has begun; the reader sees it end early and resumes
		}
		if !started {
			w.Header().Set(echo.HeaderContentType, "text/event-stream")
			w.Header().Set(echo.HeaderCacheControl, "no-cache")
			w.Header().Set("X-Accel-Buffering", "no")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		if ev.Type == sandpit.EventQuiet {
			fmt.Fprint(w, ": keep-alive\n\n")
			w.Flush()
			continue
		}
		var data []byte
		switch ev.Type {
		case sandpit.EventDone:
			data, _ = json.Marshal(ev.Job)
		case sandpit.EventStatus:
			data, _ = json.Marshal(map[string]string{"status": ev.Data})
		default:
			data, _ = json.Marshal(map[string]string{"data": ev.Data})
		}
		if ev.ID != "" {
			fmt.Fprintf(w, "id: %s\n", ev.ID)
		}
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data)
		w.Flush()
		if ev.Type == sandpit.EventDone {
			return nil
		}
	}
	return nil
}
