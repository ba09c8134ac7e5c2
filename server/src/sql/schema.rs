//! The table as SQLAlchemy will build it: columns with their types and
//! defaults, the primary key, constraints in creation order, indexes and
//! names from the naming convention. Read from the graph and, for what the
//! graph does not keep (constraint names, CHECK text, indexes, table
//! options), from the expressions as written.
//!
//! Whatever cannot be known is recorded as a reason in `unknown`, never
//! guessed: the renderers then say so instead of printing SQL.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::facts::{ColumnKind, ForeignKeyKind, RawMember, Setting};
use crate::graph::{
    render_convention, uses_constraint_name, Column, ConventionInput, EffectiveName, ForeignKeyId,
    Graph, NamingConvention, ScopeId, ScopeKind, TableId,
};
use crate::syntax::expr::{Call, Expr, ExprKind};

use super::dialect_options::{self, Construct, OptionValue, WrittenOption};
use super::types::{self, SqlType};

/// A constraint or index name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    None,
    /// `explicit`: written with `name=` as a plain string (SQLAlchemy raises
    /// for one that is too long); otherwise made by the naming convention or
    /// wrapped in `conv()` (SQLAlchemy shortens it).
    Named {
        text: String,
        explicit: bool,
    },
    Unknown(String),
}

/// A server-side default, rendered per dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerDefault {
    /// `server_default="0"`.
    Literal(String),
    /// `server_default=text("...")`.
    Text(String),
    /// `server_default=func.now()` and other argument-less functions.
    Function(String),
}

/// What a column's Python-side `default=` / `onupdate=` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientValue {
    /// A Python value or callable: sent as a bound parameter.
    Parameter,
    /// A SQL function rendered inline (`func.now()`).
    Function(String),
    Unknown(String),
}

#[derive(Debug, Clone)]
pub struct ColumnSpec {
    pub name: String,
    /// The key bound parameters are named after.
    pub key: String,
    pub sql_type: Result<SqlType, String>,
    pub nullable: Option<bool>,
    pub primary_key: bool,
    /// `autoincrement=` as written: `True`, `False`, `"auto"` (the default), `"ignore_fk"`.
    pub autoincrement: Result<Autoincrement, String>,
    pub server_default: Option<Result<ServerDefault, String>>,
    pub default: Option<ClientValue>,
    pub onupdate: Option<ClientValue>,
    pub comment: Option<String>,
    pub unique: bool,
    pub index: bool,
    /// Options of some dialect (`sqlite_on_conflict_not_null=`).
    pub dialect_options: Vec<WrittenOption>,
    /// Reasons the column's DDL is not knowable.
    pub unknown: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autoincrement {
    Auto,
    True,
    False,
    IgnoreFk,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    ForeignKey(ForeignKeyId),
    Unique {
        name: Name,
        columns: Vec<String>,
        deferrability: Deferrability,
    },
    Check {
        name: Name,
        text: String,
        deferrability: Deferrability,
    },
}

/// A constraint's `deferrable=` and `initially=`, as written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Deferrability {
    pub deferrable: Option<bool>,
    pub initially: Option<String>,
}

