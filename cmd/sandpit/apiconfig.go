package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/api"
	"github.com/sandpit-dev/sandpit/mcpserver"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/service"
)

// apiConfig are the flags of the HTTP server.
type apiConfig struct {
	addr        string
	metricsAddr string
	grace       time.Duration
	keys        string
	insecure    bool
	publicURL   string
	tlsCert     string
	tlsKey      string
	mcpText     int             // the most characters of an MCP tool result
	limits      service.Access  // how much each key may ask
	packages    *packagesConfig // served to end users' browsers
}

func (c *apiConfig) register(f *flags) {
	f.StringVar(&c.addr, "addr", "127.0.0.1:8080", "HOST:PORT the HTTP API listens on")
	f.envVar("addr", "SANDPIT_ADDR")
	f.StringVar(&c.keys, "api-keys", "", "comma-separated API keys accepted as bearer tokens on /v1; empty: no authentication (loopback only). Prefer the variable: flags show in ps")
	f.envVar("api-keys", "SANDPIT_API_KEYS")
	f.BoolVar(&c.insecure, "insecure", false, "allow listening on a non-loopback address without API keys")
	f.envVar("insecure", "SANDPIT_INSECURE")
	f.Float64Var(&c.limits.Rate, "rate-limit", 50, "requests per second allowed per API key (all callers share one budget without keys); 0: no limit")
	f.envVar("rate-limit", "SANDPIT_RATE_LIMIT")
	f.IntVar(&c.limits.Burst, "rate-burst", 100, "requests per API key allowed at once above the rate")
	f.envVar("rate-burst", "SANDPIT_RATE_BURST")
	f.IntVar(&c.limits.Concurrency, "max-concurrent-per-key", 64, "requests per API key in flight at once (a waiting POST /v1/run counts); 0: no limit")
	f.envVar("max-concurrent-per-key", "SANDPIT_MAX_CONCURRENT_PER_KEY")
	f.StringVar(&c.publicURL, "public-url", "", "where browsers reach sandpit, such as https://sandpit.example.com, for page URLs and the pages' Content-Security-Policy; empty: the scheme and host of each request")
	f.envVar("public-url", "SANDPIT_PUBLIC_URL")
	f.StringVar(&c.tlsCert, "tls-cert", "", "PEM file of the certificate (and its chain) to serve the API over HTTPS with, beside --tls-key; loaded again when the files change. Empty: plain HTTP, for a proxy in front that ends TLS")
	f.envVar("tls-cert", "SANDPIT_TLS_CERT")
	f.StringVar(&c.tlsKey, "tls-key", "", "PEM file of the private key of --tls-cert")
	f.envVar("tls-key", "SANDPIT_TLS_KEY")
	f.IntVar(&c.mcpText, "mcp-max-text", mcpserver.DefaultMaxText, "the most characters of text in one MCP tool result (output and text files); what is cut is said, with where the whole is")
	f.envVar("mcp-max-text", "SANDPIT_MCP_MAX_TEXT")
	f.DurationVar(&c.grace, "shutdown-grace", 30*time.Second, "how long in-flight requests and jobs may run on after SIGTERM")
	f.envVar("shutdown-grace", "SANDPIT_SHUTDOWN_GRACE")
	f.StringVar(&c.metricsAddr, "metrics-addr", "", "HOST:PORT to serve Prometheus metrics at /metrics without a key, instead of on --addr (where, with API keys, they need one); keep it on an internal network")
	f.envVar("metrics-addr", "SANDPIT_METRICS_ADDR")
}

