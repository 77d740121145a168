package queue

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterStateReload is how often a Cluster client made by NewClusterClient
// asks the Cluster which node serves which slots, while it is in use.
// go-redis asks every 60 s, and at once on a MOVED reply, which a dead
// primary never sends: after a failover, its commands would go on to the
// dead primary for up to a minute, and no job could be submitted or run.
const ClusterStateReload = 2 * time.Second

// NewClusterClient is redis.NewClusterClient with the Cluster's state
// reloaded every ClusterStateReload, unless o sets its own interval, so
// that a queue on it finds a promoted replica within seconds.
func NewClusterClient(o *redis.ClusterOptions) *redis.ClusterClient {
	if o.ClusterStateReloadInterval == 0 {
		o.ClusterStateReloadInterval = ClusterStateReload
	}
	return redis.NewClusterClient(o)
}
