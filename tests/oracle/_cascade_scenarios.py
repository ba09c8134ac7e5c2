"""Delete, update and bulk-delete scenarios for the SA1xx oracle
(test_sa1xx_cascades.py), executed inside the case subprocess.

The test prepends _probe.py (for _new_instance) and this file to a case body,
so the names the case runner binds (result, set_stage, modules, find_class,
mapped_classes, all_metadata, make_engine) are globals here. Nothing in this
file runs in the pytest process.

Every scenario runs as a *step* on one database (see run_step): a fresh schema
(create_all), rows made through the models, one action (session.delete, a
bulk delete, a primary-key change, a Core DELETE), then observations: the
error the action raised, the statements sent (with their parameters), the
rows left behind and the foreign keys left pointing at nothing.

A database is {"name": "postgresql" | "sqlite" | "sqlite_nofk", "url": ...,
"fk": bool}: "fk" False is SQLite as it comes (PRAGMA foreign_keys off).
"""

import contextlib
import inspect as _pyinspect
import itertools

_SERIAL = itertools.count(1000)
_STEP_NO = itertools.count(1)


# --------------------------------------------------------------------------
# small helpers


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return repr(value)


def error_info(exc):
    """What a test needs to know about an exception raised by an action."""
    orig = getattr(exc, "orig", None)
    return {
        "type": type(exc).__name__,
        "mro": [c.__name__ for c in type(exc).__mro__],
        "message": str(exc),
        "orig_type": type(orig).__name__ if orig is not None else None,
        "orig_module": type(orig).__module__ if orig is not None else None,
        "sqlstate": getattr(orig, "sqlstate", None),
    }


def engine_for(db):
    from sqlalchemy import create_engine

    if db["fk"]:
        return make_engine(db["url"])  # SQLite: PRAGMA foreign_keys=ON on connect
    return create_engine(db["url"])


@contextlib.contextmanager
def capture(engine):
    """Every statement sent through engine: {"sql", "params", "many"}."""
    from sqlalchemy import event

    statements = []

    def _before(conn, cursor, statement, parameters, context, executemany):
        statements.append({"sql": " ".join(statement.split()), "params": _jsonable(parameters), "many": executemany})

    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _before)


def configure():
    """configure_mappers(); the error (if any) in result["configure_error"]."""
    from sqlalchemy.orm import configure_mappers

    set_stage("configure")
    try:
        configure_mappers()
    except Exception as exc:  # noqa: BLE001 - reported to the test
        result["configure_error"] = error_info(exc)
        return False
    return True


def rel_label(rel):
    return f"{rel.parent.class_.__name__}.{rel.key}"


def relationship_from(spec):
    """The relationship a test names: {"cls", "key"} or, for one made by a
    backref, {"cls", "key", "backref"} (the backref's name on the target)."""
    rel = find_class(spec["cls"]).__mapper__.relationships[spec["key"]]
    if spec.get("backref"):
        rel = rel.mapper.relationships[spec["backref"]]
    return rel


def all_relationships(include_viewonly=False):
    out = []
    for cls in mapped_classes():
        for rel in cls.__mapper__.relationships:
            if rel.parent.class_ is not cls:  # inherited: judged on the base
                continue
            if rel.viewonly and not include_viewonly:
                continue
            out.append(rel)
    return out


def reverse_of(rel):
    """The relationships of the other class that write the same columns the
    other way (back_populates / backref partners)."""
    if rel.direction.name == "MANYTOMANY":
        return []
    if rel.direction.name == "ONETOMANY":
        columns = set(rel.remote_side)
        other = rel.mapper
        want = "MANYTOONE"
    else:
        columns = set(rel.local_columns)
        other = rel.mapper
        want = "ONETOMANY"
    found = []
    for candidate in other.relationships:
        if candidate.viewonly or candidate.direction.name != want:
            continue
        if candidate.mapper.class_ is not rel.parent.class_:
            continue
        cols = set(candidate.local_columns) if want == "MANYTOONE" else set(candidate.remote_side)
        if cols & columns:
            found.append(candidate)
    return found


def fk_columns(rel):
    """The foreign-key columns in the child table a one-to-many or
    many-to-one relationship writes."""
    if rel.direction.name == "ONETOMANY":
        return [c for c in rel.remote_side]
    return [c for c in rel.local_columns]


def _required(columns):
    return any((not c.nullable) or c.primary_key for c in columns)


# --------------------------------------------------------------------------
# making rows through the models


