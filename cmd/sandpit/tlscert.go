package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certCheckEvery is how often, at most, a handshake looks whether the
// certificate files changed.
const certCheckEvery = 10 * time.Second

// certFiles serves the certificate of --tls-cert and --tls-key and loads it
// again when either file changes (a renewal, or a Kubernetes Secret's
// update), without a restart. A pair that no longer loads is logged and the
// one in use kept.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // the files' sizes and times when cert was loaded
	checked time.Time
}

// loadCertFiles loads the pair once, failing if it does not load.
func loadCertFiles(certFile, keyFile string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

// stampOf is what changes when either file is replaced or written.
func (c *certFiles) stampOf() string {
	s := ""
	for _, f := range []string{c.certFile, c.keyFile} {
		if fi, err := os.Stat(f); err == nil {
			s += fmt.Sprintf("%d@%d;", fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return s
}

func (c *certFiles) load() error {
	stamp := c.stampOf()
	cert, err := keyPair("--tls-cert", "--tls-key", c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	c.cert, c.stamp = cert, stamp
	return nil
}

// keyPair loads the certificate and key in the files that the flags
// certFlag and keyFlag name: both or neither (nil, then).
func keyPair(certFlag, keyFlag, certFile, keyFile string) (*tls.Certificate, error) {
	switch {
	case (certFile == "") != (keyFile == ""):
		return nil, fmt.Errorf("%s and %s go together; only one is set", certFlag, keyFlag)
	case certFile == "":
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%s and %s: %w", certFlag, keyFlag, err)
	}
	return &cert, nil
}

// get is tls.Config.GetCertificate.
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) >= certCheckEvery {
		c.checked = time.Now()
		if c.stampOf() != c.stamp {
			if err := c.load(); err != nil {
				c.log.Warn("the changed TLS certificate does not load; serving the one loaded before", "err", err)
			} else {
				c.log.Info("loaded the changed TLS certificate", "cert", c.certFile)
			}
		}
	}
	return c.cert, nil
}
