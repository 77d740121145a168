package queue

// Every Redis key and channel the queue uses is built here. The hash tag
// {sandpit} keeps them in one Redis Cluster slot, so the scripts that touch
// several of them stay atomic.
type keys struct{ prefix string }

func newKeys(prefix string) keys {
	if prefix == "" {
		prefix = "sandpit"
	}
	return keys{prefix: "{" + prefix + "}:"}
}

// stream is the stream of job ids waiting for a worker.
func (k keys) stream() string { return k.prefix + "stream" }

// job is the hash of one job: status, spec, times, result.
func (k keys) job(id string) string { return k.prefix + "job:" + id }

// idempotency maps a caller's idempotency key (already hashed) to its job.
func (k keys) idempotency(hash string) string { return k.prefix + "idem:" + hash }

// done is the channel that announces each job reaching a terminal status.
func (k keys) done() string { return k.prefix + "done" }

// cancel is the channel that asks workers to stop a running job.
func (k keys) cancel() string { return k.prefix + "cancel" }

// workers is the sorted set of live workers, scored by the time (Unix ms)
// their last heartbeat expires.
func (k keys) workers() string { return k.prefix + "workers" }

// workerReady is the hash of each live worker's count of ready sandboxes.
func (k keys) workerReady() string { return k.prefix + "workers:ready" }

// group is the stream's consumer group of workers.
const group = "workers"
