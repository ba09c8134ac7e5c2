#!/usr/bin/env python3
"""Dump the model graph that real SQLAlchemy builds for a fixture workspace.

Usage::

    python tests/oracle/graph_truth.py CASE_DIR            # print JSON
    python tests/oracle/graph_truth.py --write CASE_DIR    # write CASE_DIR/truth.json
    python tests/oracle/graph_truth.py --all [ROOT]        # every family under ROOT
                                                           # (default tests/fixtures/extract)
    python tests/oracle/graph_truth.py --all --python PY312  # also truth_py312.json

What it does, in this process (a new interpreter, or under the oracle tests a
child forked from their zygote: see run_fresh):

1. puts CASE_DIR first on ``sys.path`` and imports every ``*.py`` below it in
   sorted order of module name; the module name comes from the relative path
   (``pkg/models/child.py`` -> ``pkg.models.child``, ``pkg/__init__.py`` ->
   ``pkg``). Folders without ``__init__.py`` import as namespace packages.
   Files whose name ends in ``_py312.py`` hold syntax that needs Python 3.12
   (PEP 695 and friends); they are skipped on Python < 3.12, and always with
   ``--skip-py312``. ``--write`` and ``--all`` write ``truth.json`` with them
   skipped, so that it is the same whatever the Python version, and, when the
   interpreter (``--python``) is 3.12 or newer, ``truth_py312.json`` with them
   imported. Nothing outside those files may depend on them (no ``backref``
   from them, no string target pointing into them).
2. calls ``sqlalchemy.orm.configure_mappers()``. Any warning raised while
   importing or configuring (SAWarning, deprecation warnings, ...) is an error:
   the fixtures are meant to be correct models. ``--allow-warnings`` turns that
   off.
3. walks every mapped class of every registry (``mapperlib._mapper_registries``
   plus classes, registries and Flask-SQLAlchemy / SQLModel objects found in
   the imported modules) and every ``Table`` of every ``MetaData`` reachable
   from them or from module-level ``MetaData``/``Table`` objects, and prints a
   normalised JSON document::

    {"classes": {"<module>.<Class>": {"table": "parent" | "events.notes",
        "columns": {"<column name>": {"nullable": bool, "primary_key": bool}},
        "relationships": {"<attr>": {"target": "<module>.<Class>",
            "direction": "one-to-many" | "many-to-one" | "many-to-many",
            "fk_columns": ["child.parent_id", ...], "secondary": "assoc" | null,
            "pair": "<attr on target>" | null, "cascade": [...],
            "passive_deletes": false | true | "all", "post_update": bool,
            "viewonly": bool}}}},
     "tables": {"<schema.>table": {"columns": {...}}},
     "foreign_keys": [[table, [cols], referred_table, [cols], name, ondelete,
                       onupdate], ...]}

Details of the normalisation:

- A class's ``columns`` are the columns of its own table that its mapper maps
  and that the mapper it inherits from does not: for joined-table inheritance
  the subclass table's columns, for single-table inheritance the columns the
  subclass adds to the shared table (its ``table`` is the shared table). The
  base of a single-table hierarchy does not map the columns its subclasses
  add, so they are not listed on it (they are in ``tables``).
- ``relationships`` lists only the relationships whose parent mapper is the
  class's own mapper (inherited ones are listed on the class that declares
  them); relationships created by ``backref`` appear on their class.
- ``fk_columns`` come from ``RelationshipProperty._calculated_foreign_keys``
  as sorted ``"table.column"`` (``"schema.table.column"`` with a schema);
  ``pair`` is the single entry of ``_reverse_property`` (null unless exactly
  one); ``cascade`` is the effective set (``all`` expanded, viewonly gives
  ``["merge"]``).
- ``tables`` are keyed by ``Table.fullname``. When two different ``MetaData``
  hold a table of the same full name (independent scripts each with their own
  ``Base``), each of them is keyed ``"<fullname> @ <path>"`` where ``path`` is
  the POSIX path, relative to CASE_DIR, of the file whose code created the
  ``Table`` (the class statement for declarative classes).
- FK ``name`` is the constraint name as ``create_all`` renders it, before any
  dialect truncation: naming conventions are applied by SQLAlchemy when the
  constraint is attached to its table (so ``fk.constraint.name`` is already a
  ``conv``); a deferred ``_NONE_NAME`` is resolved the way the DDL compiler
  does (``naming._constraint_name_for_table``). A convention installed on a
  ``MetaData`` after its tables were built names nothing, exactly as at
  ``create_all``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import traceback
import types
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_ROOT = REPO / "tests" / "fixtures" / "extract"
PY312_SUFFIX = "_py312.py"
TRUTH = "truth.json"
TRUTH_PY312 = "truth_py312.json"
SKIP_DIRS = {"__pycache__", ".git", ".venv", "venv", "node_modules"}


# ---------------------------------------------------------------------------
# discovery


def case_modules(case_dir: Path, skip_py312: bool) -> list[tuple[str, Path]]:
    """(module name, file) for every Python file of the case, sorted by name."""
    found = []
    for path in case_dir.rglob("*.py"):
        rel = path.relative_to(case_dir)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if path.name.endswith(PY312_SUFFIX) and skip_py312:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
            if not parts:  # an __init__.py at the top of the case is no module
                continue
        found.append((".".join(parts), path))
    return sorted(found)


# ---------------------------------------------------------------------------
# where tables are created


class _TableSites:
    """Records, for every Table added to a MetaData, the case file that made it."""

    def __init__(self, case_dir: Path):
        self.case_dir = case_dir.resolve()
        self.sites: dict[int, str] = {}
        self._orig = None

    def install(self):
        from sqlalchemy import MetaData

        orig = MetaData._add_table
        sites = self.sites
        root = str(self.case_dir) + os.sep

        def _add_table(md, name, schema, table):
            frame = sys._getframe(1)
            while frame is not None:
                filename = frame.f_code.co_filename
                # generated code has names like "<sqlalchemy generated ...>"
                if not filename.startswith("<"):
                    filename = os.path.abspath(filename)
                if filename.startswith(root) and filename.endswith(".py"):
                    sites.setdefault(
                        id(table),
                        Path(filename).relative_to(self.case_dir).as_posix(),
                    )
                    break
                frame = frame.f_back
            return orig(md, name, schema, table)

        self._orig = orig
        MetaData._add_table = _add_table


# ---------------------------------------------------------------------------
# normalisation


def _direction(rel) -> str:
    from sqlalchemy.orm.interfaces import MANYTOMANY, MANYTOONE, ONETOMANY

    return {
        ONETOMANY: "one-to-many",
        MANYTOONE: "many-to-one",
        MANYTOMANY: "many-to-many",
    }[rel.direction]


def _col_ref(col) -> str:
    return f"{col.table.fullname}.{col.name}"


def _column_info(col) -> dict:
    return {"nullable": bool(col.nullable), "primary_key": bool(col.primary_key)}


def _class_key(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _fk_name(fkc):
    from sqlalchemy.sql import naming
    from sqlalchemy.sql.base import _NONE_NAME

    name = fkc.name
    if name is _NONE_NAME:
        name = naming._constraint_name_for_table(fkc, fkc.table)
    if name is None or name is _NONE_NAME:
        return None
    return str(name)


def _passive_deletes(value):
    if value == "all":
        return "all"
    return bool(value)


def collect(modules: dict[str, types.ModuleType], sites: dict[int, str]) -> dict:
    import sqlalchemy as sa
    from sqlalchemy.orm import Mapper, mapperlib
    from sqlalchemy.orm import registry as Registry

    case_names = set(modules)
    flask_sqlalchemy = sys.modules.get("flask_sqlalchemy")
    flask_ext = getattr(flask_sqlalchemy, "SQLAlchemy", None)

    registries = set(mapperlib._mapper_registries)
    metadatas: dict[int, sa.MetaData] = {}
    mappers: dict[int, Mapper] = {}

    def add_md(md):
        if isinstance(md, sa.MetaData):
            metadatas.setdefault(id(md), md)

    def add_class(obj):
        mapper = sa.inspect(obj, raiseerr=False)
        if isinstance(mapper, Mapper):
            mappers.setdefault(id(mapper), mapper)
            add_md(mapper.local_table.metadata)

    for mod in modules.values():
        for value in list(vars(mod).values()):
            if isinstance(value, type):
                add_class(value)
                add_md(getattr(value, "metadata", None))
                reg = getattr(value, "registry", None)
                if isinstance(reg, Registry):
                    registries.add(reg)
            elif isinstance(value, Registry):
                registries.add(value)
            elif isinstance(value, sa.MetaData):
                add_md(value)
            elif isinstance(value, sa.Table):
                add_md(value.metadata)
            elif flask_ext is not None and isinstance(value, flask_ext):
                # Flask-SQLAlchemy's SQLAlchemy() extension object
                for md in value.metadatas.values():
                    add_md(md)
                reg = getattr(value.Model, "registry", None)
                if isinstance(reg, Registry):
                    registries.add(reg)

    for reg in registries:
        add_md(reg.metadata)
        for mapper in reg.mappers:
            mappers.setdefault(id(mapper), mapper)
            add_md(mapper.local_table.metadata)

    # --- classes ------------------------------------------------------------
    classes: dict[str, dict] = {}
    for mapper in mappers.values():
        cls = mapper.class_
        if cls.__module__ not in case_names:
            continue
        key = _class_key(cls)
        if key in classes:
            raise SystemExit(f"graph_truth: two mapped classes named {key}")
        local = mapper.local_table
        inherited = mapper.inherits._columntoproperty if mapper.inherits else {}
        columns = {}
        for col in local.columns:
            if col in mapper._columntoproperty and col not in inherited:
                columns[col.name] = _column_info(col)
        rels = {}
        for rel in mapper.relationships:
            if rel.parent is not mapper:
                continue
            reverse = list(rel._reverse_property)
            secondary = rel.secondary
            if secondary is not None:
                secondary = getattr(secondary, "fullname", None) or str(secondary)
            rels[rel.key] = {
                "target": _class_key(rel.mapper.class_),
                "direction": _direction(rel),
                "fk_columns": sorted(_col_ref(c) for c in rel._calculated_foreign_keys),
                "secondary": secondary,
                "pair": reverse[0].key if len(reverse) == 1 else None,
                "cascade": sorted(rel.cascade),
                "passive_deletes": _passive_deletes(rel.passive_deletes),
                "post_update": bool(rel.post_update),
                "viewonly": bool(rel.viewonly),
            }
        classes[key] = {
            "table": getattr(local, "fullname", None),
            "columns": columns,
            "relationships": rels,
        }

    # --- tables and foreign keys --------------------------------------------
    all_tables = []
    for md in metadatas.values():
        all_tables.extend(md.tables.values())
    by_name: dict[str, list] = {}
    for table in all_tables:
        by_name.setdefault(table.fullname, []).append(table)

    tables: dict[str, dict] = {}
    foreign_keys = []
    for fullname, group in by_name.items():
        for table in group:
            key = fullname
            if len(group) > 1:
                key = f"{fullname} @ {sites.get(id(table), '?')}"
                if key in tables:
                    raise SystemExit(f"graph_truth: cannot tell tables {key} apart")
            tables[key] = {
                "columns": {c.name: _column_info(c) for c in table.columns}
            }
            for fkc in table.foreign_key_constraints:
                foreign_keys.append(
                    [
                        table.fullname,
                        [c.name for c in fkc.columns],
                        fkc.referred_table.fullname,
                        [e.column.name for e in fkc.elements],
                        _fk_name(fkc),
                        fkc.ondelete,
                        fkc.onupdate,
                    ]
                )
    foreign_keys.sort(key=lambda row: json.dumps(row))

    return {"classes": classes, "tables": tables, "foreign_keys": foreign_keys}


# ---------------------------------------------------------------------------
# running


def dump(case_dir: Path, skip_py312: bool, allow_warnings: bool) -> dict:
    case_dir = case_dir.resolve()
    # the case folder, and not this script's folder, decides what imports
    sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != HERE]
    sys.path.insert(0, str(case_dir))
    sys.dont_write_bytecode = True

    sites = _TableSites(case_dir)
    sites.install()

    found = case_modules(case_dir, skip_py312)
    if not found:
        raise SystemExit(f"graph_truth: no Python files under {case_dir}")
    modules: dict[str, types.ModuleType] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name, path in found:
            try:
                modules[name] = importlib.import_module(name)
            except Exception:
                raise SystemExit(
                    f"graph_truth: importing {name} ({path}) failed:\n"
                    + traceback.format_exc()
                ) from None
        import sqlalchemy.orm

        try:
            sqlalchemy.orm.configure_mappers()
        except Exception:
            raise SystemExit(
                "graph_truth: configure_mappers() failed:\n" + traceback.format_exc()
            ) from None
    if caught and not allow_warnings:
        lines = [
            f"  {w.filename}:{w.lineno}: {w.category.__name__}: {w.message}"
            for w in caught
        ]
        raise SystemExit(
            "graph_truth: warnings while importing/configuring (fixtures must be "
            "clean models):\n" + "\n".join(lines)
        )
    return collect(modules, sites.sites)


def render(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def run_fresh(case_dir: Path, python: str | None = None, skip_py312: bool = True) -> dict:
    """Run the dumper on CASE_DIR in a process of its own and return its JSON.

    Under this interpreter the process is forked from the oracle's zygote
    (forkserver.py; ORACLE_FRESH_INTERPRETER=1 starts a new interpreter
    instead), under another (``python``) it is a new interpreter.
    With ``skip_py312=False`` the interpreter decides (files are imported on
    Python >= 3.12 only)."""
    case_dir = Path(case_dir).resolve()
    args = ["--skip-py312"] if skip_py312 else []
    args.append(str(case_dir))
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if python in (None, sys.executable):
        # imported here: the dumper itself (this file run as a script) imports
        # nothing of the oracle's beyond the standard library and SQLAlchemy
        from forkserver import run_python

        proc = run_python(Path(__file__).resolve(), args, cwd=case_dir, env=env)
    else:
        cmd = [python, str(Path(__file__).resolve()), *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(case_dir))
    if proc.returncode != 0:
        raise RuntimeError(
            f"graph_truth failed on {case_dir} (exit {proc.returncode}):\n"
            f"{proc.stderr}{proc.stdout}"
        )
    return json.loads(proc.stdout)


def family_dirs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def has_py312_files(case_dir: Path) -> bool:
    return any(case_dir.rglob("*" + PY312_SUFFIX))


def python_version(python: str) -> tuple[int, int]:
    out = subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    return int(out[0]), int(out[1])


def write_truth(case_dir: Path, python: str | None = None) -> list[Path]:
    """Write CASE_DIR/truth.json (``*_py312.py`` skipped) and, when the
    interpreter is Python >= 3.12 and the case has such files, also
    CASE_DIR/truth_py312.json (everything imported)."""
    python = python or sys.executable
    written = []
    target = case_dir / TRUTH
    target.write_text(render(run_fresh(case_dir, python, skip_py312=True)))
    written.append(target)
    if has_py312_files(case_dir):
        if python_version(python) >= (3, 12):
            target = case_dir / TRUTH_PY312
            target.write_text(render(run_fresh(case_dir, python, skip_py312=False)))
            written.append(target)
        else:
            print(
                f"note: {case_dir / TRUTH_PY312} needs Python >= 3.12 (--python); left as is",
                file=sys.stderr,
            )
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case_dir", nargs="?", help="fixture workspace (or ROOT with --all)")
    parser.add_argument("--write", action="store_true",
                        help="write CASE_DIR/truth.json (and truth_py312.json on Python >= 3.12)")
    parser.add_argument("--all", action="store_true",
                        help="--write for every family folder under ROOT")
    parser.add_argument("--python", help="interpreter for --write/--all (default: this one)")
    parser.add_argument(
        "--skip-py312", action="store_true", help="skip *_py312.py files on any Python"
    )
    parser.add_argument("--allow-warnings", action="store_true", help="do not fail on warnings")
    args = parser.parse_args(argv)

    if args.all or args.write:
        if args.all:
            root = Path(args.case_dir) if args.case_dir else DEFAULT_ROOT
            cases = family_dirs(root)
        elif args.case_dir:
            cases = [Path(args.case_dir)]
        else:
            parser.error("CASE_DIR is required")
        for case in cases:
            for path in write_truth(case, args.python):
                print(f"wrote {path}", file=sys.stderr)
        return 0

    if not args.case_dir:
        parser.error("CASE_DIR is required")
    skip = args.skip_py312 or sys.version_info < (3, 12)
    sys.stdout.write(render(dump(Path(args.case_dir), skip, args.allow_warnings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
