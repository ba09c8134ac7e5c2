"""Runs one oracle case in a process of its own.

Invoked by harness.run_case as ``python _case_runner.py SPEC_JSON RESULT_JSON``
(through forkserver.run_python: a child forked from the zygote, or a new
interpreter with ORACLE_FRESH_INTERPRETER=1).
SPEC_JSON holds {"case_dir", "body", "db_url"}; the result dict the body
filled in (plus "warnings" and, on failure, "error_*") is written to RESULT_JSON.

Nothing case-specific exists before the case modules are imported: this
script imports only the standard library, and the zygote a child is forked
from has imported only the standard library, SQLAlchemy and psycopg (no
mapped class, engine or connection; default warnings filters). So a case
sees SQLAlchemy as a fresh application would, but for one thing: warnings
emitted while SQLAlchemy or psycopg themselves are imported happen in the
zygote and are not recorded here (the pinned versions emit none; with
ORACLE_FRESH_INTERPRETER=1 that import happens inside the case again).
Every warning is recorded (filter "always") with the stage the body last
named through set_stage(); import-time warnings carry the stage "import".
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import traceback
import warnings


def module_names(case_dir: str) -> list[str]:
    """Dotted module names of every .py file under case_dir, sorted by path."""
    paths = []
    for root, dirs, files in os.walk(case_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in files:
            if name.endswith(".py"):
                paths.append(os.path.relpath(os.path.join(root, name), case_dir))
    names = []
    for rel in sorted(paths):
        parts = rel[: -len(".py")].split(os.sep)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            names.append(".".join(parts))
    return names


def describe_error(exc: BaseException) -> dict:
    cls = type(exc)
    return {
        "error_type": cls.__name__,
        "error_qualname": f"{cls.__module__}.{cls.__qualname__}",
        "error_mro": [c.__name__ for c in cls.__mro__],
        "error_message": str(exc),
        "error_traceback": "".join(traceback.format_exception(exc)),
    }


def create_engine_fk(url: str, **kw):
    """create_engine(url); on SQLite a connect event runs PRAGMA foreign_keys=ON."""
    from sqlalchemy import create_engine, event

    engine = create_engine(url, **kw)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def build_namespace(modules: dict, db_url):
    def _classes():
        seen = {}
        for mod in modules.values():
            for value in vars(mod).values():
                if isinstance(value, type):
                    seen[id(value)] = value
        return list(seen.values())

    def find_class(name: str):
        found = [c for c in _classes() if c.__name__ == name]
        if not found:
            raise LookupError(f"no class named {name!r} in the case modules")
        if len(found) > 1:
            raise LookupError(f"several classes named {name!r}: {found!r}")
        return found[0]

    def find_base():
        """The declarative base of the case: a declarative_base()/DeclarativeBase
        class, a Flask-SQLAlchemy ``db.Model``, or ``SQLModel``."""
        bases = {}
        for mod in modules.values():
            for value in vars(mod).values():
                model = getattr(value, "Model", None)
                if not isinstance(value, type) and isinstance(model, type) and hasattr(model, "registry"):
                    bases[id(model)] = model  # Flask-SQLAlchemy's db object
                elif (
                    isinstance(value, type)
                    and hasattr(value, "registry")
                    and hasattr(value, "metadata")
                    and "__mapper__" not in vars(value)
                    and "__table__" not in vars(value)
                    and not hasattr(value, "__mapper__")
                ):
                    bases[id(value)] = value
        if len(bases) != 1:
            raise LookupError(f"expected one declarative base, found {list(bases.values())!r}")
        return next(iter(bases.values()))

    def mapped_classes():
        """Every class mapped by the registries the case's classes use."""
        registries = {}
        for cls in _classes():
            mapper = vars(cls).get("__mapper__")
            if mapper is not None and hasattr(mapper, "registry"):
                registries[id(mapper.registry)] = mapper.registry
        out = {}
        for reg in registries.values():
            for mapper in reg.mappers:
                out[id(mapper.class_)] = mapper.class_
        return sorted(out.values(), key=lambda c: (c.__module__, c.__qualname__))

    def all_metadata():
        """Every MetaData the case uses (mapped classes' tables and Core Tables)."""
        from sqlalchemy import MetaData, Table

        found = {}
        for cls in mapped_classes():
            for table in cls.__mapper__.tables:
                found[id(table.metadata)] = table.metadata
        for mod in modules.values():
            for value in vars(mod).values():
                if isinstance(value, Table):
                    found[id(value.metadata)] = value.metadata
                elif isinstance(value, MetaData):
                    found[id(value)] = value
        return list(found.values())

    def make_engine(url=None, **kw):
        """An engine for url (default DB_URL); SQLite gets PRAGMA foreign_keys=ON."""
        return create_engine_fk(url or db_url, **kw)

    @contextlib.contextmanager
    def capture_sql(engine):
        """Collects every statement sent to the database, in order."""
        from sqlalchemy import event

        statements = []

        def _before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", _before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", _before)

    return {
        "modules": modules,
        "DB_URL": db_url,
        "find_class": find_class,
        "find_base": find_base,
        "mapped_classes": mapped_classes,
        "all_metadata": all_metadata,
        "make_engine": make_engine,
        "capture_sql": capture_sql,
    }


def main() -> int:
    spec_path, result_path = sys.argv[1], sys.argv[2]
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    case_dir = os.path.abspath(spec["case_dir"])
    sys.path.insert(0, case_dir)
    sys.dont_write_bytecode = True

    result: dict = {}
    caught: list = []
    stage = ["import"]

    def record_warning(message, category, filename, lineno, file=None, line=None):
        caught.append((message, category, filename, lineno, stage[0]))

    def set_stage(name: str) -> None:
        """Labels the warnings emitted from now on (see result["warnings"])."""
        stage[0] = name

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = record_warning
        phase = "import"
        try:
            modules = {}
            for name in module_names(case_dir):
                modules[name] = importlib.import_module(name)
            namespace = build_namespace(modules, spec.get("db_url"))
            namespace["result"] = result
            namespace["set_stage"] = set_stage
            phase = "body"
            set_stage("body")
            exec(compile(spec["body"], "<case body>", "exec"), namespace)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            result.update(describe_error(exc))
            result["error_phase"] = phase

    sa_warning = None
    try:
        from sqlalchemy.exc import SAWarning as sa_warning  # noqa: N813
    except Exception:  # noqa: BLE001
        pass
    result["warnings"] = [
        {
            "category": category.__name__,
            "message": str(message),
            "sqlalchemy": bool(sa_warning and issubclass(category, sa_warning)),
            "stage": at_stage,
            "where": f"{os.path.basename(filename)}:{lineno}",
        }
        for message, category, filename, lineno, at_stage in caught
    ]
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(result, fh, default=repr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
