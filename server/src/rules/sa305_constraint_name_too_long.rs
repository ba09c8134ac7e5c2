//! # SA305 constraint-name-too-long
//!
//! An explicit constraint or index name longer than the database allows.
//!
//! ## What it finds
//! A `name=` on a `ForeignKey` or `ForeignKeyConstraint`, and the name of a
//! `UniqueConstraint`, `PrimaryKeyConstraint`, `CheckConstraint` or `Index`
//! written in its table's `__table_args__` or `Table(...)`, longer than the
//! configured dialect's identifier limit: 63 characters on PostgreSQL, 64 on
//! MySQL. A mixin's `__table_args__` counts for the tables that inherit it,
//! and a stand-alone `Index("ix_...", Model.column)` at the module level of
//! its table's file counts too: SQLAlchemy attaches it to the table. (Names
//! a naming convention produces, and names in `conv()`, are shortened with a
//! hash instead, and are not reported. An `Index(...)` made in a function or
//! another module is not read.) A foreign key's finding is on its
//! `ForeignKey(` call, another constraint's or an index's on its own call.
//!
//! ## Why it matters
//! On PostgreSQL, `create_all()` raises `IdentifierError: Identifier '...'
//! exceeds maximum length of 63 characters`. On MySQL SQLAlchemy lets a name
//! through up to 255 characters, and the database refuses the `CREATE TABLE`
//! (error 1059, "Identifier name ... is too long").
//!
//! ## Example
//! ```python
//! ForeignKey("customer_account.id", name="fk_customer_subscription_billing_account_id_customer_account_id")
//! ```
//!
//! ## Fix
//! A shorter name.

use super::support::{diagnostic, fix, replace_string, unsafe_};
use super::{Context, Reads};
use crate::config::Dialect;
use crate::diagnostic::Diagnostic;
use crate::facts::Setting;
use crate::graph::{uses_constraint_name, EffectiveName, FileId, Graph, Location, TableId};
use crate::syntax::expr::{Expr, ExprKind};
use rustc_hash::FxHashSet as HashSet;

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    let limit = match context.dialect {
        Dialect::Postgresql => 63,
        Dialect::Mysql => 64,
        Dialect::Sqlite => return,
    };
    for fk in &graph.foreign_keys {
        let Some(Setting::Known(name, _)) = &fk.facts.name else {
            continue;
        };
        // Only a name used as written (a convention rewrites and shortens its
        // own; a `conv()` name is shortened with a hash too).
        if fk.effective_name != EffectiveName::Named(name.clone()) || fk.facts.name_is_final {
            continue;
        }
        if name.chars().count() <= limit {
            continue;
        }
        let literal = fk
            .facts
            .call
            .as_ref()
            .and_then(|call| call.keyword_value("name"))
            .filter(|value| value.as_str().is_some());
        diagnostics.push(finding(
            context,
            fk.location,
            "constraint",
            name,
            limit,
            literal,
        ));
    }
    let mut long = long_core_item_names(graph, limit);
    long.extend(long_class_item_names(graph, limit));
    long.extend(long_standalone_index_names(graph, limit));
    long.sort_by_key(|(table, _)| *table);
    for group in long.chunk_by(|a, b| a.0 == b.0) {
        let table = group[0].0;
        for item in renamed_by_no_convention(graph, table, group.iter().map(|(_, n)| n)) {
            diagnostics.push(finding(
                context,
                Location {
                    file: item.file,
                    range: item.call.range,
                },
                item.noun,
                item.name,
                limit,
                Some(item.literal),
            ));
        }
    }
}