impl Deferrability {
    /// Read from the keywords of a constraint call (`None` is as if not
    /// written); why not, when a value is not a literal.
    pub fn of(call: &Call) -> Result<Self, String> {
        let written = |name: &str| call.keyword_value(name).filter(|v| !v.is_none_literal());
        let kind = call.callee.last_name().unwrap_or("");
        let deferrable = match written("deferrable") {
            None => None,
            Some(value) => Some(
                value
                    .as_bool()
                    .ok_or_else(|| format!("`{kind}(deferrable=...)` is not a literal boolean"))?,
            ),
        };
        let initially = match written("initially") {
            None => None,
            Some(value) => Some(
                value
                    .as_str()
                    .ok_or_else(|| format!("`{kind}(initially=...)` is not a literal string"))?
                    .to_string(),
            ),
        };
        Ok(Deferrability {
            deferrable,
            initially,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    pub name: Name,
    pub unique: bool,
    pub columns: Vec<String>,
    /// Options of some dialect (`postgresql_using=`), read by that one only.
    pub dialect_options: Vec<WrittenOption>,
}

#[derive(Debug, Clone)]
pub struct TableSpec {
    pub id: TableId,
    pub name: String,
    pub schema: Option<String>,
    pub columns: Vec<ColumnSpec>,
    /// Primary-key columns, in constraint order.
    pub primary_key: Vec<String>,
    pub primary_key_name: Name,
    pub primary_key_deferrability: Deferrability,
    /// Every other constraint, in SQLAlchemy's creation order.
    pub constraints: Vec<Constraint>,
    pub indexes: Vec<IndexSpec>,
    pub comment: Option<String>,
    /// Options of some dialect (`mysql_engine=`, `mssql_clustered=`) of the
    /// table, its columns and constraints: each read by its dialect only.
    pub dialect_options: Vec<WrittenOption>,
    /// Reasons the table's DDL is not knowable.
    pub unknown: Vec<String>,
}

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column that autoincrements (SERIAL on PostgreSQL): SQLAlchemy's
    /// `Table._autoincrement_column`. `Err` when that is not knowable.
    pub fn autoincrement_column(&self, graph: &Graph) -> Result<Option<&ColumnSpec>, String> {
        let pk: Vec<&ColumnSpec> = self
            .primary_key
            .iter()
            .filter_map(|name| self.column(name))
            .collect();
        let has_fk = |column: &ColumnSpec| {
            graph.tables[self.id]
                .foreign_keys
                .iter()
                .any(|&fk| graph.foreign_keys[fk].columns.contains(&column.name))
        };
        let valid = |column: &ColumnSpec, explicit: bool| -> Result<bool, String> {
            let sql_type = column.sql_type.as_ref().map_err(|e| e.clone())?;
            if !sql_type.is_integer() {
                return if explicit {
                    Err(format!(
                        "`{}` has autoincrement=True on a non-integer type",
                        column.name
                    ))
                } else {
                    Ok(false)
                };
            }
            if !explicit && column.default.is_some() {
                return Ok(false);
            }
            if !explicit && column.server_default.is_some() {
                return Ok(false);
            }
            let autoincrement = column.autoincrement.clone()?;
            if has_fk(column)
                && !matches!(autoincrement, Autoincrement::True | Autoincrement::IgnoreFk)
            {
                return Ok(false);
            }
            Ok(true)
        };
        if pk.len() == 1 {
            let column = pk[0];
            return match column.autoincrement.clone()? {
                Autoincrement::True => valid(column, true).map(|_| Some(column)),
                Autoincrement::Auto | Autoincrement::IgnoreFk => {
                    Ok(valid(column, false)?.then_some(column))
                }
                Autoincrement::False => Ok(None),
            };
        }
        let mut found = None;
        for column in pk {
            if column.autoincrement.clone()? == Autoincrement::True {
                valid(column, true)?;
                if found.is_some() {
                    return Err("several columns have autoincrement=True".into());
                }
                found = Some(column);
            }
        }
        Ok(found)
    }
}

/// Builds the table as SQLAlchemy would.
pub fn table_spec(graph: &Graph, table_id: TableId) -> TableSpec {
    let table = &graph.tables[table_id];
    let scope = table.scope;
    let mut spec = TableSpec {
        id: table_id,
        name: table.name.clone(),
        schema: table.schema.clone(),
        columns: Vec::new(),
        primary_key: Vec::new(),
        primary_key_name: Name::None,
        primary_key_deferrability: Deferrability::default(),
        constraints: Vec::new(),
        indexes: Vec::new(),
        comment: None,
        dialect_options: Vec::new(),
        unknown: Vec::new(),
    };
    if table.incomplete {
        spec.unknown
            .push("some of its columns or constraints could not be read".into());
    }
    if let Some(class) = table.class {
        if graph.classes[class].incomplete {
            spec.unknown.push(format!(
                "class `{}` has a base or member that could not be read",
                graph.classes[class].name
            ));
        }
    }
    let conventions = naming_templates(graph, scope);

    // Columns, in table order (SQLModel: pydantic's order, base fields first).
    for column in ordered_columns(graph, table_id) {
        spec.columns
            .push(column_spec(graph, table_id, column, scope));
    }

    // The table's own items: `Table(...)` arguments or `__table_args__`.
    let source = table_source(graph, table_id);
    let mut explicit_pk: Option<(Vec<String>, Name, Deferrability)> = None;
    match &source {
        Err(reason) => spec.unknown.push(reason.clone()),
        Ok(source) => {
            for item in &source.items {
                read_table_item(
                    graph,
                    table_id,
                    item,
                    &conventions,
                    &mut spec,
                    &mut explicit_pk,
                );
            }
            for (key, value) in &source.options {
                match key.as_str() {
                    "schema" | "extend_existing" | "keep_existing" | "info" => {}
                    "comment" => match value.as_str() {
                        Some(text) => spec.comment = Some(text.to_string()),
                        None => spec
                            .unknown
                            .push("the table comment is not a literal string".into()),
                    },
                    other => match dialect_options::accepted_by(Construct::Table, other) {
                        Some(dialect) => spec.dialect_options.push(WrittenOption {
                            dialect,
                            description: format!("table option `{other}`"),
                            table_option: Some((
                                other[dialect.len() + 1..].to_string(),
                                match (value.as_str(), value.as_bool()) {
                                    (Some(text), _) => OptionValue::String(text.to_string()),
                                    (None, Some(flag)) => OptionValue::Bool(flag),
                                    (None, None) => OptionValue::Other,
                                },
                            )),
                        }),
                        None => spec
                            .unknown
                            .push(format!("table option `{other}` is not rendered")),
                    },
                }
            }
        }
    }

    // The primary key.
    match explicit_pk {
        Some((columns, name, deferrability)) => {
            spec.primary_key = columns;
            spec.primary_key_name = name;
            spec.primary_key_deferrability = deferrability;
        }
        None => {
            spec.primary_key = spec
                .columns
                .iter()
                .filter(|c| c.primary_key)
                .map(|c| c.name.clone())
                .collect();
        }
    }
    let owner = ConventionTable::of(&spec);
    if matches!(spec.primary_key_name, Name::None) && !spec.primary_key.is_empty() {
        spec.primary_key_name =
            convention_name(&conventions, "pk", &owner, &spec.primary_key, None);
    }

    // Constraints and indexes that columns create when they join the table:
    // per column, its unique constraint or index first, then its foreign keys.
    let column_fks: Vec<ForeignKeyId> = table
        .foreign_keys
        .iter()
        .copied()
        .filter(|&fk| graph.foreign_keys[fk].facts.kind != ForeignKeyKind::Constraint)
        .collect();
    for column in spec.columns.clone() {
        if column.index {
            spec.indexes.push(IndexSpec {
                name: convention_name(
                    &conventions,
                    "ix",
                    &owner,
                    std::slice::from_ref(&column.name),
                    None,
                ),
                unique: column.unique,
                columns: vec![column.name.clone()],
                dialect_options: Vec::new(),
            });
        } else if column.unique {
            spec.constraints.push(Constraint::Unique {
                name: convention_name(
                    &conventions,
                    "uq",
                    &owner,
                    std::slice::from_ref(&column.name),
                    None,
                ),
                columns: vec![column.name.clone()],
                deferrability: Deferrability::default(),
            });
        }
        for &fk in &column_fks {
            if graph.foreign_keys[fk].columns.first() == Some(&column.name) {
                spec.constraints.push(Constraint::ForeignKey(fk));
            }
        }
    }
    // Table-level foreign keys not matched to a written item (a mixin's
    // `__table_args__` we could not find): their place is not known.
    for &fk in &table.foreign_keys {
        if !spec.constraints.contains(&Constraint::ForeignKey(fk)) {
            spec.constraints.push(Constraint::ForeignKey(fk));
            spec.unknown.push(format!(
                "the position of the constraint on ({}) is not known",
                graph.foreign_keys[fk].columns.join(", ")
            ));
        }
    }
    standalone_indexes(graph, table_id, &conventions, &mut spec);
    spec
}

/// `unique=` of an `Index(...)`.
fn index_unique(call: &Call) -> Result<bool, String> {
    match call.keyword_value("unique") {
        None => Ok(false),
        Some(value) => value
            .as_bool()
            .ok_or_else(|| "an `Index(unique=...)` is not literal".to_string()),
    }
}

/// The name an `Index(...)` is written with, its first argument (see
/// `item_name`).
fn index_name(first: &Expr) -> Result<Option<(String, bool)>, String> {
    if first.is_none_literal() {
        return Ok(None);
    }
    match first.as_str() {
        Some(name) => Ok(Some((name.to_string(), true))),
        None => Err("an `Index` name is not a literal".to_string()),
    }
}

/// Whether an argument of a stand-alone `Index(...)` is a column of the
/// table whose class or binding is one of `owners`.
enum IndexArgument {
    Column(String),
    /// Another table's, or an expression.
    Other,
    /// Starts at an owner, but in a form not read (`Country.__table__.c.x`).
    Unread,
}

/// The name a dotted chain starts at (`Country` of `Country.iso_code`,
/// `country` of `country.c.iso_code`).
pub fn dotted_root(expr: &Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Name(name) => Some(name),
        ExprKind::Attribute(object, _) => dotted_root(object),
        _ => None,
    }
}

fn index_argument(table: &crate::graph::Table, owners: &[&str], argument: &Expr) -> IndexArgument {
    let Some(dotted) = argument.dotted() else {
        return IndexArgument::Other;
    };
    let parts: Vec<&str> = dotted.split('.').collect();
    if !owners.contains(&parts[0]) {
        return IndexArgument::Other;
    }
    match parts.as_slice() {
        // `Country.iso_code`: a mapped attribute.
        [_, attribute] => match table.columns.iter().find(|c| c.is_mapped_as(attribute)) {
            Some(column) => IndexArgument::Column(column.name().to_string()),
            None => IndexArgument::Unread,
        },
        // `country.c.iso_code`: a Core column, by key.
        [_, "c", key] => match table.column(key) {
            Some(column) => IndexArgument::Column(column.name().to_string()),
            None => IndexArgument::Unread,
        },
        _ => IndexArgument::Unread,
    }
}

/// `Index("ix_country_iso_code", Country.iso_code, unique=True)` written
/// apart from the table: SQLAlchemy attaches it to the table of its columns
/// when the call runs, and `create_all` creates it after the table. Read at
/// the module level of the table's own file; elsewhere (another module, a
/// function) whether and when it runs is not known.
fn standalone_indexes(
    graph: &Graph,
    table_id: TableId,
    conventions: &Result<BTreeMap<String, String>, String>,
    spec: &mut TableSpec,
) {
    let sites = || {
        graph
            .files
            .iter()
            .enumerate()
            .flat_map(|(file, facts)| facts.call_sites.iter().map(move |site| (file, site)))
            .filter(|(_, site)| site.construct == Some(crate::facts::Construct::Index))
            .filter_map(|(file, site)| Some((file, site, site.call.as_call()?.as_ref())))
    };
    if sites().next().is_none() {
        return;
    }
    let table = &graph.tables[table_id];
    let owners: Vec<&str> = graph
        .classes
        .iter()
        .filter(|class| class.table == Some(table_id))
        .map(|class| class.name.as_str())
        .chain(table.location_binding())
        .collect();
    if owners.is_empty() {
        return;
    }
    for (file, site, call) in sites() {
        // Most calls index other tables: skip them without reading further.
        let mentions_owner = call
            .args
            .iter()
            .skip(1)
            .any(|argument| dotted_root(argument).is_some_and(|root| owners.contains(&root)));
        if !mentions_owner {
            continue;
        }
        let facts = &graph.files[file];
        let arguments: Vec<IndexArgument> = call
            .args
            .iter()
            .skip(1)
            .map(|argument| index_argument(table, &owners, argument))
            .collect();
        if arguments.iter().all(|a| matches!(a, IndexArgument::Other)) {
            continue;
        }
        let columns: Option<Vec<String>> = arguments
            .into_iter()
            .map(|a| match a {
                IndexArgument::Column(name) => Some(name),
                _ => None,
            })
            .collect();
        let unread = if file != table.location.file {
            Some(format!(
                "an `Index(...)` in {} may be created with it",
                facts.path
            ))
        } else if site.function_range.is_some() {
            Some("an `Index(...)` in a function may be created with it".to_string())
        } else if call.has_splat {
            Some("an `Index(...)` has `*args`".to_string())
        } else if columns.is_none() {
            Some("an `Index(...)` on it names a column in a form not read".to_string())
        } else {
            None
        };
        if let Some(reason) = unread {
            spec.unknown.push(reason);
            continue;
        }
        let options = match written_options(call, Construct::Index, "Index", &["unique"]) {
            Ok(options) => options,
            Err(reason) => {
                spec.unknown.push(reason);
                continue;
            }
        };
        let unique = match index_unique(call) {
            Ok(unique) => unique,
            Err(reason) => {
                spec.unknown.push(reason);
                continue;
            }
        };
        let columns = columns.unwrap_or_default();
        let written = call.args.first().map_or(Ok(None), index_name);
        let name = item_name(
            conventions,
            "ix",
            &ConventionTable::of(spec),
            &columns,
            written,
        );
        spec.indexes.push(IndexSpec {
            name,
            unique,
            columns,
            dialect_options: options,
        });
    }
}

/// The dialect options among a construct's keywords other than those it
/// reads; `Err` (why its DDL is not known) for the first keyword that is
/// neither, an option SQLAlchemy refuses included.
fn written_options(
    call: &Call,
    construct: Construct,
    kind: &str,
    read: &[&str],
) -> Result<Vec<WrittenOption>, String> {
    let mut options = Vec::new();
    for keyword in &call.keywords {
        let name = keyword.name.as_str();
        if read.contains(&name) {
            continue;
        }
        match dialect_options::accepted_by(construct, name) {
            Some(dialect) => options.push(WrittenOption {
                dialect,
                description: format!("`{kind}({name}=...)`"),
                table_option: None,
            }),
            None => return Err(format!("`{kind}({name}=...)` is not rendered")),
        }
    }
    Ok(options)
}

/// Where a table's constraints and options are written.
struct TableSource<'g> {
    items: Vec<&'g Expr>,
    options: Vec<(String, &'g Expr)>,
}

/// The constraint and index calls (and any other item) written with a
/// table: its `Table(...)` arguments, or the `__table_args__` of its class
/// or of the unmapped base it inherits them from. Empty when they cannot be
/// read.
pub fn table_items(graph: &Graph, table_id: TableId) -> Vec<&Expr> {
    table_source(graph, table_id)
        .map(|source| source.items)
        .unwrap_or_default()
}

fn table_source(graph: &Graph, table_id: TableId) -> Result<TableSource<'_>, String> {
    let table = &graph.tables[table_id];
    let file = &graph.files[table.location.file];
    let mut source = TableSource {
        items: Vec::new(),
        options: Vec::new(),
    };
    // A `Table(...)` bound at module level, or `__table__ = Table(...)`.
    let table_call: Option<&Arc<Call>> = file
        .bindings
        .iter()
        .find(|b| b.value.range == table.location.range)
        .and_then(|b| b.value.as_call())
        .or_else(|| {
            let class = table.class?;
            if graph.classes[class].table != Some(table_id) {
                return None;
            }
            graph
                .class_facts(class)
                .attribute_values("__table__")
                .find_map(Expr::as_call)
        });
    if let Some(call) = table_call {
        if call.has_splat {
            return Err("`Table(...)` has `*args`/`**kwargs`".into());
        }
        for arg in call.args.iter().skip(1) {
            if let Some(inner) = arg.as_call() {
                if !matches!(inner.callee.last_name(), Some("Column" | "mapped_column")) {
                    source.items.push(arg);
                }
            }
        }
        for keyword in &call.keywords {
            source.options.push((keyword.name.clone(), &keyword.value));
        }
        return Ok(source);
    }
    let Some(class) = table.class else {
        return Err("the `Table(...)` call was not found".into());
    };
    // `__table_args__` of the class, else of the unmapped bases it inherits from.
    let owner = &graph.classes[class];
    let mut candidates = vec![(owner.file, owner.index)];
    candidates.extend(unmapped_ancestors(graph, owner.file, owner.index));
    for (file, index) in candidates {
        let facts = &graph.files[file].classes[index];
        for member in &facts.raw_members {
            match member {
                RawMember::Attribute {
                    name,
                    value: Some(value),
                    ..
                } if name == "__table_args__" => {
                    match &value.kind {
                        ExprKind::Dict { entries, complete } => {
                            if !complete {
                                return Err("`__table_args__` has `**` entries".into());
                            }
                            read_options(entries, &mut source)?;
                        }
                        ExprKind::Tuple(items) | ExprKind::List(items) => {
                            for item in items {
                                match &item.kind {
                                    ExprKind::Dict { entries, complete } => {
                                        if !complete {
                                            return Err("`__table_args__` has `**` entries".into());
                                        }
                                        read_options(entries, &mut source)?;
                                    }
                                    _ => source.items.push(item),
                                }
                            }
                        }
                        _ => return Err("`__table_args__` is not a literal tuple or dict".into()),
                    }
                    return Ok(source);
                }
                RawMember::Method { name, .. } if name == "__table_args__" => {
                    return Err("`__table_args__` is computed by a method".into());
                }
                _ => {}
            }
        }
    }
    Ok(source)
}

