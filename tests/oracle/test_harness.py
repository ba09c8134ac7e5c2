"""The oracle machinery itself: databases, the case runner, expect markers."""

from __future__ import annotations

import json
import textwrap

import forkserver
import psycopg
import pytest
from harness import REPO_ROOT, CaseCrashed, attribute_at, make_engine, run_case
from sqlalchemy import text


def write(root, files: dict[str, str]):
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return root


def test_postgres_cluster_is_usable(pg_url):
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
        database = conn.execute(text("SELECT current_database()")).scalar_one()
    engine.dispose()
    assert database == "postgres"
    assert version.split(".")[0].isdigit()


def test_each_test_gets_an_empty_database(pg_db_url):
    engine = make_engine(pg_db_url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one() == 0
        conn.execute(text("CREATE TABLE scratch (id int)"))
    engine.dispose()


# What a test may leave in its database, and what a new database has.
CATALOG = """
SELECT (SELECT array_agg(nspname::text ORDER BY nspname) FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_%'),
       (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'),
       (SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'),
       (SELECT array_agg(extname::text ORDER BY extname) FROM pg_extension),
       (SELECT nspowner::regrole::text || ' ' || nspacl::text FROM pg_namespace WHERE nspname = 'public')
"""


def test_a_released_database_is_as_new(pg_cluster):
    new = pg_cluster.lease_database()
    with pg_cluster.connect(new) as conn:
        as_new = conn.execute(CATALOG).fetchone()
        conn.execute("CREATE SCHEMA sales")
        conn.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')")
        conn.execute("CREATE TABLE sales.item (id serial PRIMARY KEY, mood mood)")
        conn.execute("CREATE TABLE item (id serial PRIMARY KEY, sold int REFERENCES sales.item (id))")
        conn.execute("CREATE VIEW items AS SELECT * FROM item")
        held = pg_cluster.connect(new)
        held.execute("BEGIN; LOCK TABLE item")  # a session the test left open
    pg_cluster.release_database(new)
    again = pg_cluster.lease_database()
    assert again == new
    with pg_cluster.connect(again) as conn:
        assert conn.execute(CATALOG).fetchone() == as_new
    # the session left open was ended
    with pytest.raises(psycopg.OperationalError):
        held.execute("SELECT 1")
    held.close()
    pg_cluster.release_database(again)


def test_a_database_that_cannot_be_as_new_is_dropped(pg_cluster):
    name = pg_cluster.lease_database()
    pg_cluster.admin(f'ALTER DATABASE "{name}" SET search_path = sales')
    pg_cluster.release_database(name)
    assert name not in pg_cluster.free_databases
    with pg_cluster.connect("postgres") as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()[0] == 0


def test_sqlite_engine_enforces_foreign_keys(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
    engine.dispose()


def test_run_case_imports_packages_by_dotted_name(tmp_path):
    case = write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/models/__init__.py": "",
            "pkg/models/parent.py": """
                from sqlalchemy import Column, Integer
                from sqlalchemy.orm import declarative_base, relationship
                Base = declarative_base()
                class Parent(Base):
                    __tablename__ = "parent"
                    id = Column(Integer, primary_key=True)
                    children = relationship("pkg.models.child.Child")
            """,
            "pkg/models/child.py": """
                from sqlalchemy import Column, ForeignKey, Integer
                from pkg.models.parent import Base
                class Child(Base):
                    __tablename__ = "child"
                    id = Column(Integer, primary_key=True)
                    parent_id = Column(ForeignKey("parent.id"))
            """,
        },
    )
    result = run_case(
        case,
        """
from sqlalchemy.orm import configure_mappers
configure_mappers()
result["modules"] = sorted(modules)
result["target"] = find_class("Parent").children.property.mapper.class_.__name__
result["base"] = find_base().__name__
result["mapped"] = [c.__name__ for c in mapped_classes()]
""",
    )
    assert "error_type" not in result, result
    assert result["modules"] == ["pkg", "pkg.models", "pkg.models.child", "pkg.models.parent"]
    assert result["target"] == "Child"
    assert result["base"] == "Base"
    assert result["mapped"] == ["Child", "Parent"]


def test_run_case_reports_errors_and_warnings(tmp_path):
    case = write(tmp_path, {"models.py": "import warnings\nwarnings.warn('at import', UserWarning)\n"})
    result = run_case(case, "set_stage('later')\nraise KeyError('boom')")
    assert result["error_type"] == "KeyError"
    assert result["error_phase"] == "body"
    assert "boom" in result["error_message"]
    assert result["warnings"][0]["category"] == "UserWarning"
    assert result["warnings"][0]["message"] == "at import"
    assert result["warnings"][0]["stage"] == "import"
    assert result["warnings"][0]["sqlalchemy"] is False


def test_run_case_import_error_is_reported(tmp_path):
    case = write(tmp_path, {"models.py": "raise ValueError('bad model')\n"})
    result = run_case(case, "result['reached'] = True")
    assert result["error_type"] == "ValueError"
    assert result["error_phase"] == "import"
    assert "reached" not in result


def test_capture_sql(tmp_path, sqlite_url):
    case = write(
        tmp_path,
        {
            "models.py": """
                from sqlalchemy import Integer
                from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
                class Base(DeclarativeBase):
                    pass
                class Thing(Base):
                    __tablename__ = "thing"
                    id: Mapped[int] = mapped_column(Integer, primary_key=True)
            """
        },
    )
    result = run_case(
        case,
        """
from sqlalchemy.orm import Session
engine = make_engine()
with capture_sql(engine) as statements:
    find_base().metadata.create_all(engine)
    with Session(engine) as session:
        session.add(find_class("Thing")())
        session.commit()
result["sql"] = statements
""",
        db_url=sqlite_url,
    )
    assert "error_type" not in result, result
    joined = "\n".join(result["sql"])
    assert "CREATE TABLE thing" in joined
    assert "INSERT INTO thing" in joined


