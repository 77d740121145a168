package queue

// Every Redis key and channel the queue uses is built here. Each begins
// with the hash tag {prefix}, so all of them live in one Redis Cluster
// slot: the scripts that touch several of them stay atomic, and so do the
// pipelines and multi-key commands (XREADGROUP of several streams, DEL of a
// worker's stream and set). A prefix must hold no { or }, which would make
// the tag another. Scripts name every key they touch in KEYS (declare.go);
// a key that would stand for "none" is left out of KEYS, never passed as
// an empty name.
type keys struct{ prefix string }

func newKeys(prefix string) keys {
	if prefix == "" {
		prefix = "sandpit"
	}
	return keys{prefix: "{" + prefix + "}:"}
}

// stream is the stream of job ids waiting for a worker.
func (k keys) stream() string { return k.prefix + "stream" }

// batchStream is the stream of batch items waiting for a worker; workers
// take from it only what the interactive stream leaves them.
func (k keys) batchStream() string { return k.prefix + "stream:batch" }

// batch is the hash of one batch: counts, times; its items are the list at
// batch(id) + ":items", in submission order.
func (k keys) batch(id string) string { return k.prefix + "batch:" + id }

// batchItems is the list of a batch's job ids in submission order.
func (k keys) batchItems(id string) string { return k.batch(id) + ":items" }

// batches is the channel that announces progress of each batch.
func (k keys) batches() string { return k.prefix + "batches" }

// streams are the streams workers read, highest priority first.
func (k keys) streams() []string { return []string{k.stream(), k.batchStream()} }

// job is the hash of one job: status, spec, times, result.
func (k keys) job(id string) string { return k.prefix + "job:" + id }

// events is the stream of one job's events (status changes, output,
// its end), kept as long as the job's record.
func (k keys) events(id string) string { return k.prefix + "events:" + id }

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

// page is the record of one client-side page: its spec, kept until the
// page expires.
func (k keys) page(id string) string { return k.prefix + "page:" + id }

// pagesOf is the sorted set of one owner's live pages, scored by the time
// (Unix ms) each expires; owner is the ID of the caller that made them.
func (k keys) pagesOf(owner string) string { return k.prefix + "pages:" + owner }

// owner is the hash of one owner's quota accounting (quota.go): its
// interactive jobs waiting or running, the bytes of its records not yet
// ended, and the bytes kept of the others by when they expire.
func (k keys) owner(owner string) string { return k.prefix + "owner:" + owner }

// ownerExpiries is the sorted set of the ends of an owner's buckets of
// stored bytes.
func (k keys) ownerExpiries(owner string) string { return k.owner(owner) + ":expiries" }

// ownerBatches is the set of an owner's batches not yet finished.
func (k keys) ownerBatches(owner string) string { return k.prefix + "batches:owner:" + owner }

// rate is the state of one owner's rate limit (limits.go); redis_rate
// puts "rate:" before it, and the hash tag keeps it in the slot of the
// others.
func (k keys) rate(owner string) string { return k.prefix + "rate:" + owner }

// inFlight is the sorted set of one owner's calls in flight, scored by
// the time (Unix ms) each one's lease ends.
func (k keys) inFlight(owner string) string { return k.prefix + "inflight:" + owner }

// livePages is the sorted set of every live page, scored by the time
// (Unix ms) it expires, for the count of them all.
func (k keys) livePages() string { return k.prefix + "pages" }

// openBatches is the set of every batch not yet finished, for the count of
// them all.
func (k keys) openBatches() string { return k.prefix + "batches:open" }

// exporter names the process that exports the queue's metrics (stats.go).
func (k keys) exporter() string { return k.prefix + "metrics:exporter" }

// group is the stream's consumer group of workers.
const group = "workers"

// session is the hash of one session: status, owner, worker, times.
func (k keys) session(id string) string { return k.prefix + "session:" + id }

// ownerSessions is the set of sessions a caller has opened, for the
// per-caller limit.
func (k keys) ownerSessions(owner string) string { return k.prefix + "sessions:owner:" + owner }

// workerStream is the stream of one worker's session runs: a session's
// interpreter lives on one worker, so its runs go to that worker alone.
func (k keys) workerStream(worker string) string { return k.prefix + "stream:worker:" + worker }

// workerSessions is the set of sessions whose interpreter a worker holds.
func (k keys) workerSessions(worker string) string { return k.prefix + "worker-sessions:" + worker }
