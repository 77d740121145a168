package queue

import (
	"context"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"
)

// notifier fans the messages of one Redis channel, each a job id, out to the
// local callers watching that id. One subscription serves every watcher of a
// process.
type notifier struct {
	rdb     redis.UniversalClient
	channel string
	log     *slog.Logger

	mu       sync.Mutex
	watchers map[string]map[chan struct{}]struct{}
	pubsub   *redis.PubSub
	wg       sync.WaitGroup
}

func newNotifier(rdb redis.UniversalClient, channel string, log *slog.Logger) *notifier {
	return &notifier{rdb: rdb, channel: channel, log: log, watchers: make(map[string]map[chan struct{}]struct{})}
}

// watch returns a channel that receives a value each time id is announced,
// and a func that stops watching. The subscription is confirmed before watch
// returns, so an announcement made after it is not missed.
func (n *notifier) watch(ctx context.Context, id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	n.mu.Lock()
	if n.pubsub == nil {
		ps := n.rdb.Subscribe(ctx, n.channel)
		if _, err := ps.Receive(ctx); err != nil {
			// Watchers fall back on re-reading; the next watch tries again.
			n.log.Warn("subscribe to job announcements", "err", err)
			ps.Close()
		} else {
			n.pubsub = ps
			n.wg.Go(func() { n.dispatch(ps) })
		}
	}
	if n.watchers[id] == nil {
		n.watchers[id] = make(map[chan struct{}]struct{})
	}
	n.watchers[id][ch] = struct{}{}
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		delete(n.watchers[id], ch)
		if len(n.watchers[id]) == 0 {
			delete(n.watchers, id)
		}
		n.mu.Unlock()
	}
}

// dispatch delivers the subscription's messages until it is closed. The
// go-redis PubSub reconnects and resubscribes by itself.
func (n *notifier) dispatch(ps *redis.PubSub) {
	for msg := range ps.Channel() {
		n.mu.Lock()
		for ch := range n.watchers[msg.Payload] {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
		n.mu.Unlock()
	}
}

func (n *notifier) close() error {
	n.mu.Lock()
	ps := n.pubsub
	n.pubsub = nil
	n.mu.Unlock()
	var err error
	if ps != nil {
		err = ps.Close()
	}
	n.wg.Wait()
	return err
}
