// Package api is sandpit's HTTP transport: it authenticates the caller,
// decodes requests, calls sandpit's services and encodes their answers. It
// knows nothing of Redis or Chromium.
package api

import (
	"context"
	_ "embed"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/sandpit-dev/sandpit"
)

// Config configures the API. Jobs is required.
type Config struct {
	Jobs sandpit.JobService
	// Batches serves /v1/batches; nil leaves those routes out.
	Batches sandpit.BatchService
	// Sessions serves /v1/sessions; nil leaves those routes out.
	Sessions sandpit.SessionService
	// Pages serves POST /v1/pages and GET /p/{id}; nil leaves those routes
	// out. It needs Web, which draws the page.
	Pages sandpit.PageService
	// Web serves the playground (GET /), the SDK (/sdk/) and what they load
	// (/web/); nil leaves those routes out.
	Web Web
	// PublicURL is where clients reach the API, such as
	// https://sandpit.example.com, for the URLs of pages; empty: the scheme
	// and host of each request.
	PublicURL string
	Limits    sandpit.Limits
	// Ready reports whether jobs can be accepted now; nil means always.
	Ready func(ctx context.Context) error
	// Capacity, when set, serves GET /readyz/sandboxes: what the workers
	// can take on now.
	Capacity func(ctx context.Context) (Capacity, error)
	// Access says who may call /v1 and how much; the zero value lets
	// everyone in without limits.
	Access Access
	// Metrics, when set, is served at GET /metrics, behind the same keys as
	// /v1: on a server with keys, only their holders read it.
	Metrics http.Handler
	// MCP, when set, serves the Model Context Protocol's streamable HTTP
	// transport at /mcp, behind the same access checks as /v1.
	MCP http.Handler
	// Observe, when set, is told of every request once answered; for
	// metrics.
	Observe func(method, route string, status int, took time.Duration)
	// Rejected, when set, is told of every request answered 429, with
	// which limit it was for (LimitReason); for metrics.
	Rejected func(reason string)
	// Logger receives one line per request; default slog.Default().
	Logger *slog.Logger
}

// openAPI describes the API; a test checks it against the routes.
//
//go:embed openapi.json
var openAPI []byte

// server holds the handlers' dependencies.
type server struct {
	jobs     sandpit.JobService
	batches  sandpit.BatchService
	sessions sandpit.SessionService
	pages    sandpit.PageService
	web      Web
	public   string
	limits   sandpit.Limits
	ready    func(ctx context.Context) error
	rejected func(reason string)
	log      *slog.Logger
}

// New returns the API's HTTP handler.
func New(cfg Config) *echo.Echo {
	s := &server{jobs: cfg.Jobs, batches: cfg.Batches, sessions: cfg.Sessions, pages: cfg.Pages, web: cfg.Web,
		public: strings.TrimSuffix(cfg.PublicURL, "/"), limits: cfg.Limits.WithDefaults(), ready: cfg.Ready,
		rejected: cfg.Rejected, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// The client's address is the peer's, or, behind proxies on loopback
	// or private networks, the nearest address in X-Forwarded-For that is
	// not theirs: a client on the internet cannot choose it.
	e.IPExtractor = echo.ExtractIPFromXFFHeader()
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		RequestIDHandler: func(c echo.Context, id string) {
			c.SetRequest(c.Request().WithContext(sandpit.WithRequestID(c.Request().Context(), id)))
		},
	}))
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURIPath: true, LogRoutePath: true, LogStatus: true, LogLatency: true, LogRequestID: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			if cfg.Observe != nil {
				cfg.Observe(v.Method, v.RoutePath, v.Status, v.Latency)
			}
			s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request",
				slog.String("request_id", v.RequestID),
				slog.String("method", v.Method),
				slog.String("path", v.URIPath),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency))
			return nil
		},
	}))
	e.Use(middleware.Recover())
	guard := newAccess(cfg.Access).middleware
	if len(cfg.Access.Keys) == 0 {
		same := newSameSite(cfg.PublicURL)
		e.Use(same.hosts)
		authenticate := guard
		guard = func(next echo.HandlerFunc) echo.HandlerFunc { return same.origins(authenticate(next)) }
	}

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if cfg.Capacity != nil {
		e.GET("/readyz/sandboxes", sandboxes(cfg.Capacity))
	}
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPI)
	})
	if cfg.Metrics != nil {
		e.GET("/metrics", echo.WrapHandler(cfg.Metrics), guard)
	}
	// Access is checked per route, not on the group, so that an unknown
	// path or method under /v1 still gets its own 404 or 405.
	v1 := e.Group("/v1")
	v1.GET("/info", s.info, guard)
	v1.POST("/run", s.run, guard)
	v1.POST("/jobs", s.submit, guard)
	v1.GET("/jobs/:id", s.getJob, guard)
	v1.GET("/jobs/:id/events", s.jobEvents, guard)
	v1.DELETE("/jobs/:id", s.cancelJob, guard)
	v1.GET("/jobs/:id/files/*", s.jobFile, guard)
	if cfg.Batches != nil {
		v1.POST("/batches", s.submitBatch, guard)
		v1.GET("/batches/:id", s.getBatch, guard)
		v1.GET("/batches/:id/results", s.batchResults, guard)
		v1.GET("/batches/:id/events", s.batchEvents, guard)
		v1.DELETE("/batches/:id", s.cancelBatch, guard)
	}
	if cfg.Sessions != nil {
		v1.POST("/sessions", s.createSession, guard)
		v1.GET("/sessions/:id", s.getSession, guard)
		v1.POST("/sessions/:id/run", s.runInSession, guard)
		v1.DELETE("/sessions/:id", s.closeSession, guard)
	}
	if cfg.MCP != nil {
		// The transport's methods: POST carries messages, GET opens a
		// stream from the server, DELETE ends a session. Which of them
		// the handler takes is its own business.
		mcp := echo.WrapHandler(cfg.MCP)
		for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
			e.Add(method, "/mcp", mcp, guard)
		}
	}
	if cfg.Web != nil {
		web := echo.WrapHandler(cfg.Web)
		e.GET("/", web)
		e.GET("/sdk/sandpit.js", web)
		e.GET("/sdk/frame.html", web)
		e.GET("/web/*", web)
		if cfg.Pages != nil {
			v1.POST("/pages", s.createPage, guard)
			// A page is open to whoever holds its unguessable URL.
			e.GET("/p/:id", s.page)
		}
	}
	return e
}

