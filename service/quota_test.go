package service

import (
	"testing"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/queue"
)

// A batch refused midway (here: past its caller's quota of batch items)
// leaves nothing behind: the items queued before the refusal are
// cancelled, the batch finishes, and the caller's counts are as before.
func TestBatchRefusedMidwayIsAborted(t *testing.T) {
	q := queue.New(testenv.Client(t, redisURL), queue.Options{Prefix: "service-" + queue.NewWorkerID(),
		MaxBatchItemsPerOwner: 2, Logger: quiet})
	t.Cleanup(func() { q.Close() })
	s := New(q, Config{Logger: quiet})
	three := items(sandpit.Item{Spec: sandpit.Spec{Code: "1"}}, sandpit.Item{Spec: sandpit.Spec{Code: "2"}},
		sandpit.Item{Spec: sandpit.Spec{Code: "3"}})
	_, err := s.SubmitBatch(as("alice"), three)
	if sandpit.ErrorCode(err) != sandpit.ERATELIMITED {
		t.Fatalf("a batch of 3 items under a quota of 2: %v, want rate_limited", err)
	}
	u, err := q.Usage(as("alice"), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if u.Batches != 0 || u.BatchItems != 0 || u.Queued != 0 {
		t.Fatalf("alice's usage after the refusal = %+v, want nothing", u)
	}
	// Within the quota, the same caller's batch is accepted.
	two := items(sandpit.Item{Spec: sandpit.Spec{Code: "1"}}, sandpit.Item{Spec: sandpit.Spec{Code: "2"}})
	if b, err := s.SubmitBatch(as("alice"), two); err != nil || b.Total != 2 {
		t.Fatalf("a batch within the quota: %+v, %v", b, err)
	}
}
