# The Python side of one sandbox: runs one job's code the way `python main.py`
# would, and reports the outcome as JSON. Loaded once per fresh interpreter.

import ast
import asyncio
import base64
import binascii
import builtins
import importlib.util
import inspect
import io
import json
import linecache
import math
import os
import re
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


def _save_figure(fig, num):
    """Saves a matplotlib figure as figures/figure_N.png, closes it (num,
    or the figure itself, names it to pyplot), and shows it as an
    image/png output."""
    global _figures_saved
    _figures_saved += 1
    os.makedirs(os.path.join(_HOME, "figures"), exist_ok=True)
    path = os.path.join(_HOME, "figures", f"figure_{_figures_saved}.png")
    fig.savefig(path, format="png")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(num)
    with open(path, "rb") as fh:
        png = fh.read()
    _show({"image/png": base64.b64encode(png).decode("ascii"), "text/plain": _text(repr(fig))}, "a figure")


def _save_figures():
    """Saves each open matplotlib figure (see _save_figure)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    for num in pyplot.get_fignums():
        _save_figure(pyplot.figure(num), num)


sys.meta_path.append(_FiguresBackend)
os.environ["MPLBACKEND"] = "module://" + _FiguresBackend.name

# Rich outputs: the display protocol of IPython and Jupyter. display(obj),
# a builtin here, and the value of the code's last line become MIME
# bundles, {MIME type: data}, from the object's own _repr_mimebundle_ and
# _repr_*_ methods, as IPython's formatters make them. Every datum goes in
# the report as a string: JSON types as JSON text, text types as they are,
# others (images) in base64; so that its size is counted alike here, in the
# page (web/job.js) and in the runner (runner/outcome.go), which check the
# same rules.

_MIME = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")

_REPR_METHODS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("application/json", "_repr_json_"),
    ("text/latex", "_repr_latex_"),
)

# plotly's figures give their chart as application/vnd.plotly.v1+json
# through their _repr_mimebundle_ only with this renderer; by default,
# outside a notebook, they give nothing.
os.environ["PLOTLY_RENDERER"] = "plotly_mimetype"


def _kind(mime):
    """Returns "json", "text" or "binary": how data of the MIME type is
    carried."""
    mime = mime.lower()
    if mime == "application/json" or mime.endswith("+json"):
        return "json"
    if mime.startswith("text/") or mime.endswith("+xml") or mime in ("application/xml", "application/javascript"):
        return "text"
    return "binary"


def _warn(what, why):
    print(f"sandpit: display: {what}: {why}; left out", file=sys.stderr)


def _text(s):
    """Returns s as it can be encoded in UTF-8: a lone surrogate becomes
    its escape."""
    return s.encode("utf-8", "backslashreplace").decode("utf-8")


def _finite(v):
    """Returns v with every float that is not finite replaced by None, as
    JSON has no NaN nor infinity."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def _json_default(v):
    # Arrays (numpy's, say) as lists.
    if callable(getattr(v, "tolist", None)):
        return v.tolist()
    raise TypeError(f"{type(v).__name__} is not JSON")


