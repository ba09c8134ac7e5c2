//! `create_all()` / `drop_all()` DDL: `CREATE TABLE`, `CREATE INDEX`,
//! comments, foreign keys inline or as `ALTER TABLE ... ADD CONSTRAINT`
//! for dependency cycles, and what `drop_all()` emits or raises.
//!
//! Cycle handling follows `sqlalchemy.sql.ddl.sort_tables_and_constraints`:
//! on a backend with ALTER, every foreign key of every table in a cycle is
//! created afterwards with ALTER (as are `use_alter=True` keys); on drop,
//! only named keys can be dropped first, and a cycle that the named keys
//! do not break makes `drop_all()` raise `CircularDependencyError`.

use std::collections::BTreeSet;

use crate::config::Dialect;
use crate::facts::Setting;
use crate::graph::{ForeignKeyId, ForeignKeyResolution, Graph, ScopeId, TableId};
use crate::syntax::expr::Call;

use super::dialect_options::{self, Construct, OptionValue, WrittenOption};
use super::ident::{
    literal, max_identifier_length, max_name_length, qualified, quote, shortened_name,
};
use super::schema::{table_spec, Constraint, Deferrability, Name, ServerDefault, TableSpec};
use super::Statement;

fn supports_alter(dialect: Dialect) -> bool {
    !matches!(dialect, Dialect::Sqlite)
}

/// The table's name as DDL writes it.
pub fn table_name(graph: &Graph, table: TableId, dialect: Dialect) -> String {
    let table = &graph.tables[table];
    qualified(table.schema.as_deref(), &table.name, dialect)
}

/// Renders a constraint or index name; `Err` when SQLAlchemy raises or the
/// name is not known.
fn render_name(name: &Name, dialect: Dialect) -> Result<Option<String>, NameProblem> {
    match name {
        Name::None => Ok(None),
        Name::Unknown(reason) => Err(NameProblem::Unknown(reason.clone())),
        Name::Named { text, explicit } => {
            let max = max_identifier_length(dialect);
            if *explicit && text.chars().count() > max {
                return Err(NameProblem::TooLong(format!(
                    "IdentifierError: Identifier '{text}' exceeds maximum length of {max} characters"
                )));
            }
            Ok(Some(quote(
                &rendered_text(text, *explicit, dialect),
                dialect,
            )))
        }
    }
}

/// A name's text as `create_all` writes it: a name SQLAlchemy made (a
/// convention's or a `conv()`) shortened to the dialect's limit.
pub(crate) fn rendered_text(text: &str, explicit: bool, dialect: Dialect) -> String {
    if explicit {
        text.to_string()
    } else {
        shortened_name(text, max_name_length(dialect))
    }
}

enum NameProblem {
    Unknown(String),
    TooLong(String),
}

/// Collects what a statement cannot state exactly, and what raises.
#[derive(Default)]
struct Problems {
    unknown: Vec<String>,
    error: Option<String>,
    /// The database refuses the statement SQLAlchemy sends.
    database_error: Option<String>,
}

impl Problems {
    /// SQLAlchemy's `validate_sql_phrase` refusing `phrase`, which it
    /// writes with `pattern`, both with `%r`.
    fn unexpected_phrase(&mut self, phrase: &str, pattern: &str) {
        self.error.get_or_insert(format!(
            "CompileError: Unexpected SQL phrase: {} (matching against {})",
            super::python_repr(phrase),
            super::python_repr(pattern),
        ));
    }

    fn name(&mut self, name: &Name, dialect: Dialect) -> String {
        match render_name(name, dialect) {
            Ok(Some(name)) => format!("CONSTRAINT {name} "),
            Ok(None) => String::new(),
            Err(NameProblem::Unknown(reason)) => {
                self.unknown.push(reason);
                "CONSTRAINT <unknown name> ".into()
            }
            Err(NameProblem::TooLong(error)) => {
                self.error.get_or_insert(error);
                "CONSTRAINT <name too long> ".into()
            }
        }
    }

    fn into_statement(self, sql: String) -> Statement {
        let mut unknown = Vec::new();
        for reason in self.unknown {
            if !unknown.contains(&reason) {
                unknown.push(reason);
            }
        }
        Statement {
            sql,
            note: None,
            unknown,
            error: self.error,
            database_error: self.database_error,
        }
    }
}

/// The foreign key's clause as `CREATE TABLE` / `ADD CONSTRAINT` renders it:
/// `CONSTRAINT name FOREIGN KEY(a) REFERENCES t (id) ON DELETE CASCADE`.
pub fn foreign_key_clause(graph: &Graph, fk: ForeignKeyId, dialect: Dialect) -> Statement {
    let mut problems = Problems::default();
    let sql = fk_clause(graph, fk, dialect, &mut problems);
    problems.into_statement(sql)
}

