"""SA201-SA208 (relationship wiring): what real SQLAlchemy does with each fixture.

Every directory tests/fixtures/rules/SA20x/{bad,good}_*/ is picked up:

- a bad case must fail (or warn, or mis-sync) the way RULES.md says, naming the
  relationship / ForeignKey on the `# expect: SA20x` line;
- a good case must configure, CREATE on PostgreSQL and SQLite, flush one object
  of each class with its relationships set, and DROP, with no SAWarning and
  with every back_populates pair syncing both ways in Python;
- the analyzer (marker `analyzer`) must report the rule on every `# expect`
  line of a bad case and never report it for a good case.

The probe (_probe.py) runs the same steps for every case; the per-rule checks
below hold the behaviour RULES.md documents, checked against real exceptions
and warning texts (identical for SQLAlchemy 2.0 and 2.1).
"""

from __future__ import annotations

import re

import pytest
from harness import (
    analyzer_check,
    attribute_at,
    describe,
    discover_cases,
    probe_body,
    run_case,
    sa_warnings,
)

RULES = ["SA201", "SA202", "SA203", "SA204", "SA205", "SA206", "SA207", "SA208"]
CASES = [c for c in discover_cases("SA20") if c.rule in RULES]
BAD = [c for c in CASES if c.bad]
GOOD = [c for c in CASES if not c.bad]


def ids(cases):
    return [c.id for c in cases]


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


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_expect_markers(case):
    expects = case.expects()
    if case.bad:
        own = [e for e in expects if e.code == case.rule]
        assert own, f"{case.id}: no `# expect: {case.rule}` marker"
        for e in own:
            if case.rule == "SA202":
                continue
            attr = attribute_at(case.path / e.path, e.line)
            assert attr is not None, f"{case.id}: {e.path}:{e.line} is not a class attribute"
            line = (case.path / e.path).read_text().splitlines()[e.line - 1]
            assert re.search(r"\b(relationship|Relationship)\(", line), (
                f"{case.id}: {e.path}:{e.line}: SA2xx is anchored on the line of the `relationship(` call"
            )
    else:
        assert not expects, f"{case.id}: a good case carries expect markers: {expects}"


# --------------------------------------------------------------------------
# real SQLAlchemy on the bad cases


def expected_attributes(case, code):
    """[(Expect, Attribute)] for the case's `# expect: <code>` markers."""
    return [(e, attribute_at(case.path / e.path, e.line)) for e in case.expects() if e.code == code]


def kwarg(source: str, name: str) -> str | None:
    match = re.search(rf"\b{name}\s*=\s*(?:\w+\.)?(?:backref\(\s*)?[\"']([\w.]+)[\"']", source)
    return match.group(1) if match else None


def configure_error(result):
    assert result.get("failed_stage") == "configure", describe(result)
    return result["error_type"], result["error_message"]


def check_sa201(case, result, expected):
    kind, message = configure_error(result)
    assert kind == "InvalidRequestError", describe(result)
    for _, attr in expected:
        assert f"When initializing mapper Mapper[{attr.cls}(" in message, message
        match = re.search(r"expression '([\w.]+)' failed to locate a name \('([\w.]+)'\)", message)
        assert match, message


def check_sa202(case, result, expected):
    stage, kind, message = result.get("failed_stage"), result.get("error_type"), result.get("error_message", "")
    for e, _ in expected:
        line = (case.path / e.path).read_text().splitlines()[e.line - 1]
        match = re.search(r"(?:ForeignKey\(|foreign_key=)\s*[\"']([\w.]+)[\"']", line)
        assert match, f"{e.path}:{e.line}: no ForeignKey target on the expect line"
        table, column = match.group(1).rsplit(".", 1)
        known = set(result["known_tables"])
        if table in known:
            # unknown column: at configure when a relationship uses it, else at create_all
            assert kind == "NoReferencedColumnError", describe(result)
            assert stage in ("configure", "create_all"), describe(result)
            assert f"table '{table.rsplit('.', 1)[-1]}' has no column named '{column}'" in message, message
        else:
            # unknown table: NoForeignKeysError when a relationship needs the join,
            # else NoReferencedTableError at create_all
            assert (stage, kind) in (
                ("configure", "NoForeignKeysError"),
                ("create_all", "NoReferencedTableError"),
            ), describe(result)
            if kind == "NoReferencedTableError":
                assert f"could not find table '{table}'" in message, message
            else:
                assert "there are no foreign keys linking these tables" in message, message


def check_sa203(case, result, expected):
    kind, message = configure_error(result)
    for _, attr in expected:
        x = kwarg(attr.source, "back_populates")
        assert x, attr.source
        patterns = [
            ("InvalidRequestError", rf"Mapper 'Mapper\[\w+\(\w+\)\]' has no property '{x}'"),
            (
                "InvalidRequestError",
                rf"back_populates on relationship '{attr.cls}\.{attr.key}' refers to attribute "
                rf"'\w+\.{x}' that is not a relationship",
            ),
            (
                "ArgumentError",
                rf"reverse_property '{x}' on relationship {attr.cls}\.{attr.key} references relationship "
                rf"\w+\.{x}, which does not reference mapper Mapper\[{attr.cls}\(",
            ),
        ]
        assert any(kind == k and re.search(p, message) for k, p in patterns), describe(result)


