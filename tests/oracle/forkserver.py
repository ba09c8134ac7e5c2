"""Runs a Python script as ``python SCRIPT ARG...`` would, without paying for
a new interpreter and ``import sqlalchemy`` each time.

The oracle runs every case in a process of its own (fixtures reuse class and
table names, and SQLAlchemy's registries are process-global). Starting
Python and importing SQLAlchemy and the driver is most of what such a run
costs, so run_python() asks a zygote (_zygote.py: a long-lived process that
has imported them once) to fork a child for the run instead. One zygote per
interpreter and environment, started on first use, started again when it
has died; it ends with this process.

ORACLE_FRESH_INTERPRETER=1 starts a new interpreter per run instead, as
before the zygote (see _zygote.py for what a forked child does not get
afresh).

Either way run_python() returns a subprocess.CompletedProcess with text
stdout and stderr, and raises subprocess.TimeoutExpired (the output so far
in text) after killing a run that outlived its timeout.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FRESH_ENV = "ORACLE_FRESH_INTERPRETER"
# Variables that change from test to test and that nothing reads at start-up
# or import time: a zygote serves every value of them (its child gets the
# run's own value).
VOLATILE_ENV = frozenset({"PYTEST_CURRENT_TEST"})
ZYGOTE = Path(__file__).resolve().parent / "_zygote.py"
START_TIMEOUT = 120.0  # the zygote's imports, on a loaded CI machine
REPLY_GRACE = 30.0  # beyond a run's timeout, before the zygote counts as hung


class ZygoteLost(RuntimeError):
    """The zygote died or stopped answering; the run has no result."""


def fresh_interpreter() -> bool:
    """True when ORACLE_FRESH_INTERPRETER=1 asks for a new interpreter per run."""
    return os.environ.get(FRESH_ENV) == "1"


def run_python(
    script: str | os.PathLike,
    args: list[str],
    *,
    cwd: str | os.PathLike,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess:
    """``sys.executable SCRIPT ARGS`` in cwd with env (default os.environ) and
    stdin on /dev/null; forked from a zygote unless ORACLE_FRESH_INTERPRETER=1."""
    env = dict(os.environ if env is None else env)
    cmd = [sys.executable, str(script), *map(str, args)]
    if fresh_interpreter():
        try:
            proc = subprocess.run(
                cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired as exc:
            raise subprocess.TimeoutExpired(cmd, timeout, _text(exc.output), _text(exc.stderr)) from None
        return subprocess.CompletedProcess(cmd, proc.returncode, _text(proc.stdout), _text(proc.stderr))
    return _zygote_for(env).run(cmd, Path(cwd), env, timeout)


def _text(data: bytes | None) -> str:
    """Bytes as subprocess.run(text=True) decodes them."""
    if not data:
        return ""
    return data.decode(_encoding()).replace("\r\n", "\n").replace("\r", "\n")


def _encoding() -> str:
    import locale

    return locale.getpreferredencoding(False)


# --------------------------------------------------------------------------
# the zygotes of this process

_ZYGOTES: dict[tuple, _Zygote] = {}


def _zygote_for(env: dict[str, str]) -> _Zygote:
    # A child inherits what the zygote's interpreter and imports read from
    # the environment at start-up (PYTHONPATH, PYTHONHASHSEED, locale, ...),
    # so each environment gets its own zygote, but for VOLATILE_ENV.
    key = (sys.executable, tuple(sorted((k, v) for k, v in env.items() if k not in VOLATILE_ENV)))
    zygote = _ZYGOTES.get(key)
    if zygote is None or not zygote.alive():
        if zygote is not None:
            zygote.close()
        zygote = _ZYGOTES[key] = _Zygote(env)
    return zygote


@atexit.register
def _close_all() -> None:
    for zygote in _ZYGOTES.values():
        zygote.close()
    _ZYGOTES.clear()


class _Zygote:
    """One _zygote.py process and the pipe pair to it."""

    def __init__(self, env: dict[str, str]) -> None:
        # the zygote's own stderr: its start-up problems, shown when it is lost
        self.log = tempfile.TemporaryFile(prefix="sqla-zygote-")
        self.proc = subprocess.Popen(
            [sys.executable, str(ZYGOTE)],
            cwd=ZYGOTE.parent,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        self.pending = b""
        self.child: int | None = None  # the running child's pid
        self._receive(time.monotonic() + START_TIMEOUT, "start")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, cmd: list[str], cwd: Path, env: dict[str, str], timeout: float | None) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="sqla-fork-") as tmp:
            stdout, stderr = Path(tmp) / "stdout", Path(tmp) / "stderr"
            self._send(
                {
                    "argv": cmd[1:],
                    "cwd": str(cwd.resolve()),
                    "env": env,
                    "stdout": str(stdout),
                    "stderr": str(stderr),
                    "timeout": timeout,
                }
            )
            deadline = None if timeout is None else time.monotonic() + timeout + REPLY_GRACE
            try:
                self.child = self._receive(deadline, "fork")["pid"]
                reply = self._receive(deadline, "run")
            finally:
                self.child = None
                out, err = _read_text(stdout), _read_text(stderr)
        if reply["timed_out"]:
            raise subprocess.TimeoutExpired(cmd, timeout, output=out, stderr=err)
        return subprocess.CompletedProcess(cmd, reply["returncode"], out, err)

    def _send(self, message: dict) -> None:
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except OSError as exc:
            self._lost(f"cannot send to it ({exc})")

    def _receive(self, deadline: float | None, what: str) -> dict:
        """The next reply; the zygote is lost when it has none by deadline
        (time.monotonic())."""
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.pending:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self._lost(f"no answer in time ({what})")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self._lost(f"it exited ({what})")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return json.loads(line)

    def _lost(self, why: str) -> None:
        self.close()
        self.log.seek(0)
        log = self.log.read().decode(errors="replace")
        raise ZygoteLost(f"the oracle zygote ({ZYGOTE.name}) is lost: {why}\n--- its stderr\n{log}")

    def close(self) -> None:
        """Ends the zygote and its running child, if any: end of the zygote's
        stdin, SIGKILL if it lingers."""
        if self.child is not None:
            try:
                os.kill(self.child, signal.SIGKILL)
            except OSError:
                pass
            self.child = None
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _read_text(path: Path) -> str:
    try:
        return _text(path.read_bytes())
    except FileNotFoundError:
        return ""
