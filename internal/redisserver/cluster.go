package redisserver

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Cluster is a Redis Cluster of primaries on loopback ports, each serving an
// equal share of the 16384 slots, without replicas.
type Cluster struct {
	Nodes []*Server
}

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// StartCluster starts n redis-server primaries with cluster mode on, gives
// each its share of the slots, joins them, and waits until every node says
// the cluster is ok.
func StartCluster(ctx context.Context, n int, opts ...Option) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("start cluster: %d nodes", n)
	}
	c := &Cluster{}
	o := apply(opts)
	fail := func(err error) (*Cluster, error) {
		c.Close()
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	for range n {
		s, err := startTCP(ctx, true, o, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000", "--tls-cluster", yes(o.tls != nil))
		if err != nil {
			return fail(err)
		}
		c.Nodes = append(c.Nodes, s)
	}
	first := c.Nodes[0].client()
	defer first.Close()
	for i, s := range c.Nodes {
		rdb := s.client()
		lo, hi := i*clusterSlots/n, (i+1)*clusterSlots/n-1
		err := rdb.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err()
		rdb.Close()
		if err != nil {
			return fail(fmt.Errorf("assign slots %d-%d to %s: %w", lo, hi, s.addr, err))
		}
		if i > 0 {
			host, port, _ := strings.Cut(s.addr, ":")
			if err := first.ClusterMeet(ctx, host, port).Err(); err != nil {
				return fail(fmt.Errorf("join %s: %w", s.addr, err))
			}
		}
	}
	for _, s := range c.Nodes {
		rdb := s.client()
		err := waitUntil(ctx, 30*time.Second, "cluster state ok at "+s.addr, func() bool {
			info, err := rdb.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d\r", n))
		})
		rdb.Close()
		if err != nil {
			return fail(err)
		}
	}
	return c, nil
}

// Addrs are the host:port of the cluster's nodes.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		out[i] = s.addr
	}
	return out
}

// Close stops every node and removes their data.
func (c *Cluster) Close() error { return closeAll(c.Nodes...) }
