//! # SA107 db-cascade-duplicated
//!
//! The ORM loads and deletes every child that the database would delete by itself.
//!
//! ## What it finds
//! A one-to-many relationship with `delete` cascade over a foreign key with
//! `ondelete="CASCADE"`, without `passive_deletes=True`.
//!
//! ## Why it matters
//! `session.delete(parent)` first SELECTs every child into memory and
//! deletes them one by one (an executemany `DELETE`), work the database's
//! `ON DELETE CASCADE` does in one statement.
//!
//! ## Example
//! ```python
//! lines = relationship("InvoiceLine", cascade="all, delete-orphan")
//! ```
//!
//! ## Fix
//! ```python
//! lines = relationship("InvoiceLine", cascade="all, delete-orphan", passive_deletes=True)
//! ```

use super::support::{
    diagnostic, fix, ondelete, one_to_many, passive_deletes, related, safe, set_keyword,
};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in one_to_many(graph) {
        if !relationship.cascade.delete || passive_deletes(relationship) != Some(false) {
            continue;
        }
        let Some(&fk) = relationship
            .foreign_keys
            .iter()
            .find(|&&fk| ondelete(graph, fk) == Some(Some("CASCADE".into())))
        else {
            continue;
        };
        let foreign_key = &graph.foreign_keys[fk];
        let child_table = graph.tables[foreign_key.table].full_name();
        let mut d = diagnostic(
            relationship.location,
            format!(
                "deleting a {} through `{}` SELECTs every {child_table} row into memory and deletes each one, \
                 while the database's ON DELETE CASCADE would do it alone: add passive_deletes=True",
                graph.classes[relationship.class].name,
                graph.relationship_label(id)
            ),
        );
        d.related.push(related(
            foreign_key.location,
            "the foreign key with ondelete=\"CASCADE\"",
        ));
        if let Some(edit) = set_keyword(context, relationship, "passive_deletes", "True") {
            d.fixes
                .push(fix("Add passive_deletes=True", safe(), vec![edit]));
        }
        diagnostics.push(d);
    }
}