def _datum(mime, value):
    """Returns value as the string that carries data of the MIME type, or
    raises ValueError saying why it cannot."""
    kind = _kind(mime)
    if kind == "json":
        if isinstance(value, (str, bytes)):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError("not JSON") from None
        dump = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)
        try:
            try:
                return _text(dump(value))
            except ValueError:
                return _text(dump(_finite(value)))
        except (TypeError, ValueError, RecursionError) as e:
            raise ValueError(f"not JSON ({e})") from None
    if kind == "text":
        if isinstance(value, (bytes, bytearray)):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("bytes that are not UTF-8") from None
        if not isinstance(value, str):
            raise ValueError(f"of type {type(value).__name__}, not str")
        return _text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, str):
        # IPython's formatters take base64 text for binary types too.
        try:
            data = base64.b64decode("".join(value.split()), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a str that is not base64") from None
        return base64.b64encode(data).decode("ascii")
    raise ValueError(f"of type {type(value).__name__}, not bytes")


def _method(obj, name):
    """Returns obj's display method name, as IPython finds them: never a
    class's, nor an object's that answers every attribute."""
    if inspect.isclass(obj):
        return None
    try:
        if hasattr(obj, "_ipython_canary_method_should_not_exist_"):
            return None
        m = getattr(obj, name, None)
    except Exception:
        return None
    return m if callable(m) else None


def _rich(obj):
    """Reports whether obj has a display method: whether it may show as
    more than its repr(). A plain value (an int, a str, a list) has none,
    and no bundle is built for it."""
    return any(_method(obj, m) is not None for m in ("_repr_mimebundle_", *(m for _, m in _REPR_METHODS)))


def _plain(obj):
    """Returns obj's repr() cut to the job's cap on text: a huge value's
    repr is made once and dropped at once."""
    try:
        text = repr(obj)
    except Exception as e:
        _warn(f"repr of {type(obj).__name__}", f"it raised {type(e).__name__}: {e}")
        text = object.__repr__(obj)
    return _text(_head(text, _cap())[0])


def _cap():
    """Returns the job's cap on one text, in bytes."""
    return _current_job.limits["max_output_bytes"] if _current_job is not None else 1 << 20


def _too_big(value):
    """Reports whether data is past the job's bytes of outputs before it is
    converted: a str or bytes whose size alone is over them."""
    limit = _current_job.limits["max_file_bytes"] if _current_job is not None else 10 << 20
    return isinstance(value, (str, bytes, bytearray)) and len(value) > limit


def _put(data, mime, value, what):
    """Puts value in the bundle data as the datum of the MIME type, or says
    on stderr why it is left out: a key that is not a MIME type, data past
    the job's bytes of outputs (before it is copied), data not of the
    type's kind."""
    if not isinstance(mime, str) or not _MIME.fullmatch(mime):
        _warn(what, f"{mime!r} is not a MIME type")
        return
    if _too_big(value):
        _warn(what, f"its {mime} is past the job's bytes of outputs")
        _truncated()
        return
    try:
        data[mime] = _datum(mime, value)
    except ValueError as e:
        _warn(what, f"its {mime} is {e}")


def _bundle(obj, plain=None):
    """Returns the MIME bundle of obj: what its _repr_mimebundle_ gives,
    then what each _repr_*_ method gives of the types still missing, then
    its repr() as text/plain (plain, when given, already capped). Whatever
    a method gets wrong is said on stderr and left out."""
    name = type(obj).__name__
    data = {}

    def put(mime, value, source):
        _put(data, mime, value, f"{source} of {name}")

    m = _method(obj, "_repr_mimebundle_")
    if m is not None:
        try:
            got = m(include=None, exclude=None)
        except Exception as e:
            _warn(f"_repr_mimebundle_ of {name}", f"it raised {type(e).__name__}: {e}")
            got = None
        if isinstance(got, tuple) and got:
            got = got[0]
        if isinstance(got, dict):
            for mime, value in got.items():
                put(mime, value, "_repr_mimebundle_")
        elif got is not None:
            _warn(f"_repr_mimebundle_ of {name}", f"it returned {type(got).__name__}, not dict")
    for mime, method in _REPR_METHODS:
        if mime in data:
            continue
        m = _method(obj, method)
        if m is None:
            continue
        try:
            value = m()
        except Exception as e:
            _warn(f"{method} of {name}", f"it raised {type(e).__name__}: {e}")
            continue
        if isinstance(value, tuple) and value:
            value = value[0]  # (data, metadata)
        if value is not None:
            put(mime, value, method)
    if "text/plain" not in data:
        data["text/plain"] = plain if plain is not None else _plain(obj)
    return data


def _truncated():
    """Marks the current job's outputs as cut."""
    if _current_job is not None:
        _current_job.outputs_truncated = True


def _show(data, what):
    """Adds a bundle to the current job's outputs, within its limits."""
    job = _current_job
    if job is None:
        return
    size = sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in data.items())
    if len(job.outputs) >= job.limits["max_files"]:
        _warn(what, f"the job has its most outputs, {job.limits['max_files']}")
        job.outputs_truncated = True
    elif job.output_bytes + size > job.limits["max_file_bytes"]:
        _warn(what, f"{size} bytes, past the job's {job.limits['max_file_bytes']} bytes of outputs")
        job.outputs_truncated = True
    else:
        job.output_bytes += size
        job.outputs.append(data)


