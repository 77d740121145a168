package runner

import (
	"context"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/page"
)

// Jobs of two tenants never run one after the other in one host, so never
// in one renderer process (each host is a browser context of its own); jobs
// of one tenant may.
func TestTenantsNeverShareAHost(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	run := func(tenant string) *host {
		t.Helper()
		h, err := testRunner.take(WithTenant(ctx, tenant))
		if err != nil {
			t.Fatal(err)
		}
		if res, err := h.run(ctx, page.MethodRun, sandpit.Spec{Code: "print(1)"}, testRunner.cfg.Limits); err != nil || res.Stdout != "1\n" {
			t.Fatalf("job of %s: %+v, %v", tenant, res, err)
		}
		testRunner.recycle(h, true) // back in the pool before the next take
		return h
	}
	a := map[*host]bool{run("tenant-a"): true, run("tenant-a"): true}
	b := run("tenant-b")
	if a[b] {
		t.Fatal("a job of tenant-b ran in a host that had run tenant-a's jobs")
	}
	if again := run("tenant-a"); again == b {
		t.Fatal("a job of tenant-a ran in the host that had run tenant-b's job")
	}
	if b.tenant != "tenant-b" || !b.used {
		t.Errorf("host of tenant-b: used %v, tenant %q", b.used, b.tenant)
	}
}
