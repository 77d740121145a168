package redisserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// StartTCP runs one redis-server on a free loopback port, its data in a new
// temporary directory, and waits until it answers.
func StartTCP(ctx context.Context, opts ...Option) (*Server, error) {
	return startTCP(ctx, false, apply(opts))
}

// startTCP runs redis-server on a free loopback port, its data in a new
// temporary directory, with the settings in extra besides the common ones.
// busPort asks for a port whose Cluster bus port (+10000) is free too.
func startTCP(ctx context.Context, busPort bool, o options, extra ...string) (*Server, error) {
	port, err := freePort(busPort)
	if err != nil {
		return nil, err
	}
	dir, err := dataDir("")
	if err != nil {
		return nil, err
	}
	p := strconv.Itoa(port)
	s := &Server{dir: dir, addr: net.JoinHostPort("127.0.0.1", p)}
	args := []string{"--port", p}
	if o.tls != nil {
		if s.tls, err = o.tls.ClientConfig(); err != nil {
			return nil, err
		}
		args = o.tls.args(p)
	}
	args = append(append(args, "--bind", "127.0.0.1"), common(dir)...)
	if err := s.run(ctx, append(args, extra...)...); err != nil {
		return nil, err
	}
	return s, nil
}

// freePort returns a loopback port nothing listens on; with bus, one whose
// port+10000 is free as well.
func freePort(bus bool) (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		if !bus {
			l.Close()
			return port, nil
		}
		if port+10000 <= 65535 {
			if b, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000))); err == nil {
				b.Close()
				l.Close()
				return port, nil
			}
		}
		l.Close()
	}
	return 0, errors.New("find a free port: none with a free bus port")
}

// client is a go-redis client on a TCP server, for setting it up.
func (s *Server) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1, TLSConfig: s.tls})
}

// waitUntil checks cond every 50 ms until it holds, ctx ends or timeout
// passes; what says what was awaited, in the error.
func waitUntil(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %v", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// closeAll closes the servers, ignoring those that are nil.
func closeAll(servers ...*Server) error {
	var errs []error
	for _, s := range servers {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}
