//! Hover content: what SQLAlchemy does with a model element, as Markdown.
//!
//! The SQL is what SQLAlchemy 2.1 emits (checked by the oracle tests in
//! `tests/oracle/test_hover_sql.py`): DDL for `create_all()` / `drop_all()`
//! on PostgreSQL, SQLite and MySQL, and the unit of work's statements for
//! `session.delete(parent)` and `post_update` flushes on PostgreSQL
//! (psycopg 3: `%(name)s::TYPE` parameters) and SQLite (`?`). SQLAlchemy
//! 2.0 differs in one visible way: it labels SELECT columns
//! (`book.id AS book_id`). Whatever the graph does not know is reported as
//! unknown in the statement instead of being guessed.

pub mod ddl;
mod dialect_options;
mod flush_order;
mod hover;
mod ident;
pub mod json;
pub mod schema;
pub mod types;
pub mod unit_of_work;
mod words;

use serde::Serialize;

use crate::config::Dialect;
use crate::graph::{ClassId, ForeignKeyId, Graph, RelationshipId, TableId};

pub use ddl::{
    add_constraint, create_table, drop_statements, foreign_key_clause, placement, Placement,
};
pub use ident::quote;
pub use unit_of_work::{delete_parent_sequence, has_flush_sequence, post_update_flush_sequence};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoverTarget {
    Relationship(RelationshipId),
    ForeignKey(ForeignKeyId),
    Class(ClassId),
    Table(TableId),
}

/// Markdown for a hover over `target`.
pub fn hover_markdown(graph: &Graph, target: HoverTarget, dialect: Dialect) -> String {
    hover::render(graph, target, dialect)
}

/// One SQL statement as SQLAlchemy emits it, with what is not known about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// The statement; parts that are not known are shown as `<...>`.
    pub sql: String,
    /// How it runs (`executemany: one parameter set per child`) or what follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Why the SQL is not exact; empty when it is exactly what SQLAlchemy emits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// SQLAlchemy raises instead of emitting the statement (`Type: message`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The statement is sent and the database refuses it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_error: Option<String>,
}

impl Statement {
    pub fn exact(sql: impl Into<String>) -> Self {
        Statement {
            sql: sql.into(),
            note: None,
            unknown: Vec::new(),
            error: None,
            database_error: None,
        }
    }

    /// A placeholder for SQL that is not rendered at all.
    pub fn unknown_only(reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Statement {
            sql: String::new(),
            note: None,
            unknown: if reason.is_empty() {
                Vec::new()
            } else {
                vec![reason]
            },
            error: None,
            database_error: None,
        }
    }

    /// The SQL is exactly what SQLAlchemy emits.
    pub fn is_exact(&self) -> bool {
        self.unknown.is_empty()
    }
}

/// A string as Python's `repr()` writes it: SQLAlchemy formats the values
/// in its error messages with `%r`.
pub(crate) fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {
                let code = u32::from(c);
                out.push_str(&match code {
                    0..=0xff => format!("\\x{code:02x}"),
                    0x100..=0xffff => format!("\\u{code:04x}"),
                    _ => format!("\\U{code:08x}"),
                });
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests;