fn fk_clause(graph: &Graph, fk: ForeignKeyId, dialect: Dialect, problems: &mut Problems) -> String {
    let foreign_key = &graph.foreign_keys[fk];
    let mut sql = problems.name(&super::schema::foreign_key_name(graph, fk), dialect);
    let local: Vec<String> = foreign_key
        .columns
        .iter()
        .map(|c| quote(c, dialect))
        .collect();
    let (remote_table, remote_columns) = match &foreign_key.resolution {
        ForeignKeyResolution::Resolved { table, columns } => (
            table_name(graph, *table, dialect),
            columns
                .iter()
                .map(|c| quote(c, dialect))
                .collect::<Vec<_>>(),
        ),
        ForeignKeyResolution::MissingTable => {
            let missing = foreign_key.facts.targets.iter().find_map(|t| match t {
                crate::facts::ForeignKeyTarget::Path {
                    schema,
                    table,
                    column,
                } => Some((
                    match schema {
                        Some(schema) => format!("{schema}.{table}"),
                        None => table.clone(),
                    },
                    column.clone(),
                )),
                _ => None,
            });
            let (missing_table, missing_column) =
                missing.unwrap_or_else(|| ("?".into(), "?".into()));
            problems.error.get_or_insert(format!(
                "NoReferencedTableError: Foreign key associated with column '{}.{}' could not find table '{missing_table}' with which to generate a foreign key to target column '{missing_column}'",
                graph.tables[foreign_key.table].full_name(),
                foreign_key.columns.first().map(String::as_str).unwrap_or("?")
            ));
            ("<missing table>".into(), vec!["<column>".into()])
        }
        ForeignKeyResolution::MissingColumn { table, column } => {
            let written = foreign_key.facts.targets.iter().find_map(|t| match t {
                crate::facts::ForeignKeyTarget::Path { table, column, .. } => {
                    Some(format!("{table}.{column}"))
                }
                _ => None,
            });
            problems.error.get_or_insert(format!(
                "NoReferencedColumnError: Could not initialize target column for ForeignKey '{}' on table '{}': table '{}' has no column named '{column}'",
                written.unwrap_or_else(|| format!("{}.{column}", graph.tables[*table].name)),
                graph.tables[foreign_key.table].name,
                graph.tables[*table].name
            ));
            (
                table_name(graph, *table, dialect),
                vec![quote(column, dialect)],
            )
        }
        ForeignKeyResolution::Unknown => {
            problems
                .unknown
                .push("the referred table is not known".into());
            ("<unknown table>".into(), vec!["<column>".into()])
        }
    };
    if foreign_key.columns.is_empty() {
        problems.unknown.push("its columns are not known".into());
    }
    sql.push_str(&format!(
        "FOREIGN KEY({}) REFERENCES {} ({})",
        local.join(", "),
        remote_table,
        remote_columns.join(", ")
    ));
    let call = foreign_key.facts.call.as_deref();
    // SQLAlchemy's order: MATCH, the referential actions, deferrability.
    if let Some(call) = call {
        sql.push_str(&match_clause(call, dialect, problems));
    }
    for (phrase, setting) in [
        ("ON DELETE", &foreign_key.facts.ondelete),
        ("ON UPDATE", &foreign_key.facts.onupdate),
    ] {
        match setting {
            None => {}
            Some(Setting::Known(action, _)) => {
                let (pattern, matches) = action_pattern(phrase, action, dialect);
                if !matches {
                    problems.unexpected_phrase(action, pattern);
                } else if let Some(word) = misspelt_action_word(action) {
                    // SQLAlchemy passes any words on; the database's parser
                    // stops at the first that is no action.
                    problems.database_error = problems.database_error.take().or(match dialect {
                        Dialect::Postgresql => Some(format!(
                            "ProgrammingError: (psycopg.errors.SyntaxError) syntax error at or near \"{word}\""
                        )),
                        Dialect::Sqlite => Some(format!(
                            "OperationalError: (sqlite3.OperationalError) near \"{word}\": syntax error"
                        )),
                        // Not checked against a MySQL server.
                        Dialect::Mysql => None,
                    });
                }
                sql.push_str(&format!(" {phrase} {action}"));
            }
            Some(Setting::Unknown(_)) => {
                problems
                    .unknown
                    .push(format!("its `{}=` is not literal", phrase_keyword(phrase)));
                sql.push_str(&format!(" {phrase} <unknown>"));
            }
        }
    }
    if let Some(call) = call {
        match Deferrability::of(call) {
            Ok(written) => sql.push_str(&deferrability(&written, problems)),
            Err(reason) => problems.unknown.push(reason),
        }
        // A SQLModel `Field(...)`'s other keywords are the column's.
        if foreign_key.facts.kind != crate::facts::ForeignKeyKind::SqlModelField {
            sql.push_str(&foreign_key_options(call, dialect, problems));
        }
        if call.has_splat {
            problems
                .unknown
                .push("it is written with `**kwargs`".into());
        }
    }
    sql
}

/// Keywords of `ForeignKey(...)` and `ForeignKeyConstraint(...)` that the
/// clause writes (above) or that change no DDL.
const FOREIGN_KEY_KEYWORDS: &[&str] = &[
    "name",
    "ondelete",
    "onupdate",
    "deferrable",
    "initially",
    "match",
    "use_alter",
    "link_to_name",
    "info",
    "table",
];

/// The table options MySQL's compiler writes after the closing parenthesis
/// (`MySQLDDLCompiler.post_create_table`): each `mysql_<name>=` option and
/// the table comment, in that order but for `COLLATE`, which follows a
/// character set; `ENGINE=InnoDB`, `DEFAULT CHARSET=utf8mb4`,
/// `COLLATE utf8mb4_bin`, `COMMENT='...'`. `Err` for what is not rendered:
/// partitioning, a value that is not a literal string (SQLAlchemy joins the
/// value as a string: anything else raises `TypeError`).
fn mysql_table_options(spec: &TableSpec) -> Result<String, String> {
    const CHARACTER_SETS: &[&str] = &[
        "DEFAULT_CHARSET",
        "DEFAULT_CHARACTER_SET",
        "CHARSET",
        "CHARACTER_SET",
    ];
    let mut options: Vec<(String, String)> = Vec::new();
    for option in &spec.dialect_options {
        let Some((name, value)) = option
            .table_option
            .as_ref()
            .filter(|_| option.dialect == "mysql")
        else {
            continue;
        };
        let name = name.to_uppercase();
        if matches!(
            name.as_str(),
            "PARTITION_BY" | "PARTITIONS" | "SUBPARTITIONS" | "SUBPARTITION_BY" | "COMMENT"
        ) {
            return Err(format!("{} is not rendered", option.description));
        }
        let OptionValue::String(value) = value else {
            return Err(format!("{} is not a literal string", option.description));
        };
        options.push((name, value.clone()));
    }
    if let Some(comment) = &spec.comment {
        options.push(("COMMENT".into(), comment.clone()));
    }
    // `topological.sort` in rounds: COLLATE waits for a character set.
    let collate_waits = options
        .iter()
        .any(|(name, _)| CHARACTER_SETS.contains(&name.as_str()));
    let (last, first): (Vec<_>, Vec<_>) = options
        .into_iter()
        .partition(|(name, _)| collate_waits && name == "COLLATE");
    let rendered: Vec<String> = first
        .into_iter()
        .chain(last)
        .map(|(name, value)| {
            // The check comes before the underscores become spaces: of the
            // string-typed options, only those without one are quoted.
            let value = if matches!(name.as_str(), "COMMENT" | "PASSWORD" | "CONNECTION") {
                literal(&value)
            } else {
                value
            };
            let name = match name.as_str() {
                "DATA_DIRECTORY"
                | "INDEX_DIRECTORY"
                | "DEFAULT_CHARACTER_SET"
                | "CHARACTER_SET"
                | "DEFAULT_CHARSET"
                | "DEFAULT_COLLATE" => name.replace('_', " "),
                _ => name,
            };
            let joiner = match name.as_str() {
                "TABLESPACE" | "DEFAULT CHARACTER SET" | "CHARACTER SET" | "COLLATE" => " ",
                _ => "=",
            };
            format!("{name}{joiner}{value}")
        })
        .collect();
    Ok(rendered.join(" "))
}

