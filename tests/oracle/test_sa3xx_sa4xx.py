"""SA301-SA305 (constraints and DDL) and SA401-SA405 (flush order and
post_update): what real SQLAlchemy does with each fixture.

Every directory tests/fixtures/rules/SA30x|SA40x/{bad,good}_*/ is picked up.

- A bad case must fail (or waste statements) the way RULES.md says, on the
  objects its `# expect:` lines name, and the documented remedy applied to
  exactly those objects must make it work:
    SA301  drop_all() on PostgreSQL raises CircularDependencyError naming the
           tables of the flagged foreign keys; naming every other foreign key
           does not help, naming the flagged ones does.
    SA302  drop_all() raises CompileError (DROP CONSTRAINT without a name);
           naming the flagged constraint fixes it.
    SA303  PostgreSQL refuses the CREATE TABLE holding the split keys (one
           FOREIGN KEY clause per column); one ForeignKeyConstraint works.
    SA304  PostgreSQL refuses the CREATE TABLE (no unique constraint matching
           given keys); SQLite fails at INSERT (foreign key mismatch); a unique
           constraint on the referred columns fixes it.
    SA305  create_all() raises IdentifierError for the flagged name (of a
           foreign key, or of a unique, primary-key or check constraint or an
           index); a name of 63 characters works.
    SA401  flushing related new objects raises CircularDependencyError; with
           post_update=True on the flagged relationship (and its back_populates
           partner) the flush emits INSERT, INSERT, UPDATE.
    SA402  the flush emits UPDATEs for the flagged relationships' keys;
           without their flag it still flushes, without those UPDATEs.
    SA403  the flush UPDATEs every child row; with the flag moved to the
           many-to-one side it still flushes, with one UPDATE of the parent.
    SA404  the flush follows the INSERT with an UPDATE; without the flag it
           still flushes, with no UPDATE.
    SA405  an INSERT without an id fails (NotNullViolation after an SAWarning
           on PostgreSQL, FlushError on SQLite); autoincrement="ignore_fk"
           gives the column SERIAL and the INSERT works.
- A good case must configure, create_all, flush a realistic graph (every
  relationship set, mutual references included, a tree for self-references,
  a row per Core table) and drop_all on PostgreSQL without any SAWarning.
  On SQLite, drop_all warns "Can't sort tables for DROP" for every table
  cycle, named or not, and fails with "FOREIGN KEY constraint failed" when
  rows of the cycle refer to each other (SQLite drops tables without ALTER):
  both are SQLite's behaviour, accepted only for schemas with a table cycle.
- expected_ddl/<RULE>__<case>.sql holds the create_all()/drop_all() DDL on
  PostgreSQL of every fixture whose schema needs ALTER TABLE (a cycle or
  use_alter). SQLALCHEMY_ORACLE_UPDATE_DDL=1 rewrites the files.
- The seeds and REFERENCE-SQL.md: their SQL and error texts, verbatim.
- Marker `analyzer`: the analyzer reports exactly the `# expect:` lines, good
  cases stay silent for every rule, and its fixes (`check --fix`, or
  `--unsafe-fixes` where only unsafe ones exist) silence the rule and make
  real SQLAlchemy behave.

SQLAlchemy 2.0.58 and 2.1.9 behave identically for every case here.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from harness import (
    ORACLE_DIR,
    Case,
    analyzer_bin,
    analyzer_check,
    attribute_at,
    describe,
    discover_cases,
    probe_body,
    run_case,
    sa_warnings,
)

RULES = ["SA301", "SA302", "SA303", "SA304", "SA305", "SA401", "SA402", "SA403", "SA404", "SA405"]
CASES = [c for c in discover_cases("SA3") + discover_cases("SA4") if c.rule in RULES]
BAD = [c for c in CASES if c.bad]
GOOD = [c for c in CASES if not c.bad]
BY_ID = {c.id: c for c in CASES}

CYCLES_BODY = ORACLE_DIR / "_cycles_body.py"
EXPECTED_DDL = ORACLE_DIR / "expected_ddl"
UPDATE_DDL = os.environ.get("SQLALCHEMY_ORACLE_UPDATE_DDL") == "1"

FK_CALLS = ("ForeignKey", "ForeignKeyConstraint", "Field")
RELATIONSHIP_CALLS = ("relationship", "Relationship")
COLUMN_CALLS = ("Column", "mapped_column")


def ids(cases):
    return [c.id for c in cases]


def body(code: str, **constants) -> str:
    """The probe, the SA3xx/SA4xx helpers, the constants (as JSON), then code."""
    head = "".join(f"{name} = json.loads({json.dumps(json.dumps(value))})\n" for name, value in constants.items())
    return probe_body("") + "\n" + CYCLES_BODY.read_text(encoding="utf-8") + "\nimport json\n" + head + code


@pytest.fixture
def new_pg(pg_cluster):
    """Gives empty PostgreSQL databases (several runs in one test)."""
    names = []

    def make() -> str:
        names.append(pg_cluster.lease_database())
        return pg_cluster.database_url(names[-1])

    yield make
    for name in names:
        pg_cluster.release_database(name)


@pytest.fixture
def new_sqlite(tmp_path):
    counter = iter(range(1000))
    return lambda: f"sqlite:///{tmp_path / f'oracle_{next(counter)}.db'}"


# --------------------------------------------------------------------------
# reading the fixtures' source


def _func_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _parents(tree):
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def call_at(tree, line: int, names) -> ast.Call:
    calls = [
        n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno == line and _func_name(n) in names
    ]
    assert calls, f"no {'/'.join(names)}( call starts on line {line}"
    return min(calls, key=lambda n: n.col_offset)


def _const(node):
    return node.value if isinstance(node, ast.Constant) else None


def _keyword(call: ast.Call, name: str):
    return next((k for k in call.keywords if k.arg == name), None)


def _owner(tree, node):
    """{"table": name} for a Core Table(...), {"class": name} for a class body."""
    parents = _parents(tree)
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Call) and _func_name(node) == "Table" and node.args and _const(node.args[0]):
            return {"table": _const(node.args[0]), "class": None}
        if isinstance(node, ast.ClassDef):
            return {"table": None, "class": node.name}
    raise AssertionError("a foreign key outside any Table(...) or class")


def _assigned_name(tree, node):
    parents = _parents(tree)
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            return node.target.id
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            return node.targets[0].id
    return None


def _column_name(tree, column_call: ast.Call):
    first = column_call.args[0] if column_call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    name = _keyword(column_call, "name")
    if name is not None and _const(name.value):
        return _const(name.value)
    return _assigned_name(tree, column_call)


def fk_spec(case: Case, expect) -> dict:
    """What a `# expect: SA30x` line names: the owner (class or table), the
    local columns, the referred "table.column"s and the explicit name."""
    file = case.path / expect.path
    tree = ast.parse(file.read_text(encoding="utf-8"))
    call = call_at(tree, expect.line, FK_CALLS)
    spec = {**_owner(tree, call), "file": expect.path, "line": expect.line, "kind": _func_name(call)}
    name = _keyword(call, "name")
    spec["name"] = _const(name.value) if name is not None else None
    if spec["kind"] == "ForeignKeyConstraint":
        spec["columns"] = [_const(e) for e in call.args[0].elts]
        spec["targets"] = [_const(e) for e in call.args[1].elts]
    elif spec["kind"] == "ForeignKey":
        spec["targets"] = [_const(call.args[0])]
        parents = _parents(tree)
        column_call = parents[call]
        assert isinstance(column_call, ast.Call) and _func_name(column_call) in COLUMN_CALLS, ast.dump(column_call)
        spec["columns"] = [_column_name(tree, column_call)]
    else:  # SQLModel Field(foreign_key=...)
        spec["targets"] = [_const(_keyword(call, "foreign_key").value)]
        spec["columns"] = [_assigned_name(tree, call)]
    assert all(spec["targets"]) and all(spec["columns"]), spec
    return spec


def column_spec(case: Case, expect) -> dict:
    """What a `# expect: SA405` line names: the primary-key column and its table."""
    file = case.path / expect.path
    tree = ast.parse(file.read_text(encoding="utf-8"))
    call = call_at(tree, expect.line, COLUMN_CALLS)
    return {**_owner(tree, call), "column": _column_name(tree, call), "file": expect.path, "line": expect.line}


def relationship_at(case: Case, expect) -> dict:
    attr = attribute_at(case.path / expect.path, expect.line)
    assert attr is not None, f"{case.id}: {expect.path}:{expect.line} is not a class attribute"
    return {"class": attr.cls, "key": attr.key, "file": expect.path, "line": expect.line}


def expects_of(case: Case, code: str | None = None):
    return [e for e in case.expects() if e.code == (code or case.rule)]


# --------------------------------------------------------------------------
# editing a copy of a case (the remedy RULES.md names, applied by hand)


def _offset(source: str, line: int, col: int) -> int:
    starts = [0]
    for text in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(text))
    return starts[line - 1] + col


def _find_call(source: str, line: int | None = None, cls: str | None = None, key: str | None = None, names=()):
    tree = ast.parse(source)
    if line is not None:
        return call_at(tree, line, names)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for stmt in node.body:
                target = stmt.target if isinstance(stmt, ast.AnnAssign) else (
                    stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
                )
                if isinstance(target, ast.Name) and target.id == key and isinstance(stmt.value, ast.Call):
                    return stmt.value
    raise AssertionError(f"no {cls}.{key} = ...(...) in the source")


def add_keyword(source: str, call: ast.Call, name: str, value: str) -> str:
    """`name=value` added to the call (SQLModel's Relationship: to its
    sa_relationship_kwargs)."""
    if _func_name(call) == "Relationship":
        kwargs = _keyword(call, "sa_relationship_kwargs")
        if kwargs is not None and isinstance(kwargs.value, ast.Dict):
            at = _offset(source, kwargs.value.lineno, kwargs.value.col_offset) + 1
            return source[:at] + f'"{name}": {value}, ' + source[at:]
        text = f"sa_relationship_kwargs={{{name!r}: {value}}}"
    else:
        text = f"{name}={value}"
    end = _offset(source, call.end_lineno, call.end_col_offset) - 1
    assert source[end] == ")", source[end - 20 : end + 1]
    j = end - 1
    while source[j].isspace():
        j -= 1
    if source[j] == ",":
        insert = f" {text},"
    elif source[j] == "(":
        insert = text
    else:
        insert = f", {text}"
    return source[: j + 1] + insert + source[j + 1 :]


def remove_keyword(source: str, call: ast.Call, name: str) -> str:
    keyword = _keyword(call, name)
    assert keyword is not None, f"no {name}= in the call"
    items = sorted([*call.args, *call.keywords], key=lambda n: (n.lineno, n.col_offset))
    position = items.index(keyword)
    start = _offset(source, keyword.lineno, keyword.col_offset)
    end = _offset(source, keyword.end_lineno, keyword.end_col_offset)
    if position > 0:
        previous = items[position - 1]
        start = _offset(source, previous.end_lineno, previous.end_col_offset)
    elif position + 1 < len(items):
        following = items[position + 1]
        end = _offset(source, following.lineno, following.col_offset)
    return source[:start] + source[end:]


def copy_case(case: Case, root: Path) -> Case:
    target = root / f"{case.rule}_{case.name}"
    shutil.copytree(case.path, target, ignore=shutil.ignore_patterns("__pycache__", "*.txt", "*.diff"))
    return Case(case.rule, case.name, target)


def find_class_file(case: Case, cls: str) -> Path:
    for file in case.py_files():
        if re.search(rf"^class {cls}\b", file.read_text(encoding="utf-8"), re.M):
            return file
    raise AssertionError(f"{case.id}: no class {cls}")


def edit_relationship(case: Case, cls: str, key: str, action: str) -> None:
    file = find_class_file(case, cls)
    source = file.read_text(encoding="utf-8")
    call = _find_call(source, cls=cls, key=key)
    if action == "add_post_update":
        source = add_keyword(source, call, "post_update", "True")
    else:
        source = remove_keyword(source, call, "post_update")
    file.write_text(source, encoding="utf-8")


# --------------------------------------------------------------------------
# the fixture set itself


def test_cases_found():
    assert len(BAD) >= 20 and len(GOOD) >= 20, (len(BAD), len(GOOD))


@pytest.mark.parametrize("rule", RULES)
def test_rule_has_enough_cases(rule):
    bad = [c for c in BAD if c.rule == rule]
    good = [c for c in GOOD if c.rule == rule]
    assert len(bad) >= 2, f"{rule}: {len(bad)} bad case(s) under tests/fixtures/rules/{rule}/"
    assert len(good) >= 2, f"{rule}: {len(good)} good case(s) under tests/fixtures/rules/{rule}/"
    multi_file = [
        c
        for c in bad + good
        if sum(bool(re.search(r"^class |\bTable\(", p.read_text(), re.M)) for p in c.py_files()) >= 2
    ]
    assert multi_file, f"{rule}: no case spreads its models over two files"


# The seeds and REFERENCE-SQL.md, and the good cases the issue asks for.
REQUIRED_CASES = {
    "SA301/bad_department_employee": "REFERENCE-SQL.md: the department/employee cycle, both FKs unnamed",
    "SA301/bad_node_element_core": "seed 003: node/element with neither constraint named",
    "SA301/good_one_named_node_element": "seed 003: one named FK that drop_all can break",
    "SA301/good_all_named": "a cycle whose FKs are all named",
    "SA301/good_naming_convention": "a cycle broken by a naming convention",
    "SA301/good_self_referential": "a self-referential FK is no cycle",
    "SA302/bad_node_element_use_alter": "seed 003: use_alter without a name",
    "SA302/good_node_element_use_alter_named": "seed 003: use_alter with a name",
    "SA303/bad_invoice_item_split": "seed 003: invoice/invoice_item split into two ForeignKeys",
    "SA303/good_invoice_item_constraint": "seed 003: the composite ForeignKeyConstraint",
    "SA401/bad_widget_entry": "seed 002: Widget/Entry without post_update",
    "SA401/good_widget_entry_post_update": "seed 002: post_update on favorite_entry",
    "SA401/good_adjacency_list": "a self-referential adjacency list without post_update",
    "SA405/good_widget_favorite_ignore_fk": "seed 002: the composite FK with autoincrement='ignore_fk'",
}


@pytest.mark.parametrize("case_id", sorted(REQUIRED_CASES))
def test_required_case_exists(case_id):
    assert case_id in BY_ID, f"missing fixture {case_id}: {REQUIRED_CASES[case_id]}"


def _anchor_ok(case: Case, expect) -> str | None:
    """None when the marker sits where RULES.md anchors the rule, else why not."""
    file = case.path / expect.path
    tree = ast.parse(file.read_text(encoding="utf-8"))
    if expect.code == "SA405":
        names = COLUMN_CALLS
    elif expect.code == "SA305":
        # A foreign key's name, or a unique, primary-key or check
        # constraint's or an index's, on its own call.
        names = FK_CALLS + TABLE_ITEM_CALLS
    elif expect.code.startswith("SA3"):
        names = FK_CALLS
    else:
        names = RELATIONSHIP_CALLS
    try:
        call = call_at(tree, expect.line, names)
    except AssertionError as exc:
        return str(exc)
    if expect.code == "SA405":
        primary = _keyword(call, "primary_key")
        if primary is None or _const(primary.value) is not True:
            return "SA405 is anchored on the primary-key column's Column(/mapped_column( call"
    if expect.code.startswith("SA4") and expect.code != "SA405":
        if attribute_at(file, expect.line) is None:
            return "not a class attribute"
    return None


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_expect_markers(case):
    expects = case.expects()
    if case.bad:
        assert expects_of(case), f"{case.id}: no `# expect: {case.rule}` marker"
        for e in expects:
            problem = _anchor_ok(case, e)
            assert problem is None, f"{case.id}: {e.path}:{e.line} ({e.code}): {problem}"
    else:
        assert not expects, f"{case.id}: a good case carries expect markers: {expects}"


# --------------------------------------------------------------------------
# real SQLAlchemy on the bad cases

DDL_CODE = """
fkcs = find_fk_constraints(SPECS)
if MODE == "name_marked":
    name_constraints(fkcs)
