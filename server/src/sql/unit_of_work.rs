//! The statements the unit of work emits: `session.delete(parent)` for one
//! relationship, and the INSERT / INSERT / UPDATE of a `post_update` flush.
//!
//! Statements are rendered as SQLAlchemy 2.1 emits them through psycopg 3
//! (`%(name)s` parameters with `::TYPE` casts) or sqlite3 (`?`); SELECT
//! columns carry no labels (2.0 wrote `book.id AS book_id`). MySQL
//! unit-of-work SQL is not rendered: it has not been checked against a server.
//!
//! The delete scenario: the parent was loaded with `session.get()` in a new
//! session, its collection was not touched, two children exist in the
//! database; then `session.delete(parent)` and a flush. Statements of the
//! parent's other relationships are not part of this relationship's sequence.

use crate::config::Dialect;
use crate::facts::Setting;
use crate::graph::{
    AttributeKind, ClassId, Direction, ForeignKeyId, ForeignKeyResolution, Graph, RelationshipId,
    TableId,
};
use crate::syntax::expr::{Expr, ExprKind};

use super::ddl::{function_sql, table_name};
use super::flush_order::{self, Changed, Step};
use super::ident::quote;
use super::schema::{table_spec, ClientValue, ColumnSpec, TableSpec};
use super::types::SqlType;
use super::Statement;

type ColumnRef = (TableId, String);

/// A bound parameter as the dialect's driver receives it.
fn param(name: &str, sql_type: Option<&SqlType>, dialect: Dialect) -> String {
    match dialect {
        Dialect::Postgresql => match sql_type.and_then(|t| t.bind_cast()) {
            Some(cast) => format!("%({name})s::{cast}"),
            None => format!("%({name})s"),
        },
        Dialect::Sqlite => "?".into(),
        Dialect::Mysql => "%s".into(),
    }
}

/// `table.column`, as SELECT and WHERE clauses qualify columns.
fn qualified_column(graph: &Graph, table: TableId, column: &str, dialect: Dialect) -> String {
    format!(
        "{}.{}",
        table_name(graph, table, dialect),
        quote(column, dialect)
    )
}

/// The label SQLAlchemy names a primary-key parameter after in UPDATE:
/// `<schema>_<table>_<column>`.
fn column_label(graph: &Graph, table: TableId, column: &str) -> String {
    let table = &graph.tables[table];
    match &table.schema {
        Some(schema) => format!("{}_{}_{}", schema.replace('.', "_"), table.name, column),
        None => format!("{}_{}", table.name, column),
    }
}

/// Accumulates reasons a sequence is not exact.
#[derive(Default)]
struct Gaps(Vec<String>);

impl Gaps {
    fn add(&mut self, reason: impl Into<String>) {
        let reason = reason.into();
        if !self.0.contains(&reason) {
            self.0.push(reason);
        }
    }

    fn typed<'s>(&mut self, spec: &'s TableSpec, column: &str) -> Option<&'s SqlType> {
        match spec.column(column).map(|c| &c.sql_type) {
            Some(Ok(t)) => Some(t),
            Some(Err(reason)) => {
                self.add(format!("the type of `{}.{column}`: {reason}", spec.name));
                None
            }
            None => {
                self.add(format!("column `{}.{column}` is not known", spec.name));
                None
            }
        }
    }
}

/// The class whose deletion the relationship's hover describes, and the
/// relationship that drives the work: for a many-to-one, the one-to-many
/// relationship of its target that writes the same columns (its partner,
/// normally). `Err` when several do.
fn delete_driver(
    graph: &Graph,
    relationship: RelationshipId,
) -> (ClassId, Result<Option<RelationshipId>, String>) {
    let rel = &graph.relationships[relationship];
    match rel.direction {
        Some(Direction::ManyToOne) => {
            let parent = rel.target_class().unwrap_or(rel.class);
            let mut columns = rel.fk_columns.clone();
            columns.sort();
            let drivers: Vec<RelationshipId> = graph.classes[parent]
                .relationships
                .iter()
                .copied()
                .filter(|&id| {
                    let other = &graph.relationships[id];
                    let mut other_columns = other.fk_columns.clone();
                    other_columns.sort();
                    other.direction == Some(Direction::OneToMany)
                        && !other.is_viewonly()
                        && other.target_class() == Some(rel.class)
                        && other_columns == columns
                })
                .collect();
            match drivers.as_slice() {
                [] => (parent, Ok(None)),
                [one] => (parent, Ok(Some(*one))),
                _ => (
                    parent,
                    Err(
                        "several one-to-many relationships of the parent write these columns"
                            .into(),
                    ),
                ),
            }
        }
        _ => (rel.class, Ok(Some(relationship))),
    }
}

/// Other relationships of the parent that write the same columns: their
/// statements join this relationship's, and are not rendered.
fn overlapping(graph: &Graph, parent: ClassId, driver: RelationshipId) -> Option<String> {
    let rel = &graph.relationships[driver];
    graph.classes[parent]
        .relationships
        .iter()
        .copied()
        .find(|&id| {
            let other = &graph.relationships[id];
            id != driver
                && !other.is_viewonly()
                && other.direction != Some(Direction::ManyToOne)
                && other.fk_columns.iter().any(|c| rel.fk_columns.contains(c))
        })
        .map(|id| {
            format!(
                "`{}` writes the same columns: its statements are not rendered",
                graph.relationship_label(id)
            )
        })
}

/// A write-only collection without `passive_deletes` on the parent (this
/// relationship's first) makes `session.delete()` raise before any SQL.
fn write_only_blocker(
    graph: &Graph,
    parent: ClassId,
    driver: Option<RelationshipId>,
) -> Option<Statement> {
    let mut candidates: Vec<RelationshipId> = driver.into_iter().collect();
    candidates.extend(
        graph.classes[parent]
            .relationships
            .iter()
            .copied()
            .filter(|&id| Some(id) != driver),
    );
    let blocker = candidates.into_iter().find(|&id| {
        let rel = &graph.relationships[id];
        !rel.is_viewonly()
            && rel.direction != Some(Direction::ManyToOne)
            && is_write_only(graph, id)
            && passive_deletes(graph, id) == Ok(PassiveDeletes::Off)
    })?;
    let label = graph.relationship_label(blocker);
    Some(Statement {
        sql: String::new(),
        note: Some("nothing is emitted".into()),
        unknown: Vec::new(),
        error: Some(format!(
            "InvalidRequestError: Attribute {label} can't load the existing state from the database for this operation; full iteration is not permitted.  If this is a delete operation, configure passive_deletes=True on the {label} relationship in order to resolve this error."
        )),
        database_error: None,
    })
}

/// Relationships of the target class that load eagerly add statements to
/// the loading of the children.
fn eager_loads(graph: &Graph, class: ClassId) -> Option<String> {
    graph.classes[class].relationships.iter().find_map(|&id| {
        let other = &graph.relationships[id];
        let lazy = other.facts.option("lazy")?;
        let eager = matches!(
            lazy.as_str(),
            Some("joined" | "selectin" | "subquery" | "immediate")
        ) || lazy.as_bool() == Some(false)
            || (lazy.as_str().is_none() && lazy.as_bool().is_none());
        eager.then(|| {
            format!(
                "loading a {} also loads `{}` (lazy=...): those statements are not rendered",
                graph.classes[class].name,
                graph.relationship_label(id)
            )
        })
    })
}

fn is_write_only(graph: &Graph, relationship: RelationshipId) -> bool {
    let rel = &graph.relationships[relationship];
    rel.facts.option("lazy").and_then(|v| v.as_str()) == Some("write_only")
        || rel
            .facts
            .annotation
            .as_ref()
            .and_then(|a| a.wrapper.as_deref())
            == Some("WriteOnlyMapped")
}

/// Why a class's rows cannot be rendered simply.
fn class_problem(graph: &Graph, class: ClassId) -> Option<String> {
    let mapped = &graph.classes[class];
    if mapped.table.is_none() {
        return Some(format!("class `{}` has no known table", mapped.name));
    }
    if mapped.superclass.is_some() || graph.classes.iter().any(|c| c.superclass == Some(class)) {
        return Some(format!(
            "class `{}` is part of an inheritance hierarchy (its statements are not rendered)",
            mapped.name
        ));
    }
    if mapped.incomplete {
        return Some(format!("class `{}` is not fully known", mapped.name));
    }
    if mapped
        .attributes
        .iter()
        .any(|a| a.kind == AttributeKind::MapperProperty)
    {
        return Some(format!(
            "class `{}` has `column_property`/`synonym`-style attributes (its SELECT is not rendered)",
            mapped.name
        ));
    }
    let facts = graph.class_facts(class);
    if facts.mapper_args.is_some() {
        return Some(format!(
            "class `{}` has `__mapper_args__` (version counters, polymorphism) that are not rendered",
            mapped.name
        ));
    }
    None
}