/// The column SQLite's `sqlite_autoincrement=True` makes `INTEGER PRIMARY
/// KEY AUTOINCREMENT` (`SQLiteDDLCompiler.get_column_specification`): the
/// table's one primary-key column, of an integer type, in no foreign key.
/// Its `PRIMARY KEY (...)` constraint is then left out.
fn sqlite_autoincrement<'s>(graph: &Graph, spec: &'s TableSpec) -> Option<&'s str> {
    let on = spec.dialect_options.iter().any(|option| {
        option.dialect == "sqlite"
            && option.table_option == Some(("autoincrement".to_string(), OptionValue::Bool(true)))
    });
    let [key] = spec.primary_key.as_slice() else {
        return None;
    };
    let column = spec.column(key)?;
    let in_foreign_key = graph.tables[spec.id]
        .foreign_keys
        .iter()
        .any(|&fk| graph.foreign_keys[fk].columns.contains(key));
    (on && column.sql_type.as_ref().is_ok_and(|t| t.is_integer()) && !in_foreign_key)
        .then_some(key.as_str())
}

/// Whether the DDL of `dialect` renders a dialect option: MySQL's table
/// options (`mysql_table_options`, which says itself what it cannot
/// render) and a literal `sqlite_autoincrement=` (`sqlite_autoincrement`).
fn renders(option: &WrittenOption, dialect: Dialect) -> bool {
    match (dialect, &option.table_option) {
        (Dialect::Mysql, Some(_)) => option.dialect == "mysql",
        (Dialect::Sqlite, Some((name, OptionValue::Bool(_)))) => {
            option.dialect == "sqlite" && name == "autoincrement"
        }
        _ => false,
    }
}

/// Why the DDL of `dialect` is not exact for the dialect options it reads
/// and does not render.
fn unread_options<'o>(
    options: impl IntoIterator<Item = &'o WrittenOption>,
    dialect: Dialect,
    problems: &mut Problems,
) {
    for option in options {
        if dialect_options::read_by(option.dialect, dialect) && !renders(option, dialect) {
            problems
                .unknown
                .push(format!("{} is not rendered", option.description));
        }
    }
}

/// What a key's other keywords add to its clause in `dialect`: PostgreSQL's
/// ` NOT VALID` (`postgresql_not_valid=True`, written after the rest). Any
/// other keyword that applies to `dialect` is not rendered: a `comment=`
/// (PostgreSQL comments on the constraint), another option of this dialect,
/// a keyword SQLAlchemy does not take (an option another dialect refuses
/// included). Other dialects' options are ignored, as SQLAlchemy ignores them.
fn foreign_key_options(call: &Call, dialect: Dialect, problems: &mut Problems) -> String {
    let mut text = String::new();
    for keyword in &call.keywords {
        let name = keyword.name.as_str();
        if FOREIGN_KEY_KEYWORDS.contains(&name) || keyword.value.is_none_literal() {
            continue;
        }
        if name == "postgresql_not_valid" && dialect == Dialect::Postgresql {
            match keyword.value.as_bool() {
                Some(true) => text.push_str(" NOT VALID"),
                Some(false) => {}
                None => problems
                    .unknown
                    .push("its `postgresql_not_valid=` is not a literal boolean".into()),
            }
            continue;
        }
        let another_dialects = dialect_options::accepted_by(Construct::ForeignKey, name)
            .is_some_and(|other| !dialect_options::read_by(other, dialect));
        let ignored = another_dialects || (name == "comment" && dialect != Dialect::Postgresql);
        if !ignored {
            problems
                .unknown
                .push(format!("its `{name}=` is not rendered"));
        }
    }
    text
}

/// The ` MATCH FULL` of `match="FULL"` (`define_constraint_match`), which
/// MySQL's dialect refuses.
fn match_clause(call: &Call, dialect: Dialect, problems: &mut Problems) -> String {
    let Some(value) = call.keyword_value("match").filter(|v| !v.is_none_literal()) else {
        return String::new();
    };
    if dialect == Dialect::Mysql {
        problems.error.get_or_insert(
            "CompileError: MySQL ignores the 'MATCH' keyword while at the same time causes ON UPDATE/ON DELETE clauses to be ignored.".into(),
        );
    }
    match value.as_str() {
        Some(phrase) => format!(" MATCH {}", sql_phrase(phrase, problems)),
        None => {
            problems.unknown.push("its `match=` is not literal".into());
            " MATCH <unknown>".into()
        }
    }
}

/// ` DEFERRABLE INITIALLY DEFERRED` and the like, as
/// `define_constraint_deferrability` writes a constraint's `deferrable=`
/// and `initially=`.
fn deferrability(written: &Deferrability, problems: &mut Problems) -> String {
    let mut text = String::new();
    match written.deferrable {
        Some(true) => text.push_str(" DEFERRABLE"),
        Some(false) => text.push_str(" NOT DEFERRABLE"),
        None => {}
    }
    if let Some(phrase) = &written.initially {
        text.push_str(&format!(" INITIALLY {}", sql_phrase(phrase, problems)));
    }
    text
}

