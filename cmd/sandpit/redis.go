package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit/queue"
)

// redisConfig are the flags of every command that talks to Redis: where it
// is (one server, a Cluster or a Sentinel set), how to log in, and how
// sandpit's keys are named.
type redisConfig struct {
	url              string
	cluster          string
	sentinel         string
	username         string
	password         string
	sentinelPassword string
	tls              bool
	tlsCA            string
	tlsCert, tlsKey  string
	waitReplicas     int
	prefix           string
	log              string
}

func (c *redisConfig) register(f *flags, required bool) {
	usage := "Redis URL of one server, such as redis://127.0.0.1:6379/0"
	if !required {
		usage += "; with none of --redis-url, --redis-cluster or --redis-sentinel: start a private redis-server"
	}
	f.StringVar(&c.url, "redis-url", "", usage)
	f.envVar("redis-url", "SANDPIT_REDIS_URL")
	f.StringVar(&c.cluster, "redis-cluster", "", "a Redis Cluster instead: host:port of some of its nodes, comma-separated")
	f.envVar("redis-cluster", "SANDPIT_REDIS_CLUSTER")
	f.StringVar(&c.sentinel, "redis-sentinel", "", "a Redis Sentinel set instead: the master's name, @, and host:port of the sentinels, comma-separated (mymaster@s1:26379,s2:26379)")
	f.envVar("redis-sentinel", "SANDPIT_REDIS_SENTINEL")
	f.StringVar(&c.username, "redis-username", "", "Redis ACL user name; for --redis-url, instead of the URL's")
	f.envVar("redis-username", "SANDPIT_REDIS_USERNAME")
	f.StringVar(&c.password, "redis-password", "", "Redis password (of the servers, not the sentinels); for --redis-url, instead of the URL's")
	f.envVar("redis-password", "SANDPIT_REDIS_PASSWORD")
	f.StringVar(&c.sentinelPassword, "redis-sentinel-password", "", "password of the sentinels of --redis-sentinel, when they have one")
	f.envVar("redis-sentinel-password", "SANDPIT_REDIS_SENTINEL_PASSWORD")
	f.BoolVar(&c.tls, "redis-tls", false, "connect to Redis, and to the sentinels, over TLS; a rediss:// URL does too")
	f.envVar("redis-tls", "SANDPIT_REDIS_TLS")
	f.StringVar(&c.tlsCA, "redis-tls-ca", "", "PEM file of the certificate authorities to trust for Redis's certificate, instead of the system's; implies --redis-tls")
	f.envVar("redis-tls-ca", "SANDPIT_REDIS_TLS_CA")
	f.StringVar(&c.tlsCert, "redis-tls-cert", "", "PEM file of the certificate sandpit shows Redis, for a Redis that asks its clients for one (tls-auth-clients); with --redis-tls-key; implies --redis-tls")
	f.envVar("redis-tls-cert", "SANDPIT_REDIS_TLS_CERT")
	f.StringVar(&c.tlsKey, "redis-tls-key", "", "PEM file of the private key of --redis-tls-cert")
	f.envVar("redis-tls-key", "SANDPIT_REDIS_TLS_KEY")
	f.IntVar(&c.waitReplicas, "redis-wait-replicas", 0, "replicas that must hold a new job before its submission is answered (Redis WAIT, 5s at most, else 503); 0: answer once the primary has it")
	f.envVar("redis-wait-replicas", "SANDPIT_REDIS_WAIT_REPLICAS")
	f.StringVar(&c.prefix, "redis-prefix", "sandpit", "prefix of sandpit's Redis keys, so deployments can share one Redis; it is their hash tag, so all live in one Cluster slot")
	f.envVar("redis-prefix", "SANDPIT_REDIS_PREFIX")
	f.StringVar(&c.log, "log-level", "info", "log level: debug, info, warn or error")
	f.envVar("log-level", "SANDPIT_LOG_LEVEL")
}

// given reports whether the flags name a Redis, of any of the three kinds.
func (c *redisConfig) given() bool { return c.url != "" || c.cluster != "" || c.sentinel != "" }

// check validates the flags without connecting.
func (c *redisConfig) check() error {
	var set []string
	for _, f := range []struct{ name, v string }{{"--redis-url", c.url}, {"--redis-cluster", c.cluster}, {"--redis-sentinel", c.sentinel}} {
		if f.v != "" {
			set = append(set, f.name)
		}
	}
	switch {
	case len(set) == 0:
		return errors.New("one of --redis-url, --redis-cluster or --redis-sentinel is required")
	case len(set) > 1:
		return fmt.Errorf("--redis-url, --redis-cluster and --redis-sentinel exclude each other; %s are set", strings.Join(set, " and "))
	}
	if c.waitReplicas < 0 {
		return fmt.Errorf("--redis-wait-replicas: %d is negative", c.waitReplicas)
	}
	if strings.ContainsAny(c.prefix, "{}") {
		return fmt.Errorf("--redis-prefix %q: it may not hold { or }, as sandpit makes it the keys' hash tag", c.prefix)
	}
	if c.sentinelPassword != "" && c.sentinel == "" {
		return errors.New("--redis-sentinel-password is for --redis-sentinel only")
	}
	_, _, err := c.options()
	return err
}