fn read_options<'g>(
    entries: &'g [(Expr, Expr)],
    source: &mut TableSource<'g>,
) -> Result<(), String> {
    for (key, value) in entries {
        match key.as_str() {
            Some(key) => source.options.push((key.to_string(), value)),
            None => return Err("a `__table_args__` option key is not a literal".into()),
        }
    }
    Ok(())
}

/// The classes a class inherits from that are not mapped (mixins, abstract
/// bases), found by name, depth first. Names that match several classes
/// stop the walk there.
fn unmapped_ancestors(graph: &Graph, file: usize, index: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut stack = vec![(file, index, 0usize)];
    while let Some((file, index, depth)) = stack.pop() {
        if depth > 8 {
            continue;
        }
        let class = &graph.files[file].classes[index];
        let mut found = Vec::new();
        for base in &class.bases {
            let Some(name) = base.last_name() else {
                continue;
            };
            let matches: Vec<(usize, usize)> = graph
                .files
                .iter()
                .enumerate()
                .flat_map(|(f, facts)| {
                    facts
                        .classes
                        .iter()
                        .enumerate()
                        .filter(move |(_, c)| c.name == name && !c.nested_in_function)
                        .map(move |(i, _)| (f, i))
                })
                .collect();
            let chosen = match matches.as_slice() {
                [one] => Some(*one),
                many => many.iter().copied().find(|(f, _)| *f == file),
            };
            if let Some((f, i)) = chosen {
                let mapped = graph.classes.iter().any(|c| c.file == f && c.index == i);
                if !mapped && !out.contains(&(f, i)) {
                    out.push((f, i));
                    found.push((f, i, depth + 1));
                }
            }
        }
        // Depth first, left to right.
        stack.extend(found.into_iter().rev());
    }
    out
}

