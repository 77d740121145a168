package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/queue"
)

// parseRedis parses args and env as a command with required Redis flags
// does, and checks them.
func parseRedis(t *testing.T, args []string, env map[string]string) (*redisConfig, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	f := newFlags("test", "test", io.Discard)
	var rc redisConfig
	rc.register(f, true)
	if err := f.parseNoArgs(args); err != nil {
		return nil, err
	}
	return &rc, rc.check()
}

func TestRedisFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in the error; "" for none
	}{
		{"url", []string{"--redis-url", "redis://127.0.0.1:6379/0"}, nil, ""},
		{"cluster", []string{"--redis-cluster", "10.0.0.1:7000, 10.0.0.2:7000,redis-2:7000"}, nil, ""},
		{"cluster from the environment", nil, map[string]string{"SANDPIT_REDIS_CLUSTER": "10.0.0.1:7000"}, ""},
		{"sentinel", []string{"--redis-sentinel", "mymaster@s1:26379,[::1]:26379"}, nil, ""},
		{"sentinel from the environment", nil, map[string]string{"SANDPIT_REDIS_SENTINEL": "m@s1:26379"}, ""},
		{"none", nil, nil, "one of --redis-url, --redis-cluster or --redis-sentinel is required"},
		{"url and cluster", []string{"--redis-url", "redis://a:1", "--redis-cluster", "b:2"}, nil, "--redis-url and --redis-cluster are set"},
		{"cluster and sentinel", []string{"--redis-sentinel", "m@a:1"}, map[string]string{"SANDPIT_REDIS_CLUSTER": "b:2"}, "--redis-cluster and --redis-sentinel are set"},
		{"cluster address without a port", []string{"--redis-cluster", "10.0.0.1"}, nil, `--redis-cluster: "10.0.0.1" is not host:port`},
		{"cluster address without a host", []string{"--redis-cluster", "a:1,:7000"}, nil, `--redis-cluster: ":7000" is not host:port`},
		{"cluster with an empty address", []string{"--redis-cluster", "a:1,,b:2"}, nil, `--redis-cluster: "" is not host:port`},
		{"cluster port out of range", []string{"--redis-cluster", "a:70000"}, nil, `port "70000" is not a number from 1 to 65535`},
		{"cluster port not a number", []string{"--redis-cluster", "a:http"}, nil, `port "http" is not a number`},
		{"sentinel without a master name", []string{"--redis-sentinel", "s1:26379"}, nil, "want the master's name, @, then the sentinels"},
		{"sentinel with an empty master name", []string{"--redis-sentinel", "@s1:26379"}, nil, "want the master's name"},
		{"sentinel address malformed", []string{"--redis-sentinel", "m@s1"}, nil, `--redis-sentinel: "s1" is not host:port`},
		{"bad url", []string{"--redis-url", "http://x"}, nil, "--redis-url: "},
		{"negative replicas", []string{"--redis-url", "redis://a:1", "--redis-wait-replicas", "-1"}, nil, "--redis-wait-replicas: -1 is negative"},
		{"prefix with a brace", []string{"--redis-url", "redis://a:1", "--redis-prefix", "a}b"}, nil, "may not hold { or }"},
		{"sentinel password without sentinels", []string{"--redis-url", "redis://a:1", "--redis-sentinel-password", "p"}, nil, "--redis-sentinel-password is for --redis-sentinel only"},
		{"tls over a unix socket", []string{"--redis-url", "unix:///run/redis.sock", "--redis-tls"}, nil, "--redis-url names a Unix socket, which is not reached over TLS"},
		{"tls certificate without its key", []string{"--redis-cluster", "a:1", "--redis-tls-cert", "c.pem"}, nil, "--redis-tls-cert and --redis-tls-key go together"},
		{"tls key without its certificate", nil, map[string]string{"SANDPIT_REDIS_URL": "rediss://a:1", "SANDPIT_REDIS_TLS_KEY": "k.pem"}, "--redis-tls-cert and --redis-tls-key go together"},
		{"tls CA file missing", []string{"--redis-sentinel", "m@a:1", "--redis-tls-ca", "/nonexistent/ca.pem"}, nil, "--redis-tls-ca: open /nonexistent/ca.pem"},
		{"tls CA file with no certificate", []string{"--redis-url", "rediss://a:1", "--redis-tls-ca", "redis_test.go"}, nil, "--redis-tls-ca redis_test.go: no PEM certificate in it"},
		{"tls certificate unreadable", []string{"--redis-url", "redis://a:1", "--redis-tls-cert", "redis_test.go", "--redis-tls-key", "redis_test.go"}, nil, "--redis-tls-cert and --redis-tls-key: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseRedis(t, tc.args, tc.env)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}

// The password and user name flags apply to every kind of Redis; for a
// URL they replace the URL's own.
func TestRedisCredentials(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"url", []string{"--redis-url", "redis://olduser:old@127.0.0.1:1/0"}},
		{"cluster", []string{"--redis-cluster", "127.0.0.1:1"}},
		{"sentinel", []string{"--redis-sentinel", "m@127.0.0.1:1", "--redis-sentinel-password", "sp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := parseRedis(t, append(tc.args, "--redis-username", "u"), map[string]string{"SANDPIT_REDIS_PASSWORD": "p"})
			if err != nil {
				t.Fatal(err)
			}
			newClient, _, err := rc.options()
			if err != nil {
				t.Fatal(err)
			}
			rdb := newClient()
			defer rdb.Close()
			var user, pass string
			switch c := rdb.(type) {
			case *redis.ClusterClient:
				user, pass = c.Options().Username, c.Options().Password
				// A Cluster client that finds a promoted replica within
				// seconds (queue.TestClusterFailoverLosesNoAcceptedJob).
				if got := c.Options().ClusterStateReloadInterval; got != queue.ClusterStateReload {
					t.Errorf("the Cluster's state is reloaded every %v, want %v", got, queue.ClusterStateReload)
				}
			case *redis.Client:
				user, pass = c.Options().Username, c.Options().Password
			default:
				t.Fatalf("client %T", rdb)
			}
			if user != "u" || pass != "p" {
				t.Fatalf("user %q, password %q; want u, p", user, pass)
			}
		})
	}
	// A URL's own credentials are kept when the flags give none.
	rc, err := parseRedis(t, []string{"--redis-url", "redis://olduser:old@127.0.0.1:1/0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	newClient, _, _ := rc.options()
	rdb := newClient().(*redis.Client)
	defer rdb.Close()
	if o := rdb.Options(); o.Username != "olduser" || o.Password != "old" {
		t.Fatalf("user %q, password %q from the URL", o.Username, o.Password)
	}
}

// A command given Redis flags that do not go together says so in one line,
// and exits 1.
func TestRedisFlagsConflictExits(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"worker", "--redis-url", "redis://127.0.0.1:1", "--redis-cluster", "127.0.0.1:2"}, "--redis-url and --redis-cluster are set"},
		{[]string{"serve", "--redis-wait-replicas", "1"}, "the private redis-server has none"},
		{[]string{"serve", "--redis-tls"}, "the --redis-tls flags are for a Redis of your own"},
	} {
		cmd := exec.Command(binary, tc.args...)
		out, _ := cmd.CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if cmd.ProcessState.ExitCode() != 1 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("sandpit %v: exit %d, output %q; want one line with %q", tc.args, cmd.ProcessState.ExitCode(), out, tc.want)
		}
	}
}

