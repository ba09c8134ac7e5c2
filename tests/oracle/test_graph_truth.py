"""The extraction fixtures against real SQLAlchemy, and the analyzer's graph
against that truth.

Each folder under tests/fixtures/extract/ is a small workspace of correct
models. graph_truth.py imports it in a process of its own, configures the
mappers and dumps the graph SQLAlchemy built; the result is committed as
truth.json (and truth_py312.json where the folder has ``*_py312.py`` files
that need Python 3.12).

- test_truth_is_current: regenerates the truth under the running venv and
  compares it with the committed file, so that the truth stays honest.
  SQLAlchemy 2.0.58 and 2.1.9 build the same graph for every fixture (no
  version allowance is needed; if one ever is, list it in
  KNOWN_VERSION_DIFFERENCES with the reason).
- test_analyzer_graph (marker ``analyzer``): runs
  ``$SQLA_ANALYZER_BIN graph --format json CASE_DIR`` and compares its
  normalised output with the truth. A column whose ``nullable`` the analyzer
  reports as null (unknown) is not a mismatch; the count of unknowns is shown.

To regenerate the committed truth (SQLAlchemy 2.1.9)::

    python tests/oracle/graph_truth.py --all
    python tests/oracle/graph_truth.py --all --python /path/to/python3.12
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ORACLE_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(ORACLE_DIR))

import graph_truth  # noqa: E402

EXTRACT = ORACLE_DIR.parent / "fixtures" / "extract"
FAMILIES = [
    "classic",
    "typed",
    "flask",
    "sqlmodel",
    "core",
    "naming",
    "naming_sqlmodel",
    "mixins_inheritance",
    "targets",
    "scopes",
    "modern_syntax",
]

# (family, SQLAlchemy major.minor) -> why the regenerated truth may differ.
KNOWN_VERSION_DIFFERENCES: dict[tuple[str, str], str] = {}

# distribution a family needs -> the import name that shows it is installed
OPTIONAL_IMPORTS = {"flask_sqlalchemy": "Flask-SQLAlchemy", "sqlmodel": "SQLModel"}


def family_paths() -> list[Path]:
    return [p for p in graph_truth.family_dirs(EXTRACT)]


def needed_imports(case_dir: Path) -> set[str]:
    needed = set()
    for path in case_dir.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in OPTIONAL_IMPORTS:
            if f"import {name}" in text or f"from {name} " in text or f"from {name}." in text:
                needed.add(name)
    return needed


def skip_unless_importable(case_dir: Path) -> None:
    for name in sorted(needed_imports(case_dir)):
        pytest.importorskip(name, reason=f"{OPTIONAL_IMPORTS[name]} is not installed")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def family_id(path: Path) -> str:
    return path.name


# ---------------------------------------------------------------------------
# the fixture set


def test_every_family_is_there():
    present = {p.name for p in family_paths()}
    missing = [f for f in FAMILIES if f not in present]
    assert not missing, f"missing fixture families: {missing}"
    for family in family_paths():
        assert (family / graph_truth.TRUTH).is_file(), f"{family.name}: no truth.json"
        files = [p for p in family.rglob("*.py") if p.name != "__init__.py"]
        assert len(files) >= 2, f"{family.name}: a family spans at least two files"
        if graph_truth.has_py312_files(family):
            assert (family / graph_truth.TRUTH_PY312).is_file(), (
                f"{family.name}: has *_py312.py files but no truth_py312.json"
            )
        truth = load(family / graph_truth.TRUTH)
        assert truth["classes"] or truth["tables"], f"{family.name}: empty truth"


# ---------------------------------------------------------------------------
# (a) the committed truth is what SQLAlchemy builds


@pytest.mark.parametrize("family", family_paths(), ids=family_id)
def test_truth_is_current(family: Path):
    skip_unless_importable(family)
    import sqlalchemy

    version = ".".join(sqlalchemy.__version__.split(".")[:2])
    allowance = KNOWN_VERSION_DIFFERENCES.get((family.name, version))

    checks = [(graph_truth.TRUTH, True)]
    if sys.version_info >= (3, 12) and graph_truth.has_py312_files(family):
        checks.append((graph_truth.TRUTH_PY312, False))
    for name, skip_py312 in checks:
        got = graph_truth.run_fresh(family, sys.executable, skip_py312=skip_py312)
        expected = load(family / name)
        if got != expected and allowance:
            pytest.xfail(f"known SQLAlchemy {version} difference: {allowance}")
        problems, _ = compare_graphs(expected, got, "regenerated")
        assert not problems, (
            f"{family.name}/{name} is stale under SQLAlchemy {sqlalchemy.__version__} "
            f"(regenerate with graph_truth.py --all):\n" + "\n".join(problems)
        )
        assert got == expected


# ---------------------------------------------------------------------------
# normalising the analyzer's `graph --format json`


def _fullname(name, schema):
    if name is None:
        return None
    return f"{schema}.{name}" if schema else name


def _rel_path(path, root):
    if path is None:
        return "?"
    p = Path(path)
    if p.is_absolute() and root is not None:
        try:
            return p.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            return p.as_posix()
    return p.as_posix().removeprefix("./")


def _is_py312(path) -> bool:
    return bool(path) and str(path).endswith(graph_truth.PY312_SUFFIX)


def _columns(columns) -> dict:
    return {
        c["name"]: {"nullable": c.get("nullable"), "primary_key": c.get("primary_key")}
        for c in columns or []
    }


def normalise_analyzer_graph(data: dict, *, root=None, drop_py312: bool = False) -> dict:
    """The analyzer's ``graph --format json`` document in graph_truth.py's shape.

    ``root``: the case folder, to make absolute paths relative (tables of the
    same full name in several scopes are keyed ``"<fullname> @ <path>"``).
    ``drop_py312``: leave out classes, tables and foreign keys that come from
    ``*_py312.py`` files (for a truth made without them).
    """
    classes = {}
    for cls in data.get("classes", []):
        if cls.get("abstract"):
            continue
        if drop_py312 and _is_py312(cls.get("path")):
            continue
        rels = {}
        for rel in cls.get("relationships", []):
            rels[rel["attribute"]] = {
                "target": rel.get("target"),
                "direction": rel.get("direction"),
                "fk_columns": sorted(rel.get("fk_columns") or []),
                "secondary": rel.get("secondary"),
                "pair": rel.get("pair"),
                "cascade": sorted(rel.get("cascade") or []),
                "passive_deletes": rel.get("passive_deletes"),
                "post_update": rel.get("post_update"),
                "viewonly": rel.get("viewonly"),
            }
        classes[cls["qualname"]] = {
            "table": _fullname(cls.get("table"), cls.get("schema")),
            "columns": _columns(cls.get("columns")),
            "relationships": rels,
        }

    tables_in = [
        t for t in data.get("tables", []) if not (drop_py312 and _is_py312(t.get("path")))
    ]
    counts = Counter(_fullname(t["name"], t.get("schema")) for t in tables_in)
    tables = {}
    for table in tables_in:
        key = _fullname(table["name"], table.get("schema"))
        if counts[key] > 1:
            key = f"{key} @ {_rel_path(table.get('path'), root)}"
        tables[key] = {"columns": _columns(table.get("columns"))}

    foreign_keys = []
    for fk in data.get("foreign_keys", []):
        if drop_py312 and _is_py312(fk.get("path")):
            continue
        foreign_keys.append(
            [
                _fullname(fk["table"], fk.get("schema")),
                list(fk.get("columns") or []),
                _fullname(fk.get("referred_table"), fk.get("referred_schema")),
                list(fk.get("referred_columns") or []),
                fk.get("effective_name"),
                fk.get("ondelete"),
                fk.get("onupdate"),
            ]
        )
    foreign_keys.sort(key=lambda row: json.dumps(row))
    return {"classes": classes, "tables": tables, "foreign_keys": foreign_keys}


def _compare_columns(where, truth_cols, got_cols, problems, unknown, who):
    for name in sorted(set(truth_cols) | set(got_cols)):
        if name not in got_cols:
            problems.append(f"{where}.columns[{name!r}]: missing in {who}")
            continue
        if name not in truth_cols:
            problems.append(f"{where}.columns[{name!r}]: not in truth ({who} has it)")
            continue
        t, g = truth_cols[name], got_cols[name]
        for field in ("nullable", "primary_key"):
            if g.get(field) is None and field == "nullable":
                unknown[0] += 1
                continue
            if t.get(field) != g.get(field):
                problems.append(
                    f"{where}.columns[{name!r}].{field}: truth {t.get(field)!r}, "
                    f"{who} {g.get(field)!r}"
                )


def compare_graphs(truth: dict, got: dict, who: str = "analyzer") -> tuple[list[str], int]:
    """Readable differences between two graphs of graph_truth.py's shape, and
    the number of columns whose nullability ``got`` leaves unknown (None)."""
    problems: list[str] = []
    unknown = [0]

    t_classes, g_classes = truth.get("classes", {}), got.get("classes", {})
    for key in sorted(set(t_classes) | set(g_classes)):
        where = f"classes[{key!r}]"
        if key not in g_classes:
            problems.append(f"{where}: missing in {who}")
            continue
        if key not in t_classes:
            problems.append(f"{where}: not a mapped class in truth ({who} has it)")
            continue
        t, g = t_classes[key], g_classes[key]
        if t.get("table") != g.get("table"):
            problems.append(f"{where}.table: truth {t.get('table')!r}, {who} {g.get('table')!r}")
        _compare_columns(where, t.get("columns", {}), g.get("columns", {}), problems, unknown, who)
        t_rels, g_rels = t.get("relationships", {}), g.get("relationships", {})
        for attr in sorted(set(t_rels) | set(g_rels)):
            rwhere = f"{where}.relationships[{attr!r}]"
            if attr not in g_rels:
                problems.append(f"{rwhere}: missing in {who}")
                continue
            if attr not in t_rels:
                problems.append(f"{rwhere}: not in truth ({who} has it)")
                continue
            tr, gr = t_rels[attr], g_rels[attr]
            for field in sorted(set(tr) | set(gr)):
                if tr.get(field) != gr.get(field):
                    problems.append(
                        f"{rwhere}.{field}: truth {tr.get(field)!r}, {who} {gr.get(field)!r}"
                    )

    t_tables, g_tables = truth.get("tables", {}), got.get("tables", {})
    for key in sorted(set(t_tables) | set(g_tables)):
        where = f"tables[{key!r}]"
        if key not in g_tables:
            problems.append(f"{where}: missing in {who}")
            continue
        if key not in t_tables:
            problems.append(f"{where}: not in truth ({who} has it)")
            continue
        _compare_columns(
            where, t_tables[key]["columns"], g_tables[key]["columns"], problems, unknown, who
        )

    t_fks = Counter(json.dumps(r) for r in truth.get("foreign_keys", []))
    g_fks = Counter(json.dumps(r) for r in got.get("foreign_keys", []))
    for row in sorted((t_fks - g_fks).elements()):
        problems.append(f"foreign_keys: missing in {who}: {row}")
    for row in sorted((g_fks - t_fks).elements()):
        problems.append(f"foreign_keys: not in truth ({who} has it): {row}")
    return problems, unknown[0]


# ---------------------------------------------------------------------------
# the normaliser, checked without the analyzer


def truth_as_analyzer_output(truth: dict) -> dict:
    """Build an analyzer-shaped document that says exactly what the truth says."""

    def split(fullname):
        if fullname is None:
            return None, None
        if "." in fullname:
            schema, name = fullname.split(".", 1)
            return name, schema
        return fullname, None

    def cols(columns):
        return [
            {"name": n, "attribute": n, "type": None, **info} for n, info in columns.items()
        ]

    classes = []
    for qualname, cls in truth["classes"].items():
        name, schema = split(cls["table"])
        classes.append(
            {
                "name": qualname.rsplit(".", 1)[1],
                "qualname": qualname,
                "path": qualname.rsplit(".", 1)[0].replace(".", "/") + ".py",
                "line": 1,
                "scope": "s",
                "table": name,
                "schema": schema,
                "abstract": False,
                "superclass": None,
                "columns": cols(cls["columns"]),
                "relationships": [
                    {"attribute": attr, "line": 1, "back_populates": None, "backref": None,
                     "implicit": False, **rel}
                    for attr, rel in cls["relationships"].items()
                ],
            }
        )
    classes.append({"name": "Mixin", "qualname": "x.Mixin", "abstract": True, "columns": []})
    tables = []
    for key, table in truth["tables"].items():
        fullname, _, path = key.partition(" @ ")
        name, schema = split(fullname)
        tables.append(
            {"name": name, "schema": schema, "scope": "s", "path": path or "t.py", "line": 1,
             "class": None, "columns": cols(table["columns"])}
        )
    fks = []
    for table, columns, referred, referred_columns, name, ondelete, onupdate in truth[
        "foreign_keys"
    ]:
        t_name, t_schema = split(table)
        r_name, r_schema = split(referred)
        fks.append(
            {"table": t_name, "schema": t_schema, "columns": columns,
             "referred_table": r_name, "referred_schema": r_schema,
             "referred_columns": referred_columns, "name": None, "effective_name": name,
             "ondelete": ondelete, "onupdate": onupdate, "use_alter": False,
             "path": "t.py", "line": 1}
        )
    return {"version": 1, "classes": classes, "tables": tables, "foreign_keys": fks,
            "cycles": {"tables": [], "rows": []}}


@pytest.mark.parametrize("family", family_paths(), ids=family_id)
def test_normaliser_round_trip(family: Path):
    truth = load(family / graph_truth.TRUTH)
    got = normalise_analyzer_graph(truth_as_analyzer_output(truth))
    problems, unknown = compare_graphs(truth, got)
    assert not problems, "\n".join(problems)
    assert unknown == 0
    assert got == truth


def test_compare_reports_differences_and_unknowns():
    truth = load(EXTRACT / "targets" / graph_truth.TRUTH)
    doc = truth_as_analyzer_output(truth)
    child = next(c for c in doc["classes"] if c["qualname"] == "pkg.models.child.Child")
    child["columns"][0]["nullable"] = None
    rel = next(r for r in child["relationships"] if r["attribute"] == "parent")
    rel["direction"] = "one-to-many"
    doc["foreign_keys"].pop()
    problems, unknown = compare_graphs(truth, normalise_analyzer_graph(doc))
    assert unknown == 1
    assert any("relationships['parent'].direction" in p for p in problems), problems
    assert any(p.startswith("foreign_keys: missing in analyzer") for p in problems), problems
    assert len(problems) == 2, problems


# ---------------------------------------------------------------------------
# (b) the analyzer's graph


def run_analyzer_graph(case_dir: Path, timeout: float = 120) -> dict:
    from harness import analyzer_bin

    binary = analyzer_bin()
    if not binary.is_file():
        pytest.fail(
            f"analyzer binary not found at {binary}: build it with `cargo build --release` "
            "or set SQLA_ANALYZER_BIN (deselect these tests with -m 'not analyzer')",
            pytrace=False,
        )
    case_dir = case_dir.resolve()
    cmd = [str(binary), "graph", "--format", "json", str(case_dir)]
    proc = subprocess.run(
        cmd, cwd=case_dir, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
            f"\n--- stderr\n{proc.stderr[-4000:]}",
            pytrace=False,
        )
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        problem = str(exc)
    pytest.fail(
        f"{' '.join(cmd)} printed no JSON ({problem}):\n--- stdout\n{proc.stdout[:2000]}"
        f"\n--- stderr\n{proc.stderr[-2000:]}",
        pytrace=False,
    )


@pytest.mark.analyzer
@pytest.mark.parametrize("family", family_paths(), ids=family_id)
def test_analyzer_graph(family: Path):
    # the analyzer reads every file, whatever the Python version
    truth_file = family / graph_truth.TRUTH_PY312
    drop_py312 = not truth_file.is_file()
    if drop_py312:
        truth_file = family / graph_truth.TRUTH
    truth = load(truth_file)
    data = run_analyzer_graph(family)
    got = normalise_analyzer_graph(data, root=family, drop_py312=drop_py312)
    problems, unknown = compare_graphs(truth, got)
    note = f"({unknown} column(s) with nullable unknown to the analyzer)"
    if problems:
        shown = problems[:200]
        more = f"\n... and {len(problems) - 200} more" if len(problems) > 200 else ""
        pytest.fail(
            f"{family.name}: analyzer graph differs from {truth_file.name} in "
            f"{len(problems)} place(s) {note}:\n  " + "\n  ".join(shown) + more,
            pytrace=False,
        )
    if unknown:
        print(f"{family.name}: {note}")