fn read_table_item(
    graph: &Graph,
    table_id: TableId,
    item: &Expr,
    conventions: &Result<BTreeMap<String, String>, String>,
    spec: &mut TableSpec,
    explicit_pk: &mut Option<(Vec<String>, Name, Deferrability)>,
) {
    let Some(call) = item.as_call() else {
        spec.unknown
            .push("a table argument is not a constraint call".into());
        return;
    };
    let kind = call.callee.last_name().unwrap_or("");
    if call.has_splat {
        spec.unknown.push(format!("`{kind}(...)` has `*args`"));
        return;
    }
    // The name written, and whether as a plain string (not in `conv()`).
    let explicit_name = |call: &Call| -> Result<Option<(String, bool)>, String> {
        match call.keyword_value("name") {
            None => Ok(None),
            Some(v) if v.is_none_literal() => Ok(None),
            Some(v) => match (v.as_str(), v.as_call()) {
                (Some(s), _) => Ok(Some((s.to_string(), true))),
                (None, Some(c))
                    if c.callee.last_name() == Some("conv")
                        && c.args.first().and_then(|a| a.as_str()).is_some() =>
                {
                    Ok(c.args[0].as_str().map(|s| (s.to_string(), false)))
                }
                _ => Err(format!("the name of `{kind}(...)` is not a literal")),
            },
        }
    };
    let string_columns = |args: &[Expr]| -> Option<Vec<String>> {
        args.iter()
            .map(|a| a.as_str().map(str::to_string))
            .collect()
    };
    // A unique, primary-key or check constraint's keywords: its name and
    // deferrability, and dialect options; None (and a reason) for any other.
    let constraint_options = |call: &Call, construct: Construct, spec: &mut TableSpec| {
        let read = written_options(call, construct, kind, &["name", "deferrable", "initially"])
            .and_then(|options| Ok((options, Deferrability::of(call)?)));
        match read {
            Ok((options, deferrability)) => {
                spec.dialect_options.extend(options);
                Some(deferrability)
            }
            Err(reason) => {
                spec.unknown.push(reason);
                None
            }
        }
    };
    let owner = ConventionTable::of(spec);
    let name_for =
        |written: Result<Option<(String, bool)>, String>, prefix: &str, columns: &[String]| {
            item_name(conventions, prefix, &owner, columns, written)
        };
    match kind {
        "ForeignKeyConstraint" => {
            let table = &graph.tables[table_id];
            match table
                .foreign_keys
                .iter()
                .find(|&&fk| graph.foreign_keys[fk].facts.range == item.range)
            {
                Some(&fk) => spec.constraints.push(Constraint::ForeignKey(fk)),
                None => spec
                    .unknown
                    .push("a `ForeignKeyConstraint` was not linked".into()),
            }
        }
        "UniqueConstraint" => {
            let Some(deferrability) = constraint_options(call, Construct::Unique, spec) else {
                return;
            };
            let Some(columns) = string_columns(&call.args) else {
                spec.unknown
                    .push("a `UniqueConstraint` names its columns by expression".into());
                return;
            };
            let name = name_for(explicit_name(call), "uq", &columns);
            spec.constraints.push(Constraint::Unique {
                name,
                columns,
                deferrability,
            });
        }
        "PrimaryKeyConstraint" => {
            let Some(deferrability) = constraint_options(call, Construct::PrimaryKey, spec) else {
                return;
            };
            let Some(columns) = string_columns(&call.args) else {
                spec.unknown
                    .push("a `PrimaryKeyConstraint` names its columns by expression".into());
                return;
            };
            let name = name_for(explicit_name(call), "pk", &columns);
            *explicit_pk = Some((columns, name, deferrability));
        }
        "CheckConstraint" => {
            let Some(deferrability) = constraint_options(call, Construct::Check, spec) else {
                return;
            };
            let Some(text) = call.args.first().and_then(|a| a.as_str()) else {
                spec.unknown
                    .push("a `CheckConstraint` is an expression, not a string".into());
                return;
            };
            let name = match explicit_name(call) {
                Ok(None) => match conventions {
                    Ok(t) if t.contains_key("ck") => Name::Unknown(
                        "the check constraint's convention name is not rendered".into(),
                    ),
                    Ok(_) => Name::None,
                    Err(reason) => Name::Unknown(reason.clone()),
                },
                other => name_for(other, "ck", &[]),
            };
            spec.constraints.push(Constraint::Check {
                name,
                text: text.to_string(),
                deferrability,
            });
        }
        "Index" => {
            let options = match written_options(call, Construct::Index, kind, &["unique"]) {
                Ok(options) => options,
                Err(reason) => {
                    spec.unknown.push(reason);
                    return;
                }
            };
            let unique = match index_unique(call) {
                Ok(unique) => unique,
                Err(reason) => {
                    spec.unknown.push(reason);
                    return;
                }
            };
            let Some(first) = call.args.first() else {
                spec.unknown.push("an `Index(...)` has no name".into());
                return;
            };
            let Some(columns) = string_columns(&call.args[1..]) else {
                spec.unknown
                    .push("an `Index` is on expressions, not named columns".into());
                return;
            };
            let explicit = index_name(first);
            let name = name_for(explicit, "ix", &columns);
            spec.indexes.push(IndexSpec {
                name,
                unique,
                columns,
                dialect_options: options,
            });
        }
        other => spec
            .unknown
            .push(format!("table argument `{other}(...)` is not rendered")),
    }
}

