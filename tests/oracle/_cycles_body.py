"""Helpers for the SA3xx/SA4xx oracle tests, executed inside the case subprocess.

test_sa3xx_sa4xx.py prepends _probe.py and this file to each case body, so the
names the case runner binds (result, set_stage, find_class, mapped_classes,
all_metadata, make_engine, capture_sql) and the probe's helpers (_new_instance,
_needs_value, _dummy_value, build_graph, run_probe) are globals here. Nothing
in this file runs in the pytest process.

    find_fk_constraints(specs)  the ForeignKeyConstraint objects a test names
                                by owner (class or table), columns and targets
    name_constraints(fkcs)      give them names (before create_all)
    capture_dml(engine)         INSERT/UPDATE/DELETE statements with their
                                parameters, in order
    rel_info(cls, key)          what SQLAlchemy made of one relationship
    table_cycles()              FK cycles between tables (self-references excluded)
    flush_graph(...)            related new objects of every mapped class
    insert_core_rows(engine)    one row per table that no class maps
    ddl_run(engine)             create_all + drop_all, DDL captured
"""

import contextlib
import re


def _all_tables():
    return [t for md in all_metadata() for t in md.tables.values()]


def _table_named(name):
    found = [t for t in _all_tables() if t.name == name or t.fullname == name]
    if len(found) != 1:
        raise LookupError(f"expected one table named {name!r}, found {found!r}")
    return found[0]


def _owner_table(spec):
    if spec.get("table"):
        return _table_named(spec["table"])
    return find_class(spec["class"]).__table__


def _fkc_columns(fkc):
    return [element.parent.name for element in fkc.elements]


def _fkc_column_keys(fkc):
    return [element.parent.key for element in fkc.elements]


def _fkc_targets(fkc):
    return [element.target_fullname for element in fkc.elements]


def describe_fkc(fkc):
    return {
        "table": fkc.table.name,
        "columns": _fkc_columns(fkc),
        "targets": _fkc_targets(fkc),
        "referred_table": fkc.elements[0].target_fullname.rsplit(".", 1)[0],
        "name": None if fkc.name is None else str(fkc.name),
        "use_alter": bool(fkc.use_alter),
    }


def find_fk_constraints(specs):
    """Each spec: {"class" | "table", "columns" (or None), "targets"}; returns
    the one ForeignKeyConstraint per spec that matches it."""
    found = []
    for spec in specs:
        table = _owner_table(spec)
        matches = []
        for fkc in table.foreign_key_constraints:
            if _fkc_targets(fkc) != spec["targets"]:
                continue
            columns = spec.get("columns")
            if columns and columns not in (_fkc_columns(fkc), _fkc_column_keys(fkc)):
                continue
            matches.append(fkc)
        if len(matches) != 1:
            raise LookupError(f"{spec!r}: expected one foreign key constraint, found {matches!r}")
        found.append(matches[0])
    return found


def constraint_name_for(fkc):
    name = f"fk_{fkc.table.name}_{'_'.join(_fkc_columns(fkc))}"
    return name[:63]


def name_constraints(fkcs):
    for fkc in fkcs:
        fkc.name = constraint_name_for(fkc)


@contextlib.contextmanager
def capture_dml(engine):
    """INSERT / UPDATE / DELETE statements sent to the database, in order:
    [{"sql", "verb", "table", "rows", "params"}] (rows: parameter sets sent)."""
    from sqlalchemy import event

    statements = []

    def _before(conn, cursor, statement, parameters, context, executemany):
        sql = " ".join(statement.split())
        verb = sql.split(" ", 1)[0].upper()
        if verb not in ("INSERT", "UPDATE", "DELETE"):
            return
        match = re.match(r"(?:INSERT INTO|UPDATE|DELETE FROM) (\S+)", sql)
        if executemany:
            rows = len(parameters)
        elif isinstance(parameters, dict) and any(re.search(r"__\d+$", k) for k in parameters):
            rows = len({re.search(r"__(\d+)$", k).group(1) for k in parameters if re.search(r"__\d+$", k)})
        else:
            rows = 1
        statements.append(
            {
                "sql": sql,
                "verb": verb,
                "table": match.group(1).strip('"') if match else None,
                "rows": rows,
                "params": repr(parameters)[:400],
            }
        )

    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _before)


def rel_info(cls_name, key):
    """Direction, target, the FK columns the relationship writes and its partners."""
    cls = find_class(cls_name)
    rel = cls.__mapper__.relationships[key]
    columns = sorted(rel._calculated_foreign_keys, key=lambda c: c.name)
    return {
        "class": cls_name,
        "key": key,
        "direction": rel.direction.name,
        "target": rel.mapper.class_.__name__,
        "holder": columns[0].table.name if columns else None,
        "fk_columns": [c.name for c in columns],
        "post_update": bool(rel.post_update),
        "viewonly": bool(rel.viewonly),
        "reverse": [
            {"class": r.parent.class_.__name__, "key": r.key, "post_update": bool(r.post_update)}
            for r in rel._reverse_property
        ],
    }


def many_to_one_partners(cls_name, key):
    """For a one-to-many relationship P.key -> T: the many-to-one relationships
    of P to T (the other half of a two-class row cycle)."""
    cls = find_class(cls_name)
    rel = cls.__mapper__.relationships[key]
    target = rel.mapper.class_
    return [
        rel_info(cls_name, other.key)
        for other in cls.__mapper__.relationships
        if other.direction.name == "MANYTOONE" and other.mapper.class_ is target and not other.viewonly
    ]