def display(*objs, raw=False, **kwargs):
    """Shows each object as a rich output of the job: HTML, an image, a
    chart, ..., from its _repr_mimebundle_ or _repr_*_ methods, as
    Jupyter's display does. With raw=True, each object is a MIME bundle
    already, {MIME type: data}."""
    for obj in objs:
        fig = getattr(sys.modules.get("matplotlib.figure"), "Figure", None)
        if fig is not None and isinstance(obj, fig):
            _save_figure(obj, obj)
            continue
        if not raw:
            _show(_bundle(obj), f"the {type(obj).__name__}")
            continue
        if not isinstance(obj, dict):
            _warn(f"the raw {type(obj).__name__}", "not a dict of MIME types and data")
            continue
        data = {}
        for mime, value in obj.items():
            _put(data, mime, value, "a raw bundle")
        if data:
            _show(data, "a raw bundle")


builtins.display = display


class _Shown:
    """An object shown as the data its type names (IPython.display's HTML,
    Markdown, ...), given as data or read from a file."""

    mime = None

    def __init__(self, data=None, filename=None, **kwargs):
        if filename is not None:
            with open(filename, "r", encoding="utf-8") as fh:
                data = fh.read()
        self.data = data

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {self.mime: self.data}

    def __repr__(self):
        return f"<IPython.core.display.{type(self).__name__.lstrip('_')} object>"


class _Image(_Shown):
    """IPython.display's Image: PNG or JPEG bytes, given or read from a
    file."""

    def __init__(self, data=None, filename=None, format=None, **kwargs):
        if isinstance(data, str):
            data, filename = None, data
        if filename is not None:
            with open(filename, "rb") as fh:
                data = fh.read()
        self.data = data
        jpeg = (format or "").lower() in ("jpeg", "jpg") or bytes(data or b"")[:2] == b"\xff\xd8"
        self.mime = "image/jpeg" if jpeg else "image/png"


def _ipython_display(module):
    """Fills in the IPython.display module a job imports when the package
    repository has no IPython."""
    kinds = {"HTML": "text/html", "Markdown": "text/markdown", "SVG": "image/svg+xml", "Latex": "text/latex",
             "JSON": "application/json"}
    for name, mime in kinds.items():
        setattr(module, name, type(name, (_Shown,), {"mime": mime, "__module__": module.__name__}))
    module.Image = _Image
    module.display = display
    module.__all__ = ["display", "Image", *kinds]


class _IPythonFinder:
    """Finds IPython, for `from IPython.display import display`, when the
    package repository has none: it comes last in sys.meta_path, after the
    real package's finder. Where the real IPython is loaded instead, its
    display becomes this harness's, which it would otherwise print with."""

    names = ("IPython", "IPython.display")

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in cls.names:
            return None
        return importlib.util.spec_from_loader(name, cls, is_package=name == "IPython")

    @staticmethod
    def create_module(spec):
        return None

    @staticmethod
    def exec_module(module):
        if module.__name__ == "IPython.display":
            _ipython_display(module)
        else:
            module.display = display


class _IPythonDisplay:
    """Gives the real IPython.core.display_functions (where the real
    IPython is loaded) this harness's display, before IPython.display and
    the rest of IPython import it from there."""

    name = "IPython.core.display_functions"

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != cls.name:
            return None
        for finder in sys.meta_path:
            if finder is cls or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _DisplayLoader(spec.loader)
                return spec
        return None


class _DisplayLoader:
    """A module's own loader, which then sets the module's display."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        module.display = display


sys.meta_path.insert(0, _IPythonDisplay)
sys.meta_path.append(_IPythonFinder)



# The namespace of a session's code, kept from one run to the next.
_session_namespace = None

# The job whose code runs now: where display() puts its outputs.
_current_job = None


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
        # The job's rich outputs (see display), and their size.
        self.outputs = []
        self.output_bytes = 0
        self.outputs_truncated = False
        global _current_job
        _current_job = self
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
                # repr() once, cut at once: a huge value's repr is not
                # kept, nor copied again.
                result, result_truncated = _head(repr(value), cap)
            except BaseException as e:
                exit_code, error = _outcome(e, self.test is not None)
        if result is not None and _rich(value):
            # The last line's value is an output too when it has a display
            # method and shows as more than its repr(), which is the
            # result. A plain value (an int, a str) is the result only.
            try:
                data = _bundle(value, _text(result))
                if len(data) > 1:
                    _show(data, f"the {type(value).__name__}")
            except Exception as e:
                print(f"sandpit: could not show the result: {e}", file=sys.stderr)
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
            "outputs": self.outputs,
            "outputs_truncated": self.outputs_truncated,
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