/// The columns of a table in SQLAlchemy's order.
fn ordered_columns(graph: &Graph, table_id: TableId) -> Vec<&Column> {
    let table = &graph.tables[table_id];
    let columns: Vec<&Column> = table.columns.iter().collect();
    if graph.scopes[table.scope].kind != ScopeKind::SqlModel {
        return columns;
    }
    // Pydantic puts inherited fields before the class's own: group the
    // columns by the class that writes them and reverse the groups of each
    // mapped class (own fields last).
    let source_of = |column: &Column| {
        let file = &graph.files[column.location.file];
        file.classes
            .iter()
            .position(|c| {
                c.range.start <= column.location.range.start
                    && column.location.range.end <= c.range.end
            })
            .map(|i| (column.location.file, i))
    };
    let mut out: Vec<&Column> = Vec::new();
    let mut by_class: Vec<(Option<usize>, Vec<Vec<&Column>>)> = Vec::new();
    for column in columns {
        let declared = column.declared_by;
        let source = source_of(column);
        match by_class.last_mut() {
            Some((class, groups)) if *class == declared => {
                let same_source = groups
                    .last()
                    .and_then(|g| g.last())
                    .is_some_and(|c| source_of(c) == source);
                if same_source {
                    groups.last_mut().unwrap().push(column);
                } else {
                    groups.push(vec![column]);
                }
            }
            _ => by_class.push((declared, vec![vec![column]])),
        }
    }
    for (_, groups) in by_class {
        for group in groups.into_iter().rev() {
            out.extend(group);
        }
    }
    out
}