elif MODE == "name_others":
    others = [
        f for t in _all_tables() for f in t.foreign_key_constraints
        if f.name is None and not any(f is m for m in fkcs)
    ]
    result["others"] = [describe_fkc(f) for f in others]
    name_constraints(others)
elif MODE == "composite":
    from sqlalchemy import ForeignKeyConstraint
    table = fkcs[0].table
    for fkc in fkcs:
        table.constraints.discard(fkc)
        for element in fkc.elements:
            element.parent.foreign_keys.discard(element)
            table.foreign_keys.discard(element)
    table.append_constraint(ForeignKeyConstraint(
        [c for f in fkcs for c in _fkc_columns(f)], [t for f in fkcs for t in _fkc_targets(f)]
    ))
elif MODE == "unique":
    from sqlalchemy import UniqueConstraint
    for fkc in fkcs:
        fkc.elements[0].column.table.append_constraint(
            UniqueConstraint(*[e.column.name for e in fkc.elements])
        )
elif MODE == "shorten":
    for fkc in fkcs:
        fkc.name = str(fkc.name)[:63]
result["marked"] = [describe_fkc(f) for f in fkcs]
referred = {}
for fkc in fkcs:
    table = fkc.elements[0].column.table
    referred[table.name] = {
        "primary_key": [c.name for c in table.primary_key.columns],
        "unique": sorted(
            sorted(c.name for c in u.columns)
            for u in table.constraints if type(u).__name__ == "UniqueConstraint"
        ) + sorted(sorted(c.name for c in i.columns) for i in table.indexes if i.unique),
    }
