package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/mcpserver"
)

func TestAPIConfigCheck(t *testing.T) {
	long := strings.Repeat("k", minKeyLength)
	for _, tc := range []struct {
		name, addr, keys string
		insecure         bool
		mcpText          int    // default: mcpserver's
		err              string // a part of the error; "" for none
	}{
		{"loopback without keys", "127.0.0.1:8080", "", false, 0, ""},
		{"localhost without keys", "localhost:8080", "", false, 0, ""},
		{"public without keys", "0.0.0.0:8080", "", false, 0, "without API keys"},
		{"public with only commas for keys", "0.0.0.0:8080", ",, ,", false, 0, "without API keys"},
		{"public with a key", "0.0.0.0:8080", long, false, 0, ""},
		{"public, insecure", "0.0.0.0:8080", "", true, 0, ""},
		{"a short key", "127.0.0.1:8080", long + ",short", false, 0, "key 2 is 5 characters long"},
		{"a bad address", "nowhere", "", false, 0, "--addr"},
		{"an MCP result cap too small", "127.0.0.1:8080", "", false, 100, "--mcp-max-text: 100 is too few"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCheck(t, apiConfig{addr: tc.addr, keys: tc.keys, insecure: tc.insecure, mcpText: cmp.Or(tc.mcpText, mcpserver.DefaultMaxText)}, tc.err)
		})
	}
}

// A certificate and key that do not go together, or do not load, stop the
// command at start.
func TestAPIConfigCheckTLS(t *testing.T) {
	certs, err := redisserver.NewTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, cert, key, err string
	}{
		{"a pair", certs.CertFile, certs.KeyFile, ""},
		{"a certificate without its key", certs.CertFile, "", "--tls-cert and --tls-key go together"},
		{"a key without its certificate", "", certs.KeyFile, "--tls-cert and --tls-key go together"},
		{"a key of another certificate", certs.CertFile, certs.ClientKeyFile, "--tls-cert and --tls-key: tls: private key does not match public key"},
		{"no such file", "/nonexistent/tls.crt", certs.KeyFile, "--tls-cert and --tls-key: open /nonexistent/tls.crt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCheck(t, apiConfig{addr: "127.0.0.1:8080", tlsCert: tc.cert, tlsKey: tc.key, mcpText: mcpserver.DefaultMaxText}, tc.err)
		})
	}
}

// wantCheck checks that c.check() fails with an error containing want, or,
// with want "", succeeds.
func wantCheck(t *testing.T, c apiConfig, want string) {
	t.Helper()
	err := c.check()
	if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
		t.Errorf("check() = %v, want %q", err, want)
	}
}

// A renewed certificate is served without a restart; one that does not
// load leaves the last good one in use.
func TestCertFilesReload(t *testing.T) {
	first, err := redisserver.NewTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := redisserver.NewTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	install := func(cert, key string) {
		t.Helper()
		for from, to := range map[string]string{cert: certFile, key: keyFile} {
			b, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(to+".new", b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(to+".new", to); err != nil {
				t.Fatal(err)
			}
		}
	}
	served := func(c *certFiles) []byte {
		t.Helper()
		c.mu.Lock()
		c.checked = time.Time{} // as if certCheckEvery had passed
		c.mu.Unlock()
		cert, err := c.get(nil)
		if err != nil {
			t.Fatal(err)
		}
		return cert.Certificate[0]
	}
	leaf := func(file string) []byte {
		t.Helper()
		pair, err := tls.LoadX509KeyPair(file, strings.Replace(file, ".crt", ".key", 1))
		if err != nil {
			t.Fatal(err)
		}
		return pair.Certificate[0]
	}
	install(first.CertFile, first.KeyFile)
	var logged testenv.Buffer
	c, err := loadCertFiles(certFile, keyFile, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(served(c), leaf(first.CertFile)) {
		t.Fatal("not serving the certificate loaded")
	}
	install(renewed.CertFile, renewed.KeyFile)
	if !bytes.Equal(served(c), leaf(renewed.CertFile)) {
		t.Fatal("the renewed certificate was not loaded")
	}
	// A certificate whose key has not been written yet.
	install(first.CertFile, renewed.KeyFile)
	if !bytes.Equal(served(c), leaf(renewed.CertFile)) {
		t.Fatal("a pair that does not load replaced the one in use")
	}
	if !strings.Contains(logged.String(), "does not load") {
		t.Fatalf("no warning of the pair that does not load: %q", logged.String())
	}
}

// `sandpit api --tls-cert --tls-key` serves HTTPS with the certificate,
// and refuses plain HTTP on the same port.
func TestAPIOverHTTPS(t *testing.T) {
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	certs, err := redisserver.NewTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tc, err := certs.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 10 * time.Second}
	addr := freeAddr(t)
	p := start(t, "api", "--addr", addr, "--redis-url", rs.URL(), "--tls-cert", certs.CertFile, "--tls-key", certs.KeyFile)
	waitAnswers(t, hc, "https://"+addr+"/healthz", p, time.Minute)
	resp, err := hc.Get("https://" + addr + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 ||
		resp.TLS.PeerCertificates[0].Subject.CommonName != "redis" {
		t.Fatalf("GET /openapi.json over HTTPS: %d, %+v", resp.StatusCode, resp.TLS)
	}
	resp, err = http.Get("http://" + addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the HTTPS port answered %d", resp.StatusCode)
		}
	}
}
