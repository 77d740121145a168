package redisserver

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Cluster is a Redis Cluster of primaries on loopback ports, each serving an
// equal share of the 16384 slots, and their replicas, if any.
type Cluster struct {
	Nodes    []*Server // the primaries
	Replicas []*Server // Replicas[i*r : (i+1)*r] replicate Nodes[i]
}

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// StartCluster starts n redis-server primaries with cluster mode on, gives
// each its share of the slots, joins them and the replicas WithReplicas
// asks for, and waits until every node says the cluster is ok and every
// replica is in sync with its primary. A replica is promoted when its
// primary has not answered for two seconds.
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
	node := func() (*Server, error) {
		return startTCP(ctx, true, o, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000", "--tls-cluster", yes(o.tls != nil))
	}
	for range n {
		s, err := node()
		if err != nil {
			return fail(err)
		}
		c.Nodes = append(c.Nodes, s)
	}
	for range n * o.replicas {
		s, err := node()
		if err != nil {
			return fail(err)
		}
		c.Replicas = append(c.Replicas, s)
	}
	all := slices.Concat(c.Nodes, c.Replicas)
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
	}
	for _, s := range all[1:] {
		host, port, _ := strings.Cut(s.addr, ":")
		if err := first.ClusterMeet(ctx, host, port).Err(); err != nil {
			return fail(fmt.Errorf("join %s: %w", s.addr, err))
		}
	}
	known := func(s *Server) error {
		rdb := s.client()
		defer rdb.Close()
		return waitUntil(ctx, 30*time.Second, "cluster state ok at "+s.addr, func() bool {
			info, err := rdb.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d\r", len(all)))
		})
	}
	for _, s := range all {
		if err := known(s); err != nil {
			return fail(err)
		}
	}
	for i, s := range c.Replicas {
		if err := s.replicate(ctx, c.Nodes[i/o.replicas]); err != nil {
			return fail(err)
		}
	}
	return c, nil
}

// replicate makes s, a node of a Cluster, a replica of primary and waits
// until it is in sync.
func (s *Server) replicate(ctx context.Context, primary *Server) error {
	p := primary.client()
	id, err := p.Do(ctx, "CLUSTER", "MYID").Text()
	p.Close()
	if err != nil {
		return fmt.Errorf("the id of %s: %w", primary.addr, err)
	}
	rdb := s.client()
	defer rdb.Close()
	if err := rdb.Do(ctx, "CLUSTER", "REPLICATE", id).Err(); err != nil {
		return fmt.Errorf("make %s a replica of %s: %w", s.addr, primary.addr, err)
	}
	return waitUntil(ctx, 30*time.Second, s.addr+" in sync with "+primary.addr, func() bool {
		info, err := rdb.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	})
}

// Addrs are the host:port of the cluster's primaries.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		out[i] = s.addr
	}
	return out
}

// Close stops every node and removes their data.
func (c *Cluster) Close() error { return closeAll(slices.Concat(c.Nodes, c.Replicas)...) }