result["referred"] = referred
def _insert(engine):
    set_stage("insert")
    try:
        result["inserted"] = insert_core_rows(engine, include_mapped=True)
    except Exception as exc:
        result["insert_error"] = _error_text(exc)
    set_stage("ddl")
set_stage("ddl")
engine = make_engine()
ddl_run(engine, between=_insert if INSERT else None)
engine.dispose()
"""


def ddl_case(case, url, mode="as_is", insert=False, specs=None):
    specs = specs if specs is not None else [fk_spec(case, e) for e in expects_of(case)]
    result = run_case(case.path, body(DDL_CODE, SPECS=specs, MODE=mode, INSERT=insert), db_url=url)
    assert "error_type" not in result, describe(result)
    return result


def _tables_of(marked):
    return {m["table"] for m in marked} | {m["referred_table"] for m in marked}


DROP_CYCLE_RE = re.compile(
    r"^CircularDependencyError: Can't sort tables for DROP; an unresolvable foreign key dependency exists "
    r"between tables: (?P<tables>[\w., ]+)\. Please ensure that the ForeignKey and ForeignKeyConstraint objects "
    r"involved in the cycle have names so that they can be dropped using DROP CONSTRAINT\.$"
)


def check_sa301(case, new_pg, new_sqlite):
    result = ddl_case(case, new_pg())
    assert result["create_error"] is None, describe(result)
    marked = result["marked"]
    assert all(m["name"] is None and not m["use_alter"] for m in marked), marked
    match = DROP_CYCLE_RE.match(result["drop_error"] or "")
    assert match, describe(result)
    assert set(match.group("tables").split(", ")) == _tables_of(marked), (match.group("tables"), marked)
    # every ALTER of the cycle is an unnamed "ADD FOREIGN KEY"
    for m in marked:
        assert any(
            s.startswith(f"ALTER TABLE {m['table']} ADD FOREIGN KEY({', '.join(m['columns'])})")
            for s in result["create"]
        ), result["create"]

    # naming every other foreign key does not help ...
    others = ddl_case(case, new_pg(), mode="name_others")
    if others["others"]:
        assert DROP_CYCLE_RE.match(others["drop_error"] or ""), describe(others)
    # ... naming the flagged ones does
    named = ddl_case(case, new_pg(), mode="name_marked")
    assert named["create_error"] is None and named["drop_error"] is None, describe(named)
    for m in named["marked"]:
        assert f"ALTER TABLE {m['table']} DROP CONSTRAINT {m['name']}" in named["drop"], named["drop"]

    # SQLite drops without ALTER: a warning, not this error
    lite = ddl_case(case, new_sqlite())
    assert lite["drop_error"] is None, describe(lite)
    assert any(
        "Can't sort tables for DROP; an unresolvable foreign key dependency exists between tables" in w
        and "and backend does not support ALTER" in w
        for w in sa_warnings(lite, stage="ddl")
    ), describe(lite)


def check_sa302(case, new_pg, new_sqlite):
    result = ddl_case(case, new_pg())
    assert result["create_error"] is None, describe(result)
    marked = result["marked"]
    assert all(m["name"] is None and m["use_alter"] for m in marked), marked
    assert result["drop_error"] == (
        "CompileError: Can't emit DROP CONSTRAINT for constraint ForeignKeyConstraint(...); it has no name"
    ), describe(result)
    for m in marked:
        assert f"ALTER TABLE {m['table']} ADD FOREIGN KEY({', '.join(m['columns'])})" in " ".join(result["create"])
    named = ddl_case(case, new_pg(), mode="name_marked")
    assert named["drop_error"] is None, describe(named)
    for m in named["marked"]:
        assert named["drop"][0].startswith("ALTER TABLE") and (
            f"ALTER TABLE {m['table']} DROP CONSTRAINT {m['name']}" in named["drop"]
        ), named["drop"]
    # SQLite ignores use_alter (the constraint is inline, nothing to drop)
    lite = ddl_case(case, new_sqlite())
    assert lite["drop_error"] is None, describe(lite)


NO_UNIQUE = 'there is no unique constraint matching given keys for referenced table "{}"'


def _refused_create(result, holder, referred):
    error = result["create_error"] or ""
    assert error.startswith("ProgrammingError: (psycopg.errors.InvalidForeignKey) " + NO_UNIQUE.format(referred)), (
        describe(result)
    )
    failed = result["create"][-1]
    assert failed.startswith(f"CREATE TABLE {holder} ("), result["create"]
    return failed


def check_sa303(case, new_pg, new_sqlite):
    result = ddl_case(case, new_pg())
    marked = result["marked"]
    holders = {m["table"] for m in marked}
    referred = {m["referred_table"] for m in marked}
    assert len(holders) == 1 and len(referred) == 1 and len(marked) >= 2, marked
    (holder,), (target,) = holders, referred
    # premise: together the referred columns are the composite primary key
    primary_key = result["referred"][target]["primary_key"]
    referred_columns = [t.rsplit(".", 1)[1] for m in marked for t in m["targets"]]
    assert len(primary_key) >= 2 and set(referred_columns) <= set(primary_key), (primary_key, referred_columns)
    assert all(len(m["columns"]) == 1 for m in marked), "SQLAlchemy made one constraint per column"
    failed = _refused_create(result, holder, target)
    for m in marked:
        clause = f"FOREIGN KEY({m['columns'][0]}) REFERENCES {target} ({m['targets'][0].rsplit('.', 1)[1]})"
        assert clause in failed, failed
    # one ForeignKeyConstraint over the same columns works
    fixed = ddl_case(case, new_pg(), mode="composite", insert=True)
    assert fixed["create_error"] is None and fixed["drop_error"] is None, describe(fixed)
    columns = ", ".join(c for m in marked for c in m["columns"])
    assert any(f"FOREIGN KEY({columns}) REFERENCES {target} (" in s for s in fixed["create"]), fixed["create"]
    assert "insert_error" not in fixed, describe(fixed)
    # SQLite accepts the DDL and refuses the first INSERT into the table
    lite = ddl_case(case, new_sqlite(), insert=True)
    assert lite["create_error"] is None, describe(lite)
    assert (lite.get("insert_error") or "").startswith(
        f'OperationalError: (sqlite3.OperationalError) foreign key mismatch - "{holder}" referencing "{target}"'
    ), describe(lite)


def check_sa304(case, new_pg, new_sqlite):
    result = ddl_case(case, new_pg())
    for m in result["marked"]:
        info = result["referred"][m["referred_table"]]
        columns = sorted(t.rsplit(".", 1)[1] for t in m["targets"])
        assert columns != sorted(info["primary_key"]) and columns not in info["unique"], (m, info)
        failed = _refused_create(result, m["table"], m["referred_table"])
        assert f"FOREIGN KEY({', '.join(m['columns'])}) REFERENCES {m['referred_table']} (" in failed
    fixed = ddl_case(case, new_pg(), mode="unique", insert=True)
    assert fixed["create_error"] is None and fixed["drop_error"] is None, describe(fixed)
    assert "insert_error" not in fixed, describe(fixed)
    lite = ddl_case(case, new_sqlite(), insert=True)
    assert lite["create_error"] is None, describe(lite)
    m = result["marked"][0]
    assert (lite.get("insert_error") or "").startswith(
        f'OperationalError: (sqlite3.OperationalError) foreign key mismatch - "{m["table"]}" '
        f'referencing "{m["referred_table"]}"'
    ), describe(lite)


TABLE_ITEM_CALLS = ("UniqueConstraint", "PrimaryKeyConstraint", "CheckConstraint", "Index")


def table_item_name(case: Case, expect) -> str | None:
    """The name written on the unique, primary-key or check constraint or
    index a `# expect: SA305` line starts, if it starts one."""
    tree = ast.parse((case.path / expect.path).read_text(encoding="utf-8"))
    try:
        call = call_at(tree, expect.line, TABLE_ITEM_CALLS)
    except AssertionError:
        return None
    name = _keyword(call, "name")
    if name is None and _func_name(call) == "Index":
        return _const(call.args[0])
    return _const(name.value) if name is not None else None


ITEM_NAMES_CODE = """
if SHORTEN:
    for table in _all_tables():
        for item in list(table.constraints) + list(table.indexes):
            if item.name is not None and str(item.name) in NAMES:
                item.name = str(item.name)[:63]