def check_sa204(case, result, expected):
    kind, message = configure_error(result)
    assert kind == "ArgumentError", describe(result)
    for _, attr in expected:
        name = kwarg(attr.source, "backref")
        assert name, attr.source
        assert re.search(
            rf"Error creating backref '{name}' on relationship '{attr.cls}\.{attr.key}': "
            r"property of that name exists on mapper 'Mapper\[",
            message,
        ), message


def check_sa205(case, result, expected):
    kind, message = configure_error(result)
    assert kind == "AmbiguousForeignKeysError", describe(result)
    assert "ArgumentError" in result["error_mro"]
    names = [f"on relationship {attr.cls}.{attr.key} - there are multiple foreign key paths" for _, attr in expected]
    assert any(n in message for n in names), message


def check_sa206(case, result, expected):
    kind, message = configure_error(result)
    assert kind == "NoForeignKeysError", describe(result)
    names = [f"on relationship {attr.cls}.{attr.key} - there are no foreign keys linking" for _, attr in expected]
    assert any(n in message for n in names), message


OVERLAP_RE = re.compile(
    r"relationship '(?P<subject>[\w.]+)' will copy column \S+ to column \S+, "
    r"which conflicts with relationship\(s\): (?P<others>.*?)\. If this is not the intention"
)


def check_sa207(case, result, expected):
    assert result["stages"].get("configure") == "ok", describe(result)
    involved = set()
    for message in sa_warnings(result, stage="configure"):
        match = OVERLAP_RE.search(message)
        if match:
            involved.add(match.group("subject"))
            involved.update(re.findall(r"'([\w.]+)' \(copies", match.group("others")))
    assert involved, describe(result)
    for _, attr in expected:
        assert f"{attr.cls}.{attr.key}" in involved, (f"{attr.cls}.{attr.key}", involved)


def check_sa208(case, result, expected):
    assert result["stages"].get("configure") == "ok", describe(result)
    for _, attr in expected:
        synced = result["sync"][f"{attr.cls}.{attr.key}"]
        # one-way: assigning through the partner does not reach this side
        # (False), or the partner's own back_populates points elsewhere and the
        # assignment is refused ("ValueError: Bidirectional attribute conflict").
        assert synced is False or str(synced).startswith("ValueError: Bidirectional attribute conflict"), (
            attr,
            synced,
        )


CHECKS = {
    "SA201": check_sa201,
    "SA202": check_sa202,
    "SA203": check_sa203,
    "SA204": check_sa204,
    "SA205": check_sa205,
    "SA206": check_sa206,
    "SA207": check_sa207,
    "SA208": check_sa208,
}

KNOWN_TABLES = """
result["known_tables"] = sorted(
    name for md in all_metadata() for t in md.tables.values() for name in {t.name, t.fullname}
)
run_probe()
"""


@pytest.mark.parametrize("case", BAD, ids=ids(BAD))
def test_bad_case_fails_in_sqlalchemy(case, pg_db_url):
    result = run_case(case.path, probe_body(KNOWN_TABLES), db_url=pg_db_url)
    assert result.get("error_phase") != "import", describe(result)
    # a case may expect several SA2xx codes (e.g. `# expect: SA207, SA208`): check each
    for code in sorted({e.code for e in case.expects()} & set(CHECKS)):
        CHECKS[code](case, result, expected_attributes(case, code))


# --------------------------------------------------------------------------
# real SQLAlchemy on the good cases


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
@pytest.mark.parametrize("case", GOOD, ids=ids(GOOD))
def test_good_case_works(case, database, request):
    url = request.getfixturevalue("pg_db_url" if database == "postgresql" else "sqlite_url")
    result = run_case(case.path, probe_body(), db_url=url)
    assert "error_type" not in result, describe(result)
    stages = result["stages"]
    if database == "sqlite" and str(stages.get("create_all", "")).startswith("skipped"):
        pytest.skip(stages["create_all"])
    assert stages == {s: "ok" for s in ("configure", "sync", "create_all", "flush", "drop_all")}, describe(result)
    assert not sa_warnings(result), describe(result)
    assert all(v is True for v in result["sync"].values()), result["sync"]


# --------------------------------------------------------------------------
# the analyzer agrees


@pytest.mark.analyzer
@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_analyzer_agrees(case):
    diagnostics = analyzer_check(case.path)
    found = {(d["code"], d["path"], d["range"]["start"]["line"]) for d in diagnostics}
    if case.bad:
        missing = [e for e in case.expects() if (e.code, e.path, e.line) not in found]
        assert not missing, f"expected but not reported: {missing}\nreported: {sorted(found)}"
    else:
        wrong = sorted(f for f in found if f[0] == case.rule)
        assert not wrong, f"{case.rule} reported on a good case: {wrong}"
