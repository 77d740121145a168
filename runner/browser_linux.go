package runner

import (
	"os/exec"
	"syscall"
)

// switchesUser says that a root process can start Chromium as another,
// unprivileged, user here.
const switchesUser = true

// netnsWorks reports whether unshare can give Chromium an empty network
// namespace here: it runs `true` the same way the browser would be run.
func netnsWorks(id identity) (string, bool) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		return "", false
	}
	cmd := exec.Command(unshare, namespaceArgs(id, "true")...)
	cmd.SysProcAttr = credentials(id)
	return unshare, cmd.Run() == nil
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
