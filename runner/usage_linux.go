package runner

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp"

	"github.com/sandpit-dev/sandpit/internal/proctree"
)

// Usage reads the resources used now by the browser's process group, from
// /proc. It is for benchmarks and metrics, and works on Linux only.
func (r *Runner) Usage() (Usage, error) {
	c := chromedp.FromContext(r.current().ctx)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		return Usage{}, fmt.Errorf("no browser process")
	}
	var u Usage
	for _, pid := range groupPIDs(c.Browser.Process().Pid) { // the browser leads its own group
		st, err := proctree.ReadStat(pid)
		if err != nil {
			continue
		}
		u.Processes++
		u.CPU += st.Own
		dir := "/proc/" + strconv.Itoa(pid)
		pss, rss := memoryOf(dir)
		u.PSS += pss
		u.RSS += rss
	}
	return u, nil
}

// memoryOf reads a process's PSS and RSS, in bytes.
func memoryOf(dir string) (pss, rss int64) {
	f, err := os.Open(dir + "/smaps_rollup")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "Pss:":
			pss = kb << 10
		case "Rss:":
			rss = kb << 10
		}
	}
	return pss, rss
}
