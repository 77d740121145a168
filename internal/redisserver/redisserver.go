// Package redisserver starts a private redis-server child process: the one
// `sandpit serve` runs when given no Redis URL, and the one tests use.
package redisserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrNotFound is returned when no redis-server binary is on PATH.
var ErrNotFound = errors.New("redis-server not found: install it (apt-get install redis-server) or pass --redis-url")

// Server is a running redis-server: the private one listens on a Unix
// socket in a private directory, the nodes of a Cluster or Sentinel set on
// loopback TCP ports.
type Server struct {
	cmd  *exec.Cmd
	dir  string
	sock string      // the Unix socket, or "" for a TCP server
	addr string      // host:port of a TCP server
	tls  *tls.Config // a client's, for a server that speaks TLS only
	done chan struct{}
	err  error
}

// Args are the settings the private server runs with. Its data survives a
// restart of the server process: an append-only file, fsynced every second,
// so that an accepted job outlives a crash of Redis (see docs/RELIABILITY.md).
func args(dir, sock string) []string {
	return append([]string{
		"--port", "0",
		"--unixsocket", sock,
		"--unixsocketperm", "700",
	}, common(dir)...)
}

// common are the settings of every server this package starts.
func common(dir string) []string {
	return []string{
		"--dir", dir,
		"--appendonly", "yes",
		"--appendfsync", "everysec",
		"--save", "",
		"--daemonize", "no",
		"--protected-mode", "yes",
		"--loglevel", "warning",
		"--logfile", "",
	}
}

// Start runs redis-server with its data in dir (a new temporary directory
// when dir is empty) and waits until it answers.
func Start(ctx context.Context, dir string) (*Server, error) {
	dir, err := dataDir(dir)
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "redis.sock")
	s := &Server{dir: dir, sock: sock}
	if err := s.run(ctx, args(dir, sock)...); err != nil {
		return nil, err
	}
	return s, nil
}

// dataDir is dir, or a new temporary directory when dir is empty.
func dataDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	dir, err := os.MkdirTemp("", "sandpit-redis-")
	if err != nil {
		return "", fmt.Errorf("start redis-server: %w", err)
	}
	return dir, nil
}

// run starts redis-server with args and waits until it accepts
// connections.
func (s *Server) run(ctx context.Context, args ...string) error {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return ErrNotFound
	}
	s.done = make(chan struct{})
	s.cmd = exec.Command(bin, args...)
	s.cmd.SysProcAttr = procAttr()
	var out strings.Builder
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	go func() { s.err = s.cmd.Wait(); close(s.done) }()
	network, addr := "unix", s.sock
	if s.sock == "" {
		network, addr = "tcp", s.addr
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial(network, addr); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("redis-server exited: %v: %s", s.err, strings.TrimSpace(out.String()))
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Close()
			return errors.New("redis-server did not start within 10s")
		}
	}
}

// URL is the address to give go-redis.
func (s *Server) URL() string {
	if s.sock == "" && s.tls != nil {
		return "rediss://" + s.addr
	}
	if s.sock == "" {
		return "redis://" + s.addr
	}
	return "unix://" + s.sock
}

// Addr is the host:port of a server on TCP, "" for one on a Unix socket.
func (s *Server) Addr() string { return s.addr }

// Dir is the server's data directory.
func (s *Server) Dir() string { return s.dir }

// Kill stops the server at once, as a crash would, keeping its data.
func (s *Server) Kill() {
	s.cmd.Process.Kill()
	<-s.done
}

// Close stops the server and removes its data directory.
func (s *Server) Close() error {
	select {
	case <-s.done:
	default:
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			s.cmd.Process.Kill()
			<-s.done
		}
	}
	return os.RemoveAll(s.dir)
}
