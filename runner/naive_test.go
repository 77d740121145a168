package runner

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/sandpit-dev/sandpit/page"
)

// TestNaiveBrowserContexts checks where each naive design opens its tabs:
// NaiveWarmContext puts every tab in the one browser context the runner
// keeps, which outlives them; NaiveColdContext gives each tab a new browser
// context of its own, disposed of with the tab.
func TestNaiveBrowserContexts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   NaiveMode
		shared bool
	}{
		{"warm context", NaiveWarmContext, true},
		{"cold context", NaiveColdContext, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(context.Background(), Config{Assets: page.Handler(), Naive: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			bctx := r.current().ctx
			// open opens a tab the way a naive job does and returns the
			// browser context Chromium lists it in.
			open := func() (cdp.BrowserContextID, context.CancelFunc) {
				t.Helper()
				tctx, cancel := r.openTab()
				if err := chromedp.Do(tctx); err != nil {
					cancel()
					t.Fatalf("open a tab: %v", err)
				}
				id := chromedp.FromContext(tctx).Target.TargetID
				info, err := chromedp.CallBrowser(bctx, target.GetTargetInfo, target.GetTargetInfoParams{TargetID: id})
				if err != nil {
					cancel()
					t.Fatalf("target info of tab %s: %v", id, err)
				}
				return info.TargetInfo.BrowserContextID, cancel
			}
			contexts := func() []cdp.BrowserContextID {
				t.Helper()
				res, err := chromedp.CallBrowser(bctx, target.GetBrowserContexts, cdp.Empty{})
				if err != nil {
					t.Fatal(err)
				}
				return res.BrowserContextIDs
			}
			first, closeFirst := open()
			second, closeSecond := open()
			defer closeSecond()
			if first == "" || second == "" {
				t.Fatalf("tabs in browser contexts %q and %q, want created ones, not the default", first, second)
			}
			if got := first == second; got != tc.shared {
				t.Fatalf("two tabs open at once in browser contexts %s and %s: shared %v, want %v", first, second, got, tc.shared)
			}
			closeFirst()
			third, closeThird := open()
			defer closeThird()
			if got := third == second; got != tc.shared {
				t.Fatalf("a tab opened after another closed is in browser context %s, beside %s: shared %v, want %v", third, second, got, tc.shared)
			}
			if kept := slices.Contains(contexts(), first); kept != tc.shared {
				t.Fatalf("browser context %s of a closed tab kept: %v, want %v", first, kept, tc.shared)
			}
		})
	}
}

// TestNaiveModeMustBeKnown checks that New refuses a NaiveMode that is none
// of the designs, rather than run one it was not asked for.
func TestNaiveModeMustBeKnown(t *testing.T) {
	r, err := New(context.Background(), Config{Assets: page.Handler(), Naive: NaiveWarmContext + 1})
	if err == nil {
		r.Close()
		t.Fatal("New accepted an unknown NaiveMode")
	}
	if !strings.Contains(err.Error(), "Config.Naive is 3, not one of the NaiveMode values") {
		t.Fatalf("New: %v", err)
	}
}
