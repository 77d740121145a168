package queue

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Every key a script touches is one of its KEYS, as Redis Cluster requires.
// Some keys a script reads are named by what it finds: an owner's open
// batches, a session's opening job, the stream of the worker holding a
// session. Such a script checks each of them with known(), and before
// writing anything returns {"need", key...} when some were not declared;
// runScript then runs it again with them added. What it found may change
// between two runs, so this repeats, a few times at most.

// declaredLua gives a script known(key): whether key is one of its KEYS.
// A key that is not is noted, once, in missing.
const declaredLua = `
local declared, asked, missing = {}, {}, {}
for _, k in ipairs(KEYS) do declared[k] = true end
local function known(k)
  if declared[k] then return true end
  if not asked[k] then
    asked[k] = true
    missing[#missing + 1] = k
  end
  return false
end
`

// maxKeyRounds bounds the runs of one script asking for more keys.
const maxKeyRounds = 5

// runScript runs one of the queue's scripts, with the keys it asks for
// added; op says what for, in errors.
func (q *Queue) runScript(ctx context.Context, op string, s *redis.Script, keys []string, argv ...any) (any, error) {
	return q.runScriptWith(ctx, op, keys, func(keys []string) (any, error) {
		return s.Run(ctx, q.rdb, keys, argv...).Result()
	})
}

// runScriptWith runs a script by run, again with the keys it asks for
// added, until it has them all.
func (q *Queue) runScriptWith(ctx context.Context, op string, keys []string, run func([]string) (any, error)) (any, error) {
	for range maxKeyRounds {
		v, err := run(keys)
		if err != nil {
			if err == redis.Nil {
				return nil, err
			}
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		need, err := q.neededKeys(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		if need == nil {
			return v, nil
		}
		keys = append(keys, need...)
	}
	return nil, fmt.Errorf("%s: the keys it reads kept changing over %d runs", op, maxKeyRounds)
}

// neededKeys returns the keys a script's reply {"need", key...} asks for,
// nil for any other reply. Each must be one of the queue's keys, in its
// hash slot.
func (q *Queue) neededKeys(v any) ([]string, error) {
	res, ok := v.([]any)
	if !ok || len(res) < 2 || res[0] != "need" {
		return nil, nil
	}
	need := make([]string, 0, len(res)-1)
	for _, k := range res[1:] {
		s, _ := k.(string)
		if !strings.HasPrefix(s, q.keys.prefix) {
			return nil, fmt.Errorf("the script asked for key %q, outside the queue's keys", s)
		}
		need = append(need, s)
	}
	return need, nil
}