// runOne runs print(n) through the sandpit at base and checks its output.
func runOne(t *testing.T, base string, n int) sandpit.Job {
	t.Helper()
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	job, err := c.Run(context.Background(), sandpit.Spec{Code: fmt.Sprintf("print(%d)", n)})
	if err != nil || job.Status != sandpit.StatusSucceeded || job.Stdout != fmt.Sprintf("%d\n", n) {
		t.Fatalf("job = %+v, %v", job, err)
	}
	return job
}

// TestServeOnRedisClusterOverTLS runs `sandpit serve --redis-cluster` on a
// 3-primary Cluster that speaks TLS only and asks its clients for a
// certificate, and a real job through Chromium; the job's record is in
// the Cluster.
func TestServeOnRedisClusterOverTLS(t *testing.T) {
	certs, err := redisserver.NewTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := redisserver.StartCluster(context.Background(), 3, redisserver.WithTLS(certs))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "1", "--redis-cluster", strings.Join(c.Addrs(), ","), "--redis-prefix", "e2e",
		"--redis-tls-ca", certs.CAFile, "--redis-tls-cert", certs.ClientCertFile, "--redis-tls-key", certs.ClientKeyFile)
	waitReady(t, base, p)
	job := runOne(t, base, 7)
	tc, err := certs.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), TLSConfig: tc})
	defer rdb.Close()
	if st := rdb.HGet(context.Background(), "{e2e}:job:"+job.ID, "status").Val(); st != string(sandpit.StatusSucceeded) {
		t.Fatalf("the job's record in the Cluster says %q", st)
	}
	if code := p.stop(t); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
}

