"""What real SQLAlchemy emits for a case, for the hover SQL oracle
(test_hover_sql.py). Executed inside the case subprocess: harness.run_case
prepends _probe.py and this file to the body, so the names the case runner
binds (result, set_stage, mapped_classes, all_metadata, make_engine,
capture_sql, modules) are globals here. Nothing runs in the pytest process.

run_hover_oracle(admin_url, sqlite_dir) fills result["hover"] with, per
dialect ("postgresql", "sqlite": real databases; "mysql": a mock engine that
only compiles):

    metadata: [{"tables": {key: fullname}, "create": [sql...], "create_error",
                "table_errors": {fullname: error} (when create_all raised),
                "drop": [sql...], "drop_error"}]
    delete:   {"Class.attr": {"statements": [sql...], "error", "skip"}}
    flush:    {"Class.attr": {"statements": [sql...], "error", "skip"}}

A table's key is "<fullname> @ <path of the file that defines it>". Every
MetaData gets a database of its own (fixtures reuse table names across
MetaData). The delete scenario: a parent and two children linked through
the relationship are committed; a new session loads the parent with get(),
loads every *other* relationship of the parent, then session.delete(parent)
and flush() are captured. The flush scenario: new objects of the
relationship's two classes (one object for a self-reference) are linked
through every writable relationship between them, then add_all + flush
is captured.
"""

import itertools as _itertools
import os as _os
import uuid as _uuid

# Fresh dummy values for every new row: unique columns never collide.
_serials = _itertools.count(100)


_DDL_PREFIXES = ("CREATE", "ALTER", "COMMENT", "DROP")
_SKIP_PREFIXES = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")


def _relpath(module):
    path = getattr(module, "__file__", None) or ""
    return _os.path.relpath(path, _os.getcwd()).replace(_os.sep, "/")


def _table_paths():
    """Table object id -> path of the file that defines it: the class's file
    for a table declarative builds (or `__table__ = Table(...)` inline), else
    the file that assigns the `Table(...)` to its variable."""
    import re

    from sqlalchemy import Table

    paths = {}
    sources = {name: open(mod.__file__, encoding="utf-8").read() for name, mod in modules.items()}
    for name in sorted(modules):
        mod = modules[name]
        for var, value in vars(mod).items():
            if isinstance(value, Table) and id(value) not in paths:
                if re.search(rf"^{re.escape(var)}\s*=\s*(?:\w+\.)*Table\(", sources[name], re.M):
                    paths[id(value)] = _relpath(mod)
    for cls in mapped_classes():
        table = cls.__mapper__.local_table
        mod = modules.get(cls.__module__)
        if isinstance(table, Table) and mod is not None:
            paths.setdefault(id(table), _relpath(mod))
    return paths


def _statement_table(sql):
    import re

    for pattern in (
        r"^CREATE TABLE (\S+)",
        r"^CREATE (?:UNIQUE )?INDEX \S+ ON (\S+)",
        r"^COMMENT ON TABLE (\S+)",
        r"^COMMENT ON COLUMN (\S+)\.[^.\s]+ IS",
        r"^ALTER TABLE (\S+)",
        r"^DROP TABLE (\S+)",
    ):
        m = re.match(pattern, sql)
        if m:
            return m.group(1)
    return None


def _pg_database(admin_url, name, create=True):
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _mock_engine(url, out):
    from sqlalchemy import create_mock_engine

    holder = {}

    def executor(sql, *multiparams, **params):
        out.append(str(sql.compile(dialect=holder["engine"].dialect)).strip())

    engine = create_mock_engine(url, executor)
    if engine.dialect.name == "mysql":
        # What the dialect learns from a MySQL 8 server when it connects
        # (2.0 renders `DEFAULT (now())` only once it knows the version).
        # Its max_identifier_length stays 255: the MySQL dialect does not
        # ask the server, which refuses names over 64 characters itself.
        engine.dialect.server_version_info = (8, 0, 36)
    holder["engine"] = engine
    return engine