fn column_spec(graph: &Graph, table_id: TableId, column: &Column, scope: ScopeId) -> ColumnSpec {
    let facts = &column.facts;
    let mut spec = ColumnSpec {
        name: column.name().to_string(),
        key: column.name().to_string(),
        sql_type: column_type(graph, table_id, column, 0),
        nullable: column.nullable,
        primary_key: column.primary_key,
        autoincrement: Ok(Autoincrement::Auto),
        server_default: None,
        default: None,
        onupdate: None,
        comment: None,
        unique: column.unique,
        index: false,
        dialect_options: Vec::new(),
        unknown: Vec::new(),
    };
    if column.nullable.is_none() {
        spec.unknown.push(format!(
            "whether `{}` is nullable is not known",
            column.name()
        ));
    }
    if matches!(facts.unique, Some(Setting::Unknown(_))) {
        spec.unknown
            .push(format!("`{}`'s `unique=` is not literal", column.name()));
    }
    if matches!(facts.primary_key, Some(Setting::Unknown(_))) {
        spec.unknown.push(format!(
            "`{}`'s `primary_key=` is not literal",
            column.name()
        ));
    }
    let Some(call) = &facts.call else {
        return spec;
    };
    if call.has_splat {
        spec.unknown
            .push(format!("`{}` is declared with `**kwargs`", column.name()));
    }
    let is_field = call.callee.last_name() == Some("Field");
    let sqlmodel = graph.scopes[scope].kind == ScopeKind::SqlModel;
    for keyword in &call.keywords {
        let value = &keyword.value;
        match keyword.name.as_str() {
            "index" => match value.as_bool() {
                Some(flag) => spec.index = flag,
                None if value.is_none_literal() => {}
                None => spec
                    .unknown
                    .push(format!("`{}`'s `index=` is not literal", column.name())),
            },
            "autoincrement" => {
                spec.autoincrement = match (&value.kind, value.as_str()) {
                    (ExprKind::Bool(true), _) => Ok(Autoincrement::True),
                    (ExprKind::Bool(false), _) => Ok(Autoincrement::False),
                    (_, Some("auto")) => Ok(Autoincrement::Auto),
                    (_, Some("ignore_fk")) => Ok(Autoincrement::IgnoreFk),
                    _ => Err(format!(
                        "`{}`'s `autoincrement=` is not literal",
                        column.name()
                    )),
                }
            }
            "server_default" => {
                spec.server_default = if value.is_none_literal() {
                    None
                } else {
                    Some(server_default(value))
                }
            }
            "default" | "insert_default" | "default_factory" => {
                if !value.is_none_literal() {
                    spec.default = Some(client_value(value));
                }
            }
            "onupdate" => {
                if !value.is_none_literal() {
                    spec.onupdate = Some(client_value(value));
                }
            }
            "comment" => match value.as_str() {
                Some(text) => spec.comment = Some(text.to_string()),
                None if value.is_none_literal() => {}
                None => spec
                    .unknown
                    .push(format!("`{}`'s comment is not literal", column.name())),
            },
            "key" => match value.as_str() {
                Some(key) if !is_field => spec.key = key.to_string(),
                _ => spec
                    .unknown
                    .push(format!("`{}`'s `key=` is not literal", column.name())),
            },
            // No effect on DDL or on the statements rendered here.
            "nullable"
            | "primary_key"
            | "unique"
            | "name"
            | "type_"
            | "doc"
            | "info"
            | "server_onupdate"
            | "init"
            | "repr"
            | "compare"
            | "kw_only"
            | "hash"
            | "deferred"
            | "deferred_group"
            | "deferred_raiseload"
            | "active_history"
            | "dataclass_metadata"
            | "use_existing_column"
            | "foreign_key"
            | "ondelete"
            | "sa_type"
            | "sa_column"
            | "max_length"
            | "max_digits"
            | "decimal_places"
            | "alias"
            | "title"
            | "description"
            | "exclude"
            | "include"
            | "const"
            | "gt"
            | "ge"
            | "lt"
            | "le"
            | "multiple_of"
            | "min_items"
            | "max_items"
            | "unique_items"
            | "min_length"
            | "allow_mutation"
            | "regex"
            | "pattern"
            | "discriminator"
            | "schema_extra"
            | "json_schema_extra"
            | "validation_alias"
            | "serialization_alias"
            | "strict"
            | "frozen"
            | "validate_default" => {}
            other => match dialect_options::accepted_by(Construct::Column, other) {
                Some(dialect) => spec.dialect_options.push(WrittenOption {
                    dialect,
                    description: format!("`{}`'s option `{other}=`", column.name()),
                    table_option: None,
                }),
                None => spec.unknown.push(format!(
                    "`{}`'s option `{other}=` is not rendered",
                    column.name()
                )),
            },
        }
    }
    if is_field && sqlmodel {
        // SQLModel passes `default=` on to the Column only when it is not None.
        if let Some(ClientValue::Parameter) = spec.default {
            if call
                .keyword_value("default")
                .is_some_and(|v| v.is_none_literal())
            {
                spec.default = None;
            }
        }
    }
    if !is_field {
        for (position, arg) in call.args.iter().enumerate() {
            if position == 0 && matches!(arg.kind, ExprKind::Str(_)) {
                continue;
            }
            let name = arg
                .as_call()
                .and_then(|c| c.callee.last_name())
                .or_else(|| arg.last_name());
            if let Some(
                "Sequence" | "Identity" | "Computed" | "CheckConstraint" | "FetchedValue"
                | "DefaultClause",
            ) = name
            {
                spec.unknown.push(format!(
                    "`{}` has `{}(...)`, which is not rendered",
                    column.name(),
                    name.unwrap_or("")
                ));
            }
        }
    }
    spec
}

fn server_default(value: &Expr) -> Result<ServerDefault, String> {
    if let Some(text) = value.as_str() {
        return Ok(ServerDefault::Literal(text.to_string()));
    }
    if let Some(call) = value.as_call() {
        let callee = call.callee.dotted().unwrap_or_default();
        let last = call.callee.last_name().unwrap_or("");
        if last == "text" && call.args.len() == 1 && call.keywords.is_empty() {
            if let Some(text) = call.args[0].as_str() {
                return Ok(ServerDefault::Text(text.to_string()));
            }
        }
        if let Some(function) = sql_function(&callee, call) {
            return Ok(ServerDefault::Function(function));
        }
    }
    Err("its `server_default=` is an expression the renderer does not know".into())
}