set_stage("ddl")
engine = make_engine()
ddl_run(engine)
engine.dispose()
"""


def check_sa305_table_items(case, new_pg, new_sqlite, names):
    """Unique, primary-key and check constraints and indexes: create_all()
    raises IdentifierError for a flagged name; with every flagged name cut to
    63 characters the schema is created and dropped."""
    assert all(n and len(n) > 63 for n in names), names

    def run(url, shorten):
        result = run_case(case.path, body(ITEM_NAMES_CODE, NAMES=names, SHORTEN=shorten), db_url=url)
        assert "error_type" not in result, describe(result)
        return result

    result = run(new_pg(), False)
    assert result["create_error"] in {
        f"IdentifierError: Identifier '{n}' exceeds maximum length of 63 characters" for n in names
    }, describe(result)
    fixed = run(new_pg(), True)
    assert fixed["create_error"] is None and fixed["drop_error"] is None, describe(fixed)
    created = " ".join(fixed["create"])
    for n in names:
        assert f"CONSTRAINT {n[:63]} " in created or f"INDEX {n[:63]} " in created, created
    # SQLite has no identifier limit
    lite = run(new_sqlite(), False)
    assert lite["create_error"] is None and lite["drop_error"] is None, describe(lite)


def check_sa305(case, new_pg, new_sqlite):
    item_names = [table_item_name(case, e) for e in expects_of(case)]
    if any(item_names):
        assert all(item_names), "a case flags table constraints or foreign keys, not both"
        check_sa305_table_items(case, new_pg, new_sqlite, item_names)
        return
    specs = [fk_spec(case, e) for e in expects_of(case)]
    result = ddl_case(case, new_pg(), specs=specs)
    names = [s["name"] for s in specs]
    assert all(n and len(n) > 63 for n in names), names
    assert [m["name"] for m in result["marked"]] == names, "the name is used as written"
    assert result["create_error"] in {
        f"IdentifierError: Identifier '{n}' exceeds maximum length of 63 characters" for n in names
    }, describe(result)
    fixed = ddl_case(case, new_pg(), mode="shorten", specs=specs)
    assert fixed["create_error"] is None and fixed["drop_error"] is None, describe(fixed)
    for n in names:
        assert any(f"CONSTRAINT {n[:63]} FOREIGN KEY" in s for s in fixed["create"]), fixed["create"]
    # SQLite has no identifier limit
    lite = ddl_case(case, new_sqlite(), specs=specs)
    assert lite["create_error"] is None and lite["drop_error"] is None, describe(lite)


FLUSH_CODE = """
from sqlalchemy.orm import Session, configure_mappers
configure_mappers()
result["marked"] = [rel_info(r["class"], r["key"]) for r in MARKED]
if MOVE_TARGETS:
    result["many_to_one"] = [many_to_one_partners(r["class"], r["key"]) for r in MARKED]
