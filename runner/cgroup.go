package runner

// A job's interpreter heap is capped inside the page (memory_mb), but code
// can also allocate outside it, through JavaScript (a large ArrayBuffer,
// filled). The whole browser therefore runs in a memory cgroup of its own,
// so that such code gets a renderer killed, not the machine exhausted.

// memoryCgroup is a cgroup with a memory limit that holds the browser.
type memoryCgroup struct {
	dir string
}