// tlsAsked reports whether any of the TLS flags is given.
func (c *redisConfig) tlsAsked() bool {
	return c.tls || c.tlsCA != "" || c.tlsCert != "" || c.tlsKey != ""
}

// tlsConfig is the TLS configuration the flags ask for on top of base (a
// rediss:// URL's), or nil for none. A Cluster's and a Sentinel set's
// nodes are each checked against the host they are reached at.
func (c *redisConfig) tlsConfig(base *tls.Config) (*tls.Config, error) {
	if base == nil && !c.tlsAsked() {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if base != nil {
		conf = base.Clone()
	}
	if c.tlsCA != "" {
		pem, err := os.ReadFile(c.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("--redis-tls-ca: %w", err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--redis-tls-ca %s: no PEM certificate in it", c.tlsCA)
		}
	}
	cert, err := keyPair("--redis-tls-cert", "--redis-tls-key", c.tlsCert, c.tlsKey)
	if err != nil {
		return nil, err
	}
	if cert != nil {
		conf.Certificates = []tls.Certificate{*cert}
	}
	return conf, nil
}

// options turns the flags into a maker of the go-redis client they
// describe, and says where Redis is, for errors.
func (c *redisConfig) options() (func() redis.UniversalClient, string, error) {
	switch {
	case c.cluster != "":
		addrs, err := parseAddrs("--redis-cluster", c.cluster)
		if err != nil {
			return nil, "", err
		}
		tc, err := c.tlsConfig(nil)
		if err != nil {
			return nil, "", err
		}
		o := &redis.ClusterOptions{Addrs: addrs, Username: c.username, Password: c.password, TLSConfig: tc}
		return func() redis.UniversalClient { return queue.NewClusterClient(o) }, "the Redis Cluster at " + c.cluster, nil
	case c.sentinel != "":
		name, list, ok := strings.Cut(c.sentinel, "@")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, "", fmt.Errorf("--redis-sentinel %q: want the master's name, @, then the sentinels, as mymaster@s1:26379,s2:26379", c.sentinel)
		}
		addrs, err := parseAddrs("--redis-sentinel", list)
		if err != nil {
			return nil, "", err
		}
		tc, err := c.tlsConfig(nil)
		if err != nil {
			return nil, "", err
		}
		o := &redis.FailoverOptions{MasterName: name, SentinelAddrs: addrs, Username: c.username, Password: c.password,
			SentinelPassword: c.sentinelPassword, TLSConfig: tc}
		return func() redis.UniversalClient { return redis.NewFailoverClient(o) },
			"the Redis primary " + name + " of the sentinels at " + list, nil
	}
	o, err := redis.ParseURL(c.url)
	if err != nil {
		return nil, "", fmt.Errorf("--redis-url: %w", err)
	}
	if c.username != "" {
		o.Username = c.username
	}
	if c.password != "" {
		o.Password = c.password
	}
	if o.Network == "unix" && c.tlsAsked() {
		return nil, "", errors.New("the --redis-tls flags: --redis-url names a Unix socket, which is not reached over TLS")
	}
	if c.tlsAsked() && o.TLSConfig == nil {
		// A redis:// URL with the TLS flags: checked against its host, as
		// a rediss:// one is.
		host, _, _ := net.SplitHostPort(o.Addr)
		o.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if o.TLSConfig, err = c.tlsConfig(o.TLSConfig); err != nil {
		return nil, "", err
	}
	return func() redis.UniversalClient { return redis.NewClient(o) }, "redis at " + o.Addr, nil
}

// parseAddrs splits a comma-separated list of host:port, each checked.
func parseAddrs(flag, list string) ([]string, error) {
	var out []string
	for a := range strings.SplitSeq(list, ",") {
		a = strings.TrimSpace(a)
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" {
			return nil, fmt.Errorf("%s: %q is not host:port", flag, a)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("%s: %q: port %q is not a number from 1 to 65535", flag, a, port)
		}
		out = append(out, a)
	}
	return out, nil
}

// connect opens the Redis client and checks that Redis answers.
func (c *redisConfig) connect(ctx context.Context) (redis.UniversalClient, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	newClient, where, err := c.options()
	if err != nil {
		return nil, err
	}
	rdb := newClient()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("connect to %s: %w", where, err)
	}
	return rdb, nil
}