/// `phrase`, checked as `validate_sql_phrase` checks it: SQLAlchemy
/// refuses what is not a sequence of words.
fn sql_phrase<'p>(phrase: &'p str, problems: &mut Problems) -> &'p str {
    // Python's `$` also matches before a final newline.
    if !is_sql_phrase(phrase.strip_suffix('\n').unwrap_or(phrase)) {
        problems.unexpected_phrase(phrase, SQL_KEYWORD_PHRASE);
    }
    phrase
}

fn phrase_keyword(phrase: &str) -> &'static str {
    if phrase == "ON DELETE" {
        "ondelete"
    } else {
        "onupdate"
    }
}

/// The word of a referential action at which PostgreSQL's and SQLite's
/// parsers stop: the first that cannot begin or continue CASCADE, RESTRICT,
/// NO ACTION, SET NULL or SET DEFAULT (`CASCASE`, the `NUL` of `SET NUL`).
/// `None` for a valid action, and where the parser would stop after it (an
/// action cut short, words that may follow one), which is not decided here.
fn misspelt_action_word(action: &str) -> Option<&str> {
    if action.contains('(') {
        return None;
    }
    let words: Vec<&str> = action.split_whitespace().collect();
    let word = |i: usize| words.get(i).map(|w| w.to_ascii_uppercase());
    match word(0)?.as_str() {
        "CASCADE" | "RESTRICT" => None,
        "NO" => word(1).filter(|w| w != "ACTION").map(|_| words[1]),
        "SET" => word(1)
            .filter(|w| w != "NULL" && w != "DEFAULT")
            .map(|_| words[1]),
        _ => Some(words[0]),
    }
}

/// SQLAlchemy's `SQL_KEYWORD_PHRASE`, what it accepts as a referential action.
const SQL_KEYWORD_PHRASE: &str = r"^\w+(?:\s+\w+)*$";

/// PostgreSQL's dialect accepts the column list of `SET NULL (col, ...)` after
/// an ON DELETE action (`PGDDLCompiler._fk_ondelete_pattern`).
const POSTGRESQL_ON_DELETE: &str = r#"^\w+(?:\s+\w+)*(?:\s*\(\s*(?:[\w$]+|"(?:[^"]|"")+")(?:\s*,\s*(?:[\w$]+|"(?:[^"]|"")+"))*\s*\))?$"#;

/// The pattern `phrase` (`ON DELETE` or `ON UPDATE`) must match in `dialect`,
/// and whether `action` matches it.
fn action_pattern(phrase: &str, action: &str, dialect: Dialect) -> (&'static str, bool) {
    // Python's `$` also matches before a final newline.
    let action = action.strip_suffix('\n').unwrap_or(action);
    if phrase == "ON DELETE" && dialect == Dialect::Postgresql {
        let matches = match action.split_once('(') {
            Some((head, list)) => is_sql_phrase(head.trim_end()) && is_column_list(list),
            None => is_sql_phrase(action),
        };
        (POSTGRESQL_ON_DELETE, matches)
    } else {
        (SQL_KEYWORD_PHRASE, is_sql_phrase(action))
    }
}

/// `^\w+(?:\s+\w+)*$`
fn is_sql_phrase(text: &str) -> bool {
    !text.is_empty()
        && text
            .split_whitespace()
            .all(|w| w.chars().all(|c| c.is_alphanumeric() || c == '_'))
        && !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
}

/// What follows the `(` of `SET NULL (a, "b")`: identifiers, plain
/// (`[\w$]+`) or double-quoted (`""` inside), separated by commas, then `)`
/// and the end.
fn is_column_list(text: &str) -> bool {
    let mut rest = text.trim_start();
    loop {
        rest = match rest.strip_prefix('"') {
            Some(quoted) => {
                // A `"` ends the name unless another follows it.
                let mut chars = quoted.char_indices().peekable();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    if c == '"' {
                        if chars.peek().is_some_and(|&(_, next)| next == '"') {
                            chars.next();
                        } else {
                            end = Some(i);
                            break;
                        }
                    }
                }
                match end {
                    Some(end) if end > 0 => &quoted[end + 1..],
                    _ => return false,
                }
            }
            None => {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .unwrap_or(rest.len());
                if end == 0 {
                    return false;
                }
                &rest[end..]
            }
        }
        .trim_start();
        match rest.strip_prefix(',') {
            Some(next) => rest = next.trim_start(),
            None => return rest == ")",
        }
    }
}

/// Where `create_all()` puts a foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Inside `CREATE TABLE`.
    Inline,
    /// A separate `ALTER TABLE ... ADD CONSTRAINT` after every table exists,
    /// because of `use_alter=True` or because its table is in a cycle.
    Alter {
        use_alter: bool,
    },
    Unknown(String),
}

/// The tables of a scope, in graph order.
fn scope_tables(graph: &Graph, scope: ScopeId) -> Vec<TableId> {
    (0..graph.tables.len())
        .filter(|&t| graph.tables[t].scope == scope)
        .collect()
}

/// Nodes in cycles of the dependency graph (`edges`: referred -> holder).
fn cycle_nodes(node_count: usize, edges: &[(usize, usize)]) -> BTreeSet<usize> {
    crate::graph::cycles_of(node_count, edges)
        .into_iter()
        .flatten()
        .collect()
}