/// `func.now()` and friends without arguments: the function's name.
fn sql_function(callee: &str, call: &Call) -> Option<String> {
    let (owner, name) = callee.rsplit_once('.')?;
    let owner_last = owner.rsplit('.').next()?;
    if owner_last != "func" || !call.args.is_empty() || !call.keywords.is_empty() {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    (lower == name && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| name.to_string())
}

fn client_value(value: &Expr) -> ClientValue {
    if let Some(call) = value.as_call() {
        let callee = call.callee.dotted().unwrap_or_default();
        if let Some(function) = sql_function(&callee, call) {
            return ClientValue::Function(function);
        }
        if callee.contains("func.") || callee.starts_with("text") || callee.ends_with(".text") {
            return ClientValue::Unknown("a SQL expression default".into());
        }
    }
    match &value.kind {
        ExprKind::Str(_)
        | ExprKind::Int(_)
        | ExprKind::Float
        | ExprKind::Bool(_)
        | ExprKind::Name(_)
        | ExprKind::Attribute(..)
        | ExprKind::Lambda(_)
        | ExprKind::Unary(..)
        | ExprKind::Dict { .. }
        | ExprKind::List(_) => ClientValue::Parameter,
        _ => ClientValue::Unknown("a computed default".into()),
    }
}

/// The column's SQL type.
pub fn column_type(
    graph: &Graph,
    table_id: TableId,
    column: &Column,
    depth: usize,
) -> Result<SqlType, String> {
    if depth > 8 {
        return Err("its type comes through a chain of foreign keys".into());
    }
    let facts = &column.facts;
    let scope = &graph.scopes[graph.tables[table_id].scope];
    let sqlmodel = scope.kind == ScopeKind::SqlModel;
    let annotation_inner = facts.annotation.as_ref().and_then(|a| a.inner.as_deref());
    let in_type_map = |inner: &str| -> Result<SqlType, String> {
        if scope_has_type_map(graph, graph.tables[table_id].scope) {
            return Err(
                "the declarative base has a `type_annotation_map`, which the renderer does not read"
                    .into(),
            );
        }
        types::from_declarative_annotation(inner)
    };
    let Some(call) = &facts.call else {
        return match (annotation_inner, facts.kind) {
            (Some(inner), ColumnKind::SqlModelPlain) if sqlmodel => {
                types::from_sqlmodel_annotation(inner, None, None, None)
            }
            (Some(inner), ColumnKind::AnnotationOnly) => in_type_map(inner),
            _ => Err("its type is not known".into()),
        };
    };
    if call.callee.last_name() == Some("Field") {
        if let Some(sa_type) = call.keyword_value("sa_type") {
            return types::parse_type_expr(sa_type);
        }
        let int = |name: &str| -> Result<Option<u64>, String> {
            match call.keyword_value(name) {
                None => Ok(None),
                Some(v) => match v.kind {
                    ExprKind::Int(n) if n >= 0 => Ok(Some(n as u64)),
                    _ if v.is_none_literal() => Ok(None),
                    _ => Err(format!("`Field({name}=...)` is not literal")),
                },
            }
        };
        let inner = annotation_inner.ok_or("its annotation is not readable")?;
        return types::from_sqlmodel_annotation(
            inner,
            int("max_length")?,
            int("max_digits")?,
            int("decimal_places")?,
        );
    }
    if let Some(type_) = call.keyword_value("type_") {
        return types::parse_type_expr(type_);
    }
    let mut foreign_key_call = None;
    for (position, arg) in call.args.iter().enumerate() {
        if position == 0 && matches!(arg.kind, ExprKind::Str(_)) {
            continue;
        }
        let name = arg
            .as_call()
            .and_then(|c| c.callee.last_name())
            .or_else(|| arg.last_name());
        match name {
            Some("ForeignKey") => {
                foreign_key_call.get_or_insert(arg);
            }
            Some(
                "Sequence" | "Identity" | "Computed" | "CheckConstraint" | "FetchedValue"
                | "DefaultClause",
            ) => {}
            _ => return types::parse_type_expr(arg),
        }
    }
    if let Some(fk_expr) = foreign_key_call {
        // No type: SQLAlchemy copies the referred column's type.
        let table = &graph.tables[table_id];
        let fk = table
            .foreign_keys
            .iter()
            .map(|&id| &graph.foreign_keys[id])
            .find(|fk| {
                fk.facts.range == fk_expr.range
                    || fk.facts.call.as_ref().is_some_and(|c| {
                        c.arguments_range.start >= fk_expr.range.start
                            && c.arguments_range.end <= fk_expr.range.end
                    })
            });
        let Some(fk) = fk else {
            return Err("its type comes from a foreign key that was not linked".into());
        };
        let crate::graph::ForeignKeyResolution::Resolved { table, columns } = &fk.resolution else {
            return Err("its type comes from a foreign key that does not resolve".into());
        };
        let position = fk
            .columns
            .iter()
            .position(|c| *c == column.name())
            .unwrap_or(0);
        let referred = columns
            .get(position)
            .and_then(|name| graph.tables[*table].column(name))
            .ok_or("its type comes from a referred column that is not known")?;
        return column_type(graph, *table, referred, depth + 1);
    }
    match (facts.kind, annotation_inner) {
        (ColumnKind::MappedColumn, Some(inner)) => in_type_map(inner),
        (ColumnKind::SqlModelField, Some(inner)) if sqlmodel => {
            types::from_sqlmodel_annotation(inner, None, None, None)
        }
        _ => Err("it has no type (SQLAlchemy's NullType cannot be rendered in DDL)".into()),
    }
}

/// Does the scope's declarative base customise `type_annotation_map`?
fn scope_has_type_map(graph: &Graph, scope: ScopeId) -> bool {
    let Some(location) = graph.scopes[scope].location else {
        return false;
    };
    let file = &graph.files[location.file];
    let class_has = file.classes.iter().any(|c| {
        c.name_range == location.range
            && c.raw_members
                .iter()
                .any(|m| m.name() == "type_annotation_map")
    });
    let binding_has = file.bindings.iter().any(|b| {
        b.name_range == location.range
            && b.value
                .as_call()
                .is_some_and(|c| c.keyword("type_annotation_map").is_some())
    });
    let registry_has = file.classes.iter().any(|c| {
        c.name_range == location.range
            && c.registry
                .as_ref()
                .and_then(|r| r.as_call())
                .is_some_and(|c| c.keyword("type_annotation_map").is_some())
    });
    class_has || binding_has || registry_has
}

/// The naming convention's templates by kind (`pk`, `uq`, `ix`, `ck`, `fk`).
pub fn naming_templates(graph: &Graph, scope: ScopeId) -> Result<BTreeMap<String, String>, String> {
    let scope_facts = &graph.scopes[scope];
    let default = || {
        let mut map = BTreeMap::new();
        map.insert("ix".to_string(), "ix_%(column_0_label)s".to_string());
        map
    };
    let mut dicts: Vec<(usize, &Expr)> = Vec::new();
    if let Some((file, call)) = &scope_facts.metadata_call {
        if let Some(value) = call.keyword_value("naming_convention") {
            dicts.push((*file, value));
        }
    }
    // `X.metadata.naming_convention = {...}` assignments.
    let owner = scope_facts.key.rsplit(':').next().unwrap_or("").to_string();
    for (file, facts) in graph.files.iter().enumerate() {
        for assignment in &facts.attribute_assignments {
            let Some(prefix) = assignment.name.strip_suffix(".naming_convention") else {
                continue;
            };
            let prefix = prefix.strip_suffix(".metadata").unwrap_or(prefix);
            let last = prefix.rsplit('.').next().unwrap_or(prefix);
            let applies = match scope_facts.kind {
                ScopeKind::SqlModel => last == "SQLModel",
                _ => last == owner,
            };
            if applies {
                dicts.push((file, &assignment.value));
            }
        }
    }
    let Some(&(file, value)) = dicts.last() else {
        return match scope_facts.naming_convention {
            NamingConvention::None => Ok(default()),
            _ => Err("the naming convention could not be read".into()),
        };
    };
    let resolved = match &value.kind {
        ExprKind::Name(name) => graph.files[file].binding(name).map(|b| &b.value),
        _ => Some(value),
    };
    let Some(ExprKind::Dict { entries, complete }) = resolved.map(|v| &v.kind) else {
        return Err("the naming convention is not a literal dict".into());
    };
    if !complete {
        return Err("the naming convention has `**` entries".into());
    }
    let mut map = BTreeMap::new();
    for (key, value) in entries {
        let key = match (key.as_str(), key.last_name()) {
            (Some(k), _) => k.to_string(),
            (None, Some("ForeignKeyConstraint")) => "fk".into(),
            (None, Some("PrimaryKeyConstraint")) => "pk".into(),
            (None, Some("UniqueConstraint")) => "uq".into(),
            (None, Some("CheckConstraint")) => "ck".into(),
            (None, Some("Index")) => "ix".into(),
            _ => return Err("a naming convention key is not readable".into()),
        };
        match value.as_str() {
            Some(template) => {
                map.insert(key, template.to_string());
            }
            None => return Err(format!("the naming convention's `{key}` is not a string")),
        }
    }
    if matches!(scope_facts.naming_convention, NamingConvention::Unknown) {
        return Err("the naming convention could not be read".into());
    }
    Ok(map)
}

/// The name of a constraint or index written with `name` (and whether as
/// a plain string rather than in `conv()`), or without one.
fn item_name(
    conventions: &Result<BTreeMap<String, String>, String>,
    prefix: &str,
    table: &ConventionTable,
    columns: &[String],
    written: Result<Option<(String, bool)>, String>,
) -> Name {
    match written {
        Err(reason) => Name::Unknown(reason),
        // Conventions leave a `conv()` name alone.
        Ok(Some((name, false))) => Name::Named {
            text: name,
            explicit: false,
        },
        Ok(Some((name, true))) => {
            // A convention with `%(constraint_name)s` renames explicit names.
            match conventions {
                Ok(templates)
                    if templates
                        .get(prefix)
                        .is_some_and(|t| uses_constraint_name(t)) =>
                {
                    convention_name(conventions, prefix, table, columns, Some(&name))
                }
                Err(reason) => Name::Unknown(reason.clone()),
                _ => Name::Named {
                    text: name,
                    explicit: true,
                },
            }
        }
        Ok(None) => convention_name(conventions, prefix, table, columns, None),
    }
}

/// The table whose constraints and indexes a convention names.
struct ConventionTable {
    name: String,
    schema: Option<String>,
}

impl ConventionTable {
    fn of(spec: &TableSpec) -> Self {
        ConventionTable {
            name: spec.name.clone(),
            schema: spec.schema.clone(),
        }
    }
}

/// The name a convention gives a primary key, unique constraint or index.
fn convention_name(
    conventions: &Result<BTreeMap<String, String>, String>,
    prefix: &str,
    table: &ConventionTable,
    columns: &[String],
    constraint_name: Option<&str>,
) -> Name {
    let templates = match conventions {
        Ok(t) => t,
        Err(reason) => return Name::Unknown(reason.clone()),
    };
    let Some(template) = templates.get(prefix) else {
        return match constraint_name {
            Some(name) => Name::Named {
                text: name.to_string(),
                explicit: true,
            },
            None => Name::None,
        };
    };
    let input = ConventionInput {
        table: &table.name,
        schema: table.schema.as_deref(),
        columns,
        referred_table: None,
        referred_columns: &[],
        constraint_name,
    };
    match render_convention(template, &input) {
        Some(text) => Name::Named {
            text,
            explicit: false,
        },
        None => Name::Unknown(format!(
            "the naming convention `{template}` uses a token the renderer does not know"
        )),
    }
}

/// The foreign key's constraint name as `create_all` will use it.
pub fn foreign_key_name(graph: &Graph, fk: ForeignKeyId) -> Name {
    let foreign_key = &graph.foreign_keys[fk];
    match &foreign_key.effective_name {
        EffectiveName::Unnamed => Name::None,
        EffectiveName::NamedUnknown => {
            Name::Unknown("its name (from `name=` or the naming convention) is not known".into())
        }
        EffectiveName::Named(text) => Name::Named {
            text: text.clone(),
            // A `conv()` name is one SQLAlchemy shortens, like a convention's.
            explicit: match &foreign_key.facts.name {
                Some(Setting::Known(written, _)) => {
                    written == text && !foreign_key.facts.name_is_final
                }
                _ => false,
            },
        },
    }
}
