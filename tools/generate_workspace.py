#!/usr/bin/env python3
"""Generate a synthetic, deterministic SQLAlchemy workspace for benchmarks.

    python3 tools/generate_workspace.py OUT [--files 2000] [--classes-per-file 10]
        [--plain-files [M]] [--seed 7] [--no-bugs]

writes the package `genapp` under OUT:

- `genapp/<package>/mNNNN.py`: N model files (default 2,000) of K classes
  or Core tables each (default 10: 16,000 classes and 4,000 tables), spread
  evenly over five styles: `classic` (declarative_base, Column,
  relationship, backref), `typed` (DeclarativeBase, Mapped, mapped_column;
  half the files with `from __future__ import annotations`; TYPE_CHECKING
  imports of the classes annotations name), `flask` (Flask-SQLAlchemy
  db.Model, implicit and explicit table names; package `flask_models`),
  `sqlmodel` (table=True, Field, Relationship, link models; package
  `sqlmodel_models`) and `core` (Table on a MetaData). Every class has a
  primary key and a few data columns; most have a foreign key to an earlier
  class, half of those in another file (string targets), paired by
  back_populates or backref; some have a second many-to-one, a
  self-reference, a many-to-many through an association table, a mixin or
  are a joined-inheritance subclass; a few foreign keys close cycles (named,
  use_alter, post_update). Each style also has its base module.
- `genapp/services/pNNN/sNNNNN.py`: M ordinary Python files with no models
  (`--plain-files` alone means 20,000; default none). About 2% of them call a
  `.delete(...)` method, as service code does, and so pass the analyzer's
  byte prefilter; the rest do not.
- `genapp/generated.json`: the parameters and the counts.

The models are valid: `tools/validate_workspace.py OUT` imports every module
with SQLAlchemy, configures the mappers with warnings as errors and creates
every table. Unless `--no-bugs`, five deliberate mistakes that SQLAlchemy
accepts are planted, one finding each (SA104, SA108, SA208, SA402, SA404).

The same arguments always give byte-identical files.
"""

import argparse
import json
import os
import random
import re
import shutil

STYLES = ["classic", "typed", "flask", "sqlmodel", "core"]
# The package of each style. Not `flask` or `sqlmodel`: a workspace module
# of a library's name would stand for the library itself.
PACKAGES = {s: s if s in ("classic", "typed", "core") else f"{s}_models" for s in STYLES}

NOUNS = [
    "Account", "Address", "Invoice", "LineItem", "Order", "Product", "Customer",
    "Supplier", "Warehouse", "Shipment", "Payment", "Refund", "Coupon", "Review",
    "Category", "Tag", "Author", "Article", "Comment", "Attachment", "Project",
    "Task", "Milestone", "Team", "Member", "Role", "Permission", "AuditEvent",
    "Device", "Sensor", "Reading", "Location", "Region", "Tenant", "Plan",
    "Subscription", "Ticket", "Message", "Channel", "Webhook",
]

DATA_COLUMNS = [
    # (name, classic type, typed python type, sqlmodel python type, core type)
    ("name", "String(120)", "str", "str", "String(120)"),
    ("title", "String(200)", "str", "str", "String(200)"),
    ("code", "String(32)", "str", "str", "String(32)"),
    ("description", "Text", "str", "str", "Text"),
    ("quantity", "Integer", "int", "int", "Integer"),
    ("position", "Integer", "int", "int", "Integer"),
    ("is_active", "Boolean", "bool", "bool", "Boolean"),
    ("amount", "Numeric(12, 2)", "Decimal", "float", "Numeric(12, 2)"),
    ("created_at", "DateTime", "datetime.datetime", "datetime.datetime", "DateTime"),
    ("score", "Float", "float", "float", "Float"),
]


def snake(name):
    """Flask-SQLAlchemy 3's camel_to_snake_case."""
    name = re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name)
    return name.lower().lstrip("_")


