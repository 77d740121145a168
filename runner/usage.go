package runner

import (
	"time"

	"github.com/chromedp/chromedp"
)

// Usage is what the browser's processes have used, summed over all of them.
type Usage struct {
	Processes int
	CPU       time.Duration // user and system time since each process started
	PSS       int64         // proportional set size in bytes: shared pages counted once in all
	RSS       int64         // resident set size in bytes, shared pages counted in each process
}

// BrowserPID returns the process id of the browser, which leads the process
// group of all of Chromium's processes; 0 when it is not running.
func (r *Runner) BrowserPID() int {
	c := chromedp.FromContext(r.current().ctx)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		return 0
	}
	return c.Browser.Process().Pid
}

// Netns reports whether the browser was started in an empty network
// namespace of its own.
func (r *Runner) Netns() bool { return r.current().netns }
