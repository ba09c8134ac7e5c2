//! # SA105 passive-deletes-all-with-delete
//!
//! `passive_deletes="all"` together with a `delete` or `delete-orphan` cascade.
//!
//! ## What it finds
//! A relationship with `passive_deletes="all"` (the ORM never touches
//! children on delete) and a cascade that asks the ORM to delete them.
//!
//! ## Why it matters
//! Mapper configuration fails: `ArgumentError: On Parent.children, can't set
//! passive_deletes='all' in conjunction with 'delete' or 'delete-orphan' cascade`.
//!
//! ## Example
//! ```python
//! children = relationship("Child", cascade="all, delete-orphan", passive_deletes="all")
//! ```
//!
//! ## Fix
//! Let the database delete the children and the ORM delete loaded ones:
//! ```python
//! children = relationship("Child", cascade="all, delete-orphan", passive_deletes=True)
//! ```

use super::support::{diagnostic, fix, safe, set_keyword};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in graph.relationships.iter().enumerate() {
        let is_all = relationship
            .facts
            .option("passive_deletes")
            .and_then(|v| v.as_str())
            == Some("all");
        if !is_all
            || relationship.cascade.unknown
            || !(relationship.cascade.delete || relationship.cascade.delete_orphan)
        {
            continue;
        }
        let mut d = diagnostic(
            relationship.location,
            format!(
                "`{}` has passive_deletes=\"all\" with a delete cascade: configure_mappers() raises ArgumentError \
                 (can't set passive_deletes='all' in conjunction with 'delete' or 'delete-orphan' cascade)",
                graph.relationship_label(id)
            ),
        );
        if let Some(edit) = set_keyword(context, relationship, "passive_deletes", "True") {
            d.fixes
                .push(fix("Use passive_deletes=True", safe(), vec![edit]));
        }
        diagnostics.push(d);
    }
}
