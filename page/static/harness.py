# The Python side of one sandbox: runs one job's code the way `python main.py`
# would, and reports the outcome as JSON. Loaded once per fresh interpreter.

import ast
import asyncio
import inspect
import base64
import builtins
import io
import json
import linecache
import os
import sys
import traceback

from pyodide.code import CodeRunner

_HOME = "/home/pyodide"
_MAIN = "main.py"
_TEST = "test.py"


def _write_inputs(files):
    """Writes the job's input files under the working directory and returns
    their contents by path, so that unchanged inputs are not sent back."""
    inputs = {}
    for f in files:
        path = os.path.join(_HOME, f["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = f["content"]
        if f.get("encoding") == "base64":
            data = base64.b64decode(data)
        else:
            data = data.encode("utf-8")
        with open(path, "wb") as fh:
            fh.write(data)
        inputs[f["path"]] = data
    return inputs


def _all_files():
    """Returns the contents of every file under the working directory, by
    path: what a session's next run compares its files against."""
    files = {}
    for root, _, names in os.walk(_HOME):
        for name in names:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as fh:
                    files[os.path.relpath(path, _HOME)] = fh.read()
            except OSError:
                pass
    return files


class _FiguresBackend:
    """Finds and loads the matplotlib backend module://_sandpit_figures (set
    in MPLBACKEND): Agg drawing, with a plt.show() that turns the open
    figures into PNG files of the working directory. The end of the job
    does the same for figures still open. Matplotlib is imported only by
    jobs that use it."""

    name = "_sandpit_figures"

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != cls.name:
            return None
        import importlib.util

        return importlib.util.spec_from_loader(name, cls)

    @staticmethod
    def create_module(spec):
        return None

    @staticmethod
    def exec_module(module):
        from matplotlib.backend_bases import FigureManagerBase
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        module.FigureCanvas = FigureCanvasAgg
        module.FigureManager = FigureManagerBase
        module.show = lambda *args, **kwargs: _save_figures()


_figures_saved = 0


def _save_figures():
    """Saves each open matplotlib figure as figures/figure_N.png, then
    closes it."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    global _figures_saved
    for num in pyplot.get_fignums():
        _figures_saved += 1
        os.makedirs(os.path.join(_HOME, "figures"), exist_ok=True)
        pyplot.figure(num).savefig(os.path.join(_HOME, "figures", f"figure_{_figures_saved}.png"), format="png")
        pyplot.close(num)


sys.meta_path.append(_FiguresBackend)
os.environ["MPLBACKEND"] = "module://" + _FiguresBackend.name


# The namespace of a session's code, kept from one run to the next.
_session_namespace = None


class _Gate:
    """Lets the asyncio callbacks a session's run schedules go ahead during
    that run only. Every callback of the loop (a task's next step, a
    timer, a future's done callback) is scheduled through call_later;
    each is tied to the run it was scheduled in, and does nothing once that
    run has ended, as do those scheduled between runs."""

    def __init__(self):
        self.runs = 0
        self.current = 0  # the run going on, 0 between runs
        self.loop = None

    def open(self):
        if self.loop is None:
            self.loop = asyncio.get_event_loop()
            schedule = self.loop.call_later

            def call_later(delay, callback, *args, context=None):
                run = self.current

                def gated(*a):
                    if run and run == self.current:
                        callback(*a)

                return schedule(delay, gated, *args, context=context)

            self.loop.call_later = call_later
        self.runs += 1
        self.current = self.runs

    def close(self):
        self.current = 0


_gate = _Gate()


async def _settle():
    """Cancels the asyncio tasks a session's run left pending and gives
    them a moment to end, so that a later run awaiting one sees it
    cancelled."""
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
    for t in tasks:
        t.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=0.05)


def _collect_outputs(inputs, max_files, max_bytes):
    """Returns the files under the working directory that the job created or
    changed, within the limits, and whether any were left out."""
    out, total, dropped = [], 0, False
    for root, dirs, names in os.walk(_HOME):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, _HOME)
            try:
                with open(path, "rb") as fh:
                    data = fh.read(max_bytes + 1)
            except OSError:
                continue
            if inputs.get(rel) == data:
                continue
            if len(out) >= max_files or total + len(data) > max_bytes:
                dropped = True
                continue
            total += len(data)
            out.append({"path": rel, "content": base64.b64encode(data).decode("ascii"), "encoding": "base64"})
    return out, dropped


def _head(text, limit):
    """Returns the head of text that fits in limit bytes of UTF-8, cut at a
    character, and whether it was cut."""
    if len(text) * 4 <= limit:
        return text, False
    # limit characters hold at least limit bytes: only they are encoded.
    data = text[:limit].encode("utf-8", "surrogatepass")
    if len(text) <= limit and len(data) <= limit:
        return text, False
    if len(data) <= limit:
        return text[:limit], True
    while limit > 0 and data[limit] & 0xC0 == 0x80:
        limit -= 1
    return data[:limit].decode("utf-8", "surrogatepass"), True


def _user_traceback(exc):
    """Formats exc as CPython prints it for a script, without the frames of
    this harness."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename not in (_MAIN, _TEST):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _outcome(exc, has_test=False):
    """Returns (exit_code, error) for the exception that ended the code.

    A SystemExit ends the program as `python main.py` would, with its exit
    code; it is an error when that code is not 0, and always in a job with
    a test, whose test it kept from running to the end (as HumanEval's own
    checker, which reports "failed: <str(e)>", has it)."""
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None:
            exit_code = 0
        elif isinstance(code, int):
            exit_code = code
        else:
            print(code, file=sys.stderr)
            exit_code = 1
        if exit_code == 0 and not has_test:
            return 0, None
        return exit_code, {"type": "SystemExit", "message": str(exc), "traceback": ""}
    message = str(exc)
    if isinstance(exc, ModuleNotFoundError) and _available is not None:
        # The code imported a module that neither the standard library nor
        # the server's package repository holds: say what there is.
        message += f" (packages available on this server: {_available})"
        exc.msg = message
    text = _user_traceback(exc)
    sys.stderr.write(text)
    return 1, {"type": type(exc).__name__, "message": message, "traceback": text}


class _Job:
    """One job: set up by the constructor, run once by run or run_async."""

    def __init__(self, spec_json, limits_json, session):
        spec = json.loads(spec_json)
        self.limits = json.loads(limits_json)
        os.makedirs(_HOME, exist_ok=True)
        os.chdir(_HOME)
        self.inputs = _write_inputs(spec.get("files") or [])
        if session:
            # A session's run returns the files it created or changed, not
            # those of earlier runs.
            self.inputs = _all_files()
        sys.stdin = io.TextIOWrapper(io.BytesIO((spec.get("stdin") or "").encode("utf-8")), encoding="utf-8")
        # Unbuffered text streams: every write reaches the page at once, so
        # the output printed before a timeout is kept.
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="surrogateescape", write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", write_through=True)
        self.namespace = {"__name__": "__main__", "__builtins__": builtins, "__file__": _MAIN}
        if session:
            global _session_namespace
            if _session_namespace is None:
                _session_namespace = self.namespace
            self.namespace = _session_namespace
            _gate.open()
        self.early = None
        self.runner = self._compile(spec["code"], _MAIN)
        self.test = self._compile(spec["test"], _TEST) if spec.get("test") else None
        # Code that awaits at top level compiles to a coroutine.
        self.is_async = any(r is not None and bool(r.code.co_flags & inspect.CO_COROUTINE) for r in (self.runner, self.test))

    def _compile(self, source, filename):
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            return CodeRunner(source, filename=filename, flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dedent=False).compile()
        except BaseException as e:
            if self.early is None:
                self.early = e
            return None

    # A job's test verdict: passed only when its test ran to the end, which
    # it does only when the code before it did too. Nothing else sets it.
    tested = False

    def run(self):
        if self.early is not None:
            return self._failed(self.early)
        try:
            value = self.runner.run(self.namespace)
            if self.test is not None:
                self.test.run(self.namespace)
                self.tested = True
        except BaseException as e:
            return self._failed(e)
        return self._report(0, None, value)

    async def run_async(self):
        if self.early is not None:
            return self._failed(self.early)
        try:
            value = await self.runner.run_async(self.namespace)
            if self.test is not None:
                await self.test.run_async(self.namespace)
                self.tested = True
        except BaseException as e:
            return self._failed(e)
        return self._report(0, None, value)

    def _failed(self, exc):
        return self._report(*_outcome(exc, self.test is not None), None)

    def _report(self, exit_code, error, value):
        # What the report carries is capped here, before it is encoded and
        # copied out of the interpreter; the page and the runner cap it
        # again.
        cap = self.limits["max_output_bytes"]
        result, result_truncated = None, False
        if value is not None:
            try:
                result, result_truncated = _head(repr(value), cap)
            except BaseException as e:
                exit_code, error = _outcome(e, self.test is not None)
        if error is not None:
            error = {k: _head(str(error[k]), cap)[0] for k in ("type", "message", "traceback")}
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        try:
            _save_figures()
        except Exception as e:
            print(f"sandpit: could not save the open figures: {e}", file=sys.stderr)
        files, dropped = _collect_outputs(self.inputs, self.limits["max_files"], self.limits["max_file_bytes"])
        return json.dumps({
            "passed": (self.tested and exit_code == 0 and error is None) if self.test is not None else None,
            "status": "succeeded" if exit_code == 0 else "failed",
            "exit_code": exit_code,
            "result": result,
            "result_truncated": result_truncated,
            "error": error,
            "files": files,
            "files_truncated": dropped,
        })


# What the job's ModuleNotFoundError names as available; set per job.
_available = None


def _set_available(text):
    global _available
    _available = text


def _preload(arg):
    """Unpacks the preloaded wheels into site-packages and imports the
    packages, before the memory snapshot is made. Returns site-packages."""
    import importlib
    import site
    import zipfile

    spec = json.loads(arg)
    target = site.getsitepackages()[0]
    for wheel in spec["wheels"]:
        with zipfile.ZipFile(wheel) as z:
            z.extractall(target)
        os.remove(wheel)
    importlib.invalidate_caches()
    for name in spec["imports"]:
        importlib.import_module(name)
    return target


_sandpit_start = _Job
_sandpit_available = _set_available
_sandpit_preload = _preload
_sandpit_settle = _settle
_sandpit_idle = _gate.close
