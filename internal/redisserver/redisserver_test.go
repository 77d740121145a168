package redisserver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestCluster starts a 3-primary cluster and checks that keys spread over
// its nodes are all served.
func TestCluster(t *testing.T) {
	ctx := context.Background()
	c, err := StartCluster(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	defer rdb.Close()
	for i := range 30 {
		if err := rdb.Set(ctx, fmt.Sprint("k", i), i, 0).Err(); err != nil {
			t.Fatalf("set k%d: %v", i, err)
		}
	}
	per := map[string]int64{}
	err = rdb.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		n, err := node.DBSize(ctx).Result()
		per[node.Options().Addr] = n
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(per) != 3 {
		t.Fatalf("keys on %d primaries, want 3: %v", len(per), per)
	}
	for addr, n := range per {
		if n == 0 {
			t.Errorf("no key on %s: %v", addr, per)
		}
	}
}

// TestSentinelFailover kills the primary and waits for the sentinels to
// promote the replica.
func TestSentinelFailover(t *testing.T) {
	ctx := context.Background()
	st, err := StartSentinel(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: SentinelMaster, SentinelAddrs: st.Addrs()})
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Wait(ctx, 1, 5*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	sc := redis.NewSentinelClient(&redis.Options{Addr: st.Sentinels[0].Addr()})
	defer sc.Close()
	st.Primary.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for {
		addr, err := sc.GetMasterAddrByName(ctx, SentinelMaster).Result()
		if err == nil && addr[0]+":"+addr[1] == st.Replica.Addr() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica %s was not promoted: primary %v, %v", st.Replica.Addr(), addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, err := rdb.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("after failover: %q, %v", v, err)
	}
}
