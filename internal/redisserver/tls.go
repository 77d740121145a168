package redisserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TLS is a private certificate authority and two certificates it signed,
// as PEM files: the servers' (for 127.0.0.1 and localhost) and a client's.
// Servers started with it speak TLS only and ask every client for a
// certificate of this authority's, as Redis does by default
// (tls-auth-clients yes).
type TLS struct {
	CAFile                        string
	CertFile, KeyFile             string // the servers'
	ClientCertFile, ClientKeyFile string
}

// NewTLS makes a new authority and its two certificates in dir.
func NewTLS(dir string) (*TLS, error) {
	t := &TLS{
		CAFile:         filepath.Join(dir, "ca.crt"),
		CertFile:       filepath.Join(dir, "server.crt"),
		KeyFile:        filepath.Join(dir, "server.key"),
		ClientCertFile: filepath.Join(dir, "client.crt"),
		ClientKeyFile:  filepath.Join(dir, "client.key"),
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sandpit test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	if err := writePEM(t.CAFile, "CERTIFICATE", caDER); err != nil {
		return nil, err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return nil, err
	}
	leaf := func(serial int64, name string, usage x509.ExtKeyUsage, certFile, keyFile string) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		c := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			// Redis's nodes are each other's clients too (replication,
			// the Cluster bus, the sentinels), with the servers'
			// certificate.
			ExtKeyUsage: []x509.ExtKeyUsage{usage, x509.ExtKeyUsageClientAuth},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			DNSNames:    []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, c, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return err
		}
		if err := writePEM(certFile, "CERTIFICATE", der); err != nil {
			return err
		}
		return writePEM(keyFile, "EC PRIVATE KEY", kder)
	}
	if err := leaf(2, "redis", x509.ExtKeyUsageServerAuth, t.CertFile, t.KeyFile); err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	if err := leaf(3, "sandpit", x509.ExtKeyUsageClientAuth, t.ClientCertFile, t.ClientKeyFile); err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	return t, nil
}

func writePEM(file, kind string, der []byte) error {
	return os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

// ClientConfig is the TLS configuration of a client of the servers: it
// trusts the authority and shows the client's certificate.
func (t *TLS) ClientConfig() (*tls.Config, error) {
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, err
	}
	if !pool.AppendCertsFromPEM(ca) {
		return nil, errors.New("no certificate in " + t.CAFile)
	}
	cert, err := tls.LoadX509KeyPair(t.ClientCertFile, t.ClientKeyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// args are the settings of a server that listens on port with TLS only.
func (t *TLS) args(port string) []string {
	return []string{"--port", "0", "--tls-port", port,
		"--tls-cert-file", t.CertFile, "--tls-key-file", t.KeyFile, "--tls-ca-cert-file", t.CAFile,
		// Replicas and sentinels reach their primary over TLS too.
		"--tls-replication", "yes"}
}

// Option changes how the servers of StartTCP, StartCluster and
// StartSentinel run.
type Option func(*options)

type options struct {
	tls      *TLS
	replicas int
}

// WithTLS runs the servers with TLS only, with t's certificates.
func WithTLS(t *TLS) Option { return func(o *options) { o.tls = t } }

// WithReplicas gives each primary of StartCluster n replicas.
func WithReplicas(n int) Option { return func(o *options) { o.replicas = n } }

func apply(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// yes is a boolean setting of redis-server.
func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
