//! # SA405 composite-fk-autoincrement
//!
//! The integer primary key is part of a composite foreign key, so it does not autoincrement.
//!
//! ## What it finds
//! A table whose only integer primary-key column is also a column of a
//! composite foreign key, without an `autoincrement` setting.
//!
//! ## Why it matters
//! SQLAlchemy does not make a column that refers to another table
//! autoincrement unless told `autoincrement="ignore_fk"`: no SERIAL in the
//! DDL, so an INSERT without an explicit id fails (`NotNullViolation` on
//! PostgreSQL after an SAWarning; `FlushError ... NULL identity key` on SQLite).
//!
//! ## Example
//! ```python
//! warehouse = Table(
//!     "warehouse", metadata,
//!     Column("id", Integer, primary_key=True),
//!     Column("default_bin_no", Integer),
//!     ForeignKeyConstraint(["id", "default_bin_no"], ["bin.warehouse_id", "bin.bin_no"]),
//! )
//! ```
//!
//! ## Fix
//! ```python
//!     Column("id", Integer, primary_key=True, autoincrement="ignore_fk"),
//! ```

use super::support::{add_keyword, diagnostic, fix, quote_of, related, safe};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;

/// The options this rule reads (see `Reads`).
pub const READS: Reads = Reads::Only(&[
    "autoincrement",
    "default",
    "insert_default",
    "server_default",
    "nullable",
]);

const INTEGER_TYPES: &[&str] = &[
    "Integer",
    "BigInteger",
    "SmallInteger",
    "INTEGER",
    "BIGINT",
    "SMALLINT",
    "INT",
];

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for table in &graph.tables {
        if table.incomplete {
            continue;
        }
        // Counted rather than collected: this runs for every table.
        let mut primary_key = table.columns.iter().filter(|c| c.primary_key);
        let mut integer = primary_key
            .clone()
            .filter(|c| c.type_name().is_some_and(|t| INTEGER_TYPES.contains(&t)));
        let (Some(column), None) = (integer.next(), integer.next()) else {
            continue;
        };
        if primary_key.clone().any(|c| c.type_name().is_none()) {
            continue;
        }
        if column.facts.autoincrement.is_some() {
            continue;
        }
        // A default, a server default, a Sequence or Identity gives it values.
        if let Some(call) = &column.facts.call {
            let has_value_source = call.keyword("default").is_some()
                || call.keyword("server_default").is_some()
                || call.args.iter().any(|a| {
                    a.as_call()
                        .and_then(|c| c.callee.last_name())
                        .is_some_and(|n| matches!(n, "Sequence" | "Identity" | "FetchedValue"))
                })
                || call.has_splat;
            if has_value_source {
                continue;
            }
        }
        let Some(&fk) = table.foreign_keys.iter().find(|&&fk| {
            let foreign_key = &graph.foreign_keys[fk];
            foreign_key.columns.len() > 1 && foreign_key.columns.iter().any(|n| n == column.name())
        }) else {
            continue;
        };
        let foreign_key = &graph.foreign_keys[fk];
        let setting = if primary_key.nth(1).is_none() {
            "\"ignore_fk\""
        } else {
            "True"
        };
        let mut d = diagnostic(
            column.location,
            format!(
                "{}.{} is the integer primary key but also part of the composite foreign key ({}): SQLAlchemy gives it \
                 no autoincrement, so an INSERT without an explicit {} fails (NotNullViolation on PostgreSQL)",
                table.full_name(),
                column.name(),
                foreign_key.columns.join(", "),
                column.name()
            ),
        );
        d.related
            .push(related(foreign_key.location, "the composite foreign key"));
        if let Some(call) = &column.facts.call {
            let file = column.location.file;
            let text = context.text(file);
            let value = if setting == "True" {
                "True".to_string()
            } else {
                let quote = quote_of(text, call.args.first().filter(|a| a.as_str().is_some()));
                format!("{quote}ignore_fk{quote}")
            };
            d.fixes.push(fix(
                format!("Add autoincrement={value}"),
                safe(),
                vec![add_keyword(file, call, "autoincrement", &value)],
            ));
        }
        diagnostics.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fix titles of the SA405 findings of a `store` table whose
    /// primary key is `key_columns`, with a foreign key on `(id, code)`.
    fn fixes(key_columns: &str) -> Vec<Vec<String>> {
        let source = format!(
            r#"from sqlalchemy import Column, ForeignKeyConstraint, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()

class Region(Base):
    __tablename__ = "region"
    id = Column(Integer, primary_key=True)
    code = Column(String(10), primary_key=True)

class Store(Base):
    __tablename__ = "store"
{key_columns}
    __table_args__ = (ForeignKeyConstraint(["id", "code"], ["region.id", "region.code"]),)
"#
        );
        crate::rules::fix_titles(check, &source)
    }

    /// In a composite primary key SQLAlchemy takes only an explicit
    /// `autoincrement=True` (`"ignore_fk"` applies to a single-column key):
    /// `Table.autoincrement_column` is `store.id` with True and None with
    /// "ignore_fk", as SQLAlchemy 2.1 says for this model.
    #[test]
    fn a_composite_key_gets_autoincrement_true() {
        let composite = "    id = Column(Integer, primary_key=True)\n    code = Column(String(10), primary_key=True)";
        assert_eq!(fixes(composite), [["Add autoincrement=True"]]);
    }

    #[test]
    fn a_single_column_key_gets_ignore_fk() {
        let single = "    id = Column(Integer, primary_key=True)\n    code = Column(String(10))";
        assert_eq!(fixes(single), [["Add autoincrement=\"ignore_fk\""]]);
    }

    #[test]
    fn no_single_integer_key_column_no_finding() {
        for key in [
            // Two integer key columns: which one would autoincrement?
            "    id = Column(Integer, primary_key=True)\n    code = Column(Integer, primary_key=True)",
            // A key column whose type is not written (a key's target decides it).
            "    id = Column(Integer, primary_key=True)\n    code = Column(primary_key=True)",
        ] {
            assert_eq!(fixes(key), Vec::<Vec<String>>::new(), "{key}");
        }
    }
}