def plural(word):
    if word.endswith("y"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


class Cls:
    """One class (or Core table) of the plan."""

    def __init__(self, gid, style, file, noun):
        self.gid = gid
        self.style = style
        self.file = file  # index of the file within its style
        self.noun = noun
        self.name = f"{noun}{gid}"
        if style == "flask":
            self.explicit_table = gid % 3 == 0
            self.table = f"{snake(noun)}_{gid}" if self.explicit_table else snake(self.name)
        elif style == "sqlmodel":
            self.table = self.name.lower()
        else:
            self.table = f"{snake(noun)}_{gid}"
        self.attr = f"{snake(noun)}{gid}"  # attribute naming one of these
        self.columns = []  # data columns
        self.mixin = False
        self.parent = None  # (Cls, nullable, pairing) pairing: back_populates|backref_child|backref_parent|none
        self.second = None  # Cls, nullable many-to-one without a reverse side
        self.self_ref = False
        self.m2m = []  # Cls partners where this class owns the association
        self.m2m_of = []  # Cls owners that point at this class
        self.children = []  # (Cls, nullable, pairing)
        self.favorite = None  # Cls: a use_alter FK back to a child (cycle)
        self.cycle_parent = False  # this class's parent FK is in a cycle
        self.subclass_of = None  # joined inheritance
        self.bug = None


def plan(args, rng):
    """Decides every class and link, style by style."""
    per_style = [args.files // len(STYLES)] * len(STYLES)
    for i in range(args.files % len(STYLES)):
        per_style[i] += 1
    gid = 0
    styles = {}
    for style, nfiles in zip(STYLES, per_style):
        classes = []
        for f in range(nfiles):
            count = args.classes_per_file
            if style == STYLES[0] and f == 0 and args.large_file:
                count = args.large_file
            for _ in range(count):
                classes.append(Cls(gid, style, f, NOUNS[rng.randrange(len(NOUNS))]))
                gid += 1
        styles[style] = classes
        orm = style != "core"
        for i, c in enumerate(classes):
            c.columns = rng.sample(DATA_COLUMNS, rng.randint(2, 5))
            c.mixin = style in ("classic", "typed") and rng.random() < 0.3
            # A leaf subclass of an earlier class of the same file.
            if (
                style in ("classic", "typed")
                and i > 0
                and classes[i - 1].file == c.file
                and classes[i - 1].subclass_of is None
                and rng.random() < 0.03
            ):
                c.subclass_of = classes[i - 1]
                c.columns = [d for d in DATA_COLUMNS if d not in c.subclass_of.columns][:2]
                continue
            targets = [t for t in classes[max(0, i - 400) : i] if t.subclass_of is None]
            if targets and rng.random() < 0.85:
                same_file = [t for t in targets if t.file == c.file]
                if same_file and rng.random() < 0.5:
                    p = rng.choice(same_file)
                else:
                    p = rng.choice(targets)
                nullable = rng.random() < 0.5
                roll = rng.random()
                if not orm:
                    pairing = "none"
                elif roll < 0.7 or style in ("typed", "sqlmodel"):
                    pairing = "back_populates" if roll < 0.9 else "none"
                elif roll < 0.8:
                    pairing = "backref_child"
                elif roll < 0.9:
                    pairing = "backref_parent"
                else:
                    pairing = "none"
                c.parent = (p, nullable, pairing)
                p.children.append((c, nullable, pairing))
                others = [t for t in targets if t is not p]
                if others and rng.random() < 0.15:
                    c.second = rng.choice(others)
            if style in ("classic", "typed", "flask") and rng.random() < 0.04:
                c.self_ref = True
            if orm and targets and rng.random() < 0.08:
                r = rng.choice(targets)
                if (c.parent is None or r is not c.parent[0]) and r is not c.second:
                    c.m2m.append(r)
                    r.m2m_of.append(c)
        # A few foreign-key cycles: a parent points back at one of its
        # children (named, use_alter; post_update on the relationship).
        if style != "sqlmodel":
            candidates = [
                c
                for c in classes
                if c.parent
                and c.parent[0].favorite is None
                and not c.parent[0].cycle_parent
                and c.parent[2] == ("none" if style == "core" else "back_populates")
                and c.parent[0] is not c
            ]
            for c in rng.sample(candidates, min(3, len(candidates))):
                c.parent[0].favorite = c
                c.cycle_parent = True
    if args.bugs:
        plant_bugs(styles, rng)
    return styles


def plant_bugs(styles, rng):
    """One case each of five findings that SQLAlchemy itself accepts."""
    classic = styles["classic"]
    typed = styles["typed"]

    def pick(classes, predicate):
        for c in classes:
            if c.bug is None and predicate(c):
                c.bug = True
                return c
        return None

    ordinary = lambda c: (  # noqa: E731
        c.parent
        and not c.cycle_parent
        and c.parent[0].favorite is None
        and c.parent[0].bug is None
        and c.subclass_of is None
    )
    # SA208: the parent's side names back_populates, the child's does not
    # (on a parent with no other back_populates children: the rule stays
    # silent when several of a class's relationships name one attribute).
    c = pick(
        classic,
        lambda c: ordinary(c)
        and c.parent[2] == "back_populates"
        and sum(pairing == "back_populates" for _, _, pairing in c.parent[0].children) == 1,
    )
    if c:
        c.bug = "SA208"
    # SA104: delete cascade on a many-to-one (over a nullable key, whose
    # one-to-many side has no delete cascade: else SA115 fires too).
    c = pick(typed, lambda c: ordinary(c) and c.parent[2] == "back_populates" and c.parent[1])
    if c:
        c.bug = "SA104"
    # SA404: post_update on a relationship in no cycle.
    c = pick(classic, lambda c: ordinary(c) and c.parent[2] == "none")
    if c:
        c.bug = "SA404"
    # SA108: passive_deletes on a one-to-many whose FK has no ondelete.
    c = pick(typed, lambda c: ordinary(c) and c.parent[2] == "back_populates" and c.parent[1])
    if c:
        c.bug = "SA108"
    # SA402: post_update on both sides of a cycle's pair where one is enough.
    for c in classic:
        if c.cycle_parent and c.bug is None:
            c.bug = "SA402"
            break


# ----- rendering ----------------------------------------------------------


def fk_column_name(p):
    return f"{p.attr}_id"


def header(style, index, total):
    return f'"""Generated models ({style} style), file {index + 1} of {total}."""\n'


class Writer:
    def __init__(self):
        self.lines = []

    def add(self, text=""):
        self.lines.append(text)

    def text(self):
        return tidy("\n".join(self.lines))


LINE_LENGTH = 88


def tidy(text):
    """Formats generated code roughly as black and ruff would leave it:
    unused imports dropped, long calls and imports wrapped, at most two
    blank lines in a row."""
    lines = text.split("\n")
    is_import = [re.match(r"\s*(from \S+ )?import ", line) is not None for line in lines]
    rest = "\n".join(line for line, imp in zip(lines, is_import) if not imp)
    out = []
    for line, imp in zip(lines, is_import):
        if imp and "__future__" not in line:
            head, _, names = line.rpartition("import ")
            kept = [
                n
                for n in names.split(", ")
                if re.search(r"(?<![.\w])" + re.escape(n) + r"\b(?!=)", rest)
            ]
            if not kept:
                continue
            line = head + "import " + ", ".join(kept)
            if len(line) > LINE_LENGTH:
                indent = line[: len(line) - len(line.lstrip())]
                out.append(head + "import (")
                out.extend(f"{indent}    {n}," for n in kept)
                out.append(f"{indent})")
                continue
        out.extend(wrap(line))
    text = "\n".join(out)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.strip("\n") + "\n"


def split_arguments(text):
    """Splits at the commas outside brackets and strings."""
    parts, depth, quote, current = [], 0, None, ""
    for ch in text:
        if quote:
            current += ch
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def wrap(line):
    """A call too long for one line, split the way black splits it."""
    if len(line) <= LINE_LENGTH:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    body = line.strip()
    trail = ""
    if body.endswith(","):
        body, trail = body[:-1], ","
    if not body.endswith(")"):
        return [line]
    stack, quote, opening = [], None, None
    for i, ch in enumerate(body):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            stack.append(i)
        elif ch in ")]}":
            start = stack.pop()
            if i == len(body) - 1:
                opening = start
    if opening is None:
        return [line]
    head, arguments = body[: opening + 1], split_arguments(body[opening + 1 : -1])
    joined = f"{indent}    {', '.join(arguments)}"
    if len(joined) <= LINE_LENGTH:
        return [indent + head, joined, f"{indent}){trail}"]
    out = [indent + head]
    for argument in arguments:
        out.extend(wrap(f"{indent}    {argument},"))
    out.append(f"{indent}){trail}")
    return out


def render_classic_like(style, index, total, classes, module_of):
    """classic (Column, relationship) and flask (db.Column, db.relationship)."""
    flask = style == "flask"
    w = Writer()
    w.add(header(style, index, total).rstrip())
    w.add()
    if flask:
        w.add(f"from genapp.{PACKAGES[style]}.ext import db")
        col, fk, rel, tbl, br = "db.Column", "db.ForeignKey", "db.relationship", "db.Table", "db.backref"
        types = lambda t: "db." + t  # noqa: E731
        meta = ""
    else:
        w.add(
            "from sqlalchemy import Boolean, Column, DateTime, Float, ForeignKey, Integer, "
            "Numeric, String, Table, Text"
        )
        w.add("from sqlalchemy.orm import backref, relationship")
        w.add()
        w.add(f"from genapp.{PACKAGES[style]}.base import Base, TimestampMixin")
        col, fk, rel, tbl, br = "Column", "ForeignKey", "relationship", "Table", "backref"
        types = lambda t: t  # noqa: E731
        meta = "Base.metadata, "
    w.add()
    # Association tables owned by classes of this file.
    for c in classes:
        for r in c.m2m:
            w.add()
            w.add(f"{c.attr}_{r.attr} = {tbl}(")
            w.add(f'    "{c.table}_{r.table}",')
            if meta:
                w.add(f"    {meta.rstrip(', ')},")
            w.add(f'    {col}("{c.attr}_id", {fk}("{c.table}.id", ondelete="CASCADE"), primary_key=True),')
            w.add(f'    {col}("{r.attr}_id", {fk}("{r.table}.id", ondelete="CASCADE"), primary_key=True),')
            w.add(")")
    for c in classes:
        w.add()
        w.add()
        if c.subclass_of is not None:
            base = c.subclass_of.name
        elif flask:
            base = "db.Model"
        else:
            base = "TimestampMixin, Base" if c.mixin else "Base"
        w.add(f"class {c.name}({base}):")
        if not flask or c.explicit_table or c.subclass_of is not None:
            w.add(f'    __tablename__ = "{c.table}"')
        w.add()
        if c.subclass_of is not None:
            w.add(
                f'    id = {col}({types("Integer")}, {fk}("{c.subclass_of.table}.id"), primary_key=True)'
            )
        else:
            w.add(f"    id = {col}({types('Integer')}, primary_key=True)")
        for name, ctype, *_ in c.columns:
            nullable = ", nullable=False" if name in ("name", "code") else ""
            w.add(f"    {name} = {col}({types(ctype)}{nullable})")
        if c.subclass_of is not None:
            w.add()
            w.add(f'    __mapper_args__ = {{"polymorphic_identity": "{c.table}"}}')
            continue
        relationships = []
        if c.parent:
            p, nullable, pairing = c.parent
            ondelete = "" if nullable else ', ondelete="CASCADE"'
            w.add(
                f'    {fk_column_name(p)} = {col}({types("Integer")}, {fk}("{p.table}.id"{ondelete}), '
                f'nullable={nullable}, index=True)'
            )
            kw = [f'"{p.name}"']
            if c.cycle_parent:
                kw.append(f"foreign_keys=[{fk_column_name(p)}]")
            if pairing == "back_populates" and c.bug != "SA208":
                kw.append(f'back_populates="{plural(c.attr)}"')
            elif pairing == "backref_child":
                if nullable:
                    kw.append(f'backref="{plural(c.attr)}"')
                else:
                    kw.append(
                        f'backref={br}("{plural(c.attr)}", cascade="all, delete-orphan", passive_deletes=True)'
                    )
            if c.bug == "SA404":
                kw.append("post_update=True")
            if c.bug == "SA402":
                kw.append("post_update=True")
            if pairing != "backref_parent":
                relationships.append(f"    {p.attr} = {rel}({', '.join(kw)})")
        if c.second:
            q = c.second
            w.add(f'    {q.attr}_ref_id = {col}({types("Integer")}, {fk}("{q.table}.id"), nullable=True)')
            relationships.append(f'    {q.attr}_ref = {rel}("{q.name}", foreign_keys=[{q.attr}_ref_id])')
        if c.self_ref:
            w.add(f'    parent_node_id = {col}({types("Integer")}, {fk}("{c.table}.id"))')
            relationships.append(
                f'    parent_node = {rel}("{c.name}", remote_side=[id], back_populates="child_nodes")'
            )
            relationships.append(f'    child_nodes = {rel}("{c.name}", back_populates="parent_node")')
        if c.favorite:
            f = c.favorite
            w.add(
                f'    favorite_{f.attr}_id = {col}({types("Integer")}, '
                f'{fk}("{f.table}.id", use_alter=True, name="fk_{c.table}_favorite_{f.gid}"))'
            )
            relationships.append(
                f'    favorite_{f.attr} = {rel}("{f.name}", foreign_keys=[favorite_{f.attr}_id], post_update=True)'
            )
        for child, nullable, pairing in c.children:
            kw = [f'"{child.name}"']
            if child.cycle_parent:
                kw.append(f'foreign_keys="{child.name}.{fk_column_name(c)}"')
            if pairing == "back_populates":
                kw.append(f'back_populates="{c.attr}"')
            elif pairing == "backref_parent":
                kw.append(f'backref="{c.attr}"')
            else:
                continue
            if not nullable:
                kw.append('cascade="all, delete-orphan"')
                kw.append("passive_deletes=True")
            relationships.append(f"    {plural(child.attr)} = {rel}({', '.join(kw)})")
        for r in c.m2m:
            relationships.append(
                f'    {plural(r.attr)}_set = {rel}("{r.name}", secondary="{c.table}_{r.table}", '
                f'back_populates="{plural(c.attr)}_set")'
            )
        for o in c.m2m_of:
            relationships.append(
                f'    {plural(o.attr)}_set = {rel}("{o.name}", secondary="{o.table}_{c.table}", '
                f'back_populates="{plural(c.attr)}_set")'
            )
        if relationships:
            w.add()
            for line in relationships:
                w.add(line)
        w.add()
        w.add("    def __repr__(self):")
        w.add(f'        return f"<{c.name} {{self.id}}>"')
    return w.text()


def type_checking_imports(w, classes, module_of):
    """`if TYPE_CHECKING:` imports of the classes annotations name."""
    here = {c.name for c in classes}
    wanted = {}
    for c in classes:
        others = []
        if c.parent:
            others.append(c.parent[0])
        if c.second:
            others.append(c.second)
        others += [child for child, _, pairing in c.children if pairing == "back_populates"]
        others += c.m2m + c.m2m_of
        if c.favorite:
            others.append(c.favorite)
        for o in others:
            if o.name not in here:
                wanted.setdefault(module_of[o.name], set()).add(o.name)
    if wanted:
        w.add()
        w.add("if TYPE_CHECKING:")
        for module in sorted(wanted):
            w.add(f"    from {module} import {', '.join(sorted(wanted[module]))}")


def render_typed(index, total, classes, module_of, rng):
    future = index % 2 == 0
    w = Writer()
    w.add(header("typed", index, total).rstrip())
    w.add()
    if future:
        w.add("from __future__ import annotations")
        w.add()
    w.add("import datetime")
    w.add("from decimal import Decimal")
    w.add("from typing import TYPE_CHECKING, List, Optional")
    w.add()
    w.add("from sqlalchemy import Column, ForeignKey, Numeric, String, Table, Text")
    w.add("from sqlalchemy.orm import Mapped, mapped_column, relationship")
    w.add()
    w.add("from genapp.typed.base import Base, TimestampMixin")

    def ref(target):
        return target.name if future else f'"{target.name}"'

    type_checking_imports(w, classes, module_of)
    w.add()
    for c in classes:
        for r in c.m2m:
            w.add()
            w.add(f"{c.attr}_{r.attr} = Table(")
            w.add(f'    "{c.table}_{r.table}",')
            w.add("    Base.metadata,")
            w.add(f'    Column("{c.attr}_id", ForeignKey("{c.table}.id", ondelete="CASCADE"), primary_key=True),')
            w.add(f'    Column("{r.attr}_id", ForeignKey("{r.table}.id", ondelete="CASCADE"), primary_key=True),')
            w.add(")")
    for c in classes:
        w.add()
        w.add()
        if c.subclass_of is not None:
            base = c.subclass_of.name
        else:
            base = "TimestampMixin, Base" if c.mixin else "Base"
        w.add(f"class {c.name}({base}):")
        w.add(f'    __tablename__ = "{c.table}"')
        w.add()
        if c.subclass_of is not None:
            w.add(f'    id: Mapped[int] = mapped_column(ForeignKey("{c.subclass_of.table}.id"), primary_key=True)')
        else:
            w.add("    id: Mapped[int] = mapped_column(primary_key=True)")
        for name, ctype, pytype, *_ in c.columns:
            optional = name not in ("name", "code")
            annotation = f"Optional[{pytype}]" if optional else pytype
            if ctype.startswith(("String", "Numeric")) or ctype == "Text":
                w.add(f"    {name}: Mapped[{annotation}] = mapped_column({ctype})")
            elif rng.random() < 0.5:
                w.add(f"    {name}: Mapped[{annotation}]")
            else:
                w.add(f"    {name}: Mapped[{annotation}] = mapped_column(default=None)" if optional
                      else f"    {name}: Mapped[{annotation}] = mapped_column()")
        if c.subclass_of is not None:
            w.add()
            w.add(f'    __mapper_args__ = {{"polymorphic_identity": "{c.table}"}}')
            continue
        relationships = []
        if c.parent:
            p, nullable, pairing = c.parent
            kind = "Optional[int]" if nullable else "int"
            ondelete = "" if nullable else ', ondelete="CASCADE"'
            w.add(
                f"    {fk_column_name(p)}: Mapped[{kind}] = mapped_column("
                f'ForeignKey("{p.table}.id"{ondelete}), index=True)'
            )
            kw = []
            if c.cycle_parent:
                kw.append(f"foreign_keys=[{fk_column_name(p)}]")
            if pairing == "back_populates":
                kw.append(f'back_populates="{plural(c.attr)}"')
            if c.bug == "SA104":
                kw.append('cascade="all"')
            target = f"Optional[{ref(p)}]" if nullable else ref(p)
            relationships.append(f"    {p.attr}: Mapped[{target}] = relationship({', '.join(kw)})")
        if c.second:
            q = c.second
            w.add(f'    {q.attr}_ref_id: Mapped[Optional[int]] = mapped_column(ForeignKey("{q.table}.id"))')
            relationships.append(
                f"    {q.attr}_ref: Mapped[Optional[{ref(q)}]] = relationship(foreign_keys=[{q.attr}_ref_id])"
            )
        if c.self_ref:
            w.add(f'    parent_node_id: Mapped[Optional[int]] = mapped_column(ForeignKey("{c.table}.id"))')
            relationships.append(
                f'    parent_node: Mapped[Optional[{ref(c)}]] = relationship(remote_side=[id], back_populates="child_nodes")'
            )
            relationships.append(
                f'    child_nodes: Mapped[List[{ref(c)}]] = relationship(back_populates="parent_node")'
            )
        if c.favorite:
            f = c.favorite
            w.add(
                f"    favorite_{f.attr}_id: Mapped[Optional[int]] = mapped_column("
                f'ForeignKey("{f.table}.id", use_alter=True, name="fk_{c.table}_favorite_{f.gid}"))'
            )
            relationships.append(
                f"    favorite_{f.attr}: Mapped[Optional[{ref(f)}]] = relationship("
                f"foreign_keys=[favorite_{f.attr}_id], post_update=True)"
            )
        for child, nullable, pairing in c.children:
            if pairing != "back_populates":
                continue
            kw = []
            if child.cycle_parent:
                kw.append(f'foreign_keys="{child.name}.{fk_column_name(c)}"')
            kw.append(f'back_populates="{c.attr}"')
            if not nullable:
                kw.append('cascade="all, delete-orphan"')
                kw.append("passive_deletes=True")
            elif child.bug == "SA108":
                kw.append("passive_deletes=True")
            relationships.append(
                f"    {plural(child.attr)}: Mapped[List[{ref(child)}]] = relationship({', '.join(kw)})"
            )
        for r in c.m2m:
            relationships.append(
                f"    {plural(r.attr)}_set: Mapped[List[{ref(r)}]] = relationship("
                f'secondary="{c.table}_{r.table}", back_populates="{plural(c.attr)}_set")'
            )
        for o in c.m2m_of:
            relationships.append(
                f"    {plural(o.attr)}_set: Mapped[List[{ref(o)}]] = relationship("
                f'secondary="{o.table}_{c.table}", back_populates="{plural(c.attr)}_set")'
            )
        if relationships:
            w.add()
            for line in relationships:
                w.add(line)
        w.add()
        w.add("    def __repr__(self) -> str:")
        w.add(f'        return f"<{c.name} {{self.id}}>"')
    return w.text()


def render_sqlmodel(index, total, classes, module_of):
    w = Writer()
    w.add(header("sqlmodel", index, total).rstrip())
    w.add()
    w.add("import datetime")
    w.add("from typing import TYPE_CHECKING, List, Optional")
    w.add()
    w.add("from sqlmodel import Field, Relationship, SQLModel")
    # Link models live in the file of the class they point at (the earlier
    # one); owners in later files import them.
    links = {}
    for c in classes:
        for r in c.m2m:
            if module_of[r.name] != module_of[c.name]:
                links.setdefault(module_of[r.name], []).append(f"{c.name}{r.name}Link")
    if links:
        w.add()
        for module in sorted(links):
            w.add(f"from {module} import {', '.join(sorted(links[module]))}")
    type_checking_imports(w, classes, module_of)
    w.add()
    for c in classes:
        for o in c.m2m_of:
            w.add()
            w.add(f"class {o.name}{c.name}Link(SQLModel, table=True):")
            w.add(f'    {o.attr}_id: Optional[int] = Field(default=None, foreign_key="{o.table}.id", primary_key=True)')
            w.add(f'    {c.attr}_id: Optional[int] = Field(default=None, foreign_key="{c.table}.id", primary_key=True)')
            w.add()
    for c in classes:
        w.add()
        w.add(f"class {c.name}(SQLModel, table=True):")
        w.add("    id: Optional[int] = Field(default=None, primary_key=True)")
        for name, _, _, pytype, _ in c.columns:
            if name in ("name", "code"):
                w.add(f"    {name}: {pytype} = Field(index=True)")
            else:
                w.add(f"    {name}: Optional[{pytype}] = None")
        relationships = []
        if c.parent:
            p, nullable, pairing = c.parent
            if nullable:
                w.add(f'    {fk_column_name(p)}: Optional[int] = Field(default=None, foreign_key="{p.table}.id")')
            else:
                w.add(f'    {fk_column_name(p)}: int = Field(foreign_key="{p.table}.id", ondelete="CASCADE")')
            kw = f'back_populates="{plural(c.attr)}"' if pairing == "back_populates" else ""
            relationships.append(f'    {p.attr}: Optional["{p.name}"] = Relationship({kw})')
        if c.second:
            q = c.second
            w.add(f'    {q.attr}_ref_id: Optional[int] = Field(default=None, foreign_key="{q.table}.id")')
            relationships.append(
                f'    {q.attr}_ref: Optional["{q.name}"] = Relationship('
                f'sa_relationship_kwargs={{"foreign_keys": "[{c.name}.{q.attr}_ref_id]"}})'
            )
        for child, nullable, pairing in c.children:
            if pairing != "back_populates":
                continue
            extra = "" if nullable else ", cascade_delete=True, passive_deletes=True"
            relationships.append(
                f'    {plural(child.attr)}: List["{child.name}"] = Relationship(back_populates="{c.attr}"{extra})'
            )
        for r in c.m2m:
            relationships.append(
                f'    {plural(r.attr)}_set: List["{r.name}"] = Relationship('
                f'back_populates="{plural(c.attr)}_set", link_model={c.name}{r.name}Link)'
            )
        for o in c.m2m_of:
            relationships.append(
                f'    {plural(o.attr)}_set: List["{o.name}"] = Relationship('
                f'back_populates="{plural(c.attr)}_set", link_model={o.name}{c.name}Link)'
            )
        if relationships:
            w.add()
            for line in relationships:
                w.add(line)
        w.add()
    return w.text()


def render_core(index, total, classes):
    w = Writer()
    w.add(header("core", index, total).rstrip())
    w.add()
    w.add(
        "from sqlalchemy import Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, "
        "Numeric, String, Table, Text"
    )
    w.add()
    w.add("from genapp.core.meta import metadata")
    for c in classes:
        w.add()
        w.add(f"{c.table} = Table(")
        w.add(f'    "{c.table}",')
        w.add("    metadata,")
        w.add('    Column("id", Integer, primary_key=True),')
        for name, ctype, *_ in c.columns:
            nullable = ", nullable=False" if name in ("name", "code") else ""
            w.add(f'    Column("{name}", {ctype}{nullable}),')
        if c.parent:
            p, nullable, _ = c.parent
            ondelete = "" if nullable else ', ondelete="CASCADE"'
            w.add(
                f'    Column("{p.table}_id", Integer, ForeignKey("{p.table}.id"{ondelete}), nullable={nullable}),'
            )
        if c.second:
            q = c.second
            w.add(f'    Column("{q.table}_ref_id", Integer, ForeignKey("{q.table}.id")),')
        if c.favorite:
            f = c.favorite
            w.add(
                f'    Column("favorite_{f.table}_id", Integer, '
                f'ForeignKey("{f.table}.id", use_alter=True, name="fk_{c.table}_favorite_{f.gid}")),'
            )
        w.add(")")
        if c.parent:
            w.add(f'Index("ix_{c.table}_parent", {c.table}.c.{c.parent[0].table}_id)')
    return w.text()


BASES = {
    "classic": '''"""The declarative base of the classic models."""

import datetime

from sqlalchemy import Column, DateTime, MetaData
from sqlalchemy.orm import declarative_base

Base = declarative_base(metadata=MetaData())


class TimestampMixin:
    updated_at = Column(DateTime, default=datetime.datetime.utcnow)
''',
    "typed": '''"""The declarative base of the typed models."""

import datetime
from typing import Optional

from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    updated_at: Mapped[Optional[datetime.datetime]] = mapped_column(default=None)
''',
    "flask": '''"""The Flask-SQLAlchemy extension."""

from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
''',
    "core": '''"""The MetaData of the Core tables."""

from sqlalchemy import MetaData

metadata = MetaData()
''',
}

ENGINE = '''"""The engine, configured from the environment."""

import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine(os.environ.get("DATABASE_URL", "postgresql+psycopg2://localhost/genapp"))
Session = sessionmaker(bind=engine)
'''

# ----- ordinary files ------------------------------------------------------

PLAIN_FUNCTIONS = [
    '''def parse_{n}(lines: Iterable[str]) -> list[{T}]:
    """Parse `key=value` lines into records."""
    out: list[{T}] = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            log.warning("line %d has no '=': %r", number, line)
            continue
        out.append({T}(key=key.strip(), value=int(value.strip() or 0)))
    return out
''',
    '''def summarize_{n}(records: Iterable[{T}]) -> dict[str, int]:
    totals: dict[str, int] = {{}}
    for record in records:
        totals[record.key] = totals.get(record.key, 0) + record.value
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))
''',
    '''def load_{n}(path: str) -> list[dict[str, Any]]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if isinstance(data, dict):
        data = [data]
    return [item for item in data if isinstance(item, dict)]
''',
    '''def chunked_{n}(items: list[Any], size: int = {k}) -> Iterator[list[Any]]:
    if size <= 0:
        raise ValueError(f"size must be positive, not {{size}}")
    for start in range(0, len(items), size):
        yield items[start : start + size]
''',
    '''def retry_{n}(attempts: int = {k}, delay: float = 0.{k}):
    def decorator(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            last = None
            for attempt in range(attempts):
                try:
                    return function(*args, **kwargs)
                except OSError as error:
                    last = error
                    time.sleep(delay * (2**attempt))
            raise RuntimeError(f"gave up after {{attempts}} attempts") from last

        return wrapper

    return decorator
''',
    '''def render_{n}(record: {T}, width: int = {k}0) -> str:
    tags = ", ".join(sorted(record.tags)) or "-"
    text = f"{{record.key:<{{width}}}} {{record.value:>8}} [{{tags}}]"
    return text if len(text) <= 2 * width else text[: 2 * width - 1] + "~"
''',
    '''def validate_{n}(payload: dict[str, Any]) -> list[str]:
    errors = []
    for name in ("id", "kind", "created"):
        if name not in payload:
            errors.append(f"missing {{name}}")
    if not isinstance(payload.get("items", []), list):
        errors.append("items must be a list")
    elif len(payload.get("items", [])) > MAX_ITEMS:
        errors.append(f"at most {{MAX_ITEMS}} items")
    return errors
''',
    '''class {T}Registry:
    """Keeps {T} records by key, newest last."""

    def __init__(self) -> None:
        self._items: dict[str, {T}] = {{}}
        self._order: list[str] = []

    def add(self, record: {T}) -> None:
        if record.key in self._items:
            self._order.remove(record.key)
        self._items[record.key] = record
        self._order.append(record.key)

    def get(self, key: str) -> Optional[{T}]:
        return self._items.get(key)

    def __len__(self) -> int:
        return len(self._items)

    def newest(self, count: int = {k}) -> list[{T}]:
        return [self._items[key] for key in self._order[-count:]]
''',
]

PLAIN_HIT = '''def evict_{n}(store: Any, keys: Iterable[str]) -> int:
    """Evict cached entries; returns how many were present."""
    removed = 0
    for key in keys:
        if store.delete(key):
            removed += 1
    return removed
'''


def render_plain(index, rng, hit):
    name = NOUNS[rng.randrange(len(NOUNS))]
    t = f"{name}Record"
    parts = [
        f'"""Service helpers for {snake(name).replace("_", " ")}s (module {index})."""',
        "",
        "from __future__ import annotations",
        "",
        "import functools",
        "import json",
        "import logging",
        "import os",
        "import time",
        "from dataclasses import dataclass, field",
        "from typing import Any, Iterable, Iterator, Optional",
        "",
        "log = logging.getLogger(__name__)",
        "",
        f"MAX_ITEMS = {rng.randint(10, 5000)}",
        "",
        "",
        "@dataclass",
        f"class {t}:",
        "    key: str",
        "    value: int = 0",
        "    tags: list[str] = field(default_factory=list)",
        "",
        "    def to_dict(self) -> dict[str, Any]:",
        '        return {"key": self.key, "value": self.value, "tags": list(self.tags)}',
        "",
    ]
    chosen = rng.sample(range(len(PLAIN_FUNCTIONS)), rng.randint(3, 6))
    functions = [PLAIN_FUNCTIONS[i] for i in sorted(chosen)]
    if hit:
        functions.append(PLAIN_HIT)
    for number, template in enumerate(functions):
        parts.append("")
        parts.append(template.format(n=f"{snake(name)}_{number}", T=t, k=rng.randint(2, 9)).rstrip())
        parts.append("")
    return tidy("\n".join(parts))


# ----- driver --------------------------------------------------------------


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="output directory (replaced if it holds a generated workspace)")
    parser.add_argument("--files", type=int, default=2000, help="model files (default 2000)")
    parser.add_argument("--classes-per-file", type=int, default=10, help="classes per model file (default 10)")
    parser.add_argument(
        "--plain-files", type=int, nargs="?", const=20000, default=0,
        help="ordinary non-model files (alone: 20000; default 0)",
    )
    parser.add_argument(
        "--large-file", type=int, default=0, metavar="CLASSES",
        help=f"give the first {STYLES[0]} model file this many classes (the server benchmark's open file)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-bugs", dest="bugs", action="store_false", help="plant no deliberate findings")
    args = parser.parse_args()
    if args.files < len(STYLES):
        parser.error(f"--files must be at least {len(STYLES)}")

    rng = random.Random(args.seed)
    styles = plan(args, rng)
    root = os.path.join(args.out, "genapp")
    if os.path.exists(os.path.join(root, "generated.json")):
        shutil.rmtree(root)
    elif os.path.exists(root):
        parser.error(f"{root} exists and was not generated by this script")

    module_of = {}
    by_file = {}
    for style, classes in styles.items():
        for c in classes:
            module_of[c.name] = f"genapp.{PACKAGES[style]}.m{c.file:04d}"
            by_file.setdefault((style, c.file), []).append(c)

    write(os.path.join(root, "__init__.py"), "")
    write(os.path.join(root, "engine.py"), ENGINE)
    counts = {"model_files": 0, "classes": 0, "tables": 0, "relationships_planned": 0}
    for style, classes in styles.items():
        package = os.path.join(root, PACKAGES[style])
        write(os.path.join(package, "__init__.py"), "")
        if style in BASES:
            write(os.path.join(package, "ext.py" if style == "flask" else
                               ("meta.py" if style == "core" else "base.py")), BASES[style])
        nfiles = max(c.file for c in classes) + 1
        render_rng = random.Random(f"{args.seed}-{style}")
        for f in range(nfiles):
            file_classes = by_file[(style, f)]
            if style in ("classic", "flask"):
                text = render_classic_like(style, f, nfiles, file_classes, module_of)
            elif style == "typed":
                text = render_typed(f, nfiles, file_classes, module_of, render_rng)
            elif style == "sqlmodel":
                text = render_sqlmodel(f, nfiles, file_classes, module_of)
            else:
                text = render_core(f, nfiles, file_classes)
            write(os.path.join(package, f"m{f:04d}.py"), text)
            counts["model_files"] += 1
        for c in classes:
            if style == "core":
                counts["tables"] += 1
            else:
                counts["classes"] += 1
            counts["relationships_planned"] += bool(c.parent) + bool(c.second) + len(c.m2m)

    plain_rng = random.Random(f"{args.seed}-plain")
    hits = 0
    for i in range(args.plain_files):
        package = os.path.join(root, "services", f"p{i // 100:03d}")
        if i % 100 == 0:
            write(os.path.join(package, "__init__.py"), "")
        hit = plain_rng.random() < 0.02
        hits += hit
        write(os.path.join(package, f"s{i:05d}.py"), render_plain(i, plain_rng, hit))
    if args.plain_files:
        write(os.path.join(root, "services", "__init__.py"), "")

    bugs = sorted(c.bug for cs in styles.values() for c in cs if isinstance(c.bug, str))
    manifest = {
        "generator": "tools/generate_workspace.py",
        "seed": args.seed,
        "files": args.files,
        "classes_per_file": args.classes_per_file,
        "plain_files": args.plain_files,
        "large_file": args.large_file,
        "plain_files_passing_prefilter": hits,
        "styles": STYLES,
        "packages": [PACKAGES[s] for s in STYLES],
        "deliberate_findings": bugs,
        **counts,
    }
    write(os.path.join(root, "generated.json"), json.dumps(manifest, indent=2) + "\n")
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