def new_object(cls, skip=(), depth=0):
    """An instance of cls with its NOT NULL columns filled and, for each
    required many-to-one (NOT NULL foreign key), a new target object."""
    serial = next(_SERIAL)
    obj = _new_instance(cls, serial)
    _unique_short_strings(cls, obj, serial)
    for rel in cls.__mapper__.relationships:
        if rel in skip or rel.viewonly or rel.direction.name != "MANYTOONE":
            continue
        if not _required(rel.local_columns) or depth > 3:
            continue
        target = rel.mapper.class_
        if issubclass(target, cls) or issubclass(cls, target):
            continue
        if getattr(obj, rel.key) is None:
            setattr(obj, rel.key, new_object(target, depth=depth + 1))
    return obj


def _base36(number):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def _unique_short_strings(cls, obj, serial):
    """_new_instance writes "<key>-<serial>" cut to the column's length: for a
    short key or unique string column (String(3) country codes) that cut is
    the same every time; use the serial alone."""
    for prop in cls.__mapper__.column_attrs:
        for column in prop.columns:
            length = getattr(column.type, "length", None)
            if not (column.primary_key or column.unique) or not length:
                continue
            value = getattr(obj, prop.key)
            if isinstance(value, str) and len(f"{prop.key}-{serial}") > length:
                setattr(obj, prop.key, _base36(serial)[-length:])


def _append(collection, item):
    if hasattr(collection, "append"):
        collection.append(item)
    else:
        collection.add(item)


def populate_one_to_many(session, rel, n=2):
    """A parent with n children through the one-to-many rel."""
    child_cls = rel.mapper.class_
    parent = new_object(rel.parent.class_)
    children = [new_object(child_cls, skip=reverse_of(rel)) for _ in range(n)]
    collection = getattr(parent, rel.key)
    for child in children:
        _append(collection, child)
    session.add(parent)
    session.add_all(children)
    session.flush()
    return parent, children


def populate_many_to_one(session, rel, n=2):
    """A parent with n children that point at it through the many-to-one rel
    (one child only when rel has single_parent=True)."""
    if rel.single_parent:
        n = 1
    parent = new_object(rel.mapper.class_)
    children = []
    for _ in range(n):
        child = new_object(rel.parent.class_, skip=[rel])
        setattr(child, rel.key, parent)
        children.append(child)
    session.add(parent)
    session.add_all(children)
    session.flush()
    return parent, children


def populate_parent(session, cls, n=2):
    """One cls with n children in each of its one-to-many relationships."""
    parent = new_object(cls)
    children = []
    for rel in cls.__mapper__.relationships:
        if rel.viewonly or rel.direction.name != "ONETOMANY":
            continue
        for _ in range(n):
            child = new_object(rel.mapper.class_, skip=reverse_of(rel))
            _append(getattr(parent, rel.key), child)
            children.append((rel, child))
    session.add(parent)
    session.add_all([c for _, c in children])
    session.flush()
    return parent, children


def identity(obj):
    from sqlalchemy import inspect

    return list(inspect(obj).identity)


# --------------------------------------------------------------------------
# reading rows back


def _pk_where(table, pk_values):
    from sqlalchemy import and_

    return and_(*[col == value for col, value in zip(table.primary_key.columns, pk_values)])


def row_state(engine, cls, pk_values, columns):
    """{"exists": bool, "values": {column: value}} of the row of cls with that key."""
    from sqlalchemy import select

    table = cls.__mapper__.local_table
    with engine.connect() as conn:
        row = conn.execute(select(*columns).where(_pk_where(table, pk_values))).first()
    if row is None:
        return {"exists": False, "values": None}
    return {"exists": True, "values": {c.name: _jsonable(v) for c, v in zip(columns, row)}}


def exists(engine, cls, pk_values):
    table = cls.__mapper__.local_table
    return row_state(engine, cls, pk_values, list(table.primary_key.columns))["exists"]


def dangling(engine):
    """Foreign keys pointing at rows that are gone: ["table.col: N rows", ...]."""
    from sqlalchemy import and_, exists as sql_exists, func, select

    out = []
    with engine.connect() as conn:
        for md in all_metadata():
            for table in md.sorted_tables:
                for fkc in table.foreign_key_constraints:
                    referred = fkc.referred_table.alias()
                    pairs = [(el.parent, referred.c[el.column.key]) for el in fkc.elements]
                    condition = and_(
                        *[local.isnot(None) for local, _ in pairs],
                        ~sql_exists().where(and_(*[remote == local for local, remote in pairs])),
                    )
                    count = conn.execute(select(func.count()).select_from(table).where(condition)).scalar()
                    if count:
                        names = ",".join(local.name for local, _ in pairs)
                        out.append(f"{table.name}.{names}: {count}")
    return out


