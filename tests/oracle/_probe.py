"""The standard oracle run of a case, executed inside the case subprocess.

harness.probe_body() prepends this file to a case body, so the names the case
runner binds (result, set_stage, mapped_classes, all_metadata, make_engine)
are globals here. Nothing in this file runs in the pytest process.

run_probe() walks the life of a model the way an application does and stops at
the first failure, leaving in result:

    result["stages"]        {stage: "ok" | "failed" | "skipped: <why>"}
    result["failed_stage"]  the stage that raised (the error itself is in the
                            harness' error_type / error_message)

Stages: configure (configure_mappers), create_all (schemas first on
PostgreSQL), flush (one instance of every mapped class, every writable
relationship between different classes set, then flush + commit), sync
(in-Python back_populates sync, see sync_report), drop_all.
"""

import datetime
import decimal
import enum
import uuid


def _dummy_value(column, serial):
    """A value that satisfies a NOT NULL column, or None when unknown."""
    from sqlalchemy import types as sqltypes

    sql_type = column.type
    if isinstance(sql_type, sqltypes.TypeDecorator):
        sql_type = sql_type.impl_instance  # e.g. SQLModel's AutoString -> String
    try:
        python_type = sql_type.python_type
    except NotImplementedError:
        return None
    enum_class = getattr(sql_type, "enum_class", None)
    if enum_class is not None:
        return next(iter(enum_class))
    enums = getattr(sql_type, "enums", None)
    if enums:
        return enums[0]
    if python_type is bool:
        return False
    if python_type is int:
        return serial
    if python_type is float:
        return float(serial)
    if python_type is decimal.Decimal:
        return decimal.Decimal(serial)
    if python_type is str:
        length = getattr(sql_type, "length", None) or 20
        return f"{column.key}-{serial}"[:length]
    if python_type is bytes:
        return b"x"
    if python_type is datetime.datetime:
        return datetime.datetime(2024, 1, serial % 28 + 1, 12, 0)
    if python_type is datetime.date:
        return datetime.date(2024, 1, serial % 28 + 1)
    if python_type is uuid.UUID:
        return uuid.uuid4()
    if python_type is dict:
        return {}
    if python_type is list:
        return []
    if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
        return next(iter(python_type))
    return None


def _needs_value(column):
    if column.nullable or column.foreign_keys:
        return False
    if column.default is not None or column.server_default is not None:
        return False
    if column.primary_key and column.autoincrement in (True, "auto", "ignore_fk"):
        if column is getattr(column.table, "_autoincrement_column", None):
            return False
    return True


def _new_instance(cls, serial):
    obj = cls()
    for prop in cls.__mapper__.column_attrs:
        for column in prop.columns:
            if getattr(column, "table", None) is None or not _needs_value(column):
                continue
            if getattr(obj, prop.key) is not None:  # e.g. a polymorphic identity
                continue
            value = _dummy_value(column, serial)
            if value is not None:
                setattr(obj, prop.key, value)
    return obj


def build_graph():
    """One instance per concrete mapped class, with every writable relationship
    to another class set. Self-references and relationships inside one
    inheritance hierarchy are left empty (a row pointing at itself would need
    post_update)."""
    classes = mapped_classes()
    # Rows of a `secondary` table (SQLModel's link_model included) are written
    # by the many-to-many relationships, never as objects of their own.
    secondary = {
        rel.secondary
        for cls in classes
        for rel in cls.__mapper__.relationships
        if rel.secondary is not None
    }
    instances = {}
    for serial, cls in enumerate(classes, start=1):
        if cls.__mapper__.local_table in secondary:
            continue
        instances[cls] = _new_instance(cls, serial)
    for cls, obj in instances.items():
        for rel in cls.__mapper__.relationships:
            target_cls = rel.mapper.class_
            if rel.viewonly or issubclass(target_cls, cls) or issubclass(cls, target_cls):
                continue
            target = instances.get(target_cls)
            if target is None:
                continue
            if rel.uselist:
                collection = getattr(obj, rel.key)
                if target not in collection:
                    if hasattr(collection, "append"):
                        collection.append(target)
                    else:
                        collection.add(target)
            elif getattr(obj, rel.key) is None:
                setattr(obj, rel.key, target)
    return list(instances.values())


def sync_report():
    """For every relationship R with back_populates="x": does assigning through
    x on the target update R in Python, before any flush? {"Parent.children":
    true | false | "<Error>: <message>" when the assignment raises}"""
    report = {}
    for cls in mapped_classes():
        for rel in cls.__mapper__.relationships:
            if not rel.back_populates or rel.viewonly:
                continue
            partner = rel.mapper.get_property(rel.back_populates)
            here = _new_instance(cls, 1)
            there = _new_instance(rel.mapper.class_, 2)
            try:
                if partner.uselist:
                    getattr(there, partner.key).append(here)
                else:
                    setattr(there, partner.key, here)
            except Exception as exc:  # noqa: BLE001 - the assignment itself is refused
                report[f"{cls.__name__}.{rel.key}"] = f"{type(exc).__name__}: {exc}"
                continue
            value = getattr(here, rel.key)
            synced = (there in value) if rel.uselist else (value is there)
            report[f"{cls.__name__}.{rel.key}"] = bool(synced)
    return report


def _stage(name):
    result["stages"][name] = "running"
    set_stage(name)


def run_probe(*, flush=True, drop=True):
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy import text
    from sqlalchemy.orm import Session, configure_mappers

    result["stages"] = {}
    current = None
    try:
        current = "configure"
        _stage(current)
        configure_mappers()
        result["stages"][current] = "ok"

        current = "sync"
        _stage(current)
        result["sync"] = sync_report()
        result["stages"][current] = "ok"

        engine = make_engine()
        result["dialect"] = engine.dialect.name
        metadatas = all_metadata()
        schemas = sorted({t.schema for md in metadatas for t in md.tables.values() if t.schema})
        current = "create_all"
        _stage(current)
        if schemas and engine.dialect.name != "postgresql":
            result["stages"][current] = f"skipped: schemas {schemas} need PostgreSQL"
            return
        with engine.begin() as conn:
            for schema in schemas:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        for md in metadatas:
            md.create_all(engine)
        result["tables"] = sorted(sa_inspect(engine).get_table_names()) + [
            f"{s}.{t}" for s in schemas for t in sorted(sa_inspect(engine).get_table_names(schema=s))
        ]
        result["stages"][current] = "ok"

        if flush:
            current = "flush"
            _stage(current)
            with Session(engine) as session:
                session.add_all(build_graph())
                session.commit()
            result["stages"][current] = "ok"

        if drop:
            current = "drop_all"
            _stage(current)
            for md in reversed(metadatas):
                md.drop_all(engine)
            result["stages"][current] = "ok"
        engine.dispose()
    except BaseException:
        result["stages"][current] = "failed"
        result["failed_stage"] = current
        raise
