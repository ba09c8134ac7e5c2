"""The zygote behind forkserver.py: imports SQLAlchemy and the driver once,
then forks one child per script run.

Started by forkserver.py as ``python _zygote.py`` with the environment the
runs need. Requests come on stdin, one JSON object a line::

    {"argv": [SCRIPT, ARG...], "cwd": DIR, "env": {NAME: VALUE},
     "stdout": FILE, "stderr": FILE, "timeout": SECONDS | null}

and for each the zygote forks a child that does what ``python SCRIPT ARG...``
started in DIR with ENV would do (fd 0 on /dev/null, fds 1 and 2 on the two
files; ENV differs from the zygote's own in volatile variables only, see
forkserver.VOLATILE_ENV),
answers on stdout ``{"pid": PID}``, waits for it, kills it after
``timeout`` seconds, and answers::

    {"pid": PID, "returncode": N, "timed_out": BOOL}

returncode as subprocess reports it (-N: killed by signal N). The zygote runs
one child at a time and exits at the end of stdin.

A fresh process is what the children must look like. So the zygote imports
only the standard library, the third-party packages in PRELOAD and nothing
else before it forks: no fixture module, no mapped class, no engine, no
connection, no change to the warnings filters. Importing a package is
deterministic, so a child that imports it finds the same module objects it
would have built itself. What a child does not get afresh: import-time
warnings of the preloaded packages are emitted (and filtered with the default
filters) in the zygote, not in the child; every child shares the zygote's
hash seed (PYTHONHASHSEED); the script runs a few frames deeper than in a new
interpreter. tests/oracle/README.md says how to run without the zygote.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import runpy
import select
import signal
import sys
import time
import traceback

# What the oracle's case processes import in (nearly) every run, and nothing
# that makes mapped classes or registries when imported (sqlmodel,
# Flask-SQLAlchemy): those stay for the child to import. Flask and pydantic,
# which they import, make neither: with them here, a Flask-SQLAlchemy or
# SQLModel case (a third of the cases) starts about 100 ms sooner.
PRELOAD = (
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.ext.declarative",
    "sqlalchemy.ext.hybrid",
    "sqlalchemy.ext.associationproxy",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.postgresql.psycopg",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.sqlite.pysqlite",
    "sqlalchemy.dialects.mysql",
    "sqlite3",
    "psycopg",
    "flask",
    "pydantic",
)


def preload() -> None:
    """Imports PRELOAD; a package that fails to import is left to the child,
    which then fails the way a fresh interpreter would."""
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the child reports it
            pass


def exit_code(code: object) -> int:
    """The exit status of ``raise SystemExit(code)`` at the top of a script."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def run_script(path: str) -> int:
    """Runs path as ``__main__``, then what interpreter shutdown runs (thread
    joins, atexit functions); returns the exit status."""
    try:
        runpy.run_path(path, run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = exit_code(exc.code)
    except BaseException:  # noqa: BLE001 - reported the way the interpreter does
        kind, exc, tb = sys.exc_info()
        # the traceback starts at the script, as it would without runpy
        while tb is not None and tb.tb_frame.f_code.co_filename != path:
            tb = tb.tb_next
        sys.excepthook(kind, exc, tb or exc.__traceback__)
        code = 1
    shutdown = getattr(sys.modules.get("threading"), "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    return code


def child(request: dict, protocol_fds: tuple[int, ...]) -> None:
    """In the forked child: become ``python SCRIPT ARG...``; never returns."""
    code = 70  # EX_SOFTWARE: the child could not be set up
    try:
        for fd in protocol_fds:
            os.close(fd)
        for target, path, flags in (
            (0, os.devnull, os.O_RDONLY),
            (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ):
            fd = os.open(path, flags, 0o600)
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        script = request["argv"][0]
        sys.argv = list(request["argv"])
        sys.path[0] = os.path.dirname(os.path.realpath(script))
        code = run_script(script)
    except BaseException:  # noqa: BLE001 - anything here is the zygote's fault
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001
                pass
        os._exit(code)


def wait_child(pid: int, timeout: float | None) -> tuple[int, bool]:
    """Waits for the child; kills it after timeout seconds. Returns its wait
    status and whether it was killed. The child is reaped only here, so its
    pid cannot be reused before the kill."""
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status, False
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                return os.waitpid(pid, 0)[1], True
            if pidfd is not None:
                select.select([pidfd], [], [], remaining)
            else:
                time.sleep(0.005 if remaining is None else min(0.005, remaining))
    finally:
        if pidfd is not None:
            os.close(pidfd)


def serve() -> int:
    # The protocol gets its own fds; fd 0 and 1 are /dev/null and stderr, so
    # that nothing printed by mistake can break a reply.
    requests_fd, replies_fd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    preload()

    def reply(message: dict) -> None:
        os.write(replies_fd, (json.dumps(message) + "\n").encode())

    reply({"ready": os.getpid()})
    with os.fdopen(requests_fd, "rb", buffering=0) as requests:
        buffered = b""
        while True:
            while b"\n" not in buffered:
                chunk = requests.read(65536)
                if not chunk:
                    return 0
                buffered += chunk
            line, buffered = buffered.split(b"\n", 1)
            request = json.loads(line)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                child(request, (requests_fd, replies_fd))
            reply({"pid": pid})
            status, timed_out = wait_child(pid, request.get("timeout"))
            reply({"pid": pid, "returncode": os.waitstatus_to_exitcode(status), "timed_out": timed_out})


if __name__ == "__main__":
    sys.exit(serve())
