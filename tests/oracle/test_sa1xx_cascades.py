"""SA101-SA115 (cascades and deletes): what real SQLAlchemy does with each fixture.

Every directory tests/fixtures/rules/SA1xx/{bad,good}_*/ is picked up:

- a bad case must misbehave the way RULES.md says, for the relationship /
  ForeignKey / call on its `# expect: SA1xx` line: the exception and its
  message, the SAWarning, the `UPDATE ... SET fk=NULL` the unit of work
  emits, the rows left behind, the parent deleted through a child ... on
  PostgreSQL, on SQLite with PRAGMA foreign_keys=ON and on SQLite as it comes;
- a good case must configure, create its tables and survive every delete
  (session.delete of a parent with its children loaded or not, orphan
  removal, session.delete of a child, of one side of a many-to-many, a Core
  DELETE under each ondelete action, its own bulk deletes, its own SQLite
  engine, primary-key changes where passive_updates=False) with no error,
  no SAWarning and no foreign key left pointing at nothing;
- the analyzer (marker `analyzer`) must report exactly the `# expect` lines
  of a bad case and nothing on a good case; its safe fixes must silence the
  rule and make SQLAlchemy behave.

The scenarios run inside the case subprocess (_cascade_scenarios.py); the
checks below hold the behaviour observed with SQLAlchemy 2.0 and 2.1.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from harness import (
    ORACLE_DIR,
    PROBE,
    RULE_FIXTURES,
    analyzer_bin,
    analyzer_check,
    attribute_at,
    describe,
    discover_cases,
    run_case,
    sa_warnings,
)

RULES = [f"SA1{n:02d}" for n in range(1, 16)]
CASES = [c for c in discover_cases("SA1") if c.rule in RULES]
BAD = [c for c in CASES if c.bad]
GOOD = [c for c in CASES if not c.bad]
SCENARIOS = ORACLE_DIR / "_cascade_scenarios.py"

VALID_CASCADES = {"save-update", "merge", "expunge", "delete", "delete-orphan", "refresh-expire", "all", "none"}

# Analyzer disagreements with the real run, per analyzer test, each held by a
# strict xfail: the real behaviour itself is asserted by the oracle tests
# above them, which pass. Remove an entry once the analyzer is fixed (the
# strict xfail then fails as XPASS).
ANALYZER_DISAGREES = {
    "agrees": {},
    "safe_fix": {},
    "silent_after_fixes": {},
}


def analyzer_params(test, cases):
    """pytest params for an analyzer test, the known disagreements marked xfail(strict=True)."""
    known = ANALYZER_DISAGREES[test]
    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=known[c.id])] if c.id in known else [])
        for c in cases
    ]


def ids(cases):
    return [c.id for c in cases]


# --------------------------------------------------------------------------
# reading the fixtures


def module_name(case, rel_path: str) -> str:
    parts = Path(rel_path).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def line_text(case, expect) -> str:
    return (case.path / expect.path).read_text(encoding="utf-8").splitlines()[expect.line - 1]


def _class_statement(tree, line):
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
                    return node, stmt
    return None, None


def _string(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def relationship_candidates(case, expect) -> list[dict]:
    """The relationships a marker line can name: the class attribute's
    relationship, and the one its `backref=` creates when the line lies in
    the backref value."""
    file = case.path / expect.path
    tree = ast.parse(file.read_text(encoding="utf-8"))
    cls, stmt = _class_statement(tree, expect.line)
    assert stmt is not None, f"{case.id}: {expect.path}:{expect.line} is not in a class body"
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
    spec = {"cls": cls.name, "key": target.id, "label": f"{cls.name}.{target.id}"}
    out = [spec]
    call = stmt.value
    if isinstance(call, ast.Call):
        other = None
        if call.args:
            first = call.args[0]
            other = first.id if isinstance(first, ast.Name) else (_string(first) or "").rsplit(".", 1)[-1] or None
        for keyword in call.keywords:
            if keyword.arg != "backref":
                continue
            value = keyword.value
            if not (value.lineno <= expect.line <= (value.end_lineno or value.lineno)):
                continue
            name = _string(value)
            if name is None and isinstance(value, ast.Call) and value.args:
                name = _string(value.args[0])
            if name:
                out.append(dict(spec, backref=name, label=f"{other}.{name}"))
    return out


def cascade_text(case, expect) -> str | None:
    """The cascade string written on the marker line (keyword or SQLModel's
    sa_relationship_kwargs entry)."""
    text = line_text(case, expect)
    match = re.search(r"""(?:\bcascade\s*=\s*|["']cascade["']\s*:\s*)(["'])(.*?)\1""", text)
    if match:
        return match.group(2)
    # SQLModel: Relationship( on the marker line, the kwargs below it
    lines = (case.path / expect.path).read_text(encoding="utf-8").splitlines()
    for following in lines[expect.line : expect.line + 6]:
        match = re.search(r"""["']cascade["']\s*:\s*(["'])(.*?)\1""", following)
        if match:
            return match.group(2)
    return None


def referential_actions(case, expect) -> list[tuple[str, str]]:
    """[(ondelete|onupdate, value)] written on the marker line."""
    return re.findall(r"""\b(ondelete|onupdate)\s*=\s*["']([^"']*)["']""", line_text(case, expect))


def foreign_key_spec(case, expect) -> dict:
    """The column whose ForeignKey / Field is on the marker line."""
    attr = attribute_at(case.path / expect.path, expect.line)
    if attr is not None:
        return {"cls": attr.cls, "attr": attr.key}
    match = re.search(r"""Column\(\s*["'](\w+)["']""", line_text(case, expect))
    assert match, f"{case.id}: cannot tell the column on {expect.path}:{expect.line}"
    tree = ast.parse((case.path / expect.path).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Table"
            and node.lineno <= expect.line <= node.end_lineno
        ):
            return {"table": _string(node.args[0]), "column": match.group(1)}
    raise AssertionError(f"{case.id}: no Table(...) around {expect.path}:{expect.line}")


def _deleted_class(function: ast.FunctionDef) -> str | None:
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
            name = getattr(node.func, "attr", getattr(node.func, "id", None))
            if name in ("query", "delete", "get"):
                return node.args[0].id
        if isinstance(node, ast.Attribute) and node.attr == "query" and isinstance(node.value, ast.Name):
            return node.value.id
    return None


def _deletes(function: ast.FunctionDef) -> bool:
    """A bulk delete, or session.delete(obj)."""
    return _is_bulk_delete(function) or any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "delete"
        for node in ast.walk(function)
    )


def _is_bulk_delete(function: ast.FunctionDef) -> bool:
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "delete" and not node.args:
            return True  # query(...).delete()
        if isinstance(node.func, ast.Name) and node.func.id == "delete" and node.args:
            return True  # delete(X)
    return False


def service_functions(case) -> list[dict]:
    """Top-level functions that delete rows of a mapped class:
    [{"module", "function", "cls", "bulk", "path", "lines"}]."""
    out = []
    for file in case.py_files():
        rel = file.relative_to(case.path).as_posix()
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                cls = _deleted_class(node)
                if cls:
                    out.append(
                        {
                            "module": module_name(case, rel),
                            "function": node.name,
                            "cls": cls,
                            "bulk": _is_bulk_delete(node),
                            "deletes": _deletes(node),
                            "path": rel,
                            "lines": (node.lineno, node.end_lineno),
                        }
                    )
    return out


def own_expects(case, code=None):
    return [e for e in case.expects() if e.code == (code or case.rule)]


# --------------------------------------------------------------------------
# running a case


def databases(pg_db_url, tmp_path, which=("postgresql", "sqlite", "sqlite_nofk")):
    all_dbs = {
        "postgresql": {"name": "postgresql", "url": pg_db_url, "fk": True},
        "sqlite": {"name": "sqlite", "url": f"sqlite:///{tmp_path}/fk-{{n}}.db", "fk": True},
        "sqlite_nofk": {"name": "sqlite_nofk", "url": f"sqlite:///{tmp_path}/nofk-{{n}}.db", "fk": False},
    }
    return [all_dbs[name] for name in which]


def scenario_body(code: str, **values) -> str:
    """_probe.py + _cascade_scenarios.py + `NAME = <json>` for each value + code."""
    prelude = "\n".join(f"{name} = json.loads({json.dumps(json.dumps(value))})" for name, value in values.items())
    return "\n\n".join(
        [
            PROBE.read_text(encoding="utf-8"),
            SCENARIOS.read_text(encoding="utf-8"),
            "import json\n" + prelude,
            code,
        ]
    )


def run(case_dir, code, timeout=180, **values):
    return run_case(case_dir, scenario_body(code, **values), db_url=None, timeout=timeout)


def steps(result, step=None, db=None):
    return [
        s
        for s in result.get("steps", [])
        if (step is None or s["step"] == step) and (db is None or s["db"] == db)
    ]


def no_setup_error(result):
    assert "error_type" not in result, describe(result)
    for s in result.get("steps", []):
        assert "setup_error" not in s and "teardown_error" not in s, describe(result)


def sql_matching(step, pattern):
    return [s for s in step["sql"] if re.search(pattern, s["sql"], re.I)]


def null_update(step, table):
    """The executed `UPDATE <table> SET <fk>=NULL ...` statements, with the
    number of rows they nulled."""
    rows = 0
    for s in sql_matching(step, rf"^UPDATE {table} SET "):
        params = s["params"] if s["many"] else [s["params"]]
        for p in params:
            values = list(p.values()) if isinstance(p, dict) else list(p)
            if values and values[0] is None:
                rows += 1
    return rows


def assert_integrity_error(error, kind, db_name, context):
    """kind: "fk" (foreign key violation) or "not_null"."""
    assert error is not None, f"{context}: no error on {db_name}"
    assert error["type"] == "IntegrityError", (context, db_name, error)
    if db_name == "postgresql":
        expected = {"fk": ("ForeignKeyViolation", "23503"), "not_null": ("NotNullViolation", "23502")}[kind]
        assert (error["orig_type"], error["sqlstate"]) == expected, (context, error)
    else:
        text = {"fk": "FOREIGN KEY constraint failed", "not_null": "NOT NULL constraint failed"}[kind]
        assert error["orig_type"] == "IntegrityError" and text in error["message"], (context, error)


# --------------------------------------------------------------------------
# the fixture set itself


@pytest.mark.parametrize("rule", RULES)
def test_rule_has_enough_cases(rule):
    bad = [c for c in BAD if c.rule == rule]
    good = [c for c in GOOD if c.rule == rule]
    assert len(bad) >= 2, f"{rule}: {len(bad)} bad case(s) under tests/fixtures/rules/{rule}/"
    assert len(good) >= 2, f"{rule}: {len(good)} good case(s) under tests/fixtures/rules/{rule}/"
    multi_file = [c for c in bad + good if sum("class " in p.read_text() for p in c.py_files()) >= 2]
    assert multi_file, f"{rule}: no case spreads its models over two files"
    string_targets = [
        c
        for c in multi_file
        if any(re.search(r"""(relationship|Relationship)\(\s*["']|Mapped\[.*["']""", p.read_text()) for p in c.py_files())
    ]
    assert string_targets, f"{rule}: no two-file case with string targets"


def test_enough_good_cases():
    assert len(GOOD) >= 15 * 2, len(GOOD)


ANCHORS = {
    # rule: pattern the marker line must hold (RULES.md, "Where each diagnostic is anchored")
    **{code: r"\bcascade\s*=|\bRelationship\(|[\"']cascade[\"']\s*:" for code in ("SA101", "SA102", "SA103", "SA104", "SA115")},
    **{code: r"\b(relationship|Relationship|backref)\(|\bbackref\s*=" for code in ("SA105", "SA106", "SA107", "SA108", "SA109", "SA112")},
    "SA110": r"(\.delete\(|\bdelete\()",
    "SA111": r"\bcreate_engine\(",
    "SA113": r"\b(ForeignKey|ForeignKeyConstraint|Field)\(",
    "SA114": r"\b(ForeignKey|ForeignKeyConstraint|Field)\(",
}


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_expect_markers(case):
    expects = case.expects()
    if not case.bad:
        assert not expects, f"{case.id}: a good case carries expect markers: {expects}"
        return
    assert own_expects(case), f"{case.id}: no `# expect: {case.rule}` marker"
    for e in expects:
        assert e.code in RULES, f"{case.id}: {e} is not an SA1xx code"
        text = line_text(case, e)
        assert re.search(ANCHORS[e.code], text), f"{case.id}: {e.path}:{e.line}: not where {e.code} is anchored: {text!r}"
        if e.code in ("SA101", "SA102", "SA103", "SA104", "SA115") and "Relationship(" not in text:
            # SQLModel anchors on `Relationship(`; otherwise the cascade= keyword itself
            assert cascade_text(case, e) is not None, f"{case.id}: {e.path}:{e.line}: no cascade= on the line"


# --------------------------------------------------------------------------
# real SQLAlchemy on the bad cases


def check_sa101(case, result, expects):
    for e in expects:
        text = cascade_text(case, e)
        assert text is not None, e
        invalid = sorted({t for t in re.split(r"\s*,\s*", text) if t} - VALID_CASCADES)
        assert invalid, f"{case.id}: {text!r} is a valid cascade"
        message = "Invalid cascade option(s): " + ", ".join(repr(t) for t in invalid)
        if result.get("error_phase") == "import":
            # relationship() / SQLModel's metaclass raise while the module is imported
            assert result["error_type"] == "ArgumentError", describe(result)
            assert result["error_message"] == message, describe(result)
        else:
            # backref("...", cascade=...) builds its relationship when the mappers configure
            error = result.get("configure_error")
            assert error and error["type"] == "ArgumentError" and error["message"] == message, describe(result)
            assert any("backref" in c for c in relationship_candidates(case, e)), describe(result)


def check_sa102(case, result, expects):
    warned = [w for w in result["warnings"] if w["sqlalchemy"] and w["message"] == "The 'delete-orphan' cascade option requires 'delete'."]
    assert warned, describe(result)
    assert {w["stage"] for w in warned} <= {"import", "configure"}, warned
    assert "configure_error" not in result, describe(result)
    # delete-orphan alone does not delete the children with the parent: the
    # unit of work nulls their foreign key, and only removal from the
    # collection deletes one.
    for s in steps(result, "delete_parent"):
        assert s["error"] is None, s
        assert not s["parent_exists"], s
        assert all(c["exists"] for c in s["children"]), s
        assert all(v is None for c in s["children"] for v in c["values"].values()), s
        assert null_update(s, s["child_table"]) == 2, s["sql"]
    for s in steps(result, "remove_orphan"):
        assert s["error"] is None, s
        assert [c["exists"] for c in s["children"]] == [False, True], s
    assert len(steps(result, "delete_parent")) == 6 and len(steps(result, "remove_orphan")) == 3


def labels(case, expects):
    """"Class.attribute" of every relationship the marker lines can name."""
    return [c["label"] for e in expects for c in relationship_candidates(case, e)]


def check_sa103(case, result, expects):
    error = result.get("configure_error")
    assert error and error["type"] == "ArgumentError", describe(result)
    assert any(
        re.search(
            rf"For many-to-(one|many) relationship {re.escape(label)}, delete-orphan cascade is normally configured "
            r"only on the \"one\" side of a one-to-many relationship",
            error["message"],
        )
        for label in labels(case, expects)
    ), error["message"]
    assert "set the single_parent=True flag" in error["message"]
    assert re.search(r"https://sqlalche\.me/e/2[01]/bbf0", error["message"]), error["message"]


def check_sa104(case, result, expects):
    if result.get("configure_error"):
        # delete-orphan on the same many-to-one (SA103) stops configuration first
        assert "SA103" in {e.code for e in case.expects()}, describe(result)
        return
    delete_steps = steps(result, "delete_child")
    assert len(delete_steps) == 3, describe(result)
    for s in delete_steps:
        parent_table = s["parent_table"]
        # the parent goes with the child: DELETE FROM parent, preceded by
        # `UPDATE child SET fk=NULL` of the siblings its one-to-many side knows
        assert sql_matching(s, rf"^DELETE FROM {parent_table} ") or null_update(s, s["child_table"]), (
            f"{s['db']}: deleting one {s['rel']} child did not delete its parent", s["sql"]
        )
        if s["error"] is None:
            assert not s["parent_exists"], s
            # siblings: nulled by the parent's one-to-many, deleted by its
            # cascade, or left pointing at nothing (no partner, no FK checks)
            for sib in s["siblings"]:
                assert (not sib["exists"]) or all(v is None for v in sib["values"].values()) or s["dangling"], s
        else:
            # the parent's other children refuse: NOT NULL, or the FK
            assert s["error"]["type"] == "IntegrityError", s
            assert s["parent_exists"], s


def check_sa105(case, result, expects):
    error = result.get("configure_error")
    assert error and error["type"] == "ArgumentError", describe(result)
    assert error["message"] in [
        f"On {label}, can't set passive_deletes='all' in conjunction with 'delete' or 'delete-orphan' cascade"
        for label in labels(case, expects)
    ], error["message"]


def check_sa106(case, result, expects):
    loaded = [s for s in steps(result, "delete_parent") if s["loaded"]]
    assert len(loaded) == 3, describe(result)
    for s in loaded:
        table = s["child_table"]
        assert null_update(s, table) == 2, (s["db"], s["sql"])
        if s["error"] is None:
            # the children the database was to delete survive, FK nulled
            assert not s["parent_exists"], s
            assert all(c["exists"] and all(v is None for v in c["values"].values()) for c in s["children"]), s
        else:
            assert_integrity_error(s["error"], "not_null", s["db"], case.id)
    unloaded = [s for s in steps(result, "delete_parent") if not s["loaded"]]
    for s in unloaded:
        if s["passive_deletes"] and s["db"] != "sqlite_nofk":
            # not loaded, left to ON DELETE CASCADE: deleted. The outcome
            # depends on what the session happened to hold.
            assert s["error"] is None and not any(c["exists"] for c in s["children"]), s
        elif not s["passive_deletes"]:
            assert null_update(s, s["child_table"]) == 2, (s["db"], s["sql"])


def check_sa107(case, result, expects):
    deletes = [s for s in steps(result, "delete_parent") if not s["loaded"]]
    assert len(deletes) == 3, describe(result)
    for s in deletes:
        assert s["error"] is None, s
        table, parent_table = s["child_table"], s["parent_table"]
        selects = [i for i, q in enumerate(s["sql"]) if re.match(rf"SELECT .* FROM {table} WHERE", q["sql"])]
        child_deletes = [i for i, q in enumerate(s["sql"]) if q["sql"].startswith(f"DELETE FROM {table} ")]
        parent_deletes = [i for i, q in enumerate(s["sql"]) if q["sql"].startswith(f"DELETE FROM {parent_table} ")]
        assert selects and child_deletes and parent_deletes, s["sql"]
        assert selects[0] < child_deletes[0] < parent_deletes[0], s["sql"]
        deleted = s["sql"][child_deletes[0]]
        assert deleted["many"] and len(deleted["params"]) == 2, deleted
        assert not any(c["exists"] for c in s["children"]), s


def check_sa108(case, result, expects):
    deletes = steps(result, "delete_parent")
    assert {s["db"] for s in deletes} == {"postgresql", "sqlite", "sqlite_nofk"}, describe(result)
    for s in deletes:
        assert not sql_matching(s, rf"^SELECT .* FROM {s['child_table']} "), s["sql"]
        if s["db"] == "sqlite_nofk":
            assert s["error"] is None and not s["parent_exists"], s
            assert all(c["exists"] for c in s["children"]) and s["dangling"], s
        else:
            assert_integrity_error(s["error"], "fk", s["db"], case.id)
            assert s["parent_exists"], s


def check_sa109(case, result, expects):
    deletes = steps(result, "delete_parent")
    assert len(deletes) == 6, describe(result)
    for s in deletes:
        error = s["error"]
        assert error is not None, s
        if s["fk_in_primary_key"]:
            assert error["type"] == "AssertionError", s
            assert re.fullmatch(
                r"Dependency rule on column '[\w.]+' tried to blank-out primary key column '[\w.]+' on instance '<.*>'",
                error["message"],
            ), error["message"]
        else:
            assert_integrity_error(error, "not_null", s["db"], case.id)
            assert null_update(s, s["child_table"]) >= 1, s["sql"]
        assert s["parent_exists"] and all(c["exists"] for c in s["children"]), s


def check_sa110(case, result, expects):
    deletes = steps(result, "bulk_delete")
    assert len(deletes) == 3, describe(result)
    for s in deletes:
        parent_deletes = sql_matching(s, r"^DELETE FROM ")
        assert len(parent_deletes) == 1, s["sql"]  # one statement, no ORM cascade
        assert not sql_matching(s, r"^SELECT "), s["sql"]
        if s["db"] == "sqlite_nofk":
            assert s["error"] is None and not s["parent_exists"], s
            assert all(c["exists"] for c in s["children"]) and s["dangling"], s
        else:
            assert_integrity_error(s["error"], "fk", s["db"], case.id)
            assert s["parent_exists"], s


def check_sa111(case, result, expects):
    engines = result.get("own_engines")
    assert engines, describe(result)
    for obs in engines:
        assert "setup_error" not in obs, obs
        assert obs["pragma_foreign_keys"] == 0, obs
        assert obs["deletes"], obs
        for d in obs["deletes"]:
            # nothing cascades, nothing is set NULL, nothing is refused
            assert d["error"] is None and not d["parent_exists"], d
            assert d["children"] and all(c["exists"] and c["value"] == d["deleted_key"] for c in d["children"]), d
            assert d["dangling"], d


def check_sa112(case, result, expects):
    changes = steps(result, "change_parent_key")
    assert changes, describe(result)
    for s in changes:
        if s["db"] == "sqlite_nofk":
            assert s["error"] is None, s
            # the child in the identity map follows; the other keeps the old key
            assert list(s["in_session_child"]["values"].values()) == [s["new_key"]], s
            assert list(s["other_child"]["values"].values()) == [s["old_key"]], s
            assert s["dangling"], s
        else:
            # a deferred constraint catches the stale row at COMMIT
            assert_integrity_error(s["error"], "fk", s["db"], case.id)
    assert "sqlite_nofk" in {s["db"] for s in changes}


def check_sa113(case, result, expects):
    if result.get("error_phase") == "import":
        assert result["error_type"] == "RuntimeError", describe(result)
        assert result["error_message"] == 'ondelete="SET NULL" requires nullable=True', describe(result)
        assert any("Field(" in line_text(case, e) for e in expects)
        return
    deletes = steps(result, "core_delete")
    assert len(deletes) == 3 * len(expects), describe(result)
    for s in deletes:
        assert "skipped" not in s, s
        if s["db"] == "sqlite_nofk":
            assert s["error"] is None and s["dangling"], s
        else:
            assert_integrity_error(s["error"], "not_null", s["db"], case.id)
            assert s["parent_exists"], s


def check_sa114(case, result, expects):
    creates = steps(result, "create_all")
    assert len(creates) == 2, describe(result)
    actions = [value for e in expects for _, value in referential_actions(case, e)]
    bad = [a for a in actions if a.strip().upper() not in {"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"}]
    assert bad, actions
    for s in creates:
        error = s.get("setup_error")
        assert error is not None, s
        phrase_ok = [a for a in bad if re.match(r"^\w+(?:\s+\w+)*$", a)]
        if len(phrase_ok) == len(bad):
            # a word SQLAlchemy lets through: the database's parser refuses it
            if s["db"] == "postgresql":
                assert error["type"] == "ProgrammingError" and error["orig_type"] == "SyntaxError", error
            else:
                assert error["type"] == "OperationalError" and "syntax error" in error["message"], error
            assert any(re.search(rf'(at or near|near) "{re.escape(a.split()[0])}"', error["message"]) for a in bad), error
        else:
            assert error["type"] == "CompileError", error
            assert any(error["message"].startswith(f"Unexpected SQL phrase: {a!r}") for a in bad), error


def check_sa115(case, result, expects):
    deletes = steps(result, "delete_child")
    assert len(deletes) == 3, describe(result)
    for s in deletes:
        assert s["error"] is None, s
        # one child deleted: the parent, and through it every sibling
        assert not s["parent_exists"], s
        assert not any(sib["exists"] for sib in s["siblings"]), s
        child_deletes = sql_matching(s, rf"^DELETE FROM {s['child_table']} ")
        assert child_deletes and child_deletes[0]["many"] and len(child_deletes[0]["params"]) == 2, s["sql"]


CHECKS = {f"SA1{n:02d}": globals()[f"check_sa1{n:02d}"] for n in range(1, 16)}


# The code each rule's check needs run in the case subprocess. RELS maps a
# marker line to its candidate relationships; WANT picks the one by direction.
PICK = """
def pick(line, want):
    found = []
    for spec in RELS[str(line)]:
        try:
            rel = relationship_from(spec)
        except Exception:  # noqa: BLE001
            continue
        if rel.direction.name in want:
            found.append(rel)
    assert found, (line, want, RELS[str(line)])
    return found[-1]


def annotate(step, rel):
    child = rel.mapper.class_ if rel.direction.name == "ONETOMANY" else rel.parent.class_
    parent = rel.parent.class_ if rel.direction.name == "ONETOMANY" else rel.mapper.class_
    step["child_table"] = child.__mapper__.local_table.name
    step["parent_table"] = parent.__mapper__.local_table.name
    step["passive_deletes"] = rel.passive_deletes
    step["fk_in_primary_key"] = any(c.primary_key for c in fk_columns(rel))
    return step


result["candidates"] = RELS
"""

BODIES = {
    "SA101": "configure()",
    "SA102": """
if configure():
    for line in LINES:
        rel = pick(line, ("ONETOMANY",))
        for db in DBS:
            for loaded in (False, True):
                annotate(run_step(db, "delete_parent", delete_parent(rel, loaded), rel=rel_label(rel), loaded=loaded), rel)
            run_step(db, "remove_orphan", remove_orphan(rel), rel=rel_label(rel))
""",
    "SA103": "configure()",
    "SA104": """
if configure():
    for line in LINES:
        rel = pick(line, ("MANYTOONE",))
        for db in DBS:
            annotate(run_step(db, "delete_child", delete_child(rel), rel=rel_label(rel)), rel)
""",
    "SA105": "configure()",
    "SA106": """
if configure():
    for line in LINES:
        rel = pick(line, ("ONETOMANY",))
        for db in DBS:
            for loaded in (False, True):
                annotate(run_step(db, "delete_parent", delete_parent(rel, loaded), rel=rel_label(rel), loaded=loaded), rel)
""",
    "SA107": """
if configure():
    for line in LINES:
        rel = pick(line, ("ONETOMANY",))
        for db in DBS:
            annotate(run_step(db, "delete_parent", delete_parent(rel, False), rel=rel_label(rel), loaded=False), rel)
""",
    "SA108": """
if configure():
    for line in LINES:
        rel = pick(line, ("ONETOMANY",))
        for db in DBS:
            annotate(run_step(db, "delete_parent", delete_parent(rel, False), rel=rel_label(rel), loaded=False), rel)
""",
    "SA109": """
if configure():
    for line in LINES:
        rel = pick(line, ("ONETOMANY",))
        for db in DBS:
            for loaded in (False, True):
                annotate(run_step(db, "delete_parent", delete_parent(rel, loaded), rel=rel_label(rel), loaded=loaded), rel)
""",
    "SA110": """
if configure():
    for db in DBS:
        for f in FUNCTIONS:
            run_step(db, "bulk_delete", bulk_delete(f["module"], f["function"], f["cls"], db), function=f["function"])
""",
    "SA111": """
if configure():
    own_engine_steps()
""",
    "SA112": """
if configure():
    for line in LINES:
        rel = pick(line, ("MANYTOONE",))
        for db in DBS:
            if db["fk"] and not key_change_possible(rel):
                continue
            annotate(run_step(db, "change_parent_key", change_parent_key(rel), rel=rel_label(rel)), rel)
""",
    "SA113": """
def resolve_fk(spec):
    if "cls" in spec:
        column = find_class(spec["cls"]).__mapper__.columns[spec["attr"]]
    else:
        table = next(t for md in all_metadata() for t in md.tables.values() if t.name == spec["table"])
        column = table.c[spec["column"]]
    (fk,) = column.foreign_keys
    return fk

if configure():
    for spec in FKS:
        fk = resolve_fk(spec)
        for db in DBS:
            run_step(db, "core_delete", core_delete_referenced(fk), fk=f"{fk.parent.table.name}.{fk.parent.name}")
""",
    "SA114": """
if configure():
    for db in DBS:
        run_step(db, "create_all", lambda engine: {})
""",
    "SA115": """
if configure():
    for line in LINES:
        rel = pick(line, ("MANYTOONE",))
        for db in DBS:
            annotate(run_step(db, "delete_child", delete_child(rel), rel=rel_label(rel)), rel)
""",
}

# Databases each rule's bad scenario runs on.
BAD_DATABASES = {
    "SA112": ("postgresql", "sqlite", "sqlite_nofk"),
    "SA114": ("postgresql", "sqlite"),
}


def rule_inputs(case, code, pg_db_url, tmp_path):
    """The values (RELS, LINES, DBS, FUNCTIONS, FKS) a rule's body reads."""
    expects = own_expects(case, code)
    values = {
        "RELS": {str(e.line): relationship_candidates(case, e) for e in case.expects() if e.code not in ("SA110", "SA111", "SA113", "SA114")},
        "LINES": [e.line for e in expects],
        "DBS": databases(pg_db_url, tmp_path, BAD_DATABASES.get(code, ("postgresql", "sqlite", "sqlite_nofk"))),
    }
    if code == "SA110":
        functions = service_functions(case)
        values["FUNCTIONS"] = [
            f for f in functions if any(f["path"] == e.path and f["lines"][0] <= e.line <= f["lines"][1] for e in expects)
        ]
        assert values["FUNCTIONS"], f"{case.id}: no function around the SA110 marker"
    if code == "SA113":
        values["FKS"] = [foreign_key_spec(case, e) for e in expects]
    return values


def rule_body(code):
    return PICK + BODIES[code]


def run_rule(case_dir, case, code, pg_db_url, tmp_path):
    if code == "SA111":
        # the case's own engine writes its SQLite file next to the models: work on a copy
        work = tmp_path / f"own-{code}"
        shutil.copytree(case.path, work)
        case_dir = work
    tmp_path.mkdir(parents=True, exist_ok=True)
    values = rule_inputs(case, code, pg_db_url, tmp_path)
    return run(case_dir, rule_body(code), **values)


@pytest.mark.parametrize("case", BAD, ids=ids(BAD))
def test_bad_case_misbehaves(case, pg_db_url, tmp_path):
    codes = sorted({e.code for e in case.expects()})
    for code in codes:
        result = run_rule(case.path, case, code, pg_db_url, tmp_path / code)
        assert result.get("error_phase") != "body", describe(result)
        if code != case.rule and result.get("error_phase") == "import":
            continue  # the case's own rule fails first (checked below)
        CHECKS[code](case, result, own_expects(case, code))


# --------------------------------------------------------------------------
# real SQLAlchemy on the good cases


GOOD_BODY = """
good_case_steps(DBS, key_change_dbs=KEY_DBS)
for f in FUNCTIONS:
    for db in DBS:
        run_step(db, "bulk_delete", bulk_delete(f["module"], f["function"], f["cls"], db), function=f["function"])
if OWN_ENGINES:
    own_engine_steps()
"""


def assert_good_steps(case, result):
    no_setup_error(result)
    assert "configure_error" not in result, describe(result)
    assert not sa_warnings(result), describe(result)
    all_steps = result.get("steps", [])
    assert all_steps, describe(result)
    for s in all_steps:
        context = f"{case.id} {s['db']} {s['step']} {s.get('rel') or s.get('fk') or s.get('function')}"
        assert s.get("error") is None, (context, s)
        assert not s["dangling"], (context, s["dangling"])
        kind = s["step"]
        if kind == "delete_parent":
            assert not s["parent_exists"], (context, s)
            assert s["bystander_exists"] and all(c["exists"] for c in s["bystander_children"]), (context, s)
            deleted = s["orm_delete"] or any(a and a.upper() == "CASCADE" for a in s["ondelete"])
            if deleted:
                assert not any(c["exists"] for c in s["children"]), (context, s)
            else:
                assert all(c["exists"] for c in s["children"]), (context, s)
                assert all(v is None for c in s["children"] for v in c["values"].values()), (context, s)
        elif kind == "remove_orphan":
            assert [c["exists"] for c in s["children"]] == [False, True], (context, s)
        elif kind == "delete_child":
            assert not s["deleted_child"]["exists"], (context, s)
            if s["single_parent"]:
                continue  # the one child owned its parent: deleting both is the point
            assert s["parent_exists"], (context, s)
            assert all(sib["exists"] for sib in s["siblings"]), (context, s)
        elif kind == "delete_many_to_many":
            assert s["deleted"] and s["association_rows"] == 0, (context, s)
            # the related objects stay, unless the relationship cascades delete to them
            assert s["others_exist"] == [not s["orm_delete"]] * 2, (context, s)
        elif kind == "core_delete":
            if "skipped" in s:
                continue
            assert not s["parent_exists"], (context, s)
            action = s["ondelete"].upper()
            if action == "CASCADE":
                assert not any(c["exists"] for c in s["children"]), (context, s)
            elif action == "SET NULL":
                assert all(c["exists"] and c["value"] is None for c in s["children"]), (context, s)
            else:
                assert all(c["exists"] and c["value"] != s["deleted_key"] for c in s["children"]), (context, s)
        elif kind == "change_parent_key":
            for child in (s["in_session_child"], s["other_child"]):
                assert list(child["values"].values()) == [s["new_key"]], (context, s)
        elif kind == "bulk_delete":
            assert not s["parent_exists"] and s["bystander_exists"], (context, s)
            for c in s["children"]:
                assert not c["exists"] or all(v is None for v in c["values"].values()), (context, s)
            assert all(c["exists"] for c in s["bystander_children"]), (context, s)
    for obs in result.get("own_engines", []):
        assert "setup_error" not in obs, obs
        for d in obs["deletes"]:
            assert d["error"] is None and not d["dangling"], d
            assert obs["pragma_foreign_keys"] == 1, obs


def good_inputs(case, pg_db_url, tmp_path):
    uses_own_engine = any(re.search(r"\bcreate_engine\(", p.read_text()) for p in case.py_files())
    return {
        "DBS": databases(pg_db_url, tmp_path, ("postgresql", "sqlite")),
        "KEY_DBS": databases(pg_db_url, tmp_path, ("sqlite_nofk", "postgresql")),
        "FUNCTIONS": [f for f in service_functions(case) if f["deletes"]],
        "OWN_ENGINES": uses_own_engine,
    }


@pytest.mark.parametrize("case", GOOD, ids=ids(GOOD))
def test_good_case_behaves(case, pg_db_url, tmp_path):
    values = good_inputs(case, pg_db_url, tmp_path)
    case_dir = case.path
    if values["OWN_ENGINES"]:
        case_dir = tmp_path / "own"
        shutil.copytree(case.path, case_dir)
    result = run(case_dir, GOOD_BODY, timeout=300, **values)
    assert_good_steps(case, result)


# --------------------------------------------------------------------------
# the seeds and REFERENCE-SQL.md, statement by statement

SEED000 = {
    "backref": RULE_FIXTURES / "SA104" / "good_seed000_backref_nullable",
    "no_backref": RULE_FIXTURES / "SA104" / "good_seed000_without_backref",
}


@pytest.mark.parametrize("variant", sorted(SEED000))
def test_seed000_deleting_the_parent(variant, pg_db_url, tmp_path):
    """Seed 000: `c1.parent = parent; session.delete(parent)`. With
    backref="children" the unit of work nulls the child first; without it the
    database refuses (PostgreSQL, SQLite with foreign keys on) or keeps a child
    pointing at nothing (SQLite as it comes, where `c1.parent` reads None)."""
    body = """
if configure():
    rel = find_class("Child").__mapper__.relationships["parent"]
    for db in DBS:
        run_step(db, "delete_target", delete_target(rel))
"""
    result = run(SEED000[variant], body, DBS=databases(pg_db_url, tmp_path))
    no_setup_error(result)
    done = steps(result, "delete_target")
    assert len(done) == 3, describe(result)
    for s in done:
        if variant == "backref":
            assert s["error"] is None and not s["parent_exists"], s
            assert s["children"] == [{"exists": True, "values": {"parentid": None}}], s
            assert null_update(s, "child") == 1, s["sql"]
        elif s["db"] == "sqlite_nofk":
            assert s["error"] is None and not s["parent_exists"], s
            assert s["dangling"] == ["child.parentid: 1"], s
        else:
            assert_integrity_error(s["error"], "fk", s["db"], "seed 000 without backref")
            assert not sql_matching(s, r"^UPDATE child "), s["sql"]
            if s["db"] == "postgresql":
                assert (
                    'update or delete on table "parent" violates foreign key constraint "child_parentid_fkey" '
                    'on table "child"' in s["error"]["message"]
                ), s["error"]


REFERENCE_AUTHOR_BOOK = {
    # fixture: (loaded, statements after `SELECT author ...`), REFERENCE-SQL.md "session.delete(author) with two books"
    "SA109/good_reference_sql_default_relationship": [
        (False, ["SELECT book", "UPDATE book SET author_id=%(author_id)s::INTEGER WHERE book.id = %(book_id)s::INTEGER *", "DELETE author"]),
        (True, ["SELECT book", "UPDATE book SET author_id=%(author_id)s::INTEGER WHERE book.id = %(book_id)s::INTEGER *", "DELETE author"]),
    ],
    "SA107/bad_reference_sql_author_book": [
        (False, ["SELECT book", "DELETE FROM book WHERE book.id = %(id)s::INTEGER *", "DELETE author"]),
        (True, ["SELECT book", "DELETE FROM book WHERE book.id = %(id)s::INTEGER *", "DELETE author"]),
    ],
    "SA106/good_reference_sql_author_book_two_files": [
        (False, ["DELETE author"]),
        (True, ["SELECT book", "DELETE FROM book WHERE book.id = %(id)s::INTEGER *", "DELETE author"]),
    ],
    "SA106/bad_reference_sql_passive_without_cascade": [
        (False, ["DELETE author"]),
        (True, ["SELECT book", "UPDATE book SET author_id=%(author_id)s::INTEGER WHERE book.id = %(book_id)s::INTEGER *", "DELETE author"]),
    ],
}
REFERENCE_STATEMENTS = {
    "SELECT book": "SELECT book.id, book.title, book.author_id FROM book WHERE %(param_1)s::INTEGER = book.author_id",
    "DELETE author": "DELETE FROM author WHERE author.id = %(id)s::INTEGER",
}


@pytest.mark.parametrize("fixture", sorted(REFERENCE_AUTHOR_BOOK))
def test_reference_sql_author_book(fixture, pg_db_url, tmp_path):
    """The statements REFERENCE-SQL.md lists for deleting an Author with two
    Books, on PostgreSQL (2.0's `AS book_id` column labels dropped; `*` marks
    an executemany over both books)."""
    body = """
if configure():
    rel = find_class("Author").__mapper__.relationships["books"]
    for loaded in (False, True):
        run_step(DBS[0], "delete_parent", delete_parent(rel, loaded), loaded=loaded)
"""
    result = run(RULE_FIXTURES / fixture, body, DBS=databases(pg_db_url, tmp_path, ("postgresql",)))
    no_setup_error(result)
    for (loaded, expected), s in zip(REFERENCE_AUTHOR_BOOK[fixture], steps(result, "delete_parent"), strict=True):
        assert s["loaded"] is loaded
        sent = [
            re.sub(r" AS \w+", "", q["sql"]) + (" *" if q["many"] else "")
            for q in s["sql"]
            if q["sql"] not in ("BEGIN (implicit)", "COMMIT")
        ]
        assert sent[0] == "SELECT author.id, author.name FROM author WHERE author.id = %(pk_1)s::INTEGER", sent
        assert sent[1:] == [REFERENCE_STATEMENTS.get(e, e) for e in expected], sent
        for q in s["sql"]:
            if q["many"]:
                assert len(q["params"]) == 2, q
                if q["sql"].startswith("UPDATE book"):
                    assert [p["author_id"] for p in q["params"]] == [None, None], q


# --------------------------------------------------------------------------
# the analyzer agrees


@pytest.mark.analyzer
@pytest.mark.parametrize("case", analyzer_params("agrees", CASES))
def test_analyzer_agrees(case):
    diagnostics = analyzer_check(case.path)
    found = {(d["code"], d["path"], d["range"]["start"]["line"]) for d in diagnostics}
    if case.bad:
        expected = {(e.code, e.path, e.line) for e in case.expects()}
        missing = sorted(expected - found)
        extra = sorted(found - expected)
        assert not missing and not extra, f"expected but not reported: {missing}\nreported but not expected: {extra}"
    else:
        assert not found, f"a good case must stay silent: {sorted(found)}"


def safe_fixes(case, code):
    """[(path, line)] of the case's `code` diagnostics that carry a safe fix."""
    out = []
    for d in analyzer_check(case.path, select=code):
        if d["code"] == code and any(f["applicability"] == "safe" for f in d.get("fixes", [])):
            out.append((d["path"], d["range"]["start"]["line"]))
    return out


def apply_fixes(case, work: Path, select: str | None) -> str:
    shutil.copytree(case.path, work)
    cmd = [str(analyzer_bin()), "check", "--fix", "--exit-zero"]
    if select:
        cmd += ["--select", select]
    cmd.append(str(work))
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def fixed_case(case, work):
    """A Case object for the fixed copy (same markers, new path)."""
    return type(case)(case.rule, case.name, work)


def check_fixed(code, case, fixed, result):
    """What the fixed model must do in the scenario the bad case failed."""
    no_setup_error(result)
    assert "error_type" not in result and "configure_error" not in result, describe(result)
    assert not sa_warnings(result), describe(result)
    if code == "SA102":
        for s in steps(result, "delete_parent"):
            assert s["error"] is None and not any(c["exists"] for c in s["children"]), s
            assert null_update(s, s["child_table"]) == 0, s["sql"]
    elif code == "SA106":
        for s in steps(result, "delete_parent"):
            if s["db"] == "sqlite_nofk" and not s["loaded"]:
                continue  # without PRAGMA foreign_keys nothing deletes unloaded rows (SA111's matter)
            assert s["error"] is None and not any(c["exists"] for c in s["children"]), s
            assert null_update(s, s["child_table"]) == 0, s["sql"]
    elif code == "SA107":
        for s in steps(result, "delete_parent"):
            assert s["error"] is None, s
            assert not sql_matching(s, rf"^(SELECT .* FROM|DELETE FROM) {s['child_table']} "), s["sql"]
            if s["db"] != "sqlite_nofk":
                assert not any(c["exists"] for c in s["children"]), s
    elif code in ("SA108", "SA109"):
        for s in steps(result, "delete_parent"):
            if s["db"] == "sqlite_nofk":
                continue
            assert s["error"] is None and not s["dangling"], s
            assert not s["parent_exists"], s
    elif code == "SA110":
        for s in steps(result, "bulk_delete"):
            if s["db"] == "sqlite_nofk":
                continue
            assert s["error"] is None and not s["parent_exists"] and not s["dangling"], s
            assert not any(c["exists"] for c in s["children"]), s
    elif code == "SA111":
        for obs in result["own_engines"]:
            assert obs["pragma_foreign_keys"] == 1, obs
            for d in obs["deletes"]:
                assert d["error"] is None and not d["dangling"], d
    elif code == "SA112":
        for s in steps(result, "change_parent_key"):
            assert s["error"] is None, s
            for child in (s["in_session_child"], s["other_child"]):
                assert list(child["values"].values()) == [s["new_key"]], s
    elif code == "SA113":
        for s in steps(result, "core_delete"):
            if s["db"] == "sqlite_nofk":
                continue
            assert s["error"] is None and not s["dangling"] and not s["parent_exists"], s
    elif code == "SA114":
        for s in steps(result, "create_all"):
            assert "setup_error" not in s, s
    elif code == "SA115":
        for s in steps(result, "delete_child"):
            assert s["error"] is None and s["parent_exists"], s
            assert all(sib["exists"] for sib in s["siblings"]), s


FIX_PARAMS = []
for _case in BAD:
    for _code in sorted({e.code for e in _case.expects()}):
        _key = f"{_case.id}:{_code}"
        _reason = ANALYZER_DISAGREES["safe_fix"].get(_key)
        FIX_PARAMS.append(
            pytest.param(
                _case, _code, id=_key, marks=[pytest.mark.xfail(strict=True, reason=_reason)] if _reason else []
            )
        )


@pytest.mark.analyzer
@pytest.mark.parametrize(("case", "code"), FIX_PARAMS)
def test_safe_fix_makes_sqlalchemy_behave(case, code, pg_db_url, tmp_path):
    if not safe_fixes(case, code):
        pytest.skip(f"no safe fix for {code} on this case")
    work = tmp_path / "fixed"
    apply_fixes(case, work, code)
    # (a) the analyzer is silent for the rule
    left = [d for d in analyzer_check(work, select=code) if d["code"] == code]
    assert not left, f"{code} survives its own fix: {left}"
    # (b) the same scenario now behaves
    fixed = fixed_case(case, work)
    (tmp_path / "db").mkdir()
    values = rule_inputs(case, code, pg_db_url, tmp_path / "db")
    code_dir = work
    if code == "SA111":
        code_dir = tmp_path / "own"
        shutil.copytree(work, code_dir)
    result = run(code_dir, rule_body(code), **values)
    check_fixed(code, case, fixed, result)


@pytest.mark.analyzer
@pytest.mark.parametrize("case", analyzer_params("silent_after_fixes", BAD))
def test_silent_after_fixes_means_good(case, pg_db_url, tmp_path):
    """When --fix leaves the analyzer with nothing to say, the fixed case must
    pass everything a good case passes."""
    work = tmp_path / "fixed"
    apply_fixes(case, work, None)
    left = analyzer_check(work)
    if left:
        pytest.skip(f"still reported after --fix: {sorted({d['code'] for d in left})}")
    fixed = fixed_case(case, work)
    values = good_inputs(fixed, pg_db_url, tmp_path)
    case_dir = work
    if values["OWN_ENGINES"]:
        case_dir = tmp_path / "own"
        shutil.copytree(work, case_dir)
    result = run(case_dir, GOOD_BODY, timeout=300, **values)
    assert_good_steps(fixed, result)