engine = make_engine()
set_stage("create_all")
for md in all_metadata():
    md.create_all(engine)
set_stage("flush")
with capture_dml(engine) as dml:
    try:
        with Session(engine) as session:
            session.add_all(flush_graph(extra_children=EXTRA))
            session.commit()
        result["flush"] = "ok"
    except Exception as exc:
        result["flush"] = _error_text(exc)
result["dml"] = dml
engine.dispose()
"""


def flush_case(case, url, marked, extra=0, move_targets=False):
    result = run_case(
        case.path, body(FLUSH_CODE, MARKED=marked, EXTRA=extra, MOVE_TARGETS=move_targets), db_url=url
    )
    assert "error_type" not in result, describe(result)
    return result


def _updates_of(dml, table, columns):
    return [
        s
        for s in dml
        if s["verb"] == "UPDATE" and s["table"] == table and any(f"SET {c}=" in s["sql"] for c in columns)
    ]


def check_sa401(case, new_pg, new_sqlite, tmp_path):
    marked = [relationship_at(case, e) for e in expects_of(case)]
    for url in (new_pg(), new_sqlite()):
        result = flush_case(case, url, marked)
        assert result["flush"].startswith("CircularDependencyError: Circular dependency detected."), describe(result)
        assert not [s for s in result["dml"] if s["verb"] == "INSERT"], "nothing reaches the database"
        for info in result["marked"]:
            assert not info["post_update"] or any(not r["post_update"] for r in info["reverse"]), info
    # the remedy: post_update on the flagged relationship and on its partner
    fixed = copy_case(case, tmp_path)
    for info in result["marked"]:
        for rel in [info, *info["reverse"]]:
            if not rel["post_update"]:
                edit_relationship(fixed, rel["class"], rel["key"], "add_post_update")
    for url in (new_pg(), new_sqlite()):
        after = flush_case(fixed, url, marked)
        assert after["flush"] == "ok", describe(after)
        # one INSERT per class of the cycle, then the UPDATE that closes it
        verbs = [s["verb"] for s in after["dml"]]
        assert len(verbs) >= 3 and verbs == ["INSERT"] * (len(verbs) - 1) + ["UPDATE"], after["dml"]
        tables = [s["table"] for s in after["dml"][:-1]]
        assert len(set(tables)) == len(tables), tables
        for info in after["marked"]:
            assert info["holder"] in tables
            assert _updates_of(after["dml"][-1:], info["holder"], info["fk_columns"]), after["dml"]


def check_sa402(case, new_pg, new_sqlite, tmp_path):
    marked = [relationship_at(case, e) for e in expects_of(case)]
    before = flush_case(case, new_pg(), marked, extra=1)
    assert before["flush"] == "ok", describe(before)
    extra = []
    for info in before["marked"]:
        assert info["post_update"], info
        updates = _updates_of(before["dml"], info["holder"], info["fk_columns"])
        assert updates, (info, before["dml"])
        extra.extend(updates)
    fixed = copy_case(case, tmp_path)
    for rel in marked:
        edit_relationship(fixed, rel["class"], rel["key"], "remove_post_update")
    for url in (new_pg(), new_sqlite()):
        after = flush_case(fixed, url, marked, extra=1)
        assert after["flush"] == "ok", describe(after)
        for info in after["marked"]:
            assert not _updates_of(after["dml"], info["holder"], info["fk_columns"]), after["dml"]
        assert sum(s["rows"] for s in after["dml"] if s["verb"] == "UPDATE") < sum(
            s["rows"] for s in before["dml"] if s["verb"] == "UPDATE"
        )


def check_sa403(case, new_pg, new_sqlite, tmp_path):
    marked = [relationship_at(case, e) for e in expects_of(case)]
    before = flush_case(case, new_pg(), marked, extra=2, move_targets=True)
    assert before["flush"] == "ok", describe(before)
    targets = []
    for info, candidates in zip(before["marked"], before["many_to_one"]):
        assert info["direction"] == "ONETOMANY" and info["post_update"], info
        # every child row gets its own UPDATE (1 + 2 extra children)
        updates = _updates_of(before["dml"], info["holder"], info["fk_columns"])
        assert sum(s["rows"] for s in updates) == 3, before["dml"]
        assert candidates, f"{info['class']}.{info['key']}: no many-to-one side to move the flag to"
        targets.append(candidates[0])
    fixed = copy_case(case, tmp_path)
    for rel in marked:
        edit_relationship(fixed, rel["class"], rel["key"], "remove_post_update")
    for target in targets:
        for rel in [target, *target["reverse"]]:
            edit_relationship(fixed, rel["class"], rel["key"], "add_post_update")
    for url in (new_pg(), new_sqlite()):
        after = flush_case(fixed, url, marked, extra=2)
        assert after["flush"] == "ok", describe(after)
        for info in after["marked"]:
            assert not _updates_of(after["dml"], info["holder"], info["fk_columns"]), after["dml"]
        for target in targets:
            updates = _updates_of(after["dml"], target["holder"], target["fk_columns"])
            assert sum(s["rows"] for s in updates) == 1, after["dml"]


def check_sa404(case, new_pg, new_sqlite, tmp_path):
    marked = [relationship_at(case, e) for e in expects_of(case)]
    before = flush_case(case, new_pg(), marked)
    assert before["flush"] == "ok", describe(before)
    for info in before["marked"]:
        assert info["post_update"], info
        updates = _updates_of(before["dml"], info["holder"], info["fk_columns"])
        assert updates, before["dml"]
        inserts = [i for i, s in enumerate(before["dml"]) if s["verb"] == "INSERT"]
        assert before["dml"].index(updates[0]) > max(inserts), "the UPDATE follows the INSERTs"
    fixed = copy_case(case, tmp_path)
    for rel in marked:
        edit_relationship(fixed, rel["class"], rel["key"], "remove_post_update")
    for url in (new_pg(), new_sqlite()):
        after = flush_case(fixed, url, marked)
        assert after["flush"] == "ok", describe(after)
        assert [s["verb"] for s in after["dml"]] == ["INSERT"] * len(after["dml"]), after["dml"]


INSERT_CODE = """
from sqlalchemy import insert
from sqlalchemy.orm import Session
table = _owner_table(COLUMN)
column = table.c[COLUMN["column"]]
result["autoincrement_column"] = getattr(table.autoincrement_column, "name", None)
mapped = [c for c in mapped_classes() if table in c.__mapper__.tables]
engine = make_engine()
set_stage("create_all")
with capture_sql(engine) as ddl:
    for md in all_metadata():
        md.create_all(engine)
result["create"] = [s for s in _ddl(ddl) if s.startswith(f"CREATE TABLE {table.name} ")]
set_stage("insert")
values = {}
for serial, c in enumerate(table.columns, start=1):
    if c is not column and not c.nullable and not c.foreign_keys and c.default is None:
        values[c.key] = _dummy_value(c, serial)