/// The diagnostic for `name`, with a fix that shortens `literal` when the
/// name is a plain string there.
fn finding(
    context: &Context,
    location: Location,
    noun: &str,
    name: &str,
    limit: usize,
    literal: Option<&Expr>,
) -> Diagnostic {
    // SQLAlchemy checks plain names against the dialect's
    // max_identifier_length: 63 on PostgreSQL, but 255 on MySQL, whose
    // constraint and index names stop at 64: there the database refuses them.
    let consequence = match context.dialect {
        Dialect::Mysql => format!(
            "SQLAlchemy renders it and MySQL refuses the CREATE {} (error 1059: Identifier name is too long)",
            if noun == "index" { "INDEX" } else { "TABLE" }
        ),
        _ => format!(
            "create_all() raises IdentifierError (Identifier exceeds maximum length of {limit} characters)"
        ),
    };
    let mut d = diagnostic(
        location,
        format!(
            "{noun} name \"{name}\" has {} characters, more than {}'s limit of {limit}: {consequence}",
            name.chars().count(),
            context.dialect.name()
        ),
    );
    let shortened: String = name
        .chars()
        .take(limit)
        .collect::<String>()
        .trim_end_matches('_')
        .to_string();
    let file = location.file;
    if let Some(edit) =
        literal.and_then(|value| replace_string(file, context.text(file), value, &shortened))
    {
        d.fixes.push(fix(
            format!("Shorten to \"{shortened}\""),
            unsafe_(),
            vec![edit],
        ));
    }
    d
}

/// A unique, primary-key or check constraint or an index whose name, written
/// as a plain string, is too long (SQLAlchemy uses it as written unless the
/// naming convention for its kind renames it).
#[derive(Clone)]
struct LongName<'g> {
    file: FileId,
    call: &'g Expr,
    literal: &'g Expr,
    name: &'g str,
    /// Its key in a naming convention (`uq`, `pk`, `ck`, `ix`).
    convention_key: &'static str,
    noun: &'static str,
}

/// The constraints and indexes written in a module-level `Table(...)` call
/// whose plain-string names are longer than `limit`, by table. Read from
/// the calls first: a table is looked up only for a long name, which is rare.
fn long_core_item_names(graph: &Graph, limit: usize) -> Vec<(TableId, LongName<'_>)> {
    let mut found = Vec::new();
    // `Table(...)` bound at module level, mapped or not.
    for (file, facts) in graph.files.iter().enumerate() {
        for binding in &facts.bindings {
            let Some(call) = binding.value.as_call() else {
                continue;
            };
            if call.callee.last_name() != Some("Table") {
                continue;
            }
            let long: Vec<LongName> = call
                .args
                .iter()
                .skip(1)
                .filter_map(|argument| written_name(file, argument, limit))
                .collect();
            if long.is_empty() {
                continue;
            }
            let table = (0..graph.tables.len()).find(|&t| {
                graph.tables[t].location.file == file
                    && graph.tables[t].location.range == binding.value.range
            });
            if let Some(table) = table {
                found.extend(long.into_iter().map(|name| (table, name)));
            }
        }
    }
    found
}

