package runner

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// clockTick is the unit of utime and stime in /proc/PID/stat.
const clockTick = 100

// Usage reads the resources used now by the browser's process group, from
// /proc. It is for benchmarks and metrics, and works on Linux only.
func (r *Runner) Usage() (Usage, error) {
	c := chromedp.FromContext(r.current().ctx)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		return Usage{}, fmt.Errorf("no browser process")
	}
	var u Usage
	for _, pid := range groupPIDs(c.Browser.Process().Pid) { // the browser leads its own group
		dir := "/proc/" + strconv.Itoa(pid)
		stat, err := os.ReadFile(dir + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name, which may hold spaces.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		u.Processes++
		u.CPU += time.Duration(utime+stime) * time.Second / clockTick
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
