//! # SA101 invalid-cascade-option
//!
//! A `cascade=` string holds a token SQLAlchemy does not know.
//!
//! ## What it finds
//! Tokens outside `save-update`, `merge`, `expunge`, `delete`,
//! `delete-orphan`, `refresh-expire`, `all` and `none`. SQLAlchemy splits the
//! string on commas (with the spaces around them) only, and compares tokens
//! exactly: `Delete`, `delete_orphan`, `"all delete-orphan"` (no comma) and a
//! leading space inside the quotes are all invalid.
//!
//! ## Why it matters
//! `relationship()` raises `ArgumentError: Invalid cascade option(s):
//! 'delete_orphan'` as soon as the class is mapped: the module fails to import.
//!
//! ## Example
//! ```python
//! children = relationship("Child", cascade="all, delete_orphan")
//! ```
//!
//! ## Fix
//! The closest valid tokens, separated by `", "`:
//! ```python
//! children = relationship("Child", cascade="all, delete-orphan")
//! ```

use super::support::{cascade_anchor, closest, diagnostic, fix, replace_string, safe};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::split_cascade;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

const VALID: &[&str] = &[
    "save-update",
    "merge",
    "expunge",
    "delete",
    "delete-orphan",
    "refresh-expire",
    "all",
    "none",
];

/// A token repaired: case, underscores, or words run together with spaces.
fn repair(token: &str) -> Option<Vec<String>> {
    let normalized = token.trim().to_ascii_lowercase().replace('_', "-");
    if VALID.contains(&normalized.as_str()) {
        return Some(vec![normalized]);
    }
    let words: Vec<&str> = normalized.split_whitespace().collect();
    if words.len() > 1 && words.iter().all(|w| VALID.contains(w)) {
        return Some(words.iter().map(|w| w.to_string()).collect());
    }
    closest(&normalized, VALID.iter().copied()).map(|c| vec![c.to_string()])
}

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in graph.relationships.iter().enumerate() {
        let Some(value) = relationship.facts.option("cascade") else {
            continue;
        };
        let Some(text) = value.as_str() else { continue };
        let tokens = split_cascade(text);
        let invalid: Vec<&str> = tokens
            .iter()
            .copied()
            .filter(|t| !VALID.contains(t))
            .collect();
        if invalid.is_empty() {
            continue;
        }
        let quoted: Vec<String> = invalid.iter().map(|t| format!("'{t}'")).collect();
        let mut d = diagnostic(
            cascade_anchor(relationship),
            format!(
                "cascade=\"{text}\" on `{}` has invalid option(s) {}: relationship() raises ArgumentError \
                 (Invalid cascade option(s)) when the class is mapped",
                graph.relationship_label(id),
                quoted.join(", ")
            ),
        );
        // Only a literal written by the user can be rewritten (not SQLModel's
        // cascade_delete, which never holds an invalid token).
        let repaired: Option<Vec<String>> = tokens
            .iter()
            .map(|t| {
                if VALID.contains(t) {
                    Some(vec![t.to_string()])
                } else {
                    repair(t)
                }
            })
            .collect::<Option<Vec<_>>>()
            .map(|parts| {
                let mut flat: Vec<String> = Vec::new();
                for part in parts.into_iter().flatten() {
                    if !flat.contains(&part) {
                        flat.push(part);
                    }
                }
                flat
            });
        if let Some(repaired) = repaired {
            let new_value = repaired.join(", ");
            let file = relationship.location.file;
            if let Some(edit) = replace_string(file, context.text(file), value, &new_value) {
                d.fixes.push(fix(
                    format!("Use cascade=\"{new_value}\""),
                    safe(),
                    vec![edit],
                ));
            }
        }
        diagnostics.push(d);
    }
}
