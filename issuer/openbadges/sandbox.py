"""Run a function in a worker process that is killed when it overruns a hard time limit.

Why a process (VERIFICATION.md R9, R16): RDFC-1.0 canonicalisation is exponential in the worst case,
and pyld needed tens of seconds on a few hostile blank nodes (a clique of 8 takes ~40 s). Pure
Python code cannot be interrupted from another thread, and `signal.alarm` works only in the main
thread of the main interpreter (not in a web server's worker threads); a process can always be
killed.

Design choices:
- **Persistent workers**, reused from call to call: a worker keeps its imports and its own
  canonical shape cache (`issuer.openbadges.canonical.SHAPES`) warm, so the second credential of a shape is
  fast in the worker too. A worker that overruns is killed (SIGKILL, nothing to clean up: it
  holds no lock or file shared with us) and discarded; the next call starts a fresh one.
- **`forkserver` start method**: a clean server process, started once, forks the workers. A
  plain `fork` from a multi-threaded web server can copy a lock held by another thread and
  deadlock the child (and would then be reported as "too complex"); `spawn` re-imports
  everything for each new worker (~1 s). A forked-from-forkserver worker starts in milliseconds.
- **Startup is not counted** in the time limit: a worker announces it is ready before it gets
  work, and only the work is timed.
- **Memory**: on Linux a worker caps its own address space (current size + `memory_headroom`),
  so a document that explodes in memory fails there instead of starving the server.
- A small pool (`workers`, default 2): concurrent verifications do not queue behind one slow
  document; beyond the pool size, callers wait for a free worker.

Functions and arguments cross the process boundary by pickling: pass module-level functions and
plain data (dicts, lists, str, bytes, numbers). An exception raised by the function is raised
again in the caller (an `IssuerError` keeps its class, code and messages).

As with any `forkserver` / `spawn` use of multiprocessing, a worker imports the program's main
module (as `__mp_main__`): a script that verifies at import time must keep its entry point under
`if __name__ == "__main__":` (the `issuer` command, pytest and uvicorn do).

Measured on the City's credentials: a warm worker verifies in ~5 ms (in-process: ~4 ms); the
first call of a process pays ~0.4 s to start the forkserver; a killed worker is replaced in
~10 ms.
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar, cast

from issuer.errors import IssuerError

T = TypeVar("T")

DEFAULT_WORKERS = 2
DEFAULT_MEMORY_HEADROOM = 1024 * 1024 * 1024  # 1 GiB above what the worker uses at start
STARTUP_TIMEOUT = 60.0  # starting the forkserver imports the preloaded modules once


class TimeLimitExceeded(IssuerError):
    """The function did not finish within its time limit; its worker was killed."""

    code = "sandbox.timeout"


class WorkerFailed(IssuerError):
    """``sandbox.worker_failed``: the worker died during the call (memory cap, crash);
    ``sandbox.worker_error``: the function failed in a way that could not be sent back;
    ``sandbox.unavailable``: no worker could be started, or the sandbox is closed."""

    code = "sandbox.worker_failed"


# --- inside the worker ------------------------------------------------------------------------

def _limit_memory(headroom: int | None) -> None:
    if headroom is None:
        return
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = current + headroom
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, ValueError):  # not Linux: no cap, the time limit still holds
        pass


def _transferable_error(error: BaseException) -> tuple[Any, ...]:
    """How an exception travels back: IssuerError subclasses take (fr, en, code) in their
    constructor, which pickle cannot rebuild, so they are sent as their parts."""
    if isinstance(error, IssuerError):
        kind = type(error)
        return ("issuer_error", kind.__module__, kind.__qualname__, error.code,
                error.message_fr, error.message_en)
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, round-tripped
    except Exception:  # noqa: BLE001 - anything unpicklable is sent as text
        return ("text", f"{type(error).__name__}: {error}")
    return ("pickled", error)


def _worker_main(connection: Connection, memory_headroom: int | None) -> None:
    _limit_memory(memory_headroom)
    connection.send(("ready", None))
    while True:
        try:
            func, args, kwargs = connection.recv()
        except (EOFError, OSError):
            return  # the parent closed the pipe: stop
        except Exception as error:  # noqa: BLE001 - the work could not even be unpickled
            connection.send(("raised", _transferable_error(error)))
            continue
        try:
            reply: tuple[Any, ...] = ("ok", func(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - every failure is reported to the caller
            reply = ("raised", _transferable_error(error))
        try:
            connection.send(reply)
        except Exception as error:  # noqa: BLE001 - an unpicklable result
            connection.send(("raised", ("text", f"result not transferable: {error}")))


# --- in the caller ----------------------------------------------------------------------------

def _rebuild_error(parts: tuple[Any, ...]) -> BaseException:
    kind = parts[0]
    if kind == "pickled":
        return cast(BaseException, parts[1])
    if kind == "issuer_error":
        _, module, qualname, code, message_fr, message_en = parts
        cls: type[IssuerError] = IssuerError
        try:
            found = importlib.import_module(module)
            for name in qualname.split("."):
                found = getattr(found, name)
            if isinstance(found, type) and issubclass(found, IssuerError):
                cls = found
        except (ImportError, AttributeError):
            pass
        error = cls.__new__(cls)
        IssuerError.__init__(error, message_fr, message_en, code=code)
        return error
    return WorkerFailed("Le calcul a échoué dans le processus isolé.",
                        f"The computation failed in the isolated process: {parts[1]}",
                        code="sandbox.worker_error")


class _Worker:
    def __init__(self, context: Any, memory_headroom: int | None) -> None:
        self._connection, child_end = context.Pipe()
        self._process = context.Process(target=_worker_main, args=(child_end, memory_headroom),
                                        daemon=True, name="issuer-sandbox")
        self._process.start()
        child_end.close()
        try:
            ready = self._connection.poll(STARTUP_TIMEOUT) and self._connection.recv()
        except (EOFError, OSError):
            ready = None
        if not ready or ready[0] != "ready":
            self.kill()
            raise WorkerFailed("Le processus isolé n'a pas pu démarrer.",
                               "The isolated worker process could not start.",
                               code="sandbox.unavailable")

    @property
    def alive(self) -> bool:
        return bool(self._process.is_alive())

    def call(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
             timeout: float) -> tuple[Any, ...]:
        try:
            self._connection.send((func, args, kwargs))
        except OSError as error:  # the worker died while idle
            raise WorkerFailed("Le processus isolé s'est arrêté.",
                               "The isolated worker process died.") from error
        if not self._connection.poll(timeout):
            raise TimeLimitExceeded(
                f"Calcul interrompu : il dépassait la limite de {timeout:g} s.",
                f"Computation stopped: it exceeded the {timeout:g} s limit.")
        try:
            reply: tuple[Any, ...] = self._connection.recv()
        except (EOFError, OSError) as error:  # the worker died: memory cap, crash
            raise WorkerFailed(
                "Le processus isolé s'est arrêté pendant le calcul.",
                "The isolated worker process died during the computation.") from error
        return reply

    def kill(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=5)
        self._connection.close()


class Sandbox:
    """A pool of persistent worker processes running functions under a time limit."""

    def __init__(self, *, workers: int = DEFAULT_WORKERS, preload: Sequence[str] = (),
                 memory_headroom: int | None = DEFAULT_MEMORY_HEADROOM,
                 start_method: str = "forkserver") -> None:
        if workers < 1:
            raise ValueError("a sandbox needs at least one worker")
        self._context = multiprocessing.get_context(start_method)
        if start_method == "forkserver" and preload:
            # Modules imported once in the forkserver, inherited by every worker it forks.
            # (Takes effect only if the forkserver is not running yet.)
            self._context.set_forkserver_preload(list(preload))
        self._memory_headroom = memory_headroom
        self._slots = threading.BoundedSemaphore(workers)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._closed = False

    def run(self, func: Callable[..., T], *args: Any, timeout: float, **kwargs: Any) -> T:
        """`func(*args, **kwargs)` in a worker; TimeLimitExceeded after `timeout` seconds of
        work (the worker is killed), WorkerFailed if the worker dies."""
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        with self._slots:
            if self._closed:
                raise WorkerFailed("Le processus isolé est arrêté.", "The sandbox is closed.",
                                   code="sandbox.unavailable")
            worker = self._idle_worker() or _Worker(self._context, self._memory_headroom)
            try:
                reply = worker.call(func, args, kwargs, timeout)
            except BaseException:
                worker.kill()  # overran, died, or we were interrupted mid-call: never reuse
                raise
            self._idle.put(worker)
        if reply[0] == "ok":
            return cast(T, reply[1])
        raise _rebuild_error(reply[1])

    def _idle_worker(self) -> _Worker | None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return None
            if worker.alive:
                return worker
            worker.kill()

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return


_DEFAULT_LOCK = threading.Lock()
_DEFAULT: Sandbox | None = None


def default_sandbox() -> Sandbox:
    """The process-wide sandbox, started on first use; its workers preload the verifier."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Sandbox(preload=("issuer.openbadges.verification",))
            atexit.register(_DEFAULT.close)
        return _DEFAULT


def run_with_time_limit(func: Callable[..., T], *args: Any, timeout: float, **kwargs: Any) -> T:
    """`func(*args, **kwargs)` in the default sandbox, killed after `timeout` seconds."""
    return default_sandbox().run(func, *args, timeout=timeout, **kwargs)