// TestRedisTLS connects with the Redis flags to a server, a Cluster and a
// Sentinel set that speak TLS only and ask for a client certificate, and
// writes and reads a key through each; without the authority or the
// client certificate the connection is refused, saying where to.
func TestRedisTLS(t *testing.T) {
	certs, err := redisserver.NewTLS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	single, err := redisserver.StartTCP(ctx, redisserver.WithTLS(certs))
	if err != nil {
		t.Fatal(err)
	}
	defer single.Close()
	cluster, err := redisserver.StartCluster(ctx, 3, redisserver.WithTLS(certs))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	sentinels, err := redisserver.StartSentinel(ctx, 1, redisserver.WithTLS(certs))
	if err != nil {
		t.Fatal(err)
	}
	defer sentinels.Close()
	ca := []string{"--redis-tls-ca", certs.CAFile}
	mine := append([]string{"--redis-tls-cert", certs.ClientCertFile, "--redis-tls-key", certs.ClientKeyFile}, ca...)
	for _, tc := range []struct {
		name string
		args []string
		want string // in the error; "" for none
	}{
		{"rediss url", append([]string{"--redis-url", single.URL()}, mine...), ""},
		{"redis url with --redis-tls", append([]string{"--redis-url", "redis://" + single.Addr(), "--redis-tls"}, mine...), ""},
		{"cluster", append([]string{"--redis-cluster", strings.Join(cluster.Addrs(), ",")}, mine...), ""},
		{"sentinel", append([]string{"--redis-sentinel", redisserver.SentinelMaster + "@" + strings.Join(sentinels.Addrs(), ",")}, mine...), ""},
		{"url without TLS", []string{"--redis-url", "redis://" + single.Addr()}, "connect to redis at " + single.Addr()},
		{"no client certificate", append([]string{"--redis-url", single.URL()}, ca...), "connect to redis at " + single.Addr()},
		{"the system's authorities", []string{"--redis-cluster", cluster.Addrs()[0], "--redis-tls-cert", certs.ClientCertFile, "--redis-tls-key", certs.ClientKeyFile},
			"certificate signed by unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, err := parseRedis(t, tc.args, nil)
			if err != nil {
				t.Fatal(err)
			}
			rdb, err := rc.connect(ctx)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want one with %q", err, tc.want)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			key := "{tls}:" + tc.name
			if err := rdb.Set(ctx, key, "over TLS", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := rdb.Get(ctx, key).Result(); err != nil || v != "over TLS" {
				t.Fatalf("read back %q, %v", v, err)
			}
		})
	}
}

// TestSentinelFailoverOverHTTP runs an api and a worker on a Sentinel set,
// the api waiting for the replica before it accepts a job, and kills the
// primary while they run real jobs and submissions go on. With
// --redis-wait-replicas 1, every job whose submission was answered 2xx
// ends; submissions made while no replica can hold them are refused.
func TestSentinelFailoverOverHTTP(t *testing.T) {
	st, err := redisserver.StartSentinel(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	target := redisserver.SentinelMaster + "@" + strings.Join(st.Addrs(), ",")
	addr := freeAddr(t)
	base := "http://" + addr
	start(t, "worker", "--redis-sentinel", target, "--pool-size", "2", "--lease", "5s")
	a := start(t, "api", "--addr", addr, "--redis-sentinel", target, "--redis-wait-replicas", "1")
	waitReady(t, base, a)

	var (
		mu      sync.Mutex
		acked   []string
		refused int
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	hc := &http.Client{Timeout: 15 * time.Second}
	for i := range 2 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"code": "print(%d)"}`, i*1000+n)
				resp, err := hc.Post(base+"/v1/jobs", "application/json", strings.NewReader(body))
				var job sandpit.Job
				if err == nil {
					json.NewDecoder(resp.Body).Decode(&job)
					resp.Body.Close()
				}
				mu.Lock()
				if err == nil && resp.StatusCode/100 == 2 && job.ID != "" {
					acked = append(acked, job.ID)
				} else {
					refused++
				}
				mu.Unlock()
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	testenv.Eventually(t, 2*time.Minute, func() bool { return count() >= 10 }, "jobs accepted before the failover: %d", count())
	st.Primary.Kill()
	sc := redis.NewSentinelClient(&redis.Options{Addr: st.Sentinels[0].Addr()})
	defer sc.Close()
	testenv.Eventually(t, time.Minute, func() bool {
		a, err := sc.GetMasterAddrByName(context.Background(), redisserver.SentinelMaster).Result()
		return err == nil && a[0]+":"+a[1] == st.Replica.Addr()
	}, "the replica was not promoted")
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	mu.Lock()
	ids := append([]string(nil), acked...)
	mu.Unlock()
	if refused == 0 {
		t.Error("no submission was refused while the primary was down or had no replica")
	}

	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, id := range ids {
		var job sandpit.Job
		for {
			job, err = c.Wait(ctx, id)
			if err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(500 * time.Millisecond) // the api reconnecting
		}
		if err != nil || job.Status != sandpit.StatusSucceeded {
			t.Fatalf("accepted job %s after the failover: %+v, %v", id, job, err)
		}
	}
	t.Logf("%d accepted jobs all ended; %d submissions refused", len(ids), refused)
}
