package runner

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit/internal/proctree"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
)

// TestNoBrowserUIRenderers checks that a new host, a tab in a window of a
// browser context of its own, starts no renderer for the browser's own UI
// (the WebUI omnibox popup Chromium makes for every window unless its
// features are off): seconds of CPU per host that nothing uses.
func TestNoBrowserUIRenderers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	testenv.Eventually(t, 3*time.Minute, testRunner.assets.sharing, "the runner shares no snapshot")
	h, err := testRunner.newHost(ctx, page.SharedSandboxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	renderers := 0
	for _, pid := range groupPIDs(testRunner.BrowserPID()) {
		var args []string
		for _, a := range proctree.Cmdline(pid) {
			args = append(args, strings.Fields(a)...) // Chromium's titles join argv with spaces
		}
		if !slices.Contains(args, "--type=renderer") {
			continue
		}
		renderers++
		if slices.Contains(args, "--top-chrome-webui") {
			t.Errorf("renderer %d is one of the browser's own UI (--top-chrome-webui)", pid)
		}
	}
	if renderers == 0 {
		t.Fatal("found no renderer at all")
	}
}