def table_cycles():
    """Sets of table names that form FK cycles (use_alter constraints included,
    self-references excluded)."""
    edges = {}
    for table in _all_tables():
        for fkc in table.foreign_key_constraints:
            referred = fkc.elements[0].target_fullname.rsplit(".", 1)[0]
            if referred not in (table.name, table.fullname):
                edges.setdefault(table.fullname, set()).add(referred)
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(out)


def flush_graph(extra_children=0, self_references=False):
    """The probe's graph (one new instance per mapped class, every writable
    relationship to another class set), plus `extra_children` more children
    in every one-to-many collection (not of association objects), plus, with self_references, a tree for
    self-referential relationships (a post_update many-to-one points at its
    own row, the case that needs the flag)."""
    objects = build_graph()
    by_class = {type(obj): obj for obj in objects}
    serial = 100
    for cls, obj in list(by_class.items()):
        for rel in cls.__mapper__.relationships:
            if rel.viewonly:
                continue
            target_cls = rel.mapper.class_
            if target_cls is cls:
                if not self_references:
                    continue
                if rel.uselist:
                    for _ in range(2):
                        serial += 1
                        child = _new_instance(cls, serial)
                        getattr(obj, rel.key).append(child)
                        objects.append(child)
                elif getattr(obj, rel.key) is None:
                    if rel.post_update:
                        setattr(obj, rel.key, obj)
                    else:
                        serial += 1
                        parent = _new_instance(cls, serial)
                        setattr(obj, rel.key, parent)
                        objects.append(parent)
                continue
            if issubclass(target_cls, cls) or issubclass(cls, target_cls):
                continue
            # an association object (key made of foreign keys) needs all its
            # parents: no extra ones
            association = any(c.foreign_keys for c in target_cls.__mapper__.primary_key)
            if rel.uselist and rel.direction.name == "ONETOMANY" and not association:
                for _ in range(extra_children):
                    serial += 1
                    child = _new_instance(target_cls, serial)
                    getattr(obj, rel.key).append(child)
                    objects.append(child)
    return objects


def _mapped_tables():
    return {t for cls in mapped_classes() for t in cls.__mapper__.tables}


def insert_core_rows(engine, include_mapped=False):
    """One row in each table that no class maps (every table, with
    include_mapped), parents first, through Core; a foreign key whose parent
    row does not exist yet (a cycle) is filled by an UPDATE once it does.
    Returns the statements' tables in order."""
    from sqlalchemy import and_
    from sqlalchemy.sql.ddl import sort_tables_and_constraints

    mapped = set() if include_mapped else _mapped_tables()
    tables = [t for t in _all_tables() if t not in mapped]
    if not tables:
        return []
    order = [t for t, _ in sort_tables_and_constraints(tables) if t is not None]
    rows = {}
    pending = []
    done = []
    with engine.begin() as conn:
        for serial, table in enumerate(order, start=1):
            values = {}
            for fkc in table.foreign_key_constraints:
                referred = fkc.elements[0].column.table
                if referred in rows:
                    for element in fkc.elements:
                        values[element.parent.name] = rows[referred][element.column.name]
                elif referred is not table:
                    pending.append((table, fkc))
            for column in table.columns:
                if column.name in values or not _needs_value(column):
                    continue
                if column.foreign_keys:
                    continue
                value = _dummy_value(column, serial)
                if value is not None:
                    values[column.name] = value
            outcome = conn.execute(table.insert().values(**values))
            row = dict(values)
            for column, value in zip(table.primary_key.columns, outcome.inserted_primary_key):
                row[column.name] = value
            rows[table] = row
            done.append(f"INSERT {table.name}")
        for table, fkc in pending:
            referred = fkc.elements[0].column.table
            if referred not in rows:
                continue
            key = and_(*[c == rows[table][c.name] for c in table.primary_key.columns])
            conn.execute(
                table.update()
                .where(key)
                .values(**{e.parent.name: rows[referred][e.column.name] for e in fkc.elements})
            )
            done.append(f"UPDATE {table.name}")
    return done


DDL_VERBS = ("CREATE", "ALTER", "DROP")


def _ddl(statements):
    out = []
    for statement in statements:
        text = " ".join(statement.split())
        if text.split(" ", 1)[0].upper() in DDL_VERBS:
            out.append(text)
    return out


def _error_text(exc):
    message = " ".join(str(exc).split())
    message = re.sub(
        r"ForeignKeyConstraint\(.*\); it has no name", "ForeignKeyConstraint(...); it has no name", message
    )
    message = re.sub(r"\(Background on this error at: \S+\)", "", message).strip()
    return f"{type(exc).__name__}: {message}"


def ddl_run(engine, between=None):
    """create_all() then drop_all() of every MetaData; fills result["create"],
    result["drop"] (DDL statements, whitespace collapsed) and
    result["create_error"] / result["drop_error"]. between(engine) runs after
    a successful create_all."""
    metadatas = all_metadata()
    result["create_error"] = result["drop_error"] = None
    with capture_sql(engine) as statements:
        try:
            for md in metadatas:
                md.create_all(engine)
        except Exception as exc:  # noqa: BLE001 - recorded for the test
            result["create_error"] = _error_text(exc)
    result["create"] = _ddl(statements)
    if result["create_error"]:
        result["drop"] = []
        return
    if between is not None:
        between(engine)
    with capture_sql(engine) as statements:
        try:
            for md in reversed(metadatas):
                md.drop_all(engine)
        except Exception as exc:  # noqa: BLE001 - recorded for the test
            result["drop_error"] = _error_text(exc)
    result["drop"] = _ddl(statements)
