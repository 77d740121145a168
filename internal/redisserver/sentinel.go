package redisserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// SentinelMaster is the name under which StartSentinel's sentinels monitor
// their primary.
const SentinelMaster = "sandpit"

// Sentinel is a primary, its replica, and the sentinels that watch them,
// all on loopback ports. The sentinels judge the primary down after one
// second without an answer, and fail over to the replica.
type Sentinel struct {
	Primary   *Server
	Replica   *Server
	Sentinels []*Server
}

// StartSentinel starts a primary, a replica of it, and n sentinels (a
// quorum of a majority of them), and waits until the replica is in sync and
// every sentinel knows the replica and the other sentinels, so that a
// failover can happen.
func StartSentinel(ctx context.Context, n int, opts ...Option) (*Sentinel, error) {
	if n < 1 {
		return nil, fmt.Errorf("start sentinel: %d sentinels", n)
	}
	st := &Sentinel{}
	o := apply(opts)
	fail := func(err error) (*Sentinel, error) {
		st.Close()
		return nil, fmt.Errorf("start sentinel: %w", err)
	}
	var err error
	if st.Primary, err = startTCP(ctx, false, o); err != nil {
		return fail(err)
	}
	host, port, _ := strings.Cut(st.Primary.addr, ":")
	if st.Replica, err = startTCP(ctx, false, o, "--replicaof", host, port); err != nil {
		return fail(err)
	}
	rdb := st.Replica.client()
	err = waitUntil(ctx, 30*time.Second, "replica in sync", func() bool {
		info, err := rdb.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	})
	rdb.Close()
	if err != nil {
		return fail(err)
	}
	for range n {
		s, err := startSentinel(ctx, host, port, n/2+1, o)
		if err != nil {
			return fail(err)
		}
		st.Sentinels = append(st.Sentinels, s)
	}
	for _, s := range st.Sentinels {
		rdb := s.client()
		err := waitUntil(ctx, 60*time.Second, "sentinel "+s.addr+" sees the replica and the other sentinels", func() bool {
			m, err := rdb.Do(ctx, "SENTINEL", "MASTER", SentinelMaster).Result()
			if err != nil {
				return false
			}
			f := fields(m)
			return f["num-slaves"] == "1" && f["num-other-sentinels"] == strconv.Itoa(n-1)
		})
		rdb.Close()
		if err != nil {
			return fail(err)
		}
	}
	return st, nil
}

// startSentinel runs one sentinel watching the primary at host:port.
func startSentinel(ctx context.Context, host, port string, quorum int, o options) (*Server, error) {
	p, err := freePort(false)
	if err != nil {
		return nil, err
	}
	dir, err := dataDir("")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "sentinel.conf")
	listen := fmt.Sprintf("port %d", p)
	s := &Server{dir: dir, addr: "127.0.0.1:" + strconv.Itoa(p)}
	if o.tls != nil {
		if s.tls, err = o.tls.ClientConfig(); err != nil {
			return nil, err
		}
		a := o.tls.args(strconv.Itoa(p))
		listen = ""
		for i := 0; i < len(a); i += 2 {
			listen += strings.TrimPrefix(a[i], "--") + " " + a[i+1] + "\n"
		}
	}
	text := fmt.Sprintf(`%s
bind 127.0.0.1
dir %s
sentinel monitor %s %s %s %d
sentinel down-after-milliseconds %[3]s 1000
sentinel failover-timeout %[3]s 5000
sentinel parallel-syncs %[3]s 1
`, listen, dir, SentinelMaster, host, port, quorum)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, fmt.Errorf("write sentinel config: %w", err)
	}
	if err := s.run(ctx, conf, "--sentinel"); err != nil {
		return nil, err
	}
	return s, nil
}

// fields turns a reply of alternating names and values into a map.
func fields(v any) map[string]string {
	out := map[string]string{}
	switch v := v.(type) {
	case []any:
		for i := 0; i+1 < len(v); i += 2 {
			out[fmt.Sprint(v[i])] = fmt.Sprint(v[i+1])
		}
	case map[any]any:
		for k, x := range v {
			out[fmt.Sprint(k)] = fmt.Sprint(x)
		}
	}
	return out
}

// Addrs are the host:port of the sentinels.
func (st *Sentinel) Addrs() []string {
	out := make([]string, len(st.Sentinels))
	for i, s := range st.Sentinels {
		out[i] = s.addr
	}
	return out
}

// Close stops every server and removes their data.
func (st *Sentinel) Close() error {
	return closeAll(append([]*Server{st.Primary, st.Replica}, st.Sentinels...)...)
}