// jsonBodyTypes are the media types whose body is read as JSON. Besides
// application/json they include what `curl -d` and plain fetch calls send by
// default, so that the simplest call works.
var jsonBodyTypes = map[string]bool{
	echo.MIMEApplicationJSON: true,
	echo.MIMEApplicationForm: true,
	echo.MIMETextPlain:       true,
}

// checkJSON refuses a request body whose media type is not read as JSON.
func (s *server) checkJSON(c echo.Context) error {
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !jsonBodyTypes[mt] {
			return sandpit.Errorf(sandpit.EUNSUPPORTED, "Content-Type must be application/json, not %q", ct)
		}
	}
	return nil
}

// decodeSpec reads the request body as a job spec.
func (s *server) decodeSpec(c echo.Context) (sandpit.Spec, error) {
	if err := s.checkJSON(c); err != nil {
		return sandpit.Spec{}, err
	}
	return sandpit.DecodeSpec(c.Request().Body, s.limits)
}

// submission decodes the request's job spec and returns the context to
// submit it with, carrying the request's idempotency key.
func (s *server) submission(c echo.Context) (context.Context, sandpit.Spec, error) {
	spec, err := s.decodeSpec(c)
	if err != nil {
		return nil, sandpit.Spec{}, err
	}
	key := c.Request().Header.Get("Idempotency-Key")
	if len(key) > 255 || strings.IndexFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return nil, sandpit.Spec{}, sandpit.Errorf(sandpit.EINVALID, "Idempotency-Key: must be 1 to 255 visible ASCII characters")
	}
	return sandpit.WithIdempotencyKey(c.Request().Context(), key), spec, nil
}

// run submits a job and answers when it has ended; asked for
// text/event-stream, it streams the job's events until then.
func (s *server) run(c echo.Context) error {
	ctx, spec, err := s.submission(c)
	if err != nil {
		return err
	}
	if wantsEvents(c) {
		job, err := s.jobs.Submit(ctx, spec)
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderLocation, "/v1/jobs/"+job.ID)
		return s.streamEvents(c, job.ID, "")
	}
	job, err := s.jobs.Run(ctx, spec)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/jobs/"+job.ID)
	return c.JSON(http.StatusOK, job)
}

// submit queues a job and answers at once.
func (s *server) submit(c echo.Context) error {
	ctx, spec, err := s.submission(c)
	if err != nil {
		return err
	}
	job, err := s.jobs.Submit(ctx, spec)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/jobs/"+job.ID)
	return c.JSON(http.StatusAccepted, job)
}

func (s *server) getJob(c echo.Context) error {
	job, err := s.jobs.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (s *server) cancelJob(c echo.Context) error {
	job, err := s.jobs.Cancel(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, job)
}

func (s *server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) readyz(c echo.Context) error {
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
