package queue

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// The queue's tests run on one redis-server; those that TestOnCluster
// names run again on a Redis Cluster of three primaries, started for them.

var (
	redisURL string

	clusterOnce sync.Once
	cluster     *redisserver.Cluster
	clusterErr  error
)

func TestMain(m *testing.M) {
	code := testenv.RunWithRedis(m, &redisURL)
	if cluster != nil {
		cluster.Close()
	}
	os.Exit(code)
}

// onCluster reports whether t runs under TestOnCluster.
func onCluster(t testing.TB) bool { return strings.HasPrefix(t.Name(), "TestOnCluster/") }

// testClient returns a client on the test's Redis: the Cluster for a test
// under TestOnCluster, else the single server. It is closed when the test
// ends.
func testClient(t testing.TB) redis.UniversalClient {
	t.Helper()
	if !onCluster(t) {
		return testenv.Client(t, redisURL)
	}
	clusterOnce.Do(func() { cluster, clusterErr = redisserver.StartCluster(context.Background(), 3) })
	if clusterErr != nil {
		t.Fatalf("these tests need a Redis Cluster: %v", clusterErr)
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs()})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// keysLike returns the keys that match pattern: on a Cluster, those of
// every primary, as KEYS and SCAN see one node only.
func keysLike(t testing.TB, rdb redis.UniversalClient, pattern string) []string {
	t.Helper()
	ctx := context.Background()
	c, ok := rdb.(*redis.ClusterClient)
	if !ok {
		keys, err := rdb.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatalf("keys %s: %v", pattern, err)
		}
		return keys
	}
	var mu sync.Mutex
	var out []string
	err := c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		iter := node.Scan(ctx, 0, pattern, 100).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			out = append(out, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	})
	if err != nil {
		t.Fatalf("scan %s: %v", pattern, err)
	}
	return out
}

// TestOnCluster runs the queue's tests of every feature on a Redis Cluster
// of three primaries: jobs (submit, run, result, cancel, retry, lease),
// batches, sessions, pages, events, idempotency, per-owner quotas,
// rate and in-flight limits, the fleet's statistics, retention and expiry.
func TestOnCluster(t *testing.T) {
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"KeysShareOneSlot", testKeysShareOneSlot},
		{"EnqueueRunWait", TestEnqueueRunWait},
		{"TwoWorkersShareOneQueue", TestTwoWorkersShareOneQueue},
		{"Cancel", TestCancel},
		{"QueueFull", TestQueueFull},
		{"RetentionAndNoLeftoverKeys", TestRetentionAndNoLeftoverKeys},
		{"InfrastructureFailureRetries", TestInfrastructureFailureRetries},
		{"LeaseTakeover", TestLeaseTakeover},
		{"Capacity", TestCapacity},
		{"WorkerLeavesNoConsumerOrRegistration", TestWorkerLeavesNoConsumerOrRegistration},
		{"CancelSeenInTheRecord", TestCancelSeenInTheRecord},
		{"Events", TestEvents},
		{"Batch", TestBatch},
		{"CancelBatch", TestCancelBatch},
		{"BatchDoesNotStarveInteractiveJobs", TestBatchDoesNotStarveInteractiveJobs},
		{"SessionTasksGoToItsWorker", TestSessionTasksGoToItsWorker},
		{"GoneWorkersSessionsEndAsError", TestGoneWorkersSessionsEndAsError},
		{"PageRoundTrip", TestPageRoundTrip},
		{"PageExpires", TestPageExpires},
		{"PagesPerOwner", TestPagesPerOwner},
		{"QueuedPerOwner", TestQueuedPerOwner},
		{"QueuedCountAcrossRetriesAndCancels", TestQueuedCountAcrossRetriesAndCancels},
		{"BatchesPerOwner", TestBatchesPerOwner},
		{"BatchItemsPerOwner", TestBatchItemsPerOwner},
		{"StoredBytesPerOwner", TestStoredBytesPerOwner},
		{"StoredBytesForgottenWhileBusy", TestStoredBytesForgottenWhileBusy},
		{"RateIsSharedByProcesses", TestRateIsSharedByProcesses},
		{"CallsInFlightAreSharedAndLeased", TestCallsInFlightAreSharedAndLeased},
		{"Stats", TestStats},
		{"ClaimExporter", TestClaimExporter},
	} {
		t.Run(tc.name, tc.test)
	}
}

// testKeysShareOneSlot checks on the Cluster that every key and channel
// the queue names hashes to one slot, so that every script and pipeline
// stays on one node. Every method of keys in keys.go is called, so a new
// one is checked too.
func testKeysShareOneSlot(t *testing.T) {
	q, rdb := newQueue(t, Options{})
	ctx := context.Background()
	want, err := rdb.ClusterKeySlot(ctx, q.keys.stream()).Result()
	if err != nil {
		t.Fatal(err)
	}
	names := allKeys(t, q.keys, "0123456789abcdef0123456789abcdef")
	if len(names) < 20 {
		t.Fatalf("only %d keys named: %v", len(names), names)
	}
	for _, k := range names {
		if slot, err := rdb.ClusterKeySlot(ctx, k).Result(); err != nil || slot != want {
			t.Errorf("key %s is in slot %d (%v), the stream in %d", k, slot, err, want)
		}
	}
}

// allKeys calls every method of k with id for each argument, and returns
// the names they make. It fails the test when keys.go has a method it does
// not know.
func allKeys(t *testing.T, k keys, id string) []string {
	builders := map[string]any{
		"stream": k.stream, "batchStream": k.batchStream, "batch": k.batch, "batchItems": k.batchItems,
		"batches": k.batches, "streams": k.streams, "job": k.job, "events": k.events, "idempotency": k.idempotency,
		"done": k.done, "cancel": k.cancel, "workers": k.workers, "workerReady": k.workerReady, "page": k.page,
		"pagesOf": k.pagesOf, "owner": k.owner, "ownerExpiries": k.ownerExpiries, "ownerBatches": k.ownerBatches,
		"session": k.session, "ownerSessions": k.ownerSessions, "workerStream": k.workerStream,
		"workerSessions": k.workerSessions, "rate": k.rate, "inFlight": k.inFlight, "livePages": k.livePages,
		"openBatches": k.openBatches, "exporter": k.exporter,
	}
	f, err := parser.ParseFile(token.NewFileSet(), "keys.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil && builders[fn.Name.Name] == nil {
			t.Errorf("keys.%s is not checked: add it to allKeys", fn.Name.Name)
		}
	}
	var out []string
	for name, build := range builders {
		switch b := build.(type) {
		case func() string:
			out = append(out, b())
		case func(string) string:
			out = append(out, b(id))
		case func() []string:
			out = append(out, b()...)
		default:
			panic(fmt.Sprintf("keys.%s has an unknown signature", name))
		}
	}
	return out
}