/// The foreign keys `create_all()` emits as ALTER statements, for a scope.
pub fn alter_set(
    graph: &Graph,
    scope: ScopeId,
    dialect: Dialect,
) -> Result<BTreeSet<ForeignKeyId>, String> {
    if !supports_alter(dialect) {
        return Ok(BTreeSet::new());
    }
    let tables = scope_tables(graph, scope);
    let mut remaining = BTreeSet::new();
    let mut edges = Vec::new();
    for &table in &tables {
        for &fk in &graph.tables[table].foreign_keys {
            let foreign_key = &graph.foreign_keys[fk];
            match &foreign_key.facts.use_alter {
                Some(Setting::Known(true, _)) => {
                    remaining.insert(fk);
                    continue;
                }
                Some(Setting::Unknown(_)) => {
                    return Err("a `use_alter=` in this MetaData is not literal".into())
                }
                _ => {}
            }
            match &foreign_key.resolution {
                ForeignKeyResolution::Resolved {
                    table: referred, ..
                } if *referred != table && graph.tables[*referred].scope == scope => {
                    edges.push((*referred, table));
                }
                ForeignKeyResolution::Unknown => {
                    return Err(
                        "a foreign key in this MetaData refers to a table that is not known".into(),
                    )
                }
                _ => {}
            }
        }
    }
    for table in cycle_nodes(graph.tables.len(), &edges) {
        remaining.extend(graph.tables[table].foreign_keys.iter().copied());
    }
    Ok(remaining)
}

/// Where `create_all()` puts the foreign key.
pub fn placement(graph: &Graph, fk: ForeignKeyId, dialect: Dialect) -> Placement {
    let scope = graph.tables[graph.foreign_keys[fk].table].scope;
    match alter_set(graph, scope, dialect) {
        Err(reason) => Placement::Unknown(reason),
        Ok(set) if set.contains(&fk) => Placement::Alter {
            use_alter: matches!(
                graph.foreign_keys[fk].facts.use_alter,
                Some(Setting::Known(true, _))
            ),
        },
        Ok(_) => Placement::Inline,
    }
}

/// `ALTER TABLE t ADD CONSTRAINT ...` for a foreign key created after the tables.
pub fn add_constraint(graph: &Graph, fk: ForeignKeyId, dialect: Dialect) -> Statement {
    let mut problems = Problems::default();
    let clause = fk_clause(graph, fk, dialect, &mut problems);
    let table = table_name(graph, graph.foreign_keys[fk].table, dialect);
    problems.into_statement(format!("ALTER TABLE {table} ADD {clause}"))
}

/// The statements `create_all()` emits for one table: `CREATE TABLE`, its
/// indexes and comments, then the `ALTER TABLE ... ADD CONSTRAINT` of its
/// foreign keys that are created separately.
pub fn create_table(graph: &Graph, table: TableId, dialect: Dialect) -> Vec<Statement> {
    let spec = table_spec(graph, table);
    let scope = graph.tables[table].scope;
    let alters = alter_set(graph, scope, dialect);
    let mut statements = vec![create_table_statement(graph, &spec, dialect, &alters)];
    statements.extend(index_statements(&spec, dialect));
    statements.extend(comment_statements(&spec, dialect));
    if let Ok(set) = &alters {
        for &fk in &graph.tables[table].foreign_keys {
            if set.contains(&fk) {
                statements.push(add_constraint(graph, fk, dialect));
            }
        }
    }
    statements
}

fn create_table_statement(
    graph: &Graph,
    spec: &TableSpec,
    dialect: Dialect,
    alters: &Result<BTreeSet<ForeignKeyId>, String>,
) -> Statement {
    let mut problems = Problems::default();
    problems.unknown.extend(spec.unknown.iter().cloned());
    if let Err(reason) = alters {
        problems.unknown.push(reason.clone());
    }
    let full_name = qualified(spec.schema.as_deref(), &spec.name, dialect);
    let autoincrement = match spec.autoincrement_column(graph) {
        Ok(column) => column.map(|c| c.name.clone()),
        Err(reason) => {
            problems.unknown.push(reason);
            None
        }
    };
    let sqlite_autoincrement = match dialect {
        Dialect::Sqlite => sqlite_autoincrement(graph, spec),
        _ => None,
    };
    let mut lines = Vec::new();
    for column in &spec.columns {
        problems.unknown.extend(column.unknown.iter().cloned());
        unread_options(&column.dialect_options, dialect, &mut problems);
        let mut line = column_line(
            spec,
            column,
            autoincrement.as_deref() == Some(column.name.as_str()),
            dialect,
            &mut problems,
        );
        if sqlite_autoincrement == Some(column.name.as_str()) {
            line.push_str(" PRIMARY KEY AUTOINCREMENT");
        }
        lines.push(line);
    }
    // With `sqlite_autoincrement`, the key is written on its column only.
    if !spec.primary_key.is_empty() && sqlite_autoincrement.is_none() {
        let name = problems.name(&spec.primary_key_name, dialect);
        let columns: Vec<String> = spec.primary_key.iter().map(|c| quote(c, dialect)).collect();
        let deferral = deferrability(&spec.primary_key_deferrability, &mut problems);
        lines.push(format!(
            "{name}PRIMARY KEY ({}){deferral}",
            columns.join(", ")
        ));
    }
    for constraint in &spec.constraints {
        match constraint {
            Constraint::ForeignKey(fk) => {
                let in_alter = match alters {
                    Ok(set) => set.contains(fk),
                    Err(_) => false,
                };
                let use_alter = matches!(
                    graph.foreign_keys[*fk].facts.use_alter,
                    Some(Setting::Known(true, _))
                );
                if in_alter || (use_alter && supports_alter(dialect)) {
                    continue;
                }
                lines.push(fk_clause(graph, *fk, dialect, &mut problems));
            }
            Constraint::Unique {
                name,
                columns,
                deferrability: written,
            } => {
                let name = problems.name(name, dialect);
                let columns: Vec<String> = columns.iter().map(|c| quote(c, dialect)).collect();
                let deferral = deferrability(written, &mut problems);
                lines.push(format!("{name}UNIQUE ({}){deferral}", columns.join(", ")));
            }
            Constraint::Check {
                name,
                text,
                deferrability: written,
            } => {
                let name = problems.name(name, dialect);
                let deferral = deferrability(written, &mut problems);
                lines.push(format!("{name}CHECK ({text}){deferral}"));
            }
        }
    }
    let mut sql = format!(
        "CREATE TABLE {full_name} (\n    {}\n)",
        lines.join(",\n    ")
    );
    if dialect == Dialect::Mysql {
        match mysql_table_options(spec) {
            // MySQL's table options follow the parenthesis without a space.
            Ok(options) => sql.push_str(&options),
            Err(reason) => problems.unknown.push(reason),
        }
    }
    unread_options(&spec.dialect_options, dialect, &mut problems);
    if spec.columns.is_empty() {
        problems.unknown.push("it has no known columns".into());
    }
    let mut statement = problems.into_statement(sql);
    // SQLAlchemy writes AUTOINCREMENT for any integer type; SQLite takes it
    // on INTEGER alone.
    let integer = |name: &str| {
        spec.column(name)
            .and_then(|c| c.sql_type.as_ref().ok())
            .and_then(|t| t.render(dialect).ok())
            .is_some_and(|t| t == "INTEGER")
    };
    if sqlite_autoincrement.is_some_and(|name| !integer(name)) {
        statement.database_error = Some(
            "OperationalError: (sqlite3.OperationalError) AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY"
                .into(),
        );
    }
    statement
}