try:
    if mapped:
        cls = mapped[0]
        obj = cls(**{p.key: values[p.columns[0].key] for p in cls.__mapper__.column_attrs if p.columns[0].key in values})
        with Session(engine) as session:
            session.add(obj)
            session.flush()
            result["id"] = getattr(obj, cls.__mapper__.get_property_by_column(column).key)
            session.commit()
    else:
        with engine.begin() as conn:
            result["id"] = conn.execute(insert(table).values(**values)).inserted_primary_key[0]
    result["insert"] = "ok"
except Exception as exc:
    result["insert"] = _error_text(exc)
result["orm"] = bool(mapped)
engine.dispose()
"""


def insert_case(case, url, spec):
    result = run_case(case.path, body(INSERT_CODE, COLUMN=spec), db_url=url)
    assert "error_type" not in result, describe(result)
    return result


def check_sa405(case, new_pg, new_sqlite, tmp_path):
    (expect,) = expects_of(case)
    spec = column_spec(case, expect)
    column = spec["column"]
    pg = insert_case(case, new_pg(), spec)
    assert len(pg["create"]) == 1, describe(pg)
    table = pg["create"][0].split(" ")[2]
    assert pg["autoincrement_column"] is None, describe(pg)
    assert f"{column} INTEGER NOT NULL" in pg["create"][0] and "SERIAL" not in pg["create"][0], pg["create"]
    assert pg["insert"].startswith(
        "IntegrityError: (psycopg.errors.NotNullViolation) null value in column "
        f'"{column}" of relation "{table}" violates not-null constraint'
    ), describe(pg)
    if pg["orm"]:
        assert any(
            w.startswith(
                f"Column '{table}.{column}' is marked as a member of the primary key for table '{table}', "
                "but has no Python-side or server-side default generator indicated"
            )
            for w in sa_warnings(pg, stage="insert")
        ), describe(pg)
    lite = insert_case(case, new_sqlite(), spec)
    if lite["orm"]:
        assert lite["insert"].startswith("FlushError: Instance <") and "has a NULL identity key" in lite["insert"], (
            describe(lite)
        )
    else:
        # SQLite's INTEGER PRIMARY KEY fills it in, but SQLAlchemy does not know the id
        assert lite["insert"] == "ok" and lite["id"] is None, describe(lite)
    # the remedy: autoincrement="ignore_fk"
    fixed = copy_case(case, tmp_path)
    file = fixed.path / expect.path
    source = file.read_text(encoding="utf-8")
    file.write_text(
        add_keyword(source, _find_call(source, line=expect.line, names=COLUMN_CALLS), "autoincrement", '"ignore_fk"'),
        encoding="utf-8",
    )
    after = insert_case(fixed, new_pg(), spec)
    assert after["autoincrement_column"] == column, describe(after)
    assert f"{column} SERIAL NOT NULL" in after["create"][0], after["create"]
    assert after["insert"] == "ok" and after["id"] == 1, describe(after)
    lite = insert_case(fixed, new_sqlite(), spec)
    assert lite["insert"] == "ok" and lite["id"] == 1, describe(lite)


CHECKS = {
    "SA301": check_sa301,
    "SA302": check_sa302,
    "SA303": check_sa303,
    "SA304": check_sa304,
    "SA305": check_sa305,
    "SA401": check_sa401,
    "SA402": check_sa402,
    "SA403": check_sa403,
    "SA404": check_sa404,
    "SA405": check_sa405,
}


@pytest.mark.parametrize("case", BAD, ids=ids(BAD))
def test_bad_case_in_sqlalchemy(case, new_pg, new_sqlite, tmp_path):
    check = CHECKS[case.rule]
    if case.rule.startswith("SA30"):
        check(case, new_pg, new_sqlite)
    else:
        check(case, new_pg, new_sqlite, tmp_path)


# --------------------------------------------------------------------------
# real SQLAlchemy on the good cases

GOOD_CODE = """
from sqlalchemy.orm import Session, configure_mappers
result["stages"] = {}
def _run(name, fn):
    result["stages"][name] = "running"
    set_stage(name)
    try:
        value = fn()
    except Exception as exc:
        result["stages"][name] = "failed"
        result.setdefault("errors", {})[name] = _error_text(exc)
        return None
    result["stages"][name] = "ok"
    return value

def _flush():
    with capture_dml(engine) as dml:
        with Session(engine) as session:
            session.add_all(flush_graph(extra_children=1, self_references=True))
            session.commit()
    result["flush_dml"] = [s["sql"][:60] for s in dml]

_run("configure", configure_mappers)
result["cycles"] = table_cycles()
if result["stages"]["configure"] == "ok":
    engine = make_engine()
    _run("create_all", lambda: [md.create_all(engine) for md in all_metadata()])
    if result["stages"]["create_all"] == "ok":
        _run("flush", _flush)
        result["core_rows"] = _run("core_rows", lambda: insert_core_rows(engine))
        _run("drop_all", lambda: [md.drop_all(engine) for md in reversed(all_metadata())])
    engine.dispose()