/// The constraints and indexes written in a class body (`__table_args__`,
/// `__table__ = Table(...)`) whose plain-string names are longer than
/// `limit`, by table: a mapped class's own, and for an unmapped class (a
/// mixin, an abstract base) those of the mapped classes that inherit its
/// `__table_args__` (having none of their own). Read from the class bodies
/// first: classes are looked up only for a long name, which is rare.
fn long_class_item_names(graph: &Graph, limit: usize) -> Vec<(TableId, LongName<'_>)> {
    let mut written: Vec<(FileId, usize, LongName)> = Vec::new();
    for (file, facts) in graph.files.iter().enumerate() {
        for (index, class) in facts.classes.iter().enumerate() {
            // Members are read only for what the extraction saw: most
            // classes have neither.
            let mut items: Vec<&Expr> = Vec::new();
            if class.table_args.is_some() {
                for value in class.attribute_values("__table_args__") {
                    if let ExprKind::Tuple(listed) | ExprKind::List(listed) = &value.kind {
                        items.extend(listed);
                    }
                }
            }
            if matches!(class.table, Some(crate::facts::ClassTable::Inline(_))) {
                for value in class.attribute_values("__table__") {
                    let arguments = value.as_call().map_or(&[][..], |c| c.args.as_slice());
                    items.extend(arguments.iter().skip(1));
                }
            }
            let long = items
                .into_iter()
                .filter_map(|item| written_name(file, item, limit));
            written.extend(long.map(|name| (file, index, name)));
        }
    }
    let mut found = Vec::new();
    let mut in_mixins: Vec<(usize, LongName)> = Vec::new();
    for (file, index, long) in written {
        match graph.class_at(file, index) {
            Some(id) => {
                if let Some(table) = graph.classes[id].table {
                    if graph.tables[table].class == Some(id) {
                        found.push((table, long));
                    }
                }
            }
            None => in_mixins.push((index, long)),
        }
    }
    if in_mixins.is_empty() {
        return found;
    }
    // The names of the unmapped classes that hold or pass on such a
    // `__table_args__` (`class B(A)` with `A` holding one and `B` none).
    let mut carriers: HashSet<&str> = in_mixins
        .iter()
        .map(|(index, long)| graph.files[long.file].classes[*index].name.as_str())
        .collect();
    loop {
        let before = carriers.len();
        for (file, facts) in graph.files.iter().enumerate() {
            for (index, class) in facts.classes.iter().enumerate() {
                if class.table_args.is_none()
                    && class
                        .bases
                        .iter()
                        .any(|base| base.last_name().is_some_and(|name| carriers.contains(name)))
                    && graph.class_at(file, index).is_none()
                {
                    carriers.insert(class.name.as_str());
                }
            }
        }
        if carriers.len() == before {
            break;
        }
    }
    for (id, class) in graph.classes.iter().enumerate() {
        let Some(table) = class.table else { continue };
        let facts = graph.class_facts(id);
        let inherits = facts.table_args.is_none()
            && facts
                .bases
                .iter()
                .any(|base| base.last_name().is_some_and(|name| carriers.contains(name)));
        if !inherits || graph.tables[table].class != Some(id) {
            continue;
        }
        // The items `__table_args__` resolution gives the table, as the DDL
        // reads them: the flagged calls among them are its.
        for item in crate::sql::schema::table_items(graph, table) {
            if let Some((_, long)) = in_mixins
                .iter()
                .find(|(_, long)| std::ptr::eq(long.call, item))
            {
                found.push((table, long.clone()));
            }
        }
    }
    found
}

/// `Index("ix_...", Model.column)` written apart from its table, at the
/// module level of the table's own file, with a plain-string name longer
/// than `limit`: SQLAlchemy attaches it to the table of its columns, and
/// `create_all` creates it (see `sql::schema`, which renders it).
fn long_standalone_index_names(graph: &Graph, limit: usize) -> Vec<(TableId, LongName<'_>)> {
    let mut found = Vec::new();
    for (file, facts) in graph.files.iter().enumerate() {
        for site in &facts.call_sites {
            if site.construct != Some(crate::facts::Construct::Index)
                || site.function_range.is_some()
            {
                continue;
            }
            let Some(long) = written_name(file, &site.call, limit) else {
                continue;
            };
            let Some(call) = site.call.as_call() else {
                continue;
            };
            let owner = call.args.iter().skip(1).find_map(|argument| {
                let root = crate::sql::schema::dotted_root(argument)?;
                graph
                    .classes
                    .iter()
                    .filter(|class| class.file == file && class.name == root)
                    .find_map(|class| class.table)
                    .or_else(|| {
                        (0..graph.tables.len()).find(|&t| {
                            graph.tables[t].location.file == file
                                && graph.tables[t].location_binding() == Some(root)
                        })
                    })
            });
            if let Some(table) = owner {
                found.push((table, long));
            }
        }
    }
    found
}

/// The names among `long` that SQLAlchemy uses as written for `table`: a
/// naming convention whose template uses the constraint's own name renames
/// it (and shortens the result); one that does not leaves it as written.
fn renamed_by_no_convention<'g, 'n>(
    graph: &'g Graph,
    table: TableId,
    long: impl Iterator<Item = &'n LongName<'g>>,
) -> Vec<&'n LongName<'g>>
where
    'g: 'n,
{
    let mut long = long.peekable();
    if long.peek().is_none() {
        return Vec::new();
    }
    let Ok(templates) = crate::sql::schema::naming_templates(graph, graph.tables[table].scope)
    else {
        return Vec::new();
    };
    long.filter(|long| {
        !templates
            .get(long.convention_key)
            .is_some_and(|template| uses_constraint_name(template))
    })
    .collect()
}