fn column_line(
    spec: &TableSpec,
    column: &super::schema::ColumnSpec,
    autoincrement: bool,
    dialect: Dialect,
    problems: &mut Problems,
) -> String {
    let name = quote(&column.name, dialect);
    let sql_type = match &column.sql_type {
        Ok(t) => match t.render(dialect) {
            Ok(text) => text,
            Err(reason) if reason.starts_with("SQLAlchemy refuses") => {
                problems.error.get_or_insert(format!(
                    "CompileError: (in table '{}', column '{}'): {}",
                    spec.name,
                    column.name,
                    reason.split('`').nth(1).unwrap_or(&reason)
                ));
                "<no length>".into()
            }
            Err(reason) => {
                problems
                    .unknown
                    .push(format!("the type of `{}`: {reason}", column.name));
                "<unknown type>".into()
            }
        },
        Err(reason) => {
            problems.unknown.push(format!(
                "the type of `{}` is not known: {reason}",
                column.name
            ));
            "<unknown type>".into()
        }
    };
    let default = match &column.server_default {
        None => None,
        Some(Ok(value)) => Some(default_sql(value, dialect)),
        Some(Err(reason)) => {
            problems
                .unknown
                .push(format!("the default of `{}`: {reason}", column.name));
            Some("<unknown default>".into())
        }
    };
    let not_null = column.nullable == Some(false);
    match dialect {
        Dialect::Postgresql => {
            let serial = autoincrement
                && column.primary_key
                && column.default.is_none()
                && column.sql_type.is_ok();
            let mut text = if serial {
                let kind = match column.sql_type {
                    Ok(super::types::SqlType::BigInteger) => "BIGSERIAL",
                    Ok(super::types::SqlType::SmallInteger) => "SMALLSERIAL",
                    _ => "SERIAL",
                };
                format!("{name} {kind}")
            } else {
                let mut text = format!("{name} {sql_type}");
                if let Some(default) = &default {
                    text.push_str(&format!(" DEFAULT {default}"));
                }
                text
            };
            if not_null {
                text.push_str(" NOT NULL");
            }
            text
        }
        Dialect::Sqlite => {
            let mut text = format!("{name} {sql_type}");
            if let Some(default) = &default {
                text.push_str(&format!(" DEFAULT {}", wrapped_default(default)));
            }
            if not_null {
                text.push_str(" NOT NULL");
            }
            text
        }
        Dialect::Mysql => {
            let mut text = format!("{name} {sql_type}");
            if not_null {
                text.push_str(" NOT NULL");
            } else if matches!(column.sql_type, Ok(super::types::SqlType::Timestamp { .. })) {
                text.push_str(" NULL");
            }
            if let Some(comment) = &column.comment {
                text.push_str(&format!(" COMMENT {}", literal(comment)));
            }
            if autoincrement && column.server_default.is_none() {
                text.push_str(" AUTO_INCREMENT");
            } else if let Some(default) = &default {
                text.push_str(&format!(" DEFAULT {}", wrapped_default(default)));
            }
            text
        }
    }
}

/// SQLite and MySQL put an expression default in parentheses: anything
/// that is not a quoted literal, a parenthesised expression or one word.
fn wrapped_default(default: &str) -> String {
    let plain = default.starts_with(['\'', '"', '('])
        || default.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        default.to_string()
    } else {
        format!("({default})")
    }
}

fn default_sql(value: &ServerDefault, dialect: Dialect) -> String {
    match value {
        ServerDefault::Literal(text) => literal(text),
        ServerDefault::Text(text) => text.clone(),
        ServerDefault::Function(name) => function_sql(name, dialect),
    }
}

/// `func.<name>()` as the dialect's compiler renders it.
pub fn function_sql(name: &str, dialect: Dialect) -> String {
    match name {
        "now" if dialect == Dialect::Sqlite => "CURRENT_TIMESTAMP".into(),
        "current_timestamp" | "current_date" | "current_time" | "localtime" | "localtimestamp"
        | "current_user" | "session_user" | "user" => name.to_uppercase(),
        _ => format!("{name}()"),
    }
}

