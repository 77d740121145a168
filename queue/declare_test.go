package queue

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// queueScripts are all of the queue's scripts, by name.
var queueScripts = map[string]*redis.Script{
	"enqueue": enqueueScript, "start": startScript, "openSession": openSessionScript,
	"sessionJob": sessionJobScript, "endSession": endSessionScript, "finish": finishScript,
	"requeue": requeueScript, "cancel": cancelScript, "createBatch": createBatchScript,
	"enqueueItem": enqueueItemScript, "completeBatch": completeBatchScript, "usage": usageScript,
	"createPage": createPageScript, "enter": enterScript, "renew": renewScript, "stats": statsScript,
	"claim": claimScript,
}

// TestScriptsDeclareTheirKeys watches with MONITOR every command the
// queue's scripts run while the tests of jobs, batches, sessions, pages and
// quotas run, and checks that every key each command touches (as Redis's
// COMMAND GETKEYS names them) is one of the KEYS of the script that ran it,
// as Redis Cluster requires; and that every script ran.
func TestScriptsDeclareTheirKeys(t *testing.T) {
	ctx := context.Background()
	rdb := testenv.Client(t, redisURL)
	// MONITOR on a connection of its own: each command comes as a line
	// "+TIME [DB CLIENT] ARGS".
	conn, err := net.Dial("unix", strings.TrimPrefix(redisURL, "unix://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var log []string
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(conn)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			mu.Lock()
			log = append(log, strings.TrimPrefix(sc.Text(), "+"))
			mu.Unlock()
		}
	}()
	// MONITOR is on once it echoes a command sent after it.
	marker := "monitor-on-" + newID()
	testenv.Eventually(t, 5*time.Second, func() bool {
		rdb.Exists(ctx, marker)
		mu.Lock()
		defer mu.Unlock()
		for _, l := range log {
			if strings.Contains(l, marker) {
				return true
			}
		}
		return false
	}, "MONITOR shows nothing")
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"EnqueueRunWait", TestEnqueueRunWait}, {"Cancel", TestCancel},
		{"InfrastructureFailureRetries", TestInfrastructureFailureRetries}, {"Events", TestEvents},
		{"Batch", TestBatch}, {"CancelBatch", TestCancelBatch}, {"SessionTasksGoToItsWorker", TestSessionTasksGoToItsWorker},
		{"GoneWorkersSessionsEndAsError", TestGoneWorkersSessionsEndAsError}, {"PagesPerOwner", TestPagesPerOwner},
		{"QueuedPerOwner", TestQueuedPerOwner}, {"BatchesPerOwner", TestBatchesPerOwner},
		{"BatchItemsPerOwner", TestBatchItemsPerOwner}, {"CallsInFlightAreSharedAndLeased", TestCallsInFlightAreSharedAndLeased},
		{"Stats", TestStats}, {"ClaimExporter", TestClaimExporter},
	} {
		t.Run(tc.name, tc.test)
	}
	// The last command, once shown, follows all the others.
	marker = "monitor-off-" + newID()
	testenv.Eventually(t, 5*time.Second, func() bool {
		rdb.Exists(ctx, marker)
		mu.Lock()
		defer mu.Unlock()
		return len(log) > 0 && strings.Contains(log[len(log)-1], marker)
	}, "MONITOR stopped showing commands")
	conn.Close()
	<-drained
	mu.Lock()
	seen := checkMonitor(t, rdb, log)
	mu.Unlock()
	for name, s := range queueScripts {
		if !seen[s.Hash()] {
			t.Errorf("script %s never ran", name)
		}
	}
}

// checkMonitor checks the commands of scripts in a MONITOR log against
// their scripts' KEYS, and returns the hashes of the scripts that ran.
func checkMonitor(t *testing.T, rdb *redis.Client, log []string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	seen := map[string]bool{}
	var declared map[string]bool
	var script string
	bad := 0
	for _, l := range log {
		args, lua, err := parseMonitorLine(l)
		if err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		if len(args) == 0 {
			continue
		}
		name := strings.ToLower(args[0])
		if !lua {
			declared, script = nil, ""
			if (name == "evalsha" || name == "eval") && len(args) >= 3 {
				script = args[1]
				if name == "eval" {
					sum := sha1.Sum([]byte(args[1]))
					script = hex.EncodeToString(sum[:])
				}
				n, _ := strconv.Atoi(args[2])
				declared = map[string]bool{}
				for _, k := range args[3 : 3+n] {
					declared[k] = true
				}
				seen[script] = true
			}
			continue
		}
		if declared == nil {
			t.Fatalf("a script's command with no script before it: %q", l)
		}
		if len(args) == 1 {
			continue // TIME and the like: no arguments, so no keys
		}
		cmd := make([]any, len(args))
		for i, a := range args {
			cmd[i] = a
		}
		keys, err := rdb.CommandGetKeys(ctx, cmd...).Result()
		if err != nil && !strings.Contains(err.Error(), "no key arguments") {
			t.Fatalf("keys of %q: %v", l, err)
		}
		for _, k := range keys {
			if !declared[k] && bad < 20 {
				bad++
				t.Errorf("script %s touches %s, not among its KEYS: %q", scriptName(script), k, l)
			}
		}
	}
	return seen
}

// scriptName names the queue's script of hash sha.
func scriptName(sha string) string {
	for name, s := range queueScripts {
		if s.Hash() == sha {
			return name
		}
	}
	return sha
}

// parseMonitorLine splits a MONITOR line, `TIME [DB CLIENT] "ARG" ...`,
// into its arguments, and says whether a script ran the command.
func parseMonitorLine(l string) (args []string, lua bool, err error) {
	open := strings.Index(l, " [")
	end := strings.Index(l, "] ")
	if open < 0 || end < open {
		return nil, false, nil // OK and other replies
	}
	lua = strings.HasSuffix(l[open:end], " lua")
	rest := l[end+2:]
	for rest != "" {
		if rest[0] != '"' {
			return nil, false, errors.New("an argument not in quotes")
		}
		i := 1
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' {
				i++
			}
		}
		if i >= len(rest) {
			return nil, false, errors.New("an unterminated argument")
		}
		a, err := strconv.Unquote(rest[:i+1])
		if err != nil {
			return nil, false, err
		}
		args = append(args, a)
		rest = strings.TrimPrefix(rest[i+1:], " ")
	}
	return args, lua, nil
}