def pragma_foreign_keys(engine):
    with engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA foreign_keys").scalar()


# --------------------------------------------------------------------------
# steps


def run_step(db, name, action, **extra):
    """A fresh schema on db, action(engine) -> observations, then drop_all.
    Appends {"db", "step", ...observations} to result["steps"] and returns it."""
    set_stage(f"{db['name']}:{name}")
    url = db["url"]
    if url.startswith("sqlite"):
        url = url.replace("{n}", str(next(_STEP_NO)))
    engine = engine_for(dict(db, url=url))
    obs = {"db": db["name"], "step": name, **extra}
    try:
        metadatas = all_metadata()
        for md in metadatas:
            md.create_all(engine)
        obs.update(action(engine))
    except Exception as exc:  # noqa: BLE001 - the setup itself failed
        obs["setup_error"] = error_info(exc)
    finally:
        try:
            for md in reversed(all_metadata()):
                md.drop_all(engine)
        except Exception as exc:  # noqa: BLE001
            obs.setdefault("teardown_error", error_info(exc))
        engine.dispose()
    result.setdefault("steps", []).append(obs)
    return obs


def _act(session, fn):
    """Runs fn(), commits; the error it raised, or None."""
    try:
        fn()
        session.commit()
    except Exception as exc:  # noqa: BLE001 - the behaviour under test
        session.rollback()
        return error_info(exc)
    return None


def delete_parent(rel, loaded):
    """session.delete(parent) of a one-to-many rel's parent that has two
    children (children loaded into the session first, or not); a bystander
    parent with one child must not be touched."""
    from sqlalchemy.orm import Session

    parent_cls, child_cls = rel.parent.class_, rel.mapper.class_
    columns = fk_columns(rel)

    def action(engine):
        with Session(engine) as session:
            bystander, bystander_children = populate_one_to_many(session, rel, n=1)
            parent, children = populate_one_to_many(session, rel, n=2)
            session.commit()
            pid, cids = identity(parent), [identity(c) for c in children]
            bid, bcids = identity(bystander), [identity(c) for c in bystander_children]
        with capture(engine) as sql, Session(engine) as session:
            obj = session.get(parent_cls, pid)
            kept = list(getattr(obj, rel.key)) if loaded else None  # noqa: F841 - holds them in the session
            error = _act(session, lambda: session.delete(obj))
        return {
            "error": error,
            "sql": sql,
            "parent_exists": exists(engine, parent_cls, pid),
            "children": [row_state(engine, child_cls, c, columns) for c in cids],
            "bystander_exists": exists(engine, parent_cls, bid),
            "bystander_children": [row_state(engine, child_cls, c, columns) for c in bcids],
            "dangling": dangling(engine),
            "orm_delete": bool(rel.cascade.delete),
            "ondelete": [fk.ondelete for c in columns for fk in c.foreign_keys],
        }

    return action


def remove_orphan(rel):
    """Remove one child from the collection of a delete-orphan rel."""
    from sqlalchemy.orm import Session

    parent_cls, child_cls = rel.parent.class_, rel.mapper.class_
    columns = fk_columns(rel)

    def action(engine):
        with Session(engine) as session:
            parent, children = populate_one_to_many(session, rel, n=2)
            session.commit()
            pid, cids = identity(parent), [identity(c) for c in children]
        with capture(engine) as sql, Session(engine) as session:
            obj = session.get(parent_cls, pid)
            collection = getattr(obj, rel.key)
            first = next(c for c in collection if identity(c) == cids[0])
            error = _act(session, lambda: collection.remove(first))
        return {
            "error": error,
            "sql": sql,
            "children": [row_state(engine, child_cls, c, columns) for c in cids],
            "dangling": dangling(engine),
        }

    return action