/// A unique, primary-key or check constraint or an index call whose name
/// is a plain string longer than `limit`.
fn written_name(file: FileId, item: &Expr, limit: usize) -> Option<LongName<'_>> {
    let call = item.as_call()?;
    let (convention_key, noun) = match call.callee.last_name()? {
        "UniqueConstraint" => ("uq", "constraint"),
        "PrimaryKeyConstraint" => ("pk", "constraint"),
        "CheckConstraint" => ("ck", "constraint"),
        "Index" => ("ix", "index"),
        _ => return None,
    };
    let literal = match call.keyword_value("name") {
        Some(name) => name,
        // `Index("ix_name", ...)`: its first argument.
        None if noun == "index" => call.args.first()?,
        None => return None,
    };
    // A `conv()` name is shortened by SQLAlchemy; a computed one is not known.
    let name = literal.as_str()?;
    (name.chars().count() > limit).then_some(LongName {
        file,
        call: item,
        literal,
        name,
        convention_key,
        noun,
    })
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::config::Dialect;
    use crate::rules::findings;

    const MODELS: &str = r#"
from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Account(Base):
    __tablename__ = "account"
    id = Column(Integer, primary_key=True)


class Invoice(Base):
    __tablename__ = "invoice"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("account.id", name="fk_invoice_account_id_account_id_for_the_monthly_billing_runs_xy"))
"#;

    fn messages(source: &str, dialect: Dialect) -> Vec<String> {
        findings(check, source, dialect)
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn the_consequence_is_the_dialects() {
        // 64 characters: over PostgreSQL's 63, at MySQL's 64.
        assert_eq!(messages(MODELS, Dialect::Mysql), Vec::<String>::new());
        let postgresql = messages(MODELS, Dialect::Postgresql);
        assert_eq!(postgresql.len(), 1);
        assert!(postgresql[0].ends_with("create_all() raises IdentifierError (Identifier exceeds maximum length of 63 characters)"));
        assert_eq!(messages(MODELS, Dialect::Sqlite), Vec::<String>::new());
    }

    #[test]
    fn on_mysql_the_database_refuses_the_name() {
        let longer = MODELS.replace("runs_xy", "runs_xyz");
        let found = messages(&longer, Dialect::Mysql);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].ends_with(
                "more than mysql's limit of 64: SQLAlchemy renders it and MySQL refuses the CREATE TABLE (error 1059: Identifier name is too long)"
            ),
            "{}",
            found[0]
        );
    }

    const TABLE_ARGS: &str = r#"
from sqlalchemy import Column, Index, Integer, MetaData, UniqueConstraint
from sqlalchemy.orm import declarative_base

Base = declarative_base(metadata=MetaData(naming_convention={"uq": "uq_%(table_name)s_%(constraint_name)s"}))


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("number", name="invoice_number_unique_across_every_billing_run_and_every_tenant_x"),
        Index("ix_invoice_number_for_the_monthly_billing_runs_of_every_tenant_xy", "number"),
    )
    id = Column(Integer, primary_key=True)
    number = Column(Integer)
"#;

    #[test]
    fn a_convention_with_the_constraint_name_renames_it() {
        // 65 characters each: the unique constraint's is renamed by its
        // convention (and shortened), the index's is used as written.
        let postgresql = messages(TABLE_ARGS, Dialect::Postgresql);
        assert_eq!(postgresql.len(), 1, "{postgresql:?}");
        assert!(postgresql[0].starts_with(
            "index name \"ix_invoice_number_for_the_monthly_billing_runs_of_every_tenant_xy\" has 65 characters"
        ));
        let mysql = messages(TABLE_ARGS, Dialect::Mysql);
        assert_eq!(mysql.len(), 1, "{mysql:?}");
        assert!(mysql[0].contains("more than mysql's limit of 64"));
        // Without the convention, both names are used as written.
        let plain = TABLE_ARGS.replace(
            "metadata=MetaData(naming_convention={\"uq\": \"uq_%(table_name)s_%(constraint_name)s\"})",
            "",
        );
        assert_eq!(messages(&plain, Dialect::Postgresql).len(), 2);
        assert_eq!(messages(&plain, Dialect::Sqlite), Vec::<String>::new());
    }
}