"""

STAGES = ["configure", "create_all", "flush", "core_rows", "drop_all"]
SQLITE_DROP_WARNING = "Can't sort tables for DROP; an unresolvable foreign key dependency exists between tables:"


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
@pytest.mark.parametrize("case", GOOD, ids=ids(GOOD))
def test_good_case_works(case, database, new_pg, new_sqlite):
    url = new_pg() if database == "postgresql" else new_sqlite()
    result = run_case(case.path, body(GOOD_CODE), db_url=url)
    assert "error_type" not in result, describe(result)
    stages = result["stages"]
    warnings = sa_warnings(result)
    if database == "postgresql":
        assert stages == {s: "ok" for s in STAGES}, describe(result)
        assert not warnings, describe(result)
        return
    assert {s: stages.get(s) for s in STAGES[:-1]} == {s: "ok" for s in STAGES[:-1]}, describe(result)
    if not result["cycles"]:
        assert stages["drop_all"] == "ok" and not warnings, describe(result)
        return
    # SQLite with a table cycle: the DROP warning, and (rows referring to each
    # other across the cycle) possibly a failed DROP TABLE
    assert all(w.startswith(SQLITE_DROP_WARNING) for w in warnings), describe(result)
    if stages["drop_all"] != "ok":
        assert result["errors"]["drop_all"].startswith(
            "IntegrityError: (sqlite3.IntegrityError) FOREIGN KEY constraint failed"
        ), describe(result)


# --------------------------------------------------------------------------
# the DDL of the cycle fixtures, for the hovers to be compared with

DDL_ONLY = """
set_stage("ddl")
engine = make_engine()
ddl_run(engine)
engine.dispose()
"""


def normalise(statement: str) -> str:
    text = " ".join(statement.split())
    text = re.sub(r"\(\s+", "(", text)
    return re.sub(r"\s+\)", ")", text)


def sort_alter_runs(statements: list[str]) -> list[str]:
    """ALTER TABLE statements come from a set: sort each consecutive run."""
    out, run = [], []
    for statement in [*statements, None]:
        if statement is not None and statement.startswith("ALTER TABLE"):
            run.append(statement)
            continue
        out.extend(sorted(run))
        run = []
        if statement is not None:
            out.append(statement)
    return out


def ddl_text(case: Case, result: dict) -> str:
    lines = [
        f"-- {case.id}: create_all() then drop_all() on PostgreSQL",
        "-- whitespace collapsed; each run of ALTER TABLE statements sorted (their order follows PYTHONHASHSEED)",
        "-- create_all",
        *sort_alter_runs([normalise(s) for s in result["create"]]),
    ]
    if result["create_error"]:
        lines.append(f"-- create_all raised {result['create_error']}")
    else:
        lines.append("-- drop_all")
        lines.extend(sort_alter_runs([normalise(s) for s in result["drop"]]))
        if result["drop_error"]:
            lines.append(f"-- drop_all raised {result['drop_error']}")
    return "\n".join(lines) + "\n"


def ddl_file(case: Case) -> Path:
    return EXPECTED_DDL / f"{case.rule}__{case.name}.sql"


def run_ddl(case: Case, url: str) -> dict:
    result = run_case(case.path, body(DDL_ONLY), db_url=url)
    assert "error_type" not in result, describe(result)
    return result


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_expected_ddl(case, new_pg):
    result = run_ddl(case, new_pg())
    needs_alter = any(s.startswith("ALTER TABLE") for s in result["create"])
    path = ddl_file(case)
    if not needs_alter:
        assert not path.exists(), f"{path.name}: the schema needs no ALTER TABLE any more"
        return
    actual = ddl_text(case, result)
    if UPDATE_DDL:
        EXPECTED_DDL.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing (SQLALCHEMY_ORACLE_UPDATE_DDL=1 writes it)"
    assert path.read_text(encoding="utf-8") == actual


SA305_GOOD = [c for c in GOOD if c.rule == "SA305"]


@pytest.mark.parametrize("case", SA305_GOOD, ids=ids(SA305_GOOD))
def test_sa305_good_names_fit(case, new_pg):
    """The constraint and index names PostgreSQL receives are at most 63
    characters: as written, or shortened with a hash by SQLAlchemy
    (conventions, conv())."""
    result = run_ddl(case, new_pg())
    assert result["create_error"] is None, describe(result)
    created = " ".join(result["create"])
    names = re.findall(r"CONSTRAINT (\S+)", created) + re.findall(r"CREATE (?:UNIQUE )?INDEX (\S+)", created)
    assert names and all(len(n) <= 63 for n in names), names


def test_no_stale_expected_ddl():
    known = {ddl_file(c).name for c in CASES}
    stale = sorted(p.name for p in EXPECTED_DDL.glob("*.sql") if p.name not in known)
    assert not stale, f"expected_ddl files without a fixture: {stale}"


# --------------------------------------------------------------------------
# the seeds and REFERENCE-SQL.md, verbatim

REFERENCE_DEPARTMENT_CREATE = [
    "CREATE TABLE department (id SERIAL NOT NULL, name VARCHAR(50), manager_id INTEGER, PRIMARY KEY (id))",
    "CREATE TABLE employee (id SERIAL NOT NULL, name VARCHAR(50), department_id INTEGER, PRIMARY KEY (id))",
    "ALTER TABLE department ADD FOREIGN KEY(manager_id) REFERENCES employee (id)",
    "ALTER TABLE employee ADD FOREIGN KEY(department_id) REFERENCES department (id)",
]


def test_reference_department_employee(new_pg):
    result = run_ddl(BY_ID["SA301/bad_department_employee"], new_pg())
    create = [normalise(s) for s in result["create"]]
    assert create[:2] == REFERENCE_DEPARTMENT_CREATE[:2]
    assert sorted(create[2:]) == REFERENCE_DEPARTMENT_CREATE[2:]
    assert result["drop_error"] == (
        "CircularDependencyError: Can't sort tables for DROP; an unresolvable foreign key dependency exists "
        "between tables: department, employee. Please ensure that the ForeignKey and ForeignKeyConstraint "
        "objects involved in the cycle have names so that they can be dropped using DROP CONSTRAINT."
    )
    named = run_ddl(BY_ID["SA301/good_all_named"], new_pg())
    assert (
        "ALTER TABLE department ADD CONSTRAINT fk_department_manager_id_employee FOREIGN KEY(manager_id) "
        "REFERENCES employee (id)"
    ) in [normalise(s) for s in named["create"]]
    drop = [normalise(s) for s in named["drop"]]
    assert sorted(drop[:2]) == [
        "ALTER TABLE department DROP CONSTRAINT fk_department_manager_id_employee",
        "ALTER TABLE employee DROP CONSTRAINT fk_employee_department_id_department",
    ]
    assert drop[2:] == ["DROP TABLE employee", "DROP TABLE department"]


SEED_NODE = "CREATE TABLE node (node_id SERIAL NOT NULL, primary_element INTEGER, PRIMARY KEY (node_id))"
SEED_ELEMENT = "CREATE TABLE element (element_id SERIAL NOT NULL, parent_node_id INTEGER, PRIMARY KEY (element_id))"
SEED_NAMED_ALTER = (
    "ALTER TABLE element ADD CONSTRAINT fk_element_parent_node_id FOREIGN KEY(parent_node_id) REFERENCES node (node_id)"
)
SEED_DROP = ["ALTER TABLE element DROP CONSTRAINT fk_element_parent_node_id", "DROP TABLE node", "DROP TABLE element"]


def test_seed_003_node_element(new_pg):
    # one named constraint: both ALTERed in, the named one dropped, the cycle broken
    result = run_ddl(BY_ID["SA301/good_one_named_node_element"], new_pg())
    create = [normalise(s) for s in result["create"]]
    assert sorted(create[:2]) == sorted([SEED_NODE, SEED_ELEMENT])
    assert sorted(create[2:]) == sorted(
        [SEED_NAMED_ALTER, "ALTER TABLE node ADD FOREIGN KEY(primary_element) REFERENCES element (element_id)"]
    )
    assert [normalise(s) for s in result["drop"]] == SEED_DROP
    # neither named
    result = run_ddl(BY_ID["SA301/bad_node_element_core"], new_pg())
    assert result["drop_error"] == (
        "CircularDependencyError: Can't sort tables for DROP; an unresolvable foreign key dependency exists "
        "between tables: element, node. Please ensure that the ForeignKey and ForeignKeyConstraint objects "
        "involved in the cycle have names so that they can be dropped using DROP CONSTRAINT."
    )
    # use_alter with a name: only that constraint is ALTERed in
    result = run_ddl(BY_ID["SA302/good_node_element_use_alter_named"], new_pg())
    assert [normalise(s) for s in result["create"]] == [
        SEED_ELEMENT,
        "CREATE TABLE node (node_id SERIAL NOT NULL, primary_element INTEGER, PRIMARY KEY (node_id), "
        "FOREIGN KEY(primary_element) REFERENCES element (element_id))",
        SEED_NAMED_ALTER,
    ]
    assert [normalise(s) for s in result["drop"]] == SEED_DROP
    # use_alter without a name
    result = run_ddl(BY_ID["SA302/bad_node_element_use_alter"], new_pg())
    assert "ALTER TABLE element ADD FOREIGN KEY(parent_node_id) REFERENCES node (node_id)" in result["create"]
    assert result["drop_error"] == (
        "CompileError: Can't emit DROP CONSTRAINT for constraint ForeignKeyConstraint(...); it has no name"
    )


def test_seed_003_invoice(new_pg):
    result = run_ddl(BY_ID["SA303/good_invoice_item_constraint"], new_pg())
    assert [normalise(s) for s in result["create"]] == [
        "CREATE TABLE invoice (invoice_id INTEGER NOT NULL, ref_num INTEGER NOT NULL, "
        "description VARCHAR(60) NOT NULL, PRIMARY KEY (invoice_id, ref_num))",
        "CREATE TABLE invoice_item (item_id SERIAL NOT NULL, item_name VARCHAR(60) NOT NULL, "
        "invoice_id INTEGER NOT NULL, ref_num INTEGER NOT NULL, PRIMARY KEY (item_id), "
        "FOREIGN KEY(invoice_id, ref_num) REFERENCES invoice (invoice_id, ref_num))",
    ]
    assert result["drop_error"] is None
    result = run_ddl(BY_ID["SA303/bad_invoice_item_split"], new_pg())
    assert normalise(result["create"][-1]) == (
        "CREATE TABLE invoice_item (item_id SERIAL NOT NULL, item_name VARCHAR(60) NOT NULL, "
        "invoice_id INTEGER NOT NULL, ref_num INTEGER NOT NULL, PRIMARY KEY (item_id), "
        "FOREIGN KEY(invoice_id) REFERENCES invoice (invoice_id), FOREIGN KEY(ref_num) REFERENCES invoice (ref_num))"
    )
    assert result["create_error"].startswith(
        "ProgrammingError: (psycopg.errors.InvalidForeignKey) "
        'there is no unique constraint matching given keys for referenced table "invoice"'
    )


SEED_002_CODE = """
from sqlalchemy.orm import Session
Widget, Entry = find_class("Widget"), find_class("Entry")
engine = make_engine()
for md in all_metadata():
    md.create_all(engine)