fn index_statements(spec: &TableSpec, dialect: Dialect) -> Vec<Statement> {
    let table = qualified(spec.schema.as_deref(), &spec.name, dialect);
    spec.indexes
        .iter()
        .map(|index| {
            let mut problems = Problems::default();
            unread_options(&index.dialect_options, dialect, &mut problems);
            let name = match render_name(&index.name, dialect) {
                Ok(Some(name)) => name,
                Ok(None) => {
                    problems.error.get_or_insert(
                        "CompileError: CREATE INDEX requires that the index have a name".into(),
                    );
                    "<no name>".into()
                }
                Err(NameProblem::Unknown(reason)) => {
                    problems.unknown.push(reason);
                    "<unknown name>".into()
                }
                Err(NameProblem::TooLong(error)) => {
                    problems.error.get_or_insert(error);
                    "<name too long>".into()
                }
            };
            let name = match (&spec.schema, dialect) {
                (Some(schema), Dialect::Sqlite) => format!("{}.{name}", quote(schema, dialect)),
                _ => name,
            };
            let table = match (&spec.schema, dialect) {
                (Some(_), Dialect::Sqlite) => quote(&spec.name, dialect),
                _ => table.clone(),
            };
            let columns: Vec<String> = index.columns.iter().map(|c| quote(c, dialect)).collect();
            problems.into_statement(format!(
                "CREATE {}INDEX {name} ON {table} ({})",
                if index.unique { "UNIQUE " } else { "" },
                columns.join(", ")
            ))
        })
        .collect()
}

fn comment_statements(spec: &TableSpec, dialect: Dialect) -> Vec<Statement> {
    if dialect != Dialect::Postgresql {
        return Vec::new();
    }
    let table = qualified(spec.schema.as_deref(), &spec.name, dialect);
    let mut statements = Vec::new();
    if let Some(comment) = &spec.comment {
        statements.push(Statement::exact(format!(
            "COMMENT ON TABLE {table} IS {}",
            literal(comment)
        )));
    }
    for column in &spec.columns {
        if let Some(comment) = &column.comment {
            statements.push(Statement::exact(format!(
                "COMMENT ON COLUMN {table}.{} IS {}",
                quote(&column.name, dialect),
                literal(comment)
            )));
        }
    }
    statements
}

/// What `drop_all()` does for a scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropPlan {
    /// Named foreign keys dropped first with `ALTER TABLE ... DROP CONSTRAINT`
    /// (order varies between runs), then the tables.
    Drops {
        constraints: BTreeSet<ForeignKeyId>,
    },
    /// `drop_all()` raises before emitting anything.
    CircularDependency {
        tables: Vec<String>,
        message: String,
    },
    Unknown(String),
}

pub fn drop_plan(graph: &Graph, scope: ScopeId, dialect: Dialect) -> DropPlan {
    let tables = scope_tables(graph, scope);
    let mut remaining = BTreeSet::new();
    let mut edges: Vec<(usize, usize, ForeignKeyId)> = Vec::new();
    let alter = supports_alter(dialect);
    for &table in &tables {
        for &fk in &graph.tables[table].foreign_keys {
            let foreign_key = &graph.foreign_keys[fk];
            match &foreign_key.facts.use_alter {
                Some(Setting::Known(true, _)) => {
                    remaining.insert(fk);
                    continue;
                }
                Some(Setting::Unknown(_)) => {
                    return DropPlan::Unknown(
                        "a `use_alter=` in this MetaData is not literal".into(),
                    )
                }
                _ => {}
            }
            match &foreign_key.resolution {
                ForeignKeyResolution::Resolved {
                    table: referred, ..
                } if *referred != table && graph.tables[*referred].scope == scope => {
                    edges.push((*referred, table, fk));
                }
                ForeignKeyResolution::Unknown => {
                    return DropPlan::Unknown(
                        "a foreign key in this MetaData refers to a table that is not known".into(),
                    )
                }
                _ => {}
            }
        }
    }
    let plain: Vec<(usize, usize)> = edges.iter().map(|(a, b, _)| (*a, *b)).collect();
    let cycles = cycle_nodes(graph.tables.len(), &plain);
    if !cycles.is_empty() {
        if !alter {
            // SQLite: a warning, then the tables in no particular order.
            return DropPlan::Drops {
                constraints: BTreeSet::new(),
            };
        }
        // Named keys of tables in a cycle can be dropped first.
        let mut removable = BTreeSet::new();
        for &table in &cycles {
            for &fk in &graph.tables[table].foreign_keys {
                if super::schema::foreign_key_name(graph, fk) != Name::None {
                    removable.insert(fk);
                }
            }
        }
        remaining.extend(removable.iter().copied());
        let rest: Vec<(usize, usize)> = edges
            .iter()
            .filter(|(_, _, fk)| !removable.contains(fk))
            .map(|(a, b, _)| (*a, *b))
            .collect();
        let still = cycle_nodes(graph.tables.len(), &rest);
        if !still.is_empty() {
            let mut names: Vec<String> =
                still.iter().map(|&t| graph.tables[t].full_name()).collect();
            names.sort();
            let message = format!(
                "Can't sort tables for DROP; an unresolvable foreign key dependency exists between tables: {}.  Please ensure that the ForeignKey and ForeignKeyConstraint objects involved in the cycle have names so that they can be dropped using DROP CONSTRAINT.",
                names.join(", ")
            );
            return DropPlan::CircularDependency {
                tables: names,
                message,
            };
        }
    }
    if !alter {
        remaining.clear();
    }
    DropPlan::Drops {
        constraints: remaining,
    }
}

/// The warning `drop_all()` gives on a backend without ALTER (SQLite) when
/// the tables form a cycle: it then drops them in no particular order.
pub fn drop_warning(graph: &Graph, scope: ScopeId, dialect: Dialect) -> Option<String> {
    if supports_alter(dialect) {
        return None;
    }
    let tables = scope_tables(graph, scope);
    let mut edges = Vec::new();
    for &table in &tables {
        for &fk in &graph.tables[table].foreign_keys {
            let foreign_key = &graph.foreign_keys[fk];
            if matches!(foreign_key.facts.use_alter, Some(Setting::Known(true, _))) {
                continue;
            }
            if let Some(referred) = foreign_key.referred_table() {
                if referred != table && graph.tables[referred].scope == scope {
                    edges.push((referred, table));
                }
            }
        }
    }
    let cycles = cycle_nodes(graph.tables.len(), &edges);
    if cycles.is_empty() {
        return None;
    }
    let mut names: Vec<String> = cycles
        .iter()
        .map(|&t| graph.tables[t].full_name())
        .collect();
    names.sort();
    Some(format!(
        "SAWarning: Can't sort tables for DROP; an unresolvable foreign key dependency exists between tables: {}; and backend does not support ALTER.  To restore at least a partial sort, apply use_alter=True to ForeignKey and ForeignKeyConstraint objects involved in the cycle to mark these as known cycles that will be ignored.",
        names.join(", ")
    ))
}

