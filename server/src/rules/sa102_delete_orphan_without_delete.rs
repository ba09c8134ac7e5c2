//! # SA102 delete-orphan-without-delete
//!
//! `delete-orphan` cascade without `delete`.
//!
//! ## What it finds
//! A `cascade=` that names `delete-orphan` but neither `delete` nor `all`.
//!
//! ## Why it matters
//! SQLAlchemy warns when the mapper configures (`SAWarning: The
//! 'delete-orphan' cascade option requires 'delete'.`), and the cascade stays
//! without `delete`: `session.delete(parent)` sets every child's foreign key
//! to NULL (or fails on a NOT NULL column); only removing a child from the
//! collection deletes it.
//!
//! ## Example
//! ```python
//! children = relationship("Child", cascade="save-update, merge, delete-orphan")
//! ```
//!
//! ## Fix
//! Say `delete` too:
//! ```python
//! children = relationship("Child", cascade="save-update, merge, delete, delete-orphan")
//! ```

use super::support::{cascade_anchor, diagnostic, fix, replace_string, safe};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::split_cascade;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in graph.relationships.iter().enumerate() {
        let Some(value) = relationship.facts.option("cascade") else {
            continue;
        };
        let Some(text) = value.as_str() else { continue };
        let tokens = split_cascade(text);
        let has = |name: &str| tokens.contains(&name);
        if !has("delete-orphan") || has("delete") || has("all") {
            continue;
        }
        let mut d = diagnostic(
            cascade_anchor(relationship),
            format!(
                "cascade=\"{text}\" on `{}` has delete-orphan without delete: SQLAlchemy warns \
                 (The 'delete-orphan' cascade option requires 'delete'), and deleting the parent sets the children's foreign key \
                 to NULL instead of deleting them",
                graph.relationship_label(id)
            ),
        );
        let mut fixed: Vec<String> = Vec::new();
        for &token in &tokens {
            if token == "delete-orphan" {
                fixed.push("delete".into());
            }
            fixed.push(token.to_string());
        }
        let new_value = fixed.join(", ");
        let file = relationship.location.file;
        if let Some(edit) = replace_string(file, context.text(file), value, &new_value) {
            d.fixes.push(fix(
                format!("Use cascade=\"{new_value}\""),
                safe(),
                vec![edit],
            ));
        }
        diagnostics.push(d);
    }
}
