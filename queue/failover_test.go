package queue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// startSentinel starts a primary, a replica and three sentinels for one
// test.
func startSentinel(t *testing.T) *redisserver.Sentinel {
	t.Helper()
	st, err := redisserver.StartSentinel(context.Background(), 3)
	if err != nil {
		t.Fatalf("these tests need Redis Sentinel: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// sentinelQueue returns a queue on its own client of the Sentinel set.
func sentinelQueue(t *testing.T, st *redisserver.Sentinel, prefix string, opts Options) *Queue {
	t.Helper()
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: redisserver.SentinelMaster, SentinelAddrs: st.Addrs()})
	opts.Prefix = prefix
	q := New(rdb, opts)
	t.Cleanup(func() { q.Close(); rdb.Close() })
	return q
}

// With WaitReplicas, a job is accepted only once a replica holds it: more
// replicas than there are refuse it, and an accepted job is on the replica
// the moment Enqueue returns.
func TestWaitReplicas(t *testing.T) {
	st := startSentinel(t)
	ctx := context.Background()
	prefix := "test-" + newID()[:8]
	q := sentinelQueue(t, st, prefix, Options{WaitReplicas: 2, ReplicaTimeout: 200 * time.Millisecond})
	if _, err := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, "key-1"); !errors.Is(err, ErrNotReplicated) {
		t.Fatalf("a job two replicas should hold, with one replica: %v, want ErrNotReplicated", err)
	}
	if _, err := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, "key-1"); !errors.Is(err, ErrNotReplicated) {
		t.Fatalf("the same job again, by its idempotency key: %v, want ErrNotReplicated", err)
	}
	replica := redis.NewClient(&redis.Options{Addr: st.Replica.Addr()})
	defer replica.Close()
	q = sentinelQueue(t, st, prefix, Options{WaitReplicas: 1})
	if j, err := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, "key-1"); err != nil || j.Status != sandpit.StatusQueued {
		t.Fatalf("the job refused before, asked again with one replica enough: %+v, %v", j, err)
	}
	for range 20 {
		j, err := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if st, err := replica.HGet(ctx, q.keys.job(j.ID), fStatus).Result(); err != nil || st != string(sandpit.StatusQueued) {
			t.Fatalf("the replica has job %s as %q, %v, right after it was accepted", j.ID, st, err)
		}
	}
	sid, _, err := q.OpenSession(ctx, "", sandpit.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	if n := replica.Exists(ctx, q.keys.session(sid)).Val(); n != 1 {
		t.Fatalf("the replica lacks session %s right after it was opened", sid)
	}
}

// The primary dies while jobs run and more are submitted; the sentinels
// promote the replica. Every job whose submission was accepted ends: none
// is lost, though some may run twice.
func TestSentinelFailoverLosesNoAcceptedJob(t *testing.T) {
	st := startSentinel(t)
	prefix := "test-" + newID()[:8]
	sc := redis.NewSentinelClient(&redis.Options{Addr: st.Sentinels[0].Addr()})
	defer sc.Close()
	failoverLosesNoAcceptedJob(t, func(opts Options) *Queue { return sentinelQueue(t, st, prefix, opts) },
		st.Primary.Kill, func() bool {
			addr, err := sc.GetMasterAddrByName(context.Background(), redisserver.SentinelMaster).Result()
			return err == nil && addr[0]+":"+addr[1] == st.Replica.Addr()
		})
}

// The same on a Redis Cluster of three primaries, each with a replica: the
// primary of the slot that holds sandpit's keys dies, and the Cluster
// promotes its replica.
func TestClusterFailoverLosesNoAcceptedJob(t *testing.T) {
	c, err := redisserver.StartCluster(context.Background(), 3, redisserver.WithReplicas(1))
	if err != nil {
		t.Fatalf("this test needs a Redis Cluster: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	prefix := "test-" + newID()[:8]
	newQueue := func(opts Options) *Queue {
		rdb := NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
		opts.Prefix = prefix
		q := New(rdb, opts)
		t.Cleanup(func() { q.Close(); rdb.Close() })
		return q
	}
	// The primary that serves the prefix's hash slot, and its replica.
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer rdb.Close()
	ctx := context.Background()
	slot, err := rdb.ClusterKeySlot(ctx, "{"+prefix+"}").Result()
	if err != nil {
		t.Fatal(err)
	}
	slots, err := rdb.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	var primary, replica *redisserver.Server
	for _, r := range slots {
		if int64(r.Start) <= slot && slot <= int64(r.End) {
			for i, n := range c.Nodes {
				if n.Addr() == r.Nodes[0].Addr {
					primary, replica = n, c.Replicas[i]
				}
			}
		}
	}
	if primary == nil {
		t.Fatalf("no primary of slot %d among %v", slot, slots)
	}
	failoverLosesNoAcceptedJob(t, newQueue, primary.Kill, func() bool {
		r := redis.NewClient(&redis.Options{Addr: replica.Addr()})
		defer r.Close()
		info, err := r.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "role:master")
	})
}

// failoverLosesNoAcceptedJob submits jobs from four clients and works them
// while kill takes the primary away, until promoted says a replica took
// its place. Every job whose submission was accepted (with WaitReplicas 1)
// must end; some submissions must have been refused meanwhile.
func failoverLosesNoAcceptedJob(t *testing.T, newQueue func(Options) *Queue, kill func(), promoted func() bool) {
	q := newQueue(Options{WaitReplicas: 1, ReplicaTimeout: time.Second})
	var mu sync.Mutex
	runs := map[string]int{}
	work(t, newQueue(Options{}), HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		mu.Lock()
		runs[task.ID]++
		mu.Unlock()
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return sandpit.Result{}, ctx.Err()
		}
		return ok(task.Spec.Code), nil
	}), WorkerOptions{Concurrency: 4, Lease: 2 * time.Second, MaxAttempts: 10})

	var (
		acked    []string
		refused  atomic.Int64
		stop     = make(chan struct{})
		stopped  sync.WaitGroup
		accepted atomic.Int64
	)
	for range 4 {
		stopped.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				j, err := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, "")
				cancel()
				if err != nil {
					refused.Add(1)
					time.Sleep(50 * time.Millisecond)
					continue
				}
				mu.Lock()
				acked = append(acked, j.ID)
				mu.Unlock()
				accepted.Add(1)
				time.Sleep(25 * time.Millisecond)
			}
		})
	}
	// The primary dies once jobs run and more wait.
	testenv.Eventually(t, 30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return accepted.Load() >= 40 && len(runs) >= 8
	}, "jobs accepted and started before the failover: %d, %d", accepted.Load(), len(runs))
	kill()
	testenv.Eventually(t, 60*time.Second, promoted, "the replica was not promoted")
	// Submissions go on for a while against the new primary, which has no
	// replica left: they are refused, as none could survive another loss.
	time.Sleep(2 * time.Second)
	close(stop)
	stopped.Wait()
	if refused.Load() == 0 {
		t.Error("no submission was refused while the primary was down or had no replica")
	}

	mu.Lock()
	ids := append([]string(nil), acked...)
	mu.Unlock()
	twice := 0
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		j, err := q.Wait(ctx, id, "")
		cancel()
		if err != nil || j.Status != sandpit.StatusSucceeded {
			t.Fatalf("accepted job %s after the failover: %+v, %v", id, j, err)
		}
		mu.Lock()
		if runs[id] > 1 {
			twice++
		}
		mu.Unlock()
	}
	t.Logf("%d accepted jobs all ended; %d ran more than once; %d submissions refused", len(ids), twice, refused.Load())
}