// serveMetrics serves the metrics at --metrics-addr until ctx ends; with
// none, it waits for ctx.
func (c *apiConfig) serveMetrics(ctx context.Context, h http.Handler, log *slog.Logger) error {
	if c.metricsAddr == "" {
		<-ctx.Done()
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	mc := apiConfig{addr: c.metricsAddr, grace: time.Second}
	return mc.serve(ctx, mux, log)
}

// serve serves h on the configured address until ctx ends, then drains
// in-flight requests within the grace period.
func (c *apiConfig) serve(ctx context.Context, h http.Handler, log *slog.Logger) error {
	var certs *certFiles
	if c.tlsCert != "" {
		var err error
		if certs, err = loadCertFiles(c.tlsCert, c.tlsKey, log); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if certs != nil {
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.get}
	}
	errc := make(chan error, 1)
	go func() {
		if certs != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	log.Info("api listening", "addr", ln.Addr().String(), "https", certs != nil)
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	return nil
}

// minKeyLength is the shortest API key accepted: a key is a bearer secret,
// and a short one can be guessed.
const minKeyLength = 16

// check refuses API keys too short to be secret, an address reachable from
// other machines when no API keys are set, unless told --insecure, an MCP
// result cap too small to hold its own notes, and a certificate and key
// for HTTPS that do not load together.
func (c *apiConfig) check() error {
	if _, err := keyPair("--tls-cert", "--tls-key", c.tlsCert, c.tlsKey); err != nil {
		return err
	}
	if c.mcpText < mcpserver.MinMaxText {
		return fmt.Errorf("--mcp-max-text: %d is too few characters for a result; give at least %d", c.mcpText, mcpserver.MinMaxText)
	}
	keys := splitList(c.keys)
	for i, k := range keys {
		if len(k) < minKeyLength {
			return fmt.Errorf("--api-keys: key %d is %d characters long; keys must have at least %d (such as: openssl rand -hex 24)", i+1, len(k), minKeyLength)
		}
	}
	if len(keys) > 0 || c.insecure {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return fmt.Errorf("--addr %q: %w", c.addr, err)
	}
	if c.loopback() {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s without API keys: set SANDPIT_API_KEYS, or pass --insecure", c.addr)
}

// loopback reports whether --addr is reachable from this machine only.
func (c *apiConfig) loopback() bool {
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// apiAccess returns the access settings with the parsed keys.
func (c *apiConfig) apiAccess() api.Access {
	return api.Access{Keys: splitList(c.keys)}
}

// readiness is /readyz: jobs can be accepted, which needs Redis and
// nothing else. Whether a worker has a sandbox ready is capacity's
// (/readyz/sandboxes): an API that answered 503 while the workers were all
// busy would be taken out of its load balancer exactly at peak load.
func readiness(q *queue.Queue) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := q.Ping(ctx); err != nil {
			return errors.New("redis is unreachable")
		}
		return nil
	}
}

// capacity is /readyz/sandboxes: the workers, their ready sandboxes and
// the queues' depths, from Redis.
func capacity(q *queue.Queue) func(ctx context.Context) (api.Capacity, error) {
	return func(ctx context.Context) (api.Capacity, error) {
		var c api.Capacity
		var err error
		if c.Workers, c.SandboxesReady, err = q.Capacity(ctx); err != nil {
			return c, err
		}
		if c.QueueDepth, err = q.Depth(ctx); err != nil {
			return c, err
		}
		c.BatchQueueDepth, err = q.BatchDepth(ctx)
		return c, err
	}
}

// newAPI wires the API: sandpit's services on the queue, behind both
// transports (HTTP routes and the MCP endpoint at /mcp), and the browser
// side from the page package.
func newAPI(b *backend, l sandpit.Limits, ac *apiConfig, log *slog.Logger) (http.Handler, error) {
	access := ac.apiAccess()
	web, err := page.NewWeb(page.WebConfig{Limits: l, PublicURL: ac.publicURL, KeyRequired: len(access.Keys) > 0,
		Packages: ac.packages.options()})
	if err != nil {
		return nil, fmt.Errorf("browser side: %w", err)
	}
	svc := service.New(b.q, service.Config{Limits: l, Access: ac.limits, Logger: log})
	info := api.Info(l, web)
	mcp := mcpserver.Handler(svc, mcpserver.Options{
		Logger: log,
		// A job spec at its largest, and room for the JSON-RPC around it.
		MaxRequestBytes: int64(l.MaxSpecBytes) + 1<<20,
		MaxText:         ac.mcpText,
		PublicURL:       ac.publicURL,
		Info:            &info,
	})
	// The metrics are on the API's address unless they have one of their
	// own (serveMetrics).
	var metrics http.Handler
	if ac.metricsAddr == "" {
		metrics = b.m.Handler()
	}
	// Of the API processes, one at a time exports the queue's state.
	b.m.WatchQueue(b.q, queue.NewWorkerID())
	return api.New(api.Config{Jobs: svc, Batches: svc, Sessions: svc, Pages: svc, Web: web, PublicURL: ac.publicURL,
		Limits: l, Ready: readiness(b.q), Capacity: capacity(b.q), Access: access, Logger: log,
		Metrics: metrics, Observe: b.m.ObserveRequest, Rejected: b.m.Rejected, MCP: mcp}), nil
}