with capture_dml(engine) as dml:
    try:
        with Session(engine) as session:
            w1 = Widget(name="somewidget")
            e1 = Entry(name="someentry")
            w1.favorite_entry = e1
            w1.entries = [e1]
            session.add_all([w1, e1])
            session.commit()
        result["flush"] = "ok"
    except Exception as exc:
        result["flush"] = _error_text(exc)
result["dml"] = dml
engine.dispose()
"""


def test_seed_002_widget_entry(new_pg):
    result = run_case(BY_ID["SA401/good_widget_entry_post_update"].path, body(SEED_002_CODE), db_url=new_pg())
    assert result.get("flush") == "ok", describe(result)
    assert [(s["sql"], s["params"]) for s in result["dml"]] == [
        (
            "INSERT INTO widget (favorite_entry_id, name) VALUES (%(favorite_entry_id)s::INTEGER, "
            "%(name)s::VARCHAR) RETURNING widget.widget_id",
            "{'favorite_entry_id': None, 'name': 'somewidget'}",
        ),
        (
            "INSERT INTO entry (widget_id, name) VALUES (%(widget_id)s::INTEGER, %(name)s::VARCHAR) "
            "RETURNING entry.entry_id",
            "{'widget_id': 1, 'name': 'someentry'}",
        ),
        (
            "UPDATE widget SET favorite_entry_id=%(favorite_entry_id)s::INTEGER "
            "WHERE widget.widget_id = %(widget_widget_id)s::INTEGER",
            "{'favorite_entry_id': 1, 'widget_widget_id': 1}",
        ),
    ]
    result = run_case(BY_ID["SA401/bad_widget_entry"].path, body(SEED_002_CODE), db_url=new_pg())
    assert result["flush"].startswith("CircularDependencyError: Circular dependency detected."), describe(result)
    assert result["dml"] == []


# --------------------------------------------------------------------------
# the analyzer agrees


# Where the analyzer disagrees with real SQLAlchemy or RULES.md: strict xfails
# (an analyzer fix turns them into failures, and then they come off this list).
ANALYZER_DISAGREEMENTS = {
}


def analyzer_params(kind, cases):
    params = []
    for case in cases:
        reason = ANALYZER_DISAGREEMENTS.get((kind, case.id))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, id=case.id, marks=marks))
    return params


@pytest.mark.analyzer
@pytest.mark.parametrize("case", analyzer_params("agrees", CASES))
def test_analyzer_agrees(case):
    found = {(d["code"], d["path"], d["range"]["start"]["line"]) for d in analyzer_check(case.path)}
    expected = {(e.code, e.path, e.line) for e in case.expects()}
    missing = sorted(expected - found)
    extra = sorted(found - expected)
    assert not missing and not extra, f"expected but not reported: {missing}\nreported, not expected: {extra}"


def _fixed_behaves(case: Case, new_pg, new_sqlite) -> None:
    """After the analyzer's fix: the DDL runs (SA30x), the INSERT without an
    id works (SA405), the flush works with the key of each flagged
    relationship written by an UPDATE (SA401) or not (SA402-SA404)."""
    rule = case.rule
    if rule.startswith("SA30"):
        result = run_ddl(case, new_pg())
        assert result["create_error"] is None and result["drop_error"] is None, describe(result)
    elif rule == "SA405":
        (expect,) = expects_of(case)
        spec = column_spec(case, expect)
        for url in (new_pg(), new_sqlite()):
            result = insert_case(case, url, spec)
            assert result["insert"] == "ok" and result["id"] == 1, describe(result)
    else:
        marked = [relationship_at(case, e) for e in expects_of(case)]
        for url in (new_pg(), new_sqlite()):
            result = flush_case(case, url, marked, extra=2)
            assert result["flush"] == "ok", describe(result)
            for info in result["marked"]:
                updates = _updates_of(result["dml"], info["holder"], info["fk_columns"])
                if rule == "SA401":
                    assert updates, result["dml"]
                else:
                    assert not updates, result["dml"]


@pytest.mark.analyzer
@pytest.mark.parametrize("case", analyzer_params("fix", BAD))
def test_analyzer_fix(case, new_pg, new_sqlite, tmp_path):
    diagnostics = [d for d in analyzer_check(case.path) if d["code"] == case.rule]
    fixes = [f for d in diagnostics for f in d.get("fixes", [])]
    safe = [f for f in fixes if f["applicability"] == "safe"]
    if not fixes:
        pytest.skip(f"the analyzer offers no fix for {case.rule} here")
    fixed = copy_case(case, tmp_path)
    cmd = [str(analyzer_bin()), "check", "--fix", "--exit-zero"]
    if not safe:
        cmd.append("--unsafe-fixes")
    proc = subprocess.run(
        [*cmd, str(fixed.path)], cwd=fixed.path, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = [d for d in analyzer_check(fixed.path) if d["code"] == case.rule]
    assert not after, f"{case.rule} still reported after the fix: {after}"
    changed = [p for p in fixed.py_files() if p.read_bytes() != (case.path / p.relative_to(fixed.path)).read_bytes()]
    assert changed, "the fix changed nothing"
    _fixed_behaves(fixed, new_pg, new_sqlite)
