package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Requests with made-up methods share one series: a client cannot grow the
// metrics without bound.
func TestRequestLabelsAreBounded(t *testing.T) {
	m := New()
	for i := range 100 {
		m.ObserveRequest("X-METHOD-"+string(rune('A'+i%26))+string(rune('a'+i/26)), "", 404, time.Millisecond)
	}
	m.ObserveRequest("GET", "/v1/jobs/:id", 200, time.Millisecond)
	if n := testutil.CollectAndCount(m.requests); n != 2 {
		t.Errorf("%d series after 100 made-up methods and one GET, want 2", n)
	}
}