/// The primary-key `WHERE` of a DELETE or UPDATE.
fn pk_where(
    graph: &Graph,
    spec: &TableSpec,
    dialect: Dialect,
    labelled: bool,
    gaps: &mut Gaps,
) -> String {
    if spec.primary_key.is_empty() {
        gaps.add(format!("table `{}` has no known primary key", spec.name));
    }
    spec.primary_key
        .iter()
        .map(|column| {
            let key = spec
                .column(column)
                .map(|c| c.key.clone())
                .unwrap_or_default();
            let name = if labelled {
                column_label(graph, spec.id, column)
            } else {
                key
            };
            format!(
                "{} = {}",
                qualified_column(graph, spec.id, column, dialect),
                param(&name, gaps.typed(spec, column), dialect)
            )
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn select_list(
    graph: &Graph,
    spec: &TableSpec,
    class: ClassId,
    dialect: Dialect,
    gaps: &mut Gaps,
) -> String {
    let mut columns = Vec::new();
    for column in &spec.columns {
        let deferred = graph.tables[spec.id]
            .column(&column.name)
            .and_then(|c| c.facts.call.as_ref())
            .and_then(|call| call.keyword_value("deferred"))
            .map(|v| v.as_bool());
        match deferred {
            Some(Some(true)) => continue,
            Some(None) => gaps.add(format!("`{}`'s `deferred=` is not literal", column.name)),
            _ => {}
        }
        columns.push(qualified_column(graph, spec.id, &column.name, dialect));
    }
    if graph.classes[class]
        .attributes
        .iter()
        .any(|a| a.kind == AttributeKind::MapperProperty)
    {
        gaps.add("the class maps extra SQL expressions");
    }
    columns.join(", ")
}

/// The `(referred parent column, child column)` pairs of the relationship's
/// join, in the order its lazy-load WHERE compares them.
fn join_pairs(
    graph: &Graph,
    relationship: RelationshipId,
    gaps: &mut Gaps,
) -> Vec<(ColumnRef, ColumnRef, bool)> {
    let rel = &graph.relationships[relationship];
    let origin = rel.backref_of.map(|o| &graph.relationships[o].facts);
    let primaryjoin = rel
        .facts
        .option("primaryjoin")
        .or_else(|| origin.and_then(|o| o.option("primaryjoin")));
    let mut pairs = Vec::new();
    if let Some(expr) = primaryjoin {
        match written_pairs(graph, rel.class, expr) {
            Some(written) => {
                for (left, right) in written {
                    let left_is_fk = rel.fk_columns.contains(&left);
                    let right_is_fk = rel.fk_columns.contains(&right);
                    match (left_is_fk, right_is_fk) {
                        (false, true) => pairs.push((left, right, true)),
                        (true, false) => pairs.push((right, left, false)),
                        _ => gaps.add("the `primaryjoin` could not be oriented"),
                    }
                }
            }
            None => gaps.add("the `primaryjoin` is more than column equalities"),
        }
        return pairs;
    }
    for &fk in &rel.foreign_keys {
        let foreign_key = &graph.foreign_keys[fk];
        let ForeignKeyResolution::Resolved { table, columns } = &foreign_key.resolution else {
            gaps.add("its foreign key does not resolve");
            continue;
        };
        for (local, remote) in foreign_key.columns.iter().zip(columns) {
            if rel
                .fk_columns
                .iter()
                .any(|(t, c)| *t == foreign_key.table && c == local)
            {
                pairs.push((
                    (*table, remote.clone()),
                    (foreign_key.table, local.clone()),
                    true,
                ));
            }
        }
    }
    if pairs.is_empty() {
        gaps.add("the columns it joins on are not known");
    }
    pairs
}

/// `A.x == B.y [& ...]` as written, each side a column.
fn written_pairs(
    graph: &Graph,
    class: ClassId,
    expr: &Expr,
) -> Option<Vec<(ColumnRef, ColumnRef)>> {
    let parsed;
    let expr = match &expr.kind {
        ExprKind::Str(text) => {
            let tree = crate::syntax::parse(text);
            let root = tree.root_node();
            if root.has_error() {
                return None;
            }
            let node = root.named_child(0)?.named_child(0)?;
            parsed = crate::syntax::expr::read_expr(node, text);
            &parsed
        }
        ExprKind::Lambda(body) => body,
        _ => expr,
    };
    match &expr.kind {
        ExprKind::Operation(left, op, right) if op == "==" => Some(vec![(
            column_of(graph, class, left)?,
            column_of(graph, class, right)?,
        )]),
        ExprKind::Operation(left, op, right) if op == "&" || op == "and" => {
            let mut pairs = written_pairs(graph, class, left)?;
            pairs.extend(written_pairs(graph, class, right)?);
            Some(pairs)
        }
        ExprKind::Call(call) if call.callee.last_name() == Some("and_") && !call.has_splat => {
            let mut pairs = Vec::new();
            for arg in &call.args {
                pairs.extend(written_pairs(graph, class, arg)?);
            }
            Some(pairs)
        }
        _ => None,
    }
}

fn column_of(graph: &Graph, class: ClassId, expr: &Expr) -> Option<ColumnRef> {
    let mut expr = expr;
    while let ExprKind::Call(call) = &expr.kind {
        if matches!(call.callee.last_name(), Some("foreign" | "remote")) && call.args.len() == 1 {
            expr = &call.args[0];
        } else {
            return None;
        }
    }
    let by_attribute = |class: ClassId, attribute: &str| -> Option<ColumnRef> {
        for &table in &graph.classes[class].tables {
            if let Some(column) = graph.tables[table]
                .columns
                .iter()
                .find(|c| c.is_mapped_as(attribute))
            {
                return Some((table, column.name().to_string()));
            }
        }
        None
    };
    match &expr.kind {
        ExprKind::Name(name) => by_attribute(class, name),
        ExprKind::Attribute(object, attribute) => {
            let name = object.last_name()?;
            let scope = graph.classes[class].scope;
            let found: Vec<ClassId> = (0..graph.classes.len())
                .filter(|&c| graph.classes[c].scope == scope && graph.classes[c].name == name)
                .collect();
            match found.as_slice() {
                [one] => by_attribute(*one, attribute),
                _ => None,
            }
        }
        _ => None,
    }
}

fn passive_deletes(graph: &Graph, relationship: RelationshipId) -> Result<PassiveDeletes, String> {
    let rel = &graph.relationships[relationship];
    match rel.facts.option("passive_deletes") {
        None => Ok(PassiveDeletes::Off),
        Some(value) => match (&value.kind, value.as_str()) {
            (ExprKind::Bool(false), _) => Ok(PassiveDeletes::Off),
            (ExprKind::Bool(true), _) => Ok(PassiveDeletes::On),
            (_, Some("all")) => Ok(PassiveDeletes::All),
            _ => Err("its `passive_deletes=` is not literal".into()),
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PassiveDeletes {
    Off,
    On,
    All,
}

/// An ON DELETE action in upper case with single spaces, and the columns
/// PostgreSQL's `SET NULL (a, b)` lists (unquoted names fold to lower case;
/// a quoted one is kept as written).
fn referential_action(text: &str) -> (String, Option<Vec<String>>) {
    let (head, list) = match text.split_once('(') {
        Some((head, rest)) => (head, rest.trim_end().strip_suffix(')')),
        None => (text, None),
    };
    let action = head
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    let columns = list.map(|list| {
        list.split(',')
            .map(|name| {
                let name = name.trim();
                match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
                    Some(quoted) => quoted.replace("\"\"", "\""),
                    None => name.to_lowercase(),
                }
            })
            .collect()
    });
    (action, columns)
}

/// The relationship's first foreign key to the deleted row's table and
/// what its ON DELETE writes, read once for the delete hover's last note.
struct ParentKey<'g> {
    foreign_key: &'g crate::graph::ForeignKey,
    /// The relationship has no other key to that table (a many-to-many's
    /// association table has one to each side).
    only: bool,
    /// The action in upper case and the columns `SET NULL (a, b)` lists;
    /// `None` when `ondelete=` is absent or not literal.
    action: Option<(String, Option<Vec<String>>)>,
    /// The children's table, when the action is known.
    child: Option<TableSpec>,
}

fn parent_key(
    graph: &Graph,
    relationship: RelationshipId,
    parent_table: TableId,
) -> Option<ParentKey<'_>> {
    let mut keys = keys_referring_to(graph, relationship, parent_table);
    let foreign_key = &graph.foreign_keys[keys.next()?];
    let only = keys.next().is_none();
    let action = match foreign_key.ondelete() {
        Some(Setting::Known(text, _)) => Some(referential_action(text)),
        _ => None,
    };
    let child = action
        .is_some()
        .then(|| table_spec(graph, foreign_key.table));
    Some(ParentKey {
        foreign_key,
        only,
        action,
        child,
    })
}

/// The columns a `SET NULL (a, b)` of the key to the deleted row lists,
/// when that is fewer than all of the key's.
fn listed_columns(key: &ParentKey) -> Option<Vec<String>> {
    key.action
        .as_ref()?
        .1
        .clone()
        .filter(|listed| !key.foreign_key.columns.iter().all(|c| listed.contains(c)))
}

/// The relationship's foreign keys that refer to `table`: of a many-to-many,
/// those of the association table to one side.
fn keys_referring_to(
    graph: &Graph,
    relationship: RelationshipId,
    table: TableId,
) -> impl Iterator<Item = ForeignKeyId> + '_ {
    graph.relationships[relationship]
        .foreign_keys
        .iter()
        .copied()
        .filter(move |&fk| graph.foreign_keys[fk].referred_table() == Some(table))
}

/// The ON DELETE of the keys that refer to the row `session.delete()`
/// deletes (every key of the relationship when its table is not known).
fn ondelete(graph: &Graph, relationship: RelationshipId) -> Result<Option<String>, String> {
    let rel = &graph.relationships[relationship];
    let (parent, _) = delete_driver(graph, relationship);
    let keys: Vec<ForeignKeyId> = match graph.classes[parent].table {
        Some(table) => keys_referring_to(graph, relationship, table).collect(),
        None => rel.foreign_keys.clone(),
    };
    let mut action = None;
    for &fk in &keys {
        match graph.foreign_keys[fk].ondelete() {
            None => {}
            Some(Setting::Known(text, _)) => action = Some(referential_action(text).0),
            Some(Setting::Unknown(_)) => return Err("its `ondelete=` is not literal".into()),
        }
    }
    Ok(action)
}

fn lazy_option_problem(graph: &Graph, relationship: RelationshipId) -> Option<String> {
    let rel = &graph.relationships[relationship];
    if rel.facts.option("secondaryjoin").is_some() {
        return Some("its `secondaryjoin=` is not rendered".into());
    }
    if let Some(value) = rel.facts.option("uselist") {
        if value.as_bool().is_none() {
            return Some("its `uselist=` is not literal".into());
        }
    }
    if let Loading::Other(reason) = loading(graph, relationship) {
        return Some(reason);
    }
    if rel.facts.has_splat {
        return Some("it is written with `**kwargs`".into());
    }
    None
}

/// How the relationship's collection is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Loading {
    /// `lazy="select"` (the default): a SELECT when first needed.
    Lazy,
    /// `joined`, `selectin`, `subquery`, `immediate`: loaded with the parent.
    Eager,
    /// `lazy="dynamic"` / `DynamicMapped`: a legacy Query per access.
    Dynamic,
    /// `lazy="write_only"` / `WriteOnlyMapped`: never loaded.
    WriteOnly,
    Other(String),
}

fn loading(graph: &Graph, relationship: RelationshipId) -> Loading {
    let rel = &graph.relationships[relationship];
    let wrapper = rel
        .facts
        .annotation
        .as_ref()
        .and_then(|a| a.wrapper.as_deref());
    match rel.facts.option("lazy") {
        None => match wrapper {
            Some("DynamicMapped") => Loading::Dynamic,
            Some("WriteOnlyMapped") => Loading::WriteOnly,
            _ => Loading::Lazy,
        },
        Some(value) => match (value.as_str(), value.as_bool()) {
            (Some("select"), _) | (_, Some(true)) => Loading::Lazy,
            (Some("joined" | "selectin" | "subquery" | "immediate"), _) | (_, Some(false)) => {
                Loading::Eager
            }
            (Some("dynamic"), _) => Loading::Dynamic,
            (Some("write_only"), _) => Loading::WriteOnly,
            (Some(other), _) => Loading::Other(format!("its `lazy=\"{other}\"` is not rendered")),
            _ => Loading::Other("its `lazy=` is not literal".into()),
        },
    }
}

/// `ORDER BY ...` from `order_by=`: columns, `.desc()` / `.asc()`, lists.
fn order_by_clause(
    graph: &Graph,
    relationship: RelationshipId,
    dialect: Dialect,
    gaps: &mut Gaps,
) -> String {
    let rel = &graph.relationships[relationship];
    let origin = rel.backref_of.map(|o| &graph.relationships[o]);
    let _ = origin;
    let Some(expr) = rel.facts.option("order_by") else {
        return String::new();
    };
    let parsed;
    let expr = match &expr.kind {
        ExprKind::Str(text) => match parse_python(text) {
            Some(e) => {
                parsed = e;
                &parsed
            }
            None => {
                gaps.add("its `order_by=` could not be read");
                return String::new();
            }
        },
        ExprKind::Lambda(body) => body,
        _ => expr,
    };
    let items: Vec<&Expr> = match expr.elements() {
        Some(items) => items.iter().collect(),
        None => vec![expr],
    };
    let mut parts = Vec::new();
    for item in items {
        let (column, direction) = match &item.kind {
            ExprKind::Call(call) if call.args.is_empty() => match &call.callee.kind {
                ExprKind::Attribute(inner, method) if method == "desc" || method == "asc" => {
                    (&**inner, Some(method.to_uppercase()))
                }
                _ => (item, None),
            },
            ExprKind::Call(call)
                if call.args.len() == 1
                    && matches!(call.callee.last_name(), Some("desc" | "asc")) =>
            {
                (
                    &call.args[0],
                    call.callee.last_name().map(str::to_uppercase),
                )
            }
            _ => (item, None),
        };
        let owner = rel.target_class().unwrap_or(rel.class);
        match column_of(graph, owner, column) {
            Some((table, name)) => {
                let mut part = qualified_column(graph, table, &name, dialect);
                if let Some(direction) = direction {
                    part.push(' ');
                    part.push_str(&direction);
                }
                parts.push(part);
            }
            None => {
                gaps.add("its `order_by=` is not a plain column list");
                return String::new();
            }
        }
    }
    format!(" ORDER BY {}", parts.join(", "))
}

fn parse_python(text: &str) -> Option<Expr> {
    let tree = crate::syntax::parse(text);
    let root = tree.root_node();
    if root.has_error() {
        return None;
    }
    let node = root.named_child(0)?.named_child(0)?;
    Some(crate::syntax::expr::read_expr(node, text))
}

/// What `session.delete(parent)` emits for this relationship, in order:
/// the SELECT that loads the children, the UPDATE or DELETE of each child
/// (one executemany), the DELETE of the parent. The last statement's note
/// says what the database then does. For a many-to-one, the parent is its
/// target and the work is its one-to-many partner's (if it has one).
pub fn delete_parent_sequence(
    graph: &Graph,
    relationship: RelationshipId,
    dialect: Dialect,
) -> Vec<Statement> {
    let mut gaps = Gaps::default();
    let mut statements = Vec::new();
    if dialect == Dialect::Mysql {
        return vec![Statement::unknown_only(
            "unit-of-work SQL is rendered for PostgreSQL and SQLite only",
        )];
    }
    if graph.relationships[relationship].is_viewonly() {
        // A viewonly relationship takes no part in the flush.
        return Vec::new();
    }
    let (parent, driver) = delete_driver(graph, relationship);
    let driver = match driver {
        Ok(driver) => driver,
        Err(reason) => {
            gaps.add(reason);
            None
        }
    };
    let Some(parent_table) = graph.classes[parent].table else {
        return vec![Statement::unknown_only(
            "the parent class has no known table",
        )];
    };
    if let Some(problem) = class_problem(graph, parent) {
        gaps.add(problem);
    }
    let parent_spec = table_spec(graph, parent_table);
    let mut failed = false;
    let mut children_left = true;

    if driver.is_none() {
        if let Some(blocker) = write_only_blocker(graph, parent, None) {
            return vec![blocker];
        }
    }
    if let Some(driver) = driver {
        let rel = &graph.relationships[driver];
        if rel.direction.is_none() {
            return vec![Statement::unknown_only("its direction is not known")];
        }
        if rel.flag("viewonly").is_none() && rel.facts.flag("viewonly").is_some() {
            gaps.add("its `viewonly=` is not literal");
        } else if let Some(mut blocker) = write_only_blocker(graph, parent, Some(driver)) {
            // The flush raises; session.delete() has already cascaded.
            let cascades_first = rel.cascade.delete
                && !blocker
                    .error
                    .as_deref()
                    .unwrap_or("")
                    .contains(&graph.relationship_label(driver))
                && passive_deletes(graph, driver) == Ok(PassiveDeletes::Off)
                && loading(graph, driver) != Loading::Eager;
            if cascades_first {
                blocker.unknown.push(format!(
                    "session.delete() first loads `{}` through its delete cascade: those statements are not rendered",
                    graph.relationship_label(driver)
                ));
            }
            return vec![blocker];
        } else {
            if let Some(reason) = overlapping(graph, parent, driver) {
                gaps.add(reason);
            }
            let outcome = children_statements(graph, driver, dialect, &mut gaps);
            let loads = outcome
                .statements
                .iter()
                .any(|s| s.sql.starts_with("SELECT"));
            if let Some(problem) = lazy_option_problem(graph, driver) {
                gaps.add(problem);
            }
            if loads {
                if let Some(problem) = rel.target_class().and_then(|t| eager_loads(graph, t)) {
                    gaps.add(problem);
                }
            }
            statements.extend(outcome.statements);
            failed = outcome.failed;
            children_left = outcome.children_left;
        }
    }
    if !failed {
        let mut delete_gaps = Gaps::default();
        let sql = format!(
            "DELETE FROM {} WHERE {}",
            table_name(graph, parent_table, dialect),
            pk_where(graph, &parent_spec, dialect, false, &mut delete_gaps)
        );
        for reason in delete_gaps.0 {
            gaps.add(reason);
        }
        let mut statement = Statement::exact(sql);
        let key = children_left
            .then(|| parent_key(graph, relationship, parent_table))
            .flatten();
        let nulled = key.as_ref().and_then(nulled_not_null_column);
        let mut effect = match &nulled {
            Some(nulled) => format!(
                "the database refuses the DELETE: its ON DELETE {} would write NULL into `{}.{}`, which is NOT NULL, for the rows still referencing it",
                nulled.action, nulled.table, nulled.column
            ),
            None => database_effect(
                graph,
                relationship,
                dialect,
                children_left,
                parent_table,
                key.as_ref(),
            ),
        };
        if let Some(nulled) = &nulled {
            statement.database_error =
                Some(not_null_violation(&nulled.table, &nulled.column, dialect));
        } else if effect.starts_with("the database refuses") {
            statement.database_error = Some(fk_violation(graph, relationship, dialect));
        }
        if let Some(driver) = driver {
            let lazy = loading(graph, driver) != Loading::Eager;
            if children_left && lazy && passive_deletes(graph, driver) == Ok(PassiveDeletes::On) {
                let rel = &graph.relationships[driver];
                effect.push_str(if rel.direction == Some(Direction::ManyToMany) {
                    "; the association rows of a collection already loaded in the session are deleted by the ORM first"
                } else if rel.cascade.delete {
                    "; children in a collection already loaded in the session are deleted by the ORM first"
                } else {
                    "; children in a collection already loaded in the session get the ORM's UPDATE ... SET NULL first"
                });
            }
        }
        statement.note = Some(effect);
        statements.push(statement);
    }
    // Every statement of the sequence shares its gaps.
    if !gaps.0.is_empty() {
        for statement in &mut statements {
            for reason in &gaps.0 {
                if !statement.unknown.contains(reason) {
                    statement.unknown.push(reason.clone());
                }
            }
        }
    }
    statements
}

struct ChildOutcome {
    statements: Vec<Statement>,
    /// A statement raised or the database refused it: nothing follows.
    failed: bool,
    /// Children may still reference the parent when it is deleted.
    children_left: bool,
}

/// The SELECT that loads the relationship's collection for one parent row:
/// `SELECT <target columns> FROM <target> WHERE %(param_1)s = <fk>` (through
/// the secondary table for a many-to-many). `labelled` gives the columns the
/// labels a legacy Query (a dynamic relationship) writes.
fn lazy_select(
    graph: &Graph,
    relationship: RelationshipId,
    labelled: bool,
    dialect: Dialect,
    gaps: &mut Gaps,
) -> Option<String> {
    let rel = &graph.relationships[relationship];
    let target = rel.target_class()?;
    let target_table = graph.classes[target].table?;
    let parent_table = graph.classes[rel.class].table?;
    let target_spec = table_spec(graph, target_table);
    let parent_spec = table_spec(graph, parent_table);
    let mut columns = select_list(graph, &target_spec, target, dialect, gaps);
    if labelled {
        columns = target_spec
            .columns
            .iter()
            .map(|c| {
                format!(
                    "{} AS {}",
                    qualified_column(graph, target_table, &c.name, dialect),
                    quote(&column_label(graph, target_table, &c.name), dialect)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
    }
    let order_by = order_by_clause(graph, relationship, dialect, gaps);
    if rel.direction == Some(Direction::ManyToMany) {
        let secondary = rel.secondary?;
        let (parent_side, target_side) =
            association_columns(graph, secondary, parent_table, target_table);
        if parent_side.is_empty() || target_side.is_empty() || parent_table == target_table {
            gaps.add("the secondary table's links are not rendered");
        }
        let mut where_parts = Vec::new();
        for (local, _, remote) in &parent_side {
            let parent_type = gaps.typed(&parent_spec, remote);
            where_parts.push(format!(
                "{} = {}",
                param(
                    &format!("param_{}", where_parts.len() + 1),
                    parent_type,
                    dialect
                ),
                qualified_column(graph, secondary, local, dialect)
            ));
        }
        for (local, _, remote) in &target_side {
            where_parts.push(format!(
                "{} = {}",
                qualified_column(graph, target_table, remote, dialect),
                qualified_column(graph, secondary, local, dialect)
            ));
        }
        return Some(format!(
            "SELECT {columns} \nFROM {}, {} \nWHERE {}{order_by}",
            table_name(graph, target_table, dialect),
            table_name(graph, secondary, dialect),
            where_parts.join(" AND "),
        ));
    }
    let pairs = join_pairs(graph, relationship, gaps);
    let mut where_parts = Vec::new();
    for (index, (parent_column, child_column, parent_left)) in pairs.iter().enumerate() {
        let parent_type = if parent_column.0 == parent_table {
            gaps.typed(&parent_spec, &parent_column.1)
        } else {
            gaps.add("the join goes through another table");
            None
        };
        let bind = param(&format!("param_{}", index + 1), parent_type, dialect);
        let column = qualified_column(graph, child_column.0, &child_column.1, dialect);
        where_parts.push(if *parent_left {
            format!("{bind} = {column}")
        } else {
            format!("{column} = {bind}")
        });
    }
    Some(format!(
        "SELECT {columns} \nFROM {} \nWHERE {}{order_by}",
        table_name(graph, target_table, dialect),
        where_parts.join(" AND "),
    ))
}

/// The secondary table's columns that refer to the parent's table and to
/// the target's: `(secondary column, referred table, referred column)`.
type Association = Vec<(String, TableId, String)>;

fn association_columns(
    graph: &Graph,
    secondary: TableId,
    parent_table: TableId,
    target_table: TableId,
) -> (Association, Association) {
    let mut parent_side = Vec::new();
    let mut target_side = Vec::new();
    for &fk in &graph.tables[secondary].foreign_keys {
        let foreign_key = &graph.foreign_keys[fk];
        if let ForeignKeyResolution::Resolved { table, columns } = &foreign_key.resolution {
            for (local, remote) in foreign_key.columns.iter().zip(columns) {
                let entry = (local.clone(), *table, remote.clone());
                if *table == parent_table {
                    parent_side.push(entry);
                } else if *table == target_table {
                    target_side.push(entry);
                }
            }
        }
    }
    (parent_side, target_side)
}

/// How many children the delete scenario has: two, or one when the
/// children's foreign key is unique (a one-to-one).
fn child_count(graph: &Graph, relationship: RelationshipId) -> usize {
    let rel = &graph.relationships[relationship];
    if rel.direction == Some(Direction::ManyToMany) {
        return 2;
    }
    let Some(&(table, _)) = rel.fk_columns.first() else {
        return 2;
    };
    let mut columns: Vec<String> = rel.fk_columns.iter().map(|(_, c)| c.clone()).collect();
    columns.sort();
    let graph_table = &graph.tables[table];
    let unique_column =
        columns.len() == 1 && graph_table.column(&columns[0]).is_some_and(|c| c.unique);
    let mut primary_key: Vec<String> = graph_table
        .primary_key()
        .iter()
        .map(|c| c.to_string())
        .collect();
    primary_key.sort();
    let unique_set = graph_table.unique_sets.iter().any(|set| {
        let mut set = set.clone();
        set.sort();
        set == columns
    });
    if unique_column || unique_set || primary_key == columns {
        1
    } else {
        2
    }
}

/// What the unit of work loads for each deleted child: `session.delete()`
/// cascades into the child's delete-cascade collections, child by child;
/// the flush then loads the child's other collections. The children have
/// no rows of their own in the scenario, so nothing follows those loads.
fn nested_loads(
    graph: &Graph,
    child_class: ClassId,
    driver: RelationshipId,
    children: usize,
    dialect: Dialect,
    gaps: &mut Gaps,
) -> Vec<Statement> {
    let partner = graph.relationships[driver].pair;
    let mut at_delete = Vec::new();
    let mut at_flush = Vec::new();
    for &id in &graph.classes[child_class].relationships {
        let rel = &graph.relationships[id];
        if rel.is_viewonly() {
            continue;
        }
        match rel.direction {
            Some(Direction::ManyToOne) => {
                if rel.cascade.delete && Some(id) != partner {
                    gaps.add(format!(
                        "`{}` cascades the delete to another row: not rendered",
                        graph.relationship_label(id)
                    ));
                }
                continue;
            }
            None => {
                gaps.add(format!(
                    "the direction of `{}` is not known",
                    graph.relationship_label(id)
                ));
                continue;
            }
            _ => {}
        }
        if rel.cascade.unknown {
            gaps.add(format!(
                "the cascade of `{}` is not known",
                graph.relationship_label(id)
            ));
        }
        let passive = match passive_deletes(graph, id) {
            Ok(p) => p,
            Err(reason) => {
                gaps.add(reason);
                continue;
            }
        };
        match loading(graph, id) {
            Loading::Eager => continue,
            Loading::Lazy => {}
            Loading::WriteOnly if passive == PassiveDeletes::Off => {
                gaps.add(format!(
                    "`{}` is write-only without passive_deletes: the flush raises",
                    graph.relationship_label(id)
                ));
                continue;
            }
            Loading::WriteOnly => continue,
            Loading::Dynamic | Loading::Other(_) => {
                gaps.add(format!(
                    "how `{}` is loaded for each deleted {} is not rendered",
                    graph.relationship_label(id),
                    graph.classes[child_class].name
                ));
                continue;
            }
        }
        if let Some(problem) = lazy_option_problem(graph, id) {
            gaps.add(problem);
        }
        if passive != PassiveDeletes::Off {
            continue;
        }
        if rel.cascade.delete {
            at_delete.push(id);
        } else {
            at_flush.push(id);
        }
    }
    if at_flush.len() > 1 {
        gaps.add(format!(
            "the order in which the flush loads several collections of each deleted {} is not rendered",
            graph.classes[child_class].name
        ));
    }
    let mut statements = Vec::new();
    let mut push = |id: RelationshipId, child: usize, gaps: &mut Gaps| {
        if let Some(select) = lazy_select(graph, id, false, dialect, gaps) {
            let mut statement = Statement::exact(select);
            statement.note = Some(format!(
                "loads `{}` of deleted {} {} of {children}",
                graph.relationship_label(id),
                graph.classes[child_class].name,
                child + 1
            ));
            statements.push(statement);
        }
    };
    for child in 0..children {
        for &id in &at_delete {
            push(id, child, gaps);
        }
    }
    for &id in &at_flush {
        for child in 0..children {
            push(id, child, gaps);
        }
    }
    statements
}

fn children_statements(
    graph: &Graph,
    driver: RelationshipId,
    dialect: Dialect,
    gaps: &mut Gaps,
) -> ChildOutcome {
    let rel = &graph.relationships[driver];
    let mut outcome = ChildOutcome {
        statements: Vec::new(),
        failed: false,
        children_left: false,
    };
    let Some(target) = rel.target_class() else {
        gaps.add("its target class is not known");
        return outcome;
    };
    let Some(target_table) = graph.classes[target].table else {
        gaps.add("the target class has no known table");
        return outcome;
    };
    if let Some(problem) = class_problem(graph, target) {
        gaps.add(problem);
    }
    if rel.cascade.unknown {
        gaps.add("its cascade is not known");
    }
    let passive = match passive_deletes(graph, driver) {
        Ok(p) => p,
        Err(reason) => {
            gaps.add(reason);
            PassiveDeletes::Off
        }
    };
    let target_spec = table_spec(graph, target_table);
    let Some(parent_table) = graph.classes[rel.class].table else {
        return outcome;
    };
    let parent_spec = table_spec(graph, parent_table);

    if rel.direction == Some(Direction::ManyToMany) {
        let Some(secondary) = rel.secondary else {
            gaps.add("its secondary table is not known");
            return outcome;
        };
        let mode = loading(graph, driver);
        if mode == Loading::Dynamic {
            gaps.add("a dynamic many-to-many relationship is not rendered");
        }
        let processes = match mode {
            Loading::Eager => passive != PassiveDeletes::All,
            _ => passive == PassiveDeletes::Off,
        };
        if !processes {
            outcome.children_left = true;
            return outcome;
        }
        let secondary_spec = table_spec(graph, secondary);
        // Association columns: (secondary column, referred table, referred column).
        let mut parent_side = Vec::new();
        let mut target_side = Vec::new();
        for &fk in &graph.tables[secondary].foreign_keys {
            let foreign_key = &graph.foreign_keys[fk];
            if let ForeignKeyResolution::Resolved { table, columns } = &foreign_key.resolution {
                for (local, remote) in foreign_key.columns.iter().zip(columns) {
                    let entry = (local.clone(), *table, remote.clone());
                    if *table == parent_table {
                        parent_side.push(entry);
                    } else if *table == target_table {
                        target_side.push(entry);
                    }
                }
            }
        }
        if parent_side.is_empty() || target_side.is_empty() || parent_table == target_table {
            gaps.add("the secondary table's links are not rendered");
        }
        let mut where_parts = Vec::new();
        for (local, table, remote) in &parent_side {
            let parent_type = gaps.typed(&parent_spec, remote);
            let _ = table;
            where_parts.push(format!(
                "{} = {}",
                param(
                    &format!("param_{}", where_parts.len() + 1),
                    parent_type,
                    dialect
                ),
                qualified_column(graph, secondary, local, dialect)
            ));
        }
        for (local, _, remote) in &target_side {
            where_parts.push(format!(
                "{} = {}",
                qualified_column(graph, target_table, remote, dialect),
                qualified_column(graph, secondary, local, dialect)
            ));
        }
        let select = format!(
            "SELECT {} \nFROM {}, {} \nWHERE {}{}",
            select_list(graph, &target_spec, target, dialect, gaps),
            table_name(graph, target_table, dialect),
            table_name(graph, secondary, dialect),
            where_parts.join(" AND "),
            order_by_clause(graph, driver, dialect, gaps)
        );
        if mode != Loading::Eager {
            outcome.statements.push(Statement::exact(select));
        }
        let association: Vec<&String> = secondary_spec
            .columns
            .iter()
            .map(|c| &c.name)
            .filter(|c| {
                parent_side
                    .iter()
                    .chain(&target_side)
                    .any(|(local, _, _)| local == *c)
            })
            .collect();
        let delete = format!(
            "DELETE FROM {} WHERE {}",
            table_name(graph, secondary, dialect),
            association
                .iter()
                .map(|c| format!(
                    "{} = {}",
                    qualified_column(graph, secondary, c, dialect),
                    param(
                        secondary_spec
                            .column(c)
                            .map(|s| s.key.as_str())
                            .unwrap_or(c),
                        gaps.typed(&secondary_spec, c),
                        dialect
                    )
                ))
                .collect::<Vec<_>>()
                .join(" AND ")
        );
        let mut statement = Statement::exact(delete);
        statement.note = Some("executemany: one parameter set per associated row".into());
        outcome.statements.push(statement);
        if rel.cascade.delete {
            gaps.add("a delete cascade over a many-to-many relationship is not rendered");
        }
        return outcome;
    }

    // One-to-many.
    let pairs = join_pairs(graph, driver, gaps);
    let mode = loading(graph, driver);
    // With passive_deletes the collection is not loaded for the delete: only
    // children already loaded (an eager relationship) are processed, the
    // others are left to the database. "all" never touches them.
    let processes = match mode {
        Loading::Eager => passive != PassiveDeletes::All,
        _ => passive == PassiveDeletes::Off,
    };
    if !processes {
        outcome.children_left = true;
        return outcome;
    }
    let mut where_parts = Vec::new();
    for (index, (parent_column, child_column, parent_left)) in pairs.iter().enumerate() {
        let parent_type = if parent_column.0 == parent_table {
            gaps.typed(&parent_spec, &parent_column.1)
        } else {
            gaps.add("the join goes through another table");
            None
        };
        let bind = param(&format!("param_{}", index + 1), parent_type, dialect);
        let column = qualified_column(graph, child_column.0, &child_column.1, dialect);
        where_parts.push(if *parent_left {
            format!("{bind} = {column}")
        } else {
            format!("{column} = {bind}")
        });
    }
    let mut columns = select_list(graph, &target_spec, target, dialect, gaps);
    if mode == Loading::Dynamic {
        // A dynamic relationship loads through a legacy Query, which labels
        // its columns even on SQLAlchemy 2.1.
        columns = target_spec
            .columns
            .iter()
            .map(|c| {
                format!(
                    "{} AS {}",
                    qualified_column(graph, target_table, &c.name, dialect),
                    quote(&column_label(graph, target_table, &c.name), dialect)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
    }
    let select = format!(
        "SELECT {columns} \nFROM {} \nWHERE {}{}",
        table_name(graph, target_table, dialect),
        where_parts.join(" AND "),
        order_by_clause(graph, driver, dialect, gaps)
    );
    match mode {
        Loading::Eager => {}
        Loading::Dynamic if rel.cascade.delete => {
            // Once when session.delete() cascades, once at flush.
            let mut first = Statement::exact(select.clone());
            first.note = Some("session.delete() cascades through the query".into());
            outcome.statements.push(first);
            let mut second = Statement::exact(select);
            second.note = Some("the flush queries the collection again".into());
            outcome.statements.push(second);
        }
        _ => outcome.statements.push(Statement::exact(select)),
    }
    if rel.cascade.delete {
        let count = child_count(graph, driver);
        let nested = nested_loads(graph, target, driver, count, dialect, gaps);
        if mode == Loading::Dynamic && !nested.is_empty() {
            gaps.add("where the children's own loads fall between the two queries is not rendered");
        }
        outcome.statements.extend(nested);
        let mut statement = Statement::exact(format!(
            "DELETE FROM {} WHERE {}",
            table_name(graph, target_table, dialect),
            pk_where(graph, &target_spec, dialect, false, gaps)
        ));
        statement.note = Some("executemany: one parameter set per child".into());
        outcome.statements.push(statement);
        return outcome;
    }
    // No delete cascade: the children's foreign key is set to NULL.
    let fk_columns: Vec<&String> = pairs.iter().map(|(_, child, _)| &child.1).collect();
    if let Some(column) = fk_columns
        .iter()
        .find(|c| target_spec.primary_key.contains(c))
    {
        let mut statement = Statement::unknown_only("");
        statement.sql = String::new();
        statement.error = Some(format!(
            "AssertionError: Dependency rule on column '{}.{}' tried to blank-out primary key column '{}.{}' on instance '<{} at 0x...>'",
            graph.tables[parent_table].name,
            pairs
                .iter()
                .find(|(_, child, _)| &&child.1 == column)
                .map(|(p, _, _)| p.1.clone())
                .unwrap_or_default(),
            target_spec.name,
            column,
            graph.classes[target].name
        ));
        statement.unknown.clear();
        outcome.statements.push(statement);
        outcome.failed = true;
        return outcome;
    }
    let mut set_parts = Vec::new();
    for column in &target_spec.columns {
        if fk_columns.contains(&&column.name) {
            set_parts.push(format!(
                "{}={}",
                quote(&column.name, dialect),
                param(&column.key, column.sql_type.as_ref().ok(), dialect)
            ));
        } else if let Some(onupdate) = &column.onupdate {
            set_parts.push(onupdate_part(column, onupdate, dialect, gaps));
        }
    }
    let mut statement = Statement::exact(format!(
        "UPDATE {} SET {} WHERE {}",
        table_name(graph, target_table, dialect),
        set_parts.join(", "),
        pk_where(graph, &target_spec, dialect, true, gaps)
    ));
    statement.note = Some(format!(
        "executemany: one parameter set per child, {} = None",
        fk_columns
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let not_null: Vec<&&String> = fk_columns
        .iter()
        .filter(|c| target_spec.column(c).and_then(|s| s.nullable) == Some(false))
        .collect();
    if let Some(column) = not_null.first() {
        statement.database_error = Some(match dialect {
            Dialect::Sqlite => format!(
                "IntegrityError: (sqlite3.IntegrityError) NOT NULL constraint failed: {}.{}",
                target_spec.name, column
            ),
            _ => format!(
                "IntegrityError: (psycopg.errors.NotNullViolation) null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                column, target_spec.name
            ),
        });
        outcome.failed = true;
    }
    if fk_columns
        .iter()
        .any(|c| target_spec.column(c).is_some_and(|s| s.nullable.is_none()))
    {
        gaps.add("whether the foreign key column is nullable is not known");
    }
    outcome.statements.push(statement);
    outcome
}

fn onupdate_part(
    column: &ColumnSpec,
    onupdate: &ClientValue,
    dialect: Dialect,
    gaps: &mut Gaps,
) -> String {
    let name = quote(&column.name, dialect);
    match onupdate {
        ClientValue::Function(function) => format!("{name}={}", function_sql(function, dialect)),
        ClientValue::Parameter => format!(
            "{name}={}",
            param(&column.key, column.sql_type.as_ref().ok(), dialect)
        ),
        ClientValue::Unknown(reason) => {
            gaps.add(format!("`{}`'s onupdate: {reason}", column.name));
            format!("{name}=<unknown>")
        }
    }
}

/// What the database does when the parent row (of `parent_table`) is
/// deleted; `key` as [`parent_key`] reads it when children are left.
fn database_effect(
    graph: &Graph,
    relationship: RelationshipId,
    dialect: Dialect,
    children_left: bool,
    parent_table: TableId,
    key: Option<&ParentKey>,
) -> String {
    let rel = &graph.relationships[relationship];
    let database = match dialect {
        Dialect::Sqlite => "SQLite (with `PRAGMA foreign_keys=ON`)",
        Dialect::Mysql => "MySQL",
        Dialect::Postgresql => "PostgreSQL",
    };
    if rel.is_viewonly() {
        return format!("{database} applies the foreign key's ON DELETE to rows still referencing it (viewonly relationships change nothing)");
    }
    if !children_left {
        let nulled = rel.direction != Some(Direction::ManyToMany) && !rel.cascade.delete && {
            let (_, driver) = delete_driver(graph, relationship);
            driver
                .ok()
                .flatten()
                .is_some_and(|d| !graph.relationships[d].cascade.delete)
        };
        if nulled && matches!(ondelete(graph, relationship), Ok(Some(a)) if a == "CASCADE") {
            return "the ORM has set the children's foreign key to NULL: ON DELETE CASCADE finds nothing to delete, the children survive".into();
        }
        return "no row references the parent any more: ON DELETE has nothing to do".into();
    }
    let child = match rel.direction {
        Some(Direction::ManyToOne) => graph.classes[rel.class].name.clone(),
        _ => rel
            .target_class()
            .map(|c| graph.classes[c].name.clone())
            .unwrap_or_else(|| "child".into()),
    };
    let table = rel
        .foreign_keys
        .first()
        .map(|&fk| graph.tables[graph.foreign_keys[fk].table].name.clone())
        .unwrap_or_default();
    match ondelete(graph, relationship) {
        Err(reason) => format!("what {database} does is not known: {reason}"),
        Ok(Some(action)) if action == "CASCADE" => {
            format!("{database} deletes the `{table}` rows that still reference it (ON DELETE CASCADE)")
        }
        Ok(Some(action)) if action == "SET NULL" => match key.and_then(listed_columns) {
            // PostgreSQL's `SET NULL (a, b)`: only those columns of the key.
            Some(listed) => format!(
                "{database} sets the listed columns ({}) of the `{table}` rows that still reference it to NULL, and keeps the key's others (ON DELETE SET NULL with a column list)",
                listed.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            ),
            None => format!("{database} sets the foreign key of the `{table}` rows that still reference it to NULL (ON DELETE SET NULL)"),
        },
        Ok(Some(action)) if action == "SET DEFAULT" => {
            let defaulted = key.map(|key| {
                let read;
                let spec = match &key.child {
                    Some(spec) => spec,
                    None => {
                        read = table_spec(graph, key.foreign_key.table);
                        &read
                    }
                };
                let fk = key.foreign_key;
                spec.columns
                    .iter()
                    .any(|c| fk.columns.contains(&c.name) && c.server_default.is_some())
            });
            match defaulted {
                // No server default: the default is NULL (a NOT NULL column
                // is answered before, by `nulled_not_null_column`).
                Some(false) => format!("{database} sets the foreign key of the `{table}` rows that still reference it to NULL, its default (ON DELETE SET DEFAULT)"),
                // The default must itself refer to a row, and which rows
                // exist is not in the model.
                Some(true) => format!(
                    "{database} sets the foreign key of the `{table}` rows that still reference it to its default (ON DELETE SET DEFAULT), and refuses the DELETE unless a `{}` row with that default key remains",
                    graph.tables[parent_table].name
                ),
                None => format!("{database} sets the foreign key of the `{table}` rows that still reference it to its default (ON DELETE SET DEFAULT)"),
            }
        }
        Ok(action) => format!(
            "the database refuses the DELETE while any {child} row (`{table}`) still references it ({})",
            action
                .map(|a| format!("ON DELETE {a}"))
                .unwrap_or_else(|| "no ON DELETE".into())
        ),
    }
}

/// A column the parent's DELETE would set to NULL although it is NOT NULL.
struct NulledColumn {
    action: String,
    table: String,
    column: String,
}

/// ON DELETE SET NULL, or SET DEFAULT where the column has no server
/// default, on a NOT NULL (or primary key) column of the children: the
/// database's action fails, and with it the parent's DELETE. The column is
/// the first such one in the table's order, which both databases check in
/// and name. `None` when the action writes no NULL into a NOT NULL column,
/// or when a column's nullability or default is not known.
///
/// The key is the relationship's one foreign key to the deleted row's table
/// (a many-to-many's association table has another, to the other side).
fn nulled_not_null_column(key: &ParentKey) -> Option<NulledColumn> {
    if !key.only {
        return None;
    }
    let (action, set_columns) = key.action.as_ref()?;
    let (foreign_key, child) = (key.foreign_key, key.child.as_ref()?);
    let mut first = None;
    for column in &child.columns {
        let set = match set_columns {
            Some(listed) => listed.contains(&column.name),
            None => foreign_key.columns.contains(&column.name),
        };
        if !set {
            continue;
        }
        let nulled = match action.as_str() {
            "SET NULL" => true,
            "SET DEFAULT" => match &column.server_default {
                None => true,
                Some(Ok(_)) => false,
                Some(Err(_)) => return None,
            },
            _ => return None,
        };
        let not_null = match column.nullable {
            Some(nullable) => !nullable || column.primary_key,
            None if column.primary_key => true,
            None => return None,
        };
        if nulled && not_null && first.is_none() {
            first = Some(column.name.clone());
        }
    }
    Some(NulledColumn {
        action: action.clone(),
        table: child.name.clone(),
        column: first?,
    })
}

/// The error a NOT NULL column raises when a row would hold NULL in it, as
/// SQLAlchemy reports it.
fn not_null_violation(table: &str, column: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::Sqlite => format!(
            "IntegrityError: (sqlite3.IntegrityError) NOT NULL constraint failed: {table}.{column}"
        ),
        _ => format!(
            "IntegrityError: (psycopg.errors.NotNullViolation) null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
        ),
    }
}

/// The error the database raises when the parent row is deleted while
/// children still reference it, as SQLAlchemy reports it.
fn fk_violation(graph: &Graph, relationship: RelationshipId, dialect: Dialect) -> String {
    let rel = &graph.relationships[relationship];
    let Some(&fk) = rel.foreign_keys.first() else {
        return "IntegrityError: a foreign key violation".into();
    };
    let foreign_key = &graph.foreign_keys[fk];
    let child = &graph.tables[foreign_key.table];
    let parent = foreign_key
        .referred_table()
        .map(|t| graph.tables[t].name.clone())
        .unwrap_or_default();
    match dialect {
        Dialect::Sqlite => {
            "IntegrityError: (sqlite3.IntegrityError) FOREIGN KEY constraint failed".into()
        }
        _ => {
            // PostgreSQL names an unnamed key `<table>_<columns>_fkey`.
            let name = match super::schema::foreign_key_name(graph, fk) {
                super::schema::Name::Named { text, explicit } => {
                    Some(super::ddl::rendered_text(&text, explicit, dialect))
                }
                super::schema::Name::None => {
                    let name = format!("{}_{}_fkey", child.name, foreign_key.columns.join("_"));
                    (name.len() <= 63).then_some(name)
                }
                super::schema::Name::Unknown(_) => None,
            };
            match name {
                Some(name) => format!(
                    "IntegrityError: (psycopg.errors.ForeignKeyViolation) update or delete on table \"{parent}\" violates foreign key constraint \"{name}\" on table \"{}\"",
                    child.name
                ),
                None => format!(
                    "IntegrityError: (psycopg.errors.ForeignKeyViolation) update or delete on table \"{parent}\" violates a foreign key constraint on table \"{}\"",
                    child.name
                ),
            }
        }
    }
}

/// Does the relationship get a flush hover: `post_update`, or part of a
/// row-dependency cycle?
pub fn has_flush_sequence(graph: &Graph, relationship: RelationshipId) -> bool {
    let rel = &graph.relationships[relationship];
    if rel.is_viewonly() || rel.direction == Some(Direction::ManyToMany) {
        return false;
    }
    if rel.flag("post_update") == Some(true) {
        return true;
    }
    row_cycle(graph, relationship).is_some()
}

/// The row cycle holding a relationship's class and its target, another
/// class.
fn row_cycle(graph: &Graph, relationship: RelationshipId) -> Option<&Vec<ClassId>> {
    let rel = &graph.relationships[relationship];
    let target = rel.target_class().filter(|&t| t != rel.class)?;
    graph
        .row_cycles
        .iter()
        .find(|cycle| cycle.contains(&rel.class) && cycle.contains(&target))
}

/// A link of a row cycle: the table holding a foreign key, the class it
/// belongs to, and whether every relationship writing it has `post_update`.
struct Link {
    holder: ClassId,
    referred: ClassId,
    columns: Vec<ColumnRef>,
    post_update: bool,
    unknown: bool,
}

/// The statements a flush emits for new objects that reference each other
/// through a row cycle, one per class of the cycle (or one object
/// referencing itself), every relationship between them set: the INSERTs
/// and the UPDATEs that `post_update` defers, in the unit of work's order
/// (see `flush_order`). Outside the cycle, the post_update relationship's
/// two classes.
pub fn post_update_flush_sequence(
    graph: &Graph,
    relationship: RelationshipId,
    dialect: Dialect,
) -> Vec<Statement> {
    if dialect == Dialect::Mysql {
        return vec![Statement::unknown_only(
            "unit-of-work SQL is rendered for PostgreSQL and SQLite only",
        )];
    }
    let Some(classes) = flush_classes(graph, relationship) else {
        return vec![Statement::unknown_only("its target class is not known")];
    };
    let mut gaps = Gaps::default();
    for &class in &classes {
        if let Some(problem) = class_problem(graph, class) {
            gaps.add(problem);
        }
    }
    // The links between the classes, from every relationship that writes
    // them; and the relationships the flush finds changed.
    let mut links: Vec<Link> = Vec::new();
    let mut changed: Vec<Changed> = Vec::new();
    for (id, other) in graph.relationships.iter().enumerate() {
        let Some(other_target) = other.target_class() else {
            continue;
        };
        if !classes.contains(&other.class) || other.is_viewonly() {
            continue;
        }
        let post = other.flag("post_update");
        let unknown = post.is_none() && other.facts.flag("post_update").is_some();
        if !classes.contains(&other_target) {
            // A parent outside the cycle the new row cannot do without:
            // stored beforehand and set, it orders the INSERT after its
            // mapper's (empty) save.
            match required_parent(graph, id) {
                Ok(false) => {}
                Ok(true) if post != Some(true) && !unknown => {
                    changed.push(Changed {
                        class: other.class,
                        target: other_target,
                        direction: Direction::ManyToOne,
                        post_update: false,
                    });
                }
                Ok(true) => gaps.add(format!(
                    "`{}` may defer a NOT NULL foreign key with post_update",
                    graph.relationship_label(id)
                )),
                Err(problem) => gaps.add(problem),
            }
            continue;
        }
        let (holder, referred) = match other.direction {
            Some(Direction::ManyToOne) => (other.class, other_target),
            Some(Direction::OneToMany) => (other_target, other.class),
            Some(Direction::ManyToMany) => continue,
            None => {
                gaps.add(format!(
                    "the direction of `{}` is not known",
                    graph.relationship_label(id)
                ));
                continue;
            }
        };
        let mut columns = other.fk_columns.clone();
        columns.sort();
        changed.push(Changed {
            class: other.class,
            target: other_target,
            direction: other.direction.unwrap_or(Direction::ManyToOne),
            post_update: post == Some(true),
        });
        match links
            .iter_mut()
            .find(|l| l.holder == holder && l.referred == referred && l.columns == columns)
        {
            Some(link) => {
                link.post_update &= post == Some(true);
                link.unknown |= unknown;
            }
            None => links.push(Link {
                holder,
                referred,
                columns,
                post_update: post == Some(true),
                unknown,
            }),
        }
    }
    if links.iter().any(|l| l.unknown) {
        gaps.add("a `post_update=` is not literal");
    }
    let Some(steps) = flush_order::order(&changed, |class| mapper_sort_key(graph, class)) else {
        return with_gaps(
            vec![Statement {
                sql: String::new(),
                note: Some(format!(
                    "no statement is emitted: the unit of work cannot order the {} rows",
                    if classes.len() == 2 { "two" } else { "new" }
                )),
                unknown: Vec::new(),
                error: Some("CircularDependencyError: Circular dependency detected.".into()),
                database_error: None,
            }],
            gaps,
        );
    };
    let deferred: Vec<&Link> = links.iter().filter(|l| l.post_update).collect();
    if deferred.is_empty() {
        return with_gaps(
            vec![Statement::unknown_only(
                "no post_update link: the flush is an ordinary one",
            )],
            gaps,
        );
    }
    let mut statements = Vec::new();
    // Tables whose new row SQLite numbered without SQLAlchemy reading the key.
    let mut keys_not_read = Vec::new();
    for step in steps {
        match step {
            Step::Insert(class) if classes.contains(&class) => {
                let Some(table) = graph.classes[class].table else {
                    return vec![Statement::unknown_only(
                        "a class of the cycle has no known table",
                    )];
                };
                let spec = table_spec(graph, table);
                let nulls: Vec<&String> = deferred
                    .iter()
                    .filter(|l| l.holder == class)
                    .flat_map(|l| l.columns.iter().map(|(_, c)| c))
                    .collect();
                let written: Vec<&String> = links
                    .iter()
                    .filter(|l| l.holder == class)
                    .flat_map(|l| l.columns.iter().map(|(_, c)| c))
                    .collect();
                let unset = unset_key_columns(graph, &spec, &written);
                let mut statement =
                    insert_statement(graph, &spec, &nulls, &unset, dialect, &mut gaps);
                if let Some(first) = unset.first() {
                    let rowid = dialect == Dialect::Sqlite
                        && spec.primary_key.len() == 1
                        && spec
                            .column(&spec.primary_key[0])
                            .is_some_and(|c| c.sql_type == Ok(SqlType::Integer));
                    let unset_note = format!(
                        "{first} is part of the primary key, has no autoincrement or default, and no relationship sets it: left out of the INSERT"
                    );
                    statement.note = Some(match statement.note.take() {
                        Some(note) => format!("{note}; {unset_note}"),
                        None => unset_note,
                    });
                    if rowid {
                        // An INTEGER PRIMARY KEY is SQLite's rowid: the row gets a
                        // number, which SQLAlchemy does not read back.
                        keys_not_read.push(table);
                    } else {
                        statement.database_error =
                            Some(not_null_violation(&spec.name, first, dialect));
                        statements.push(statement);
                        return with_gaps(statements, gaps);
                    }
                }
                statements.push(statement);
            }
            Step::PostUpdate(holder) => {
                let holder_links: Vec<&&Link> =
                    deferred.iter().filter(|l| l.holder == holder).collect();
                let Some(table) = graph.classes[holder]
                    .table
                    .filter(|_| !holder_links.is_empty())
                else {
                    continue;
                };
                let spec = table_spec(graph, table);
                let deferred_columns: Vec<&String> = holder_links
                    .iter()
                    .flat_map(|l| l.columns.iter().map(|(_, c)| c))
                    .collect();
                let mut set_parts = Vec::new();
                for column in &spec.columns {
                    if deferred_columns.contains(&&column.name) {
                        set_parts.push(format!(
                            "{}={}",
                            quote(&column.name, dialect),
                            param(&column.key, column.sql_type.as_ref().ok(), dialect)
                        ));
                    } else if let Some(onupdate) = &column.onupdate {
                        set_parts.push(onupdate_part(column, onupdate, dialect, &mut gaps));
                    }
                }
                let sql = format!(
                    "UPDATE {} SET {} WHERE {}",
                    table_name(graph, table, dialect),
                    set_parts.join(", "),
                    pk_where(graph, &spec, dialect, true, &mut gaps)
                );
                let mut statement = Statement::exact(sql);
                let names: Vec<&str> = deferred_columns.iter().map(|c| c.as_str()).collect();
                statement.note = Some(if holder_links.len() == 1 {
                    format!(
                        "post_update: sets {} once both rows exist",
                        names.join(", ")
                    )
                } else {
                    format!(
                        "post_update: sets {} once the rows they refer to exist",
                        names.join(", ")
                    )
                });
                if keys_not_read.contains(&table) {
                    // Its WHERE has the key as None: no row matches.
                    statement.error = Some(format!(
                        "StaleDataError: UPDATE statement on table '{}' expected to update 1 row(s); 0 were matched.",
                        graph.tables[table].name
                    ));
                    statements.push(statement);
                    break;
                }
                statements.push(statement);
            }
            Step::Insert(_) => {}
        }
    }
    with_gaps(statements, gaps)
}

/// The classes of a relationship's flush scenario, one new object each:
/// those of the row cycle it is in, its class and target outside one, its
/// class alone when it refers to it. `None` when its target is not known.
pub fn flush_classes(graph: &Graph, relationship: RelationshipId) -> Option<Vec<ClassId>> {
    let rel = &graph.relationships[relationship];
    let target = rel.target_class()?;
    if target == rel.class {
        return Some(vec![target]);
    }
    Some(row_cycle(graph, relationship).map_or_else(|| vec![rel.class, target], Vec::clone))
}

/// Whether a many-to-one relationship needs its parent row for the new
/// row to be stored: its foreign key has a NOT NULL column.
fn required_parent(graph: &Graph, relationship: RelationshipId) -> Result<bool, String> {
    let rel = &graph.relationships[relationship];
    if rel.direction != Some(Direction::ManyToOne) {
        return Ok(false);
    }
    let mut required = false;
    for (table, name) in &rel.fk_columns {
        match graph.tables[*table].column(name) {
            Some(column) if column.primary_key || column.nullable == Some(false) => required = true,
            Some(column) if column.nullable == Some(true) => {}
            _ => return Err(format!("whether `{name}` is nullable is not known")),
        }
    }
    Ok(required)
}

/// The primary-key columns of a new row that nothing sets: no
/// autoincrement, no default, part of a foreign key (which the
/// relationships are left to fill) and written by none of them. The ORM
/// leaves a key column that is None out of the INSERT (SA405's case).
fn unset_key_columns(graph: &Graph, spec: &TableSpec, written: &[&String]) -> Vec<String> {
    let autoincrement = spec
        .autoincrement_column(graph)
        .ok()
        .flatten()
        .map(|c| c.name.clone());
    let table = &graph.tables[spec.id];
    spec.columns
        .iter()
        .filter(|c| {
            c.primary_key
                && autoincrement.as_ref() != Some(&c.name)
                && c.default.is_none()
                && c.server_default.is_none()
                && !written.contains(&&c.name)
                && table
                    .foreign_keys
                    .iter()
                    .any(|&fk| graph.foreign_keys[fk].columns.contains(&c.name))
        })
        .map(|c| c.name.clone())
        .collect()
}

/// SQLAlchemy's `Mapper._sort_key`: the class's `__module__` and
/// `__name__` (Python compares the strings by code point, as Rust does).
fn mapper_sort_key(graph: &Graph, class: ClassId) -> String {
    let class = &graph.classes[class];
    format!("{}.{}", graph.files[class.file].module, class.name)
}

fn with_gaps(mut statements: Vec<Statement>, gaps: Gaps) -> Vec<Statement> {
    for statement in &mut statements {
        for reason in &gaps.0 {
            if !statement.unknown.contains(reason) {
                statement.unknown.push(reason.clone());
            }
        }
    }
    statements
}

/// `INSERT INTO t (...) VALUES (...) [RETURNING ...]` for one new row whose
/// unset columns are None; `nulls` are the columns post_update fills later.
fn insert_statement(
    graph: &Graph,
    spec: &TableSpec,
    nulls: &[&String],
    unset: &[String],
    dialect: Dialect,
    gaps: &mut Gaps,
) -> Statement {
    let autoincrement = match spec.autoincrement_column(graph) {
        Ok(column) => column.map(|c| c.name.clone()),
        Err(reason) => {
            gaps.add(reason);
            None
        }
    };
    let mut names = Vec::new();
    let mut values = Vec::new();
    let mut returning = Vec::new();
    for column in &spec.columns {
        let is_autoincrement = autoincrement.as_deref() == Some(column.name.as_str());
        if is_autoincrement {
            returning.push(column);
            continue;
        }
        if unset.contains(&column.name) {
            continue;
        }
        if column.server_default.is_some() {
            if column.primary_key {
                gaps.add(format!(
                    "`{}` is a primary key with a server default",
                    column.name
                ));
            }
            returning.push(column);
            continue;
        }
        let value = match &column.default {
            Some(ClientValue::Function(function)) => {
                gaps.add(format!(
                    "`{}`'s SQL default `{function}()` may also be returned",
                    column.name
                ));
                function_sql(function, dialect)
            }
            Some(ClientValue::Unknown(reason)) => {
                gaps.add(format!("`{}`'s default: {reason}", column.name));
                "<unknown>".into()
            }
            _ => param(&column.key, column.sql_type.as_ref().ok(), dialect),
        };
        if column.sql_type.is_err() {
            gaps.add(format!("the type of `{}` is not known", column.name));
        }
        names.push(quote(&column.name, dialect));
        values.push(value);
    }
    let table = table_name(graph, spec.id, dialect);
    let mut sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        values.join(", ")
    );
    let server_generated: Vec<&&ColumnSpec> = returning
        .iter()
        .filter(|c| c.server_default.is_some())
        .collect();
    let needs_returning = match dialect {
        Dialect::Postgresql => !returning.is_empty(),
        // sqlite3 reports the new rowid itself; RETURNING only for server defaults.
        _ => !server_generated.is_empty(),
    };
    if needs_returning {
        let columns: Vec<String> = returning
            .iter()
            .map(|c| match dialect {
                Dialect::Postgresql => qualified_column(graph, spec.id, &c.name, dialect),
                _ => quote(&c.name, dialect),
            })
            .collect();
        sql.push_str(&format!(" RETURNING {}", columns.join(", ")));
    }
    if names.is_empty() {
        gaps.add("an INSERT without columns is rendered differently (DEFAULT VALUES)");
    }
    let mut statement = Statement::exact(sql);
    if !nulls.is_empty() {
        statement.note = Some(format!(
            "{} = None: post_update sets it afterwards",
            nulls
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    statement
}
