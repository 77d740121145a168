package runner

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// switchesUser says that a root process can start Chromium as another,
// unprivileged, user here.
const switchesUser = true

// netnsWorks returns unshare's path when it can give Chromium an empty
// network namespace here, and why not otherwise: it runs `true` the same
// way the browser would be run.
func netnsWorks(id identity) (string, error) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return "", errors.New("unshare is not installed (apt-get install util-linux)")
	}
	cmd := exec.Command(unshare, namespaceArgs(id, "true")...)
	cmd.SysProcAttr = credentials(id)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("unshare -Un failed (%v: %s): the kernel or container does not let this user make user namespaces", err, bytes.TrimSpace(out))
	}
	return unshare, nil
}

// sandboxed checks that Chromium's own sandbox is on for the browser whose
// process group is pgid: no process of it runs with --no-sandbox; its
// sandboxed zygote, from which renderers are made, lives in a PID
// namespace of its own, as the namespace (or setuid) sandbox puts it; and
// its renderers are held by a seccomp filter.
func sandboxed(pgid int) error {
	own, err := os.Readlink("/proc/" + strconv.Itoa(pgid) + "/ns/pid")
	if err != nil {
		return fmt.Errorf("cannot inspect the browser process: %w", err)
	}
	zygote := false
	for _, pid := range groupPIDs(pgid) {
		dir := "/proc/" + strconv.Itoa(pid)
		cmdline, err := os.ReadFile(dir + "/cmdline")
		if err != nil {
			continue // gone
		}
		// Chromium writes its processes' titles over their argv, joined by
		// spaces: split on both.
		args := strings.FieldsFunc(string(cmdline), func(r rune) bool { return r == 0 || r == ' ' })
		has := func(flag string) bool { return slices.Contains(args, flag) }
		if has("--no-sandbox") {
			return fmt.Errorf("%w: process %d runs with it (look for it in /etc/chromium.d)", errNoSandboxFlag, pid)
		}
		if has("--type=renderer") {
			if s := procStatus(dir, "Seccomp"); s != "2" {
				return fmt.Errorf("renderer %d is not held by a seccomp filter (Seccomp: %q)", pid, s)
			}
		}
		if !has("--type=zygote") || has("--no-zygote-sandbox") {
			continue
		}
		ns, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
		if err != nil {
			return fmt.Errorf("cannot inspect the sandboxed zygote: %w", err)
		}
		if ns == own {
			return fmt.Errorf("the sandboxed zygote %d shares the browser's PID namespace", pid)
		}
		zygote = true
	}
	if !zygote {
		return errNoZygote
	}
	return nil
}

// procStatus returns a field of a process's /proc/PID/status, "" when
// there is none.
func procStatus(dir, field string) string {
	b, err := os.ReadFile(dir + "/status")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// credentials start a process as id, in a process group of its own (so that
// the browser's processes can be found and moved into a cgroup together),
// killed when sandpit dies.
func credentials(id identity) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if id.switched {
		attr.Credential = &syscall.Credential{Uid: id.uid, Gid: id.gid}
	}
	return attr
}
