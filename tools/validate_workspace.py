#!/usr/bin/env python3
"""Prove a workspace from tools/generate_workspace.py valid with real SQLAlchemy.

    PYTHON tools/validate_workspace.py OUT [--sample K]

PYTHON needs SQLAlchemy 2, Flask-SQLAlchemy 3 and SQLModel (the oracle
virtualenv that `bash scripts/test` installs has them). The script imports
the model modules of every style, configures every mapper with warnings
turned into errors, and creates every table on an in-memory SQLite
database; it exits non-zero on the first failure. String targets point
across files, so by default every file is imported; `--sample K` imports
the first K files of each style and every file they reach through the
names they mention (relationship targets, foreign-key tables, imports), a
quicker spot check of a large workspace.
"""

import argparse
import importlib
import json
import os
import re
import sys
import time
import warnings


def snake(name):
    name = re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name)
    return name.lower().lstrip("_")


def referenced_modules(module_files, start):
    """The closure of files reachable from `start` by names written in them."""
    names = {}
    for name, path in module_files.items():
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        defined = re.findall(r"^class (\w+)\(", text, re.M)
        tables = re.findall(r'__tablename__ = "(\w+)"|^(\w+) = (?:db\.)?Table\(', text, re.M)
        names[name] = (text, set(defined) | {t for pair in tables for t in pair if t})
    owner = {}
    for name, (_, defined) in names.items():
        for item in defined:
            # Classes, and the table names Flask-SQLAlchemy and SQLModel derive.
            for key in (item, item.lower(), snake(item)):
                owner.setdefault(key, name)
    words = re.compile(r"\w+")
    seen, todo = set(), list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for word in set(words.findall(names[name][0])):
            other = owner.get(word)
            if other and other not in seen:
                todo.append(other)
    return sorted(seen)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--sample", type=int, default=0, help="files per style (default: all)")
    args = parser.parse_args()
    root = os.path.join(args.out, "genapp")
    with open(os.path.join(root, "generated.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    sys.path.insert(0, os.path.abspath(args.out))
    warnings.simplefilter("error")

    import sqlalchemy
    from sqlalchemy import create_engine
    from sqlalchemy.orm import configure_mappers

    started = time.time()
    imported = 0
    for package in manifest["packages"]:
        directory = os.path.join(root, package)
        module_files = {
            f"genapp.{package}.{name[:-3]}": os.path.join(directory, name)
            for name in sorted(os.listdir(directory))
            if re.fullmatch(r"m\d+\.py", name)
        }
        modules = sorted(module_files)
        if args.sample:
            modules = referenced_modules(module_files, modules[: args.sample])
        for module in modules:
            importlib.import_module(module)
            imported += 1
    configure_mappers()

    from genapp.classic.base import Base as ClassicBase
    from genapp.core.meta import metadata as core_metadata
    from genapp.flask_models.ext import db
    from genapp.typed.base import Base as TypedBase
    from sqlmodel import SQLModel

    engine = create_engine("sqlite://")
    tables = 0
    for metadata in [
        ClassicBase.metadata,
        TypedBase.metadata,
        db.metadata,
        SQLModel.metadata,
        core_metadata,
    ]:
        metadata.create_all(engine)
        tables += len(metadata.tables)
    print(
        f"ok: SQLAlchemy {sqlalchemy.__version__}: {imported} modules imported, "
        f"mappers configured, {tables} tables created ({time.time() - started:.1f} s)"
    )


if __name__ == "__main__":
    main()
