package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

func TestPageRoundTrip(t *testing.T) {
	q, rdb := newQueue(t, Options{PageTTL: time.Hour})
	ctx := context.Background()
	spec := sandpit.Spec{Code: "print(1)", TimeoutMS: 500, Packages: []string{"numpy"},
		Files: []sandpit.File{{Path: "a.txt", Content: "x"}}}
	before := time.Now()
	p, err := q.CreatePage(ctx, spec, "key-a")
	if err != nil {
		t.Fatal(err)
	}
	if !ValidID(p.ID) {
		t.Errorf("page id %q is not 32 hex digits (128 random bits)", p.ID)
	}
	if d := p.ExpiresAt.Sub(before); d < time.Hour-time.Second || d > time.Hour+time.Second {
		t.Errorf("expires_at is %v after creation, want the TTL of 1h", d)
	}
	if ttl := rdb.PTTL(ctx, q.keys.page(p.ID)).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("the page's key expires in %v, want 1h", ttl)
	}
	got, err := q.GetPage(ctx, p.ID)
	if err != nil || got.Code != spec.Code || got.TimeoutMS != 500 || len(got.Packages) != 1 || len(got.Files) != 1 {
		t.Fatalf("GetPage = %+v, %v", got, err)
	}
	other, _ := q.CreatePage(ctx, spec, "key-a")
	if other.ID == p.ID {
		t.Error("two pages got the same id")
	}
	for _, id := range []string{"nope", p.ID[:31] + "g", "../" + p.ID} {
		if _, err := q.GetPage(ctx, id); sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
			t.Errorf("GetPage(%q) = %v, want not_found", id, err)
		}
	}
}

func TestPageExpires(t *testing.T) {
	q, rdb := newQueue(t, Options{PageTTL: 300 * time.Millisecond})
	ctx := context.Background()
	p, err := q.CreatePage(ctx, sandpit.Spec{Code: "1"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.GetPage(ctx, p.ID); err != nil {
		t.Fatalf("a fresh page: %v", err)
	}
	testenv.Eventually(t, 5*time.Second, func() bool {
		_, err := q.GetPage(ctx, p.ID)
		return sandpit.ErrorCode(err) == sandpit.ENOTFOUND
	}, "the page is still there after its TTL of 300ms")
	// Nothing is left of it, the owner's count included.
	testenv.Eventually(t, 5*time.Second, func() bool {
		keys := keysLike(t, rdb, q.keys.prefix+"*")
		return len(keys) == 0
	}, "keys left after the page expired")
}

func TestPagesPerOwner(t *testing.T) {
	q, _ := newQueue(t, Options{PageTTL: time.Second, MaxPagesPerOwner: 3})
	ctx := context.Background()
	spec := sandpit.Spec{Code: "1"}
	for i := range 3 {
		if _, err := q.CreatePage(ctx, spec, "key-a"); err != nil {
			t.Fatalf("page %d of 3: %v", i+1, err)
		}
	}
	_, err := q.CreatePage(ctx, spec, "key-a")
	var limit *PageLimitError
	if !errors.As(err, &limit) || sandpit.ErrorCode(err) != sandpit.ERATELIMITED {
		t.Fatalf("a 4th page = %v, want a rate_limited PageLimitError", err)
	}
	if limit.RetryAfter() <= 0 || limit.RetryAfter() > time.Second {
		t.Errorf("RetryAfter = %v, want until the oldest page expires (within 1s)", limit.RetryAfter())
	}
	// Another key, and callers without a key, have budgets of their own.
	for _, owner := range []string{"key-b", ""} {
		if _, err := q.CreatePage(ctx, spec, owner); err != nil {
			t.Errorf("owner %q: %v", owner, err)
		}
	}
	// Once its pages expire, the key may make more.
	time.Sleep(1100 * time.Millisecond)
	if _, err := q.CreatePage(ctx, spec, "key-a"); err != nil {
		t.Fatalf("after the pages expired: %v", err)
	}
}