def delete_child(rel):
    """session.delete() of one of two children of a many-to-one rel."""
    from sqlalchemy.orm import Session

    parent_cls, child_cls = rel.mapper.class_, rel.parent.class_
    columns = fk_columns(rel)

    def action(engine):
        with Session(engine) as session:
            parent, children = populate_many_to_one(session, rel, n=2)
            session.commit()
            pid, cids = identity(parent), [identity(c) for c in children]
        with capture(engine) as sql, Session(engine) as session:
            obj = session.get(child_cls, cids[0])
            error = _act(session, lambda: session.delete(obj))
        return {
            "error": error,
            "sql": sql,
            "parent_exists": exists(engine, parent_cls, pid),
            "deleted_child": row_state(engine, child_cls, cids[0], columns),
            "siblings": [row_state(engine, child_cls, c, columns) for c in cids[1:]],
            "dangling": dangling(engine),
        }

    return action


def delete_target(rel):
    """session.delete() of the parent a many-to-one rel points at (seed 000:
    c1.parent = parent; session.delete(parent)), its child loaded or not."""
    from sqlalchemy.orm import Session

    parent_cls, child_cls = rel.mapper.class_, rel.parent.class_
    columns = fk_columns(rel)

    def action(engine):
        with Session(engine) as session:
            parent, children = populate_many_to_one(session, rel, n=1)
            session.commit()
            pid, cids = identity(parent), [identity(c) for c in children]
        with capture(engine) as sql, Session(engine) as session:
            obj = session.get(parent_cls, pid)
            error = _act(session, lambda: session.delete(obj))
        return {
            "error": error,
            "sql": sql,
            "parent_exists": exists(engine, parent_cls, pid),
            "children": [row_state(engine, child_cls, c, columns) for c in cids],
            "dangling": dangling(engine),
        }

    return action