def test_attribute_at_finds_multiline_statement(tmp_path):
    file = tmp_path / "m.py"
    file.write_text(
        "class A:\n"
        "    x = 1\n"
        "    items = relationship(\n"
        "        'B',\n"
        "    )\n",
        encoding="utf-8",
    )
    assert attribute_at(file, 3).key == "items"
    assert attribute_at(file, 4).cls == "A"
    assert attribute_at(file, 1) is None


# --------------------------------------------------------------------------
# the case processes (forkserver.py, _zygote.py)

MODELS = """
    from sqlalchemy import Integer
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
    class Base(DeclarativeBase):
        pass
    class Thing(Base):
        __tablename__ = "thing"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)
"""


def test_each_case_starts_afresh(tmp_path):
    """Two cases with the same class and table names: the second sees nothing
    of the first (no module, no mapper, no warnings filter)."""
    body = """
import sys, warnings
warnings.warn("left behind?")
from sqlalchemy.orm import configure_mappers
from sqlalchemy.orm.mapper import _mapper_registries
configure_mappers()
result["mapped"] = [c.__name__ for c in mapped_classes()]
result["registries"] = len(_mapper_registries)
result["loaded"] = sorted(m for m in sys.modules if m in ("models", "other"))
warnings.filterwarnings("error", message="left behind")
"""
    first = run_case(write(tmp_path / "a", {"models.py": MODELS}), body)
    second = run_case(write(tmp_path / "b", {"other.py": MODELS}), body)
    for result in (first, second):
        assert "error_type" not in result, result
        assert result["mapped"] == ["Thing"]
        assert result["registries"] == 1
        assert [w["message"] for w in result["warnings"]] == ["left behind?"]
    assert first["loaded"] == ["models"]
    assert second["loaded"] == ["other"]


def test_run_case_output_and_timeout(tmp_path):
    case = write(tmp_path, {"models.py": "print('imported')\n"})
    result = run_case(case, "import os, sys\nprint('to stdout')\nos.write(2, b'to fd 2\\n')\nsys.stdout.flush()")
    assert "error_type" not in result, result
    assert result["_stdout"] == "imported\nto stdout\n"
    assert result["_stderr"] == "to fd 2\n"
    with pytest.raises(CaseCrashed, match="no result after 1s"):
        run_case(case, "import time\nprint('waiting', flush=True)\ntime.sleep(60)", timeout=1)
    # the next case runs as usual
    assert run_case(case, "result['after'] = 1")["after"] == 1


def test_a_case_that_dies_is_a_crash(tmp_path):
    case = write(tmp_path, {"models.py": ""})
    with pytest.raises(CaseCrashed, match="exited -9 without a result"):
        run_case(case, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    with pytest.raises(CaseCrashed, match="exited 3 without a result"):
        run_case(case, "import os\nos._exit(3)")
    assert run_case(case, "result['after'] = 1")["after"] == 1


def test_a_case_sees_the_environment_of_its_run(tmp_path, monkeypatch):
    """pytest sets PYTEST_CURRENT_TEST per test: the case gets the value of
    the moment, from the same zygote."""
    case = write(tmp_path, {"models.py": ""})
    body = "import os\nresult['test'] = os.environ.get('PYTEST_CURRENT_TEST')\nresult['parent'] = os.getppid()"
    first = run_case(case, body)
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "another test")
    second = run_case(case, body)
    assert "test_harness.py::test_a_case_sees_the_environment_of_its_run" in first["test"]
    assert second["test"] == "another test"
    assert first["parent"] == second["parent"]


@pytest.mark.skipif(forkserver.fresh_interpreter(), reason="no zygote with ORACLE_FRESH_INTERPRETER=1")
def test_a_lost_zygote_is_started_again(tmp_path):
    case = write(tmp_path, {"models.py": ""})
    assert run_case(case, "result['pid'] = 1")["pid"] == 1
    for zygote in list(forkserver._ZYGOTES.values()):
        zygote.proc.kill()
        zygote.proc.wait()
    assert run_case(case, "result['again'] = 1")["again"] == 1


def test_no_fixture_module_shadows_a_preloaded_one(tmp_path):
    """A fixture module named like a module the zygote imported before the
    fork (say `logging.py`) would be imported by SQLAlchemy in a new
    interpreter, and not in a forked child."""
    script = tmp_path / "modules.py"
    script.write_text("import json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n")
    proc = forkserver.run_python(script, [], cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout))
    fixtures = REPO_ROOT / "tests" / "fixtures"
    # A case imports what its directory holds (the directory itself, say
    # extract/flask, is on sys.path and no module).
    roots = [*fixtures.glob("rules/*/*"), *fixtures.glob("extract/*"), *fixtures.glob("sql/*"), *fixtures.glob("regressions/*")]
    inside = [p for root in roots if root.is_dir() for p in root.rglob("*")]
    names = {p.stem for p in inside if p.suffix == ".py"} | {p.name for p in inside if p.is_dir()}
    assert names, "no fixture modules found"
    assert not names & loaded, f"fixture modules named like preloaded ones: {sorted(names & loaded)}"
