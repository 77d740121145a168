package runner

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/page"
)

func TestProto(t *testing.T) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	start := time.Now()
	r, err := New(context.Background(), Config{Assets: page.Handler(), PoolSize: 1, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	t.Log("launched", time.Since(start))
	for r.Ready() == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	t.Log("ready", time.Since(start))
	for _, code := range []string{"print('hi', end='')\n1+1", "import sys\nprint('e', file=sys.stderr)\nraise ValueError('x')", "import js\nawait js.fetch('http://127.0.0.1:6379/')"} {
		st := time.Now()
		res, err := r.Run(context.Background(), sandpit.Spec{Code: code})
		t.Logf("%v %+v %v", time.Since(st), res, err)
	}
}