def _sqlite_savepoints(engine):
    """pysqlite's own transaction handling breaks SAVEPOINT: let SQLAlchemy
    emit BEGIN itself (the documented recipe), so that scenarios roll back."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


def _describe(exc):
    return f"{type(exc).__name__}: {exc}"


def _ddl_for(md, engine, mock_out=None, index=0):
    """create_all / drop_all of one MetaData, captured."""
    from sqlalchemy import text

    out = {"create": [], "drop": []}
    schemas = sorted({t.schema for t in md.tables.values() if t.schema})
    if mock_out is None:
        if schemas and engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                for schema in schemas:
                    conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        elif schemas:
            out["create_error"] = "skipped: schemas need PostgreSQL"
            return out
    for stage in ("create", "drop"):
        set_stage(f"hover_{stage}_all_{index}")
        try:
            if mock_out is not None:
                del mock_out[:]
                getattr(md, f"{stage}_all")(engine, checkfirst=False)
                statements = list(mock_out)
            else:
                with capture_sql(engine) as statements:
                    getattr(md, f"{stage}_all")(engine, checkfirst=False)
        except Exception as exc:  # noqa: BLE001 - reported
            out[f"{stage}_error"] = _describe(exc)
            if mock_out is not None:
                statements = list(mock_out)
        out[stage] = [s.strip() for s in statements if s.strip().upper().startswith(_DDL_PREFIXES)]
        if stage == "create" and f"{stage}_error" in out:
            out["table_errors"] = _table_errors(md, engine.dialect)
            break
    return out


def _table_errors(md, dialect):
    """When create_all raised: what compiling each table's CREATE TABLE and
    CREATE INDEX statements raises, by table, so that a table create_all
    did not reach is compared too."""
    from sqlalchemy.schema import CreateIndex, CreateTable

    errors = {}
    for table in md.sorted_tables:
        try:
            CreateTable(table).compile(dialect=dialect)
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                CreateIndex(index).compile(dialect=dialect)
        except Exception as exc:  # noqa: BLE001 - reported
            errors[table.fullname] = _describe(exc)
    return errors


# --------------------------------------------------------------------------
# building rows


def _new_row(cls, serial):
    """_probe's _new_instance, also for dataclass mappings whose __init__
    requires arguments (the instance is then made without __init__)."""
    try:
        return _new_instance(cls, serial)
    except TypeError:
        obj = cls.__mapper__.class_manager.new_instance()
        for prop in cls.__mapper__.column_attrs:
            for column in prop.columns:
                if getattr(column, "table", None) is None:
                    continue
                value = _dummy_value(column, serial) if _needs_value(column) else None
                setattr(obj, prop.key, value)
        return obj


def _unique_columns(columns):
    """Do these columns carry a unique constraint or unique index of their own?"""
    from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint

    columns = set(columns)
    if not columns:
        return False
    table = next(iter(columns)).table
    if len(columns) == 1 and next(iter(columns)).unique:
        return True
    for constraint in table.constraints:
        if isinstance(constraint, (UniqueConstraint, PrimaryKeyConstraint)):
            if set(constraint.columns) == columns:
                return True
    return any(index.unique and set(index.columns) == columns for index in table.indexes)


def _required_parents(session, obj, skip_cols, depth=0):
    """Sets every many-to-one relationship whose FK columns are NOT NULL
    (except skip_cols) to a new committed target, recursively."""
    mapper = obj.__class__.__mapper__
    for rel in mapper.relationships:
        if rel.direction.name != "MANYTOONE" or rel.viewonly:
            continue
        local = [c for c in rel.local_columns if c not in skip_cols]
        if not local or all(c.nullable for c in local):
            continue
        if getattr(obj, rel.key) is not None:
            continue
        if depth > 4 or rel.mapper.class_ is obj.__class__:
            raise LookupError(f"cannot satisfy the required relationship {rel}")
        parent = _new_row(rel.mapper.class_, next(_serials))
        _required_parents(session, parent, set(), depth + 1)
        session.add(parent)
        session.flush()
        setattr(obj, rel.key, parent)


def _attr_for_column(mapper, column):
    return mapper.get_property_by_column(column).key


def _savepoint_session(conn):
    from sqlalchemy.orm import Session

    return Session(bind=conn, join_transaction_mode="create_savepoint")


def _capture_conn(conn):
    import contextlib

    from sqlalchemy import event

    @contextlib.contextmanager
    def cm():
        statements = []

        def before(c, cursor, statement, parameters, context, executemany):
            if not statement.strip().upper().startswith(_SKIP_PREFIXES):
                statements.append(statement)

        event.listen(conn, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(conn, "before_cursor_execute", before)

    return cm()


def _delete_scenario(engine, cls, prop):
    """Statements of session.delete(parent) for relationship prop of cls."""
    direction = prop.direction.name
    if prop.viewonly:
        return {"skip": "viewonly"}
    if direction == "MANYTOONE":
        parent_cls, child_cls = prop.mapper.class_, cls
        columns = set(prop.local_columns)
        drivers = [
            r
            for r in parent_cls.__mapper__.relationships
            if r.direction.name == "ONETOMANY"
            and not r.viewonly
            and r.mapper.class_ is cls
            and set(r.remote_side) == columns
        ]
        if len(drivers) > 1:
            return {"skip": "several one-to-many relationships write these columns"}
        driver = drivers[0] if drivers else None
    else:
        parent_cls, child_cls = cls, prop.mapper.class_
        driver = prop
    parent_mapper = parent_cls.__mapper__
    if parent_mapper.inherits is not None or parent_mapper.polymorphic_map and len(parent_mapper.polymorphic_map) > 1:
        return {"skip": "inheritance"}
    out = {}
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            with _savepoint_session(conn) as session:
                parent = _new_row(parent_cls, next(_serials))
                _required_parents(session, parent, set())
                session.add(parent)
                session.flush()
                # Two children, or one where the foreign key is unique (one-to-one).
                count = 1 if direction != "MANYTOMANY" and _unique_columns(
                    dest for _, dest in prop.synchronize_pairs
                ) else 2
                children = [_new_row(child_cls, next(_serials)) for _ in range(count)]
                if direction == "MANYTOMANY":
                    for child in children:
                        _required_parents(session, child, set())
                    session.add_all(children)
                    session.flush()
                    rows = []
                    for child in children:
                        row = {}
                        for src, dest in prop.synchronize_pairs:
                            row[dest.key] = getattr(parent, _attr_for_column(parent_mapper, src))
                        for src, dest in prop.secondary_synchronize_pairs:
                            row[dest.key] = getattr(child, _attr_for_column(child_cls.__mapper__, src))
                        rows.append(row)
                    session.execute(prop.secondary.insert(), rows)
                else:
                    link_cols = {dest for _, dest in prop.synchronize_pairs}
                    for child in children:
                        for src, dest in prop.synchronize_pairs:
                            setattr(
                                child,
                                _attr_for_column(child_cls.__mapper__, dest),
                                getattr(parent, _attr_for_column(parent_mapper, src)),
                            )
                        _required_parents(session, child, link_cols)
                    session.add_all(children)
                    session.flush()
                pk = parent_mapper.primary_key_from_instance(parent)
                child_keys = [child_cls.__mapper__.primary_key_from_instance(c) for c in children]
                session.commit()
            with _savepoint_session(conn) as session:
                loaded = session.get(parent_cls, pk)
                for other in parent_mapper.relationships:
                    if driver is not None and other is driver:
                        continue
                    if other.lazy in ("dynamic", "write_only", "raise", "raise_on_sql", "noload"):
                        continue
                    value = getattr(loaded, other.key)
                    if other.cascade.delete and value not in (None, []) and not (
                        hasattr(value, "__len__") and len(value) == 0
                    ):
                        return {"skip": f"the parent's relationship {other.key} also cascades the delete"}
                with _capture_conn(conn) as statements:
                    try:
                        session.delete(loaded)
                        session.flush()
                    except Exception as exc:  # noqa: BLE001 - reported
                        out["error"] = _describe(exc)
                out["statements"] = [s.strip() for s in statements]
                if "error" not in out:
                    out["after"] = _children_after(session, prop, child_cls, child_keys, pk)
                session.rollback()
        except LookupError as exc:
            out = {"skip": str(exc)}
        finally:
            outer.rollback()
    return out


def _children_after(session, prop, child_cls, child_keys, parent_pk):
    """What the database holds after the parent's DELETE: how many of the
    children (association rows for a many-to-many) remain, how many with a
    NULL foreign key."""
    from sqlalchemy import and_, func, null, or_, select

    if prop.direction.name == "MANYTOMANY":
        parent_cols = [dest for _, dest in prop.synchronize_pairs]
        rows = session.execute(
            select(func.count()).select_from(prop.secondary).where(
                and_(*[c == v for c, v in zip(parent_cols, parent_pk)])
            )
        ).scalar()
        return {"of": len(child_keys), "remaining": rows, "nulled": 0}
    table = child_cls.__mapper__.local_table
    pk_cols = list(child_cls.__mapper__.primary_key)
    fk_cols = list(prop.local_columns if prop.direction.name == "MANYTOONE" else prop.remote_side)
    match = or_(*[and_(*[c == v for c, v in zip(pk_cols, key)]) for key in child_keys])
    remaining = session.execute(select(func.count()).select_from(table).where(match)).scalar()
    nulled = session.execute(
        select(func.count()).select_from(table).where(match, and_(*[c.is_(null()) for c in fk_cols]))
    ).scalar()
    return {"of": len(child_keys), "remaining": remaining, "nulled": nulled}


def _row_cycle(cls, target):
    """The classes of the row cycle holding both classes: the strongly
    connected component, in the graph of classes whose rows refer to
    another's (a many-to-one or one-to-many relationship, not viewonly),
    that holds both; None when none does."""
    refers = {}
    for mapper in cls.__mapper__.registry.mappers:
        for rel in mapper.relationships:
            if rel.viewonly or rel.direction.name == "MANYTOMANY":
                continue
            holder, referred = (
                (rel.parent.class_, rel.mapper.class_)
                if rel.direction.name == "MANYTOONE"
                else (rel.mapper.class_, rel.parent.class_)
            )
            refers.setdefault(holder, set()).add(referred)

    def reachable(start):
        seen, todo = {start}, [start]
        while todo:
            for nxt in refers.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    if target not in reachable(cls) or cls not in reachable(target):
        return None
    return [c for c in reachable(cls) if cls in reachable(c)]


def _flush_scenario(engine, cls, prop):
    """Statements of a flush of new objects, one per class of the row
    cycle the relationship is in (else of its two classes), linked through
    every writable relationship between them."""
    target = prop.mapper.class_
    cycle = _row_cycle(cls, target) if target is not cls else None
    classes = [cls] if target is cls else cycle if cycle else [cls, target]
    for c in classes:
        m = c.__mapper__
        if m.inherits is not None or (m.polymorphic_map and len(m.polymorphic_map) > 1):
            return {"skip": "inheritance"}
    out = {}
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            with _savepoint_session(conn) as session:
                objects = {c: _new_row(c, next(_serials)) for c in classes}
                links = set()
                for c in classes:
                    for rel in c.__mapper__.relationships:
                        if rel.viewonly or rel.mapper.class_ not in objects:
                            continue
                        if rel.direction.name == "MANYTOMANY":
                            continue
                        links.update(col for col in rel.local_columns)
                        links.update(col for col in rel.remote_side)
                for c, obj in objects.items():
                    _required_parents(session, obj, links)
                session.flush()
                for c, obj in objects.items():
                    for rel in c.__mapper__.relationships:
                        if rel.viewonly or rel.mapper.class_ not in objects:
                            continue
                        if rel.direction.name == "MANYTOMANY":
                            continue
                        other = objects[rel.mapper.class_]
                        if rel.uselist:
                            collection = getattr(obj, rel.key)
                            if other not in collection:
                                collection.append(other)
                        elif getattr(obj, rel.key) is None:
                            setattr(obj, rel.key, other)
                with _capture_conn(conn) as statements:
                    try:
                        session.add_all(list(objects.values()))
                        session.flush()
                    except Exception as exc:  # noqa: BLE001 - reported
                        out["error"] = _describe(exc)
                out["statements"] = [s.strip() for s in statements]
                session.rollback()
        except LookupError as exc:
            out = {"skip": str(exc)}
        finally:
            outer.rollback()
    return out


def run_hover_oracle(admin_url, sqlite_dir, dialects=("postgresql", "sqlite", "mysql"), pg_databases=()):
    """One process per dialect is best: a MetaData that ran create_all on
    PostgreSQL leaves its cycle's foreign keys out of SQLite's CREATE TABLE.
    pg_databases: URLs of empty databases for the first MetaDatas; one is
    created (and dropped) for each other."""
    from sqlalchemy.orm import configure_mappers

    set_stage("configure")
    configure_mappers()
    metadatas = all_metadata()
    paths = _table_paths()
    hover = {}
    result["hover"] = hover
    for dialect in dialects:
        per = {"metadata": [], "delete": {}, "flush": {}}
        hover[dialect] = per
        engines = {}
        databases = []
        try:
            for index, md in enumerate(metadatas):
                tables = {}
                for table in md.tables.values():
                    tables[f"{table.fullname} @ {paths.get(id(table), '?')}"] = table.fullname
                if dialect == "mysql":
                    mock_out = []
                    engine = _mock_engine("mysql://", mock_out)
                    entry = _ddl_for(md, engine, mock_out, index)
                else:
                    if dialect == "postgresql" and index < len(pg_databases):
                        url = pg_databases[index]
                    elif dialect == "postgresql":
                        name = f"hover_{_uuid.uuid4().hex[:10]}_{index}"
                        url = _pg_database(admin_url, name)
                        databases.append(name)
                    else:
                        url = f"sqlite:///{sqlite_dir}/md{index}_{_uuid.uuid4().hex[:6]}.db"
                    engine = make_engine(url)
                    if dialect == "sqlite":
                        _sqlite_savepoints(engine)
                    entry = _ddl_for(md, engine, index=index)
                    # Leave the tables in place for the scenarios.
                    if "create_error" not in entry:
                        md.create_all(engine)
                        engines[id(md)] = engine
                    else:
                        engine.dispose()
                entry["tables"] = tables
                per["metadata"].append(entry)
            if dialect == "mysql":
                continue
            for cls in mapped_classes():
                engine = engines.get(id(cls.__mapper__.local_table.metadata))
                if engine is None:
                    continue
                for prop in cls.__mapper__.relationships:
                    if prop.parent is not cls.__mapper__:
                        continue  # inherited: reported on the class that declares it
                    key = f"{cls.__module__}.{cls.__name__}.{prop.key}"
                    for kind, scenario in (("delete", _delete_scenario), ("flush", _flush_scenario)):
                        set_stage(f"hover_{kind}")
                        try:
                            per[kind][key] = scenario(engine, cls, prop)
                        except Exception as exc:  # noqa: BLE001 - a scenario that cannot be built
                            per[kind][key] = {"skip": "scenario failed: " + _describe(exc)}
        finally:
            for engine in engines.values():
                engine.dispose()
            for name in databases:
                _pg_database(admin_url, name, create=False)
