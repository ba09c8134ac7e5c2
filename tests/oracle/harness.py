"""Helpers for oracle tests: run real SQLAlchemy on a fixture case, run the
analyzer on the same case, and read the `# expect: SAxxx` markers.

run_case() executes in a process of its own each time: fixtures reuse class
and table names, and SQLAlchemy's class registries are process-global. The
process is forked from a zygote that has imported SQLAlchemy once
(forkserver.py); ORACLE_FRESH_INTERPRETER=1 starts a new interpreter instead.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from _case_runner import create_engine_fk as make_engine  # noqa: F401 - re-exported
from forkserver import ZygoteLost, run_python

ORACLE_DIR = Path(__file__).resolve().parent
REPO_ROOT = ORACLE_DIR.parent.parent
RULE_FIXTURES = REPO_ROOT / "tests" / "fixtures" / "rules"
RUNNER = ORACLE_DIR / "_case_runner.py"
PROBE = ORACLE_DIR / "_probe.py"

EXPECT_RE = re.compile(r"#\s*expect:\s*(SA\d{3}(?:\s*,\s*SA\d{3})*)")


class CaseCrashed(RuntimeError):
    """The case process died or timed out without writing a result."""


def run_case(case_dir, body: str, db_url: str | None = None, timeout: float = 60) -> dict:
    """Import every .py file of case_dir in a process of its own (see
    forkserver.run_python), then run body.

    The body sees: result (dict to fill with JSON-serialisable values),
    modules, DB_URL, find_class(name), find_base(), mapped_classes(),
    all_metadata(), make_engine(url=None) (SQLite gets PRAGMA foreign_keys=ON),
    capture_sql(engine) (context manager yielding the list of statements),
    set_stage(name) (labels the warnings that follow).

    Returns result plus "warnings" ([{"category", "message", "sqlalchemy",
    "stage", "where"}]) and, when the import or the body raised, "error_type",
    "error_qualname", "error_mro", "error_message", "error_traceback",
    "error_phase" ("import" or "body").
    """
    case_dir = Path(case_dir).resolve()
    with tempfile.TemporaryDirectory(prefix="sqla-oracle-") as tmp:
        spec_path = Path(tmp) / "spec.json"
        out_path = Path(tmp) / "result.json"
        spec_path.write_text(
            json.dumps({"case_dir": str(case_dir), "body": body, "db_url": db_url}),
            encoding="utf-8",
        )
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        try:
            proc = run_python(RUNNER, [str(spec_path), str(out_path)], cwd=case_dir, env=env, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise CaseCrashed(f"{case_dir}: no result after {timeout}s\n{exc.stderr or ''}") from None
        except ZygoteLost as exc:
            raise CaseCrashed(f"{case_dir}: {exc}") from None
        if not out_path.exists():
            raise CaseCrashed(
                f"{case_dir}: runner exited {proc.returncode} without a result\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
            )
        result = json.loads(out_path.read_text(encoding="utf-8"))
    result["_stdout"] = proc.stdout
    result["_stderr"] = proc.stderr
    return result


def probe_body(call: str = "run_probe()") -> str:
    """A body that runs the standard probe (_probe.py) and then `call`."""
    return PROBE.read_text(encoding="utf-8") + "\n\n" + call + "\n"


def sa_warnings(result: dict, stage: str | None = None) -> list[str]:
    """Messages of the SAWarnings (and subclasses) the case emitted."""
    return [
        w["message"]
        for w in result.get("warnings", [])
        if w.get("sqlalchemy") and (stage is None or w.get("stage") == stage)
    ]


def describe(result: dict) -> str:
    """A short text of a result for assertion messages."""
    shown = {k: v for k, v in result.items() if k not in ("error_traceback", "_stdout", "_stderr")}
    text = json.dumps(shown, indent=2, default=repr)
    if result.get("error_traceback"):
        text += "\n" + result["error_traceback"]
    if result.get("_stderr"):
        text += "\n--- stderr\n" + result["_stderr"]
    return text


# --------------------------------------------------------------------------
# the analyzer


def analyzer_bin() -> Path:
    configured = os.environ.get("SQLA_ANALYZER_BIN")
    if configured:
        return Path(configured)
    return REPO_ROOT / "target" / "release" / "sqla-analyzer"


def analyzer_check(case_dir, select=None, timeout: float = 60) -> list[dict]:
    """`sqla-analyzer check --format json --exit-zero --no-cache CASE_DIR` (cwd = case_dir);
    returns its "diagnostics" list, each with "path" made relative to case_dir."""
    binary = analyzer_bin()
    if not binary.is_file():
        pytest.fail(
            f"analyzer binary not found at {binary}: build it with `cargo build --release` "
            "or set SQLA_ANALYZER_BIN (deselect these tests with -m 'not analyzer')",
            pytrace=False,
        )
    case_dir = Path(case_dir).resolve()
    # --no-cache: the case directory is a fixture, which other tests (the
    # other SQLAlchemy version's suite, side by side) copy meanwhile; a
    # facts cache being written into it would be copied half written.
    cmd = [str(binary), "check", "--format", "json", "--exit-zero", "--no-cache"]
    if select:
        cmd += ["--select", ",".join([select] if isinstance(select, str) else select)]
    cmd.append(str(case_dir))
    proc = subprocess.run(
        cmd, cwd=case_dir, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}",
            pytrace=False,
        )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(f"{' '.join(cmd)} printed no JSON ({exc}):\n{proc.stdout[:2000]}", pytrace=False)
    diagnostics = report["diagnostics"]
    for diag in diagnostics:
        path = Path(diag["path"])
        if path.is_absolute():
            path = path.resolve().relative_to(case_dir)
        diag["path"] = os.path.normpath(path).replace(os.sep, "/")
    return diagnostics


# --------------------------------------------------------------------------
# fixture cases on disk


@dataclass(frozen=True)
class Expect:
    path: str  # relative to the case dir, "/"-separated
    line: int  # 1-based
    code: str


@dataclass(frozen=True)
class Case:
    rule: str  # "SA203"
    name: str  # "bad_missing_attribute"
    path: Path

    @property
    def bad(self) -> bool:
        return self.name.startswith("bad_")

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.name}"

    def py_files(self) -> list[Path]:
        return sorted(p for p in self.path.rglob("*.py") if "__pycache__" not in p.parts)

    def expects(self) -> list[Expect]:
        found = []
        for file in self.py_files():
            rel = file.relative_to(self.path).as_posix()
            for lineno, text in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
                match = EXPECT_RE.search(text)
                if match:
                    for code in re.split(r"\s*,\s*", match.group(1)):
                        found.append(Expect(rel, lineno, code))
        return found


def discover_cases(rule_prefix: str = "SA") -> list[Case]:
    """Every tests/fixtures/rules/<RULE>/(bad|good)_<slug>/ whose rule starts with rule_prefix."""
    cases = []
    if not RULE_FIXTURES.is_dir():
        return cases
    for rule_dir in sorted(RULE_FIXTURES.iterdir()):
        if not (rule_dir.is_dir() and rule_dir.name.startswith(rule_prefix)):
            continue
        for case_dir in sorted(rule_dir.iterdir()):
            if case_dir.is_dir() and case_dir.name.startswith(("bad_", "good_")):
                cases.append(Case(rule_dir.name, case_dir.name, case_dir))
    return cases


@dataclass(frozen=True)
class Attribute:
    cls: str  # the enclosing class, e.g. "Parent"
    key: str  # the attribute, e.g. "children"
    source: str  # the statement's text


def attribute_at(file: Path, line: int) -> Attribute | None:
    """The class-level assignment (`x = ...` / `x: T = ...`) whose statement spans line."""
    source = file.read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for stmt in node.body:
            if not (stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno)):
                continue
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
            elif isinstance(stmt, ast.AnnAssign):
                target = stmt.target
            else:
                continue
            if isinstance(target, ast.Name):
                return Attribute(node.name, target.id, ast.get_source_segment(source, stmt) or "")
    return None