/// `ALTER TABLE t DROP CONSTRAINT name` (MySQL: `DROP FOREIGN KEY`).
pub fn drop_constraint(graph: &Graph, fk: ForeignKeyId, dialect: Dialect) -> Statement {
    let mut problems = Problems::default();
    let table = table_name(graph, graph.foreign_keys[fk].table, dialect);
    let name = match render_name(&super::schema::foreign_key_name(graph, fk), dialect) {
        Ok(Some(name)) => name,
        Ok(None) => {
            problems.error.get_or_insert(if dialect == Dialect::Mysql {
                // MySQL's compiler asserts the name instead of raising CompileError.
                "AssertionError: (MySQL's compiler requires a name to emit DROP FOREIGN KEY)"
                    .into()
            } else {
                "CompileError: Can't emit DROP CONSTRAINT for constraint ForeignKeyConstraint(...); it has no name"
                    .into()
            });
            "<no name>".into()
        }
        Err(NameProblem::Unknown(reason)) => {
            problems.unknown.push(reason);
            "<unknown name>".into()
        }
        Err(NameProblem::TooLong(error)) => {
            problems.error.get_or_insert(error);
            "<name too long>".into()
        }
    };
    let verb = if dialect == Dialect::Mysql {
        "DROP FOREIGN KEY"
    } else {
        "DROP CONSTRAINT"
    };
    problems.into_statement(format!("ALTER TABLE {table} {verb} {name}"))
}

/// The statements `drop_all()` emits for one table: the `DROP CONSTRAINT`
/// of its foreign keys dropped first, then `DROP TABLE`. A statement with
/// `error` set when `drop_all()` raises instead.
pub fn drop_statements(graph: &Graph, table: TableId, dialect: Dialect) -> Vec<Statement> {
    let scope = graph.tables[table].scope;
    match drop_plan(graph, scope, dialect) {
        DropPlan::CircularDependency { message, .. } => vec![Statement {
            sql: format!("DROP TABLE {}", table_name(graph, table, dialect)),
            note: None,
            unknown: Vec::new(),
            error: Some(format!("CircularDependencyError: {message}")),
            database_error: None,
        }],
        DropPlan::Unknown(reason) => vec![Statement {
            sql: format!("DROP TABLE {}", table_name(graph, table, dialect)),
            note: None,
            unknown: vec![reason],
            error: None,
            database_error: None,
        }],
        DropPlan::Drops { constraints } => {
            let mut statements: Vec<Statement> = graph.tables[table]
                .foreign_keys
                .iter()
                .filter(|fk| constraints.contains(fk))
                .map(|&fk| drop_constraint(graph, fk, dialect))
                .collect();
            let mut drop =
                Statement::exact(format!("DROP TABLE {}", table_name(graph, table, dialect)));
            drop.note = drop_warning(graph, scope, dialect);
            statements.push(drop);
            statements
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{action_pattern, misspelt_action_word, Dialect};

    #[test]
    fn the_database_stops_at_the_first_word_that_is_no_action() {
        assert_eq!(misspelt_action_word("CASCASE"), Some("CASCASE"));
        assert_eq!(misspelt_action_word("set nul"), Some("nul"));
        assert_eq!(misspelt_action_word("NO ACTON"), Some("ACTON"));
        for valid in [
            "CASCADE",
            "restrict",
            "No Action",
            "SET NULL",
            "set default",
        ] {
            assert_eq!(misspelt_action_word(valid), None, "{valid}");
        }
        // Cut short, or followed by words: where the parser stops is not
        // decided here.
        assert_eq!(misspelt_action_word("SET"), None);
        assert_eq!(misspelt_action_word("CASCADE DEFERRABLE"), None);
        assert_eq!(misspelt_action_word("SET NULL (a)"), None);
    }

    #[test]
    fn referential_actions_match_as_sqlalchemy_matches_them() {
        // (action, matches SQL_KEYWORD_PHRASE, matches PostgreSQL's ON DELETE
        // pattern): each checked with Python's `re` against SQLAlchemy 2.1's
        // patterns.
        for (action, keyword_phrase, postgresql_on_delete) in [
            ("CASCADE", true, true),
            ("SET  NULL", true, true),
            ("CASCADE\n", true, true),
            ("SET-NULL", false, false),
            ("CASCADE;", false, false),
            (" CASCADE", false, false),
            ("set null (a)", false, true),
            ("SET NULL(a, b)", false, true),
            ("SET NULL ( a ,b )", false, true),
            (r#"SET NULL ("a""b", c$)"#, false, true),
            (r#"SET NULL ("a,b")"#, false, true),
            ("SET NULL (a)\n", false, true),
            ("SET DEFAULT (é)", false, true),
            (r#"SET NULL ("")"#, false, false),
            ("SET NULL (a,)", false, false),
            ("SET NULL ()", false, false),
            ("SET NULL (a) x", false, false),
            ("(a)", false, false),
        ] {
            for dialect in [Dialect::Postgresql, Dialect::Sqlite, Dialect::Mysql] {
                assert_eq!(
                    action_pattern("ON UPDATE", action, dialect).1,
                    keyword_phrase,
                    "ON UPDATE {action:?} on {dialect:?}"
                );
                let on_delete = if dialect == Dialect::Postgresql {
                    postgresql_on_delete
                } else {
                    keyword_phrase
                };
                assert_eq!(
                    action_pattern("ON DELETE", action, dialect).1,
                    on_delete,
                    "ON DELETE {action:?} on {dialect:?}"
                );
            }
        }
    }
}