def delete_many_to_many(rel):
    """session.delete() of an object with two related objects in a
    many-to-many rel: they stay, the association rows go."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    cls, target = rel.parent.class_, rel.mapper.class_

    def action(engine):
        with Session(engine) as session:
            obj = new_object(cls)
            others = [new_object(target) for _ in range(2)]
            for other in others:
                _append(getattr(obj, rel.key), other)
            session.add(obj)
            session.commit()
            oid, tids = identity(obj), [identity(o) for o in others]
        with capture(engine) as sql, Session(engine) as session:
            loaded = session.get(cls, oid)
            error = _act(session, lambda: session.delete(loaded))
        with engine.connect() as conn:
            links = conn.execute(select(func.count()).select_from(rel.secondary)).scalar()
        return {
            "error": error,
            "sql": sql,
            "deleted": not exists(engine, cls, oid),
            "others_exist": [exists(engine, target, t) for t in tids],
            "association_rows": links,
            "dangling": dangling(engine),
            "orm_delete": bool(rel.cascade.delete),
        }

    return action


def relationships_over(fk):
    """Relationships that write the column of ForeignKey fk."""
    found = []
    for rel in all_relationships():
        if rel.direction.name == "MANYTOMANY":
            if fk.parent.table is rel.secondary:
                found.append(rel)
        elif fk.parent in fk_columns(rel):
            found.append(rel)
    return found


def core_delete_referenced(fk):
    """Rows referencing fk's target made through a relationship, then a Core
    `DELETE FROM <referenced table> WHERE <key> = ...`: what the database's
    ON DELETE action does, with no ORM involved."""
    from sqlalchemy import delete, select
    from sqlalchemy.orm import Session

    child_table, parent_table = fk.parent.table, fk.column.table
    rels = relationships_over(fk)

    def action(engine):
        if not rels:
            return {"skipped": f"no relationship writes {child_table.name}.{fk.parent.name}"}
        rel = rels[0]
        with Session(engine) as session:
            for _ in range(2):  # a default target first (SET DEFAULT), then the one to delete
                if rel.direction.name == "ONETOMANY":
                    populate_one_to_many(session, rel, n=2)
                elif rel.direction.name == "MANYTOONE":
                    populate_many_to_one(session, rel, n=2)
                else:
                    obj = new_object(rel.parent.class_)
                    for _ in range(2):
                        _append(getattr(obj, rel.key), new_object(rel.mapper.class_))
                    session.add(obj)
                    session.flush()
            session.commit()
        pk = list(child_table.primary_key.columns)
        with engine.connect() as conn:
            rows = conn.execute(select(*pk, fk.parent).where(fk.parent.isnot(None)).order_by(*pk)).all()
        value = rows[-1][-1]
        referencing = [list(r[:-1]) for r in rows if r[-1] == value]
        error = None
        with capture(engine) as sql:
            try:
                with engine.begin() as conn:
                    conn.execute(delete(parent_table).where(fk.column == value))
            except Exception as exc:  # noqa: BLE001 - the behaviour under test
                error = error_info(exc)
        after = []
        with engine.connect() as conn:
            for key in referencing:
                row = conn.execute(
                    select(fk.parent).where(*[c == v for c, v in zip(pk, key)])
                ).first()
                after.append({"exists": row is not None, "value": _jsonable(row[0]) if row is not None else None})
            parent_left = conn.execute(select(fk.column).where(fk.column == value)).first() is not None
        return {
            "error": error,
            "sql": sql,
            "via": rel_label(rel),
            "deleted_key": _jsonable(value),
            "parent_exists": parent_left,
            "children": after,
            "dangling": dangling(engine),
        }

    return action


def change_parent_key(rel):
    """The primary key of a parent with two children changes; one child is in
    the session (with its parent loaded), the other is not."""
    from sqlalchemy.orm import Session

    if rel.direction.name == "ONETOMANY":
        one_to_many, many_to_one = rel, (reverse_of(rel) or [None])[0]
        parent_cls, child_cls = rel.parent.class_, rel.mapper.class_
    else:
        many_to_one, one_to_many = rel, (reverse_of(rel) or [None])[0]
        parent_cls, child_cls = rel.mapper.class_, rel.parent.class_
    columns = fk_columns(many_to_one or one_to_many)
    (pk_column,) = parent_cls.__mapper__.primary_key
    pk_key = parent_cls.__mapper__.get_property_by_column(pk_column).key

    def action(engine):
        with Session(engine) as session:
            if many_to_one is not None:
                parent, children = populate_many_to_one(session, many_to_one, n=2)
            else:
                parent, children = populate_one_to_many(session, one_to_many, n=2)
            session.commit()
            pid, cids = identity(parent), [identity(c) for c in children]
        old = pid[0]
        if isinstance(old, str):
            length = getattr(pk_column.type, "length", None) or 1000
            new = f"{old}X" if len(old) < length else old[:-1] + ("Y" if old[-1] != "Y" else "Z")
        else:
            new = old + 1000
        with capture(engine) as sql, Session(engine) as session:
            obj = session.get(parent_cls, pid)
            in_session = session.get(child_cls, cids[0])
            if many_to_one is not None:
                getattr(in_session, many_to_one.key)
            error = _act(session, lambda: setattr(obj, pk_key, new))
            del in_session
        return {
            "error": error,
            "sql": sql,
            "old_key": _jsonable(old),
            "new_key": _jsonable(new),
            "in_session_child": row_state(engine, child_cls, cids[0], columns),
            "other_child": row_state(engine, child_cls, cids[1], columns),
            "dangling": dangling(engine),
        }

    return action


def _flask_db(module):
    for value in vars(module).values():
        if type(value).__name__ == "SQLAlchemy" and type(value).__module__.startswith("flask_sqlalchemy"):
            return value
    return None


def bulk_delete(module_name, function_name, class_name, db):
    """Calls the case's own bulk-delete function on a parent that has
    children in each of its one-to-many relationships."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    module = modules[module_name]
    function = getattr(module, function_name)
    cls = find_class(class_name)
    flask_db = None
    for mod in modules.values():
        flask_db = flask_db or _flask_db(mod)

    def action(engine):
        with Session(engine) as session:
            bystander, bystander_children = populate_parent(session, cls, n=1)
            parent, children = populate_parent(session, cls, n=2)
            session.commit()
            pid, bid = identity(parent), identity(bystander)
            kids = [(rel, identity(c)) for rel, c in children]
            bkids = [(rel, identity(c)) for rel, c in bystander_children]
        (key,) = pid
        params = list(_pyinspect.signature(function).parameters)
        statements = []
        if flask_db is not None and (not params or params[0] not in ("session", "db_session")):
            from flask import Flask

            app = Flask(f"oracle_{next(_SERIAL)}")
            app.config["SQLALCHEMY_DATABASE_URI"] = str(engine.url.render_as_string(hide_password=False))
            flask_db.init_app(app)
            with app.app_context():
                flask_engine = flask_db.engine
                if db["fk"] and flask_engine.dialect.name == "sqlite":
                    event.listen(flask_engine, "connect", _pragma_on)
                with capture(flask_engine) as sql:
                    try:
                        function(key)
                        flask_db.session.commit()
                        error = None
                    except Exception as exc:  # noqa: BLE001 - the behaviour under test
                        flask_db.session.rollback()
                        error = error_info(exc)
                statements = sql
                flask_db.session.remove()
                flask_engine.dispose()
        else:
            with capture(engine) as sql, Session(engine) as session:
                error = _act(session, lambda: function(session, key))
            statements = sql
        return {
            "error": error,
            "sql": statements,
            "parent_exists": exists(engine, cls, pid),
            "bystander_exists": exists(engine, cls, bid),
            "children": [
                dict(row_state(engine, rel.mapper.class_, c, fk_columns(rel)), rel=rel_label(rel)) for rel, c in kids
            ],
            "bystander_children": [
                dict(row_state(engine, rel.mapper.class_, c, fk_columns(rel)), rel=rel_label(rel)) for rel, c in bkids
            ],
            "dangling": dangling(engine),
        }

    return action


def _pragma_on(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def case_engines():
    """The SQLite engines the case itself creates (module-level Engine objects)."""
    from sqlalchemy.engine import Engine

    found = {}
    for name, mod in modules.items():
        for attr, value in vars(mod).items():
            if isinstance(value, Engine) and value.dialect.name == "sqlite":
                found[id(value)] = (f"{name}.{attr}", value)
    return list(found.values())


def own_engine_steps():
    """On each of the case's own SQLite engines: is PRAGMA foreign_keys on,
    and what does a Core DELETE of a referenced row do for every foreign key
    with an ondelete action?"""
    out = []
    for label, engine in case_engines():
        set_stage(f"own:{label}")
        obs = {"engine": label, "url": str(engine.url)}
        try:
            for md in all_metadata():
                md.create_all(engine)
            obs["pragma_foreign_keys"] = pragma_foreign_keys(engine)
            obs["deletes"] = []
            for md in all_metadata():
                for table in md.sorted_tables:
                    for fk in table.foreign_keys:
                        if fk.ondelete:
                            outcome = core_delete_referenced(fk)(engine)
                            outcome.update(fk=f"{table.name}.{fk.parent.name}", ondelete=fk.ondelete)
                            obs["deletes"].append(outcome)
        except Exception as exc:  # noqa: BLE001
            obs["setup_error"] = error_info(exc)
        finally:
            for md in reversed(all_metadata()):
                md.drop_all(engine)
            engine.dispose()
        out.append(obs)
    result["own_engines"] = out
    return out


# --------------------------------------------------------------------------
# the standard run of a good case


def good_case_steps(databases, key_change_dbs=()):
    """Everything a correct model must survive, on each database:
    session.delete() of a parent (children loaded or not) for every
    one-to-many relationship, orphan removal where delete-orphan is set,
    session.delete() of one child for every many-to-one, of one side of every
    many-to-many, and a Core DELETE for every foreign key with an ondelete.
    key_change_dbs: databases on which to change a parent's primary key for
    every relationship pair with passive_updates=False."""
    if not configure():
        return
    for db in databases:
        for rel in all_relationships():
            direction = rel.direction.name
            if direction == "ONETOMANY":
                for loaded in (False, True):
                    run_step(db, "delete_parent", delete_parent(rel, loaded), rel=rel_label(rel), loaded=loaded)
                if rel.cascade.delete_orphan:
                    run_step(db, "remove_orphan", remove_orphan(rel), rel=rel_label(rel))
            elif direction == "MANYTOONE":
                run_step(db, "delete_child", delete_child(rel), rel=rel_label(rel), single_parent=rel.single_parent)
            else:
                run_step(db, "delete_many_to_many", delete_many_to_many(rel), rel=rel_label(rel))
        for md in all_metadata():
            for table in md.sorted_tables:
                for fk in table.foreign_keys:
                    if fk.ondelete:
                        run_step(
                            db,
                            "core_delete",
                            core_delete_referenced(fk),
                            fk=f"{table.name}.{fk.parent.name}",
                            ondelete=fk.ondelete,
                        )
    for db in key_change_dbs:
        for rel in all_relationships():
            if rel.direction.name in ("ONETOMANY", "MANYTOONE") and not rel.passive_updates:
                if db["fk"] and not key_change_possible(rel):
                    continue
                run_step(db, "change_parent_key", change_parent_key(rel), rel=rel_label(rel))


def key_change_possible(rel):
    """On a database that enforces foreign keys, the ORM can re-key children
    after their parent only when the constraint is checked at commit."""
    return all(fk.deferrable and (fk.initially or "").upper() == "DEFERRED" for c in fk_columns(rel) for fk in c.foreign_keys)
