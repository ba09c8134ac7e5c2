//! # SA402 post-update-redundant
//!
//! `post_update` on a second foreign key of a cycle that another key's `post_update` already breaks.
//!
//! ## What it finds
//! A row-dependency cycle already broken by `post_update` on every
//! relationship writing one foreign key, where relationships writing another
//! foreign key of the same cycle also set it. (Both sides of a
//! `back_populates` pair writing the same key is required, not redundant.)
//!
//! ## Why it matters
//! Each flag costs an extra INSERT-then-UPDATE per row that nothing needs.
//!
//! ## Example
//! ```python
//! entries = relationship("Entry", primaryjoin=widget_id == Entry.widget_id, post_update=True)
//! favorite_entry = relationship("Entry", primaryjoin=favorite_entry_id == Entry.entry_id, post_update=True)
//! ```
//!
//! ## Fix
//! Keep it on the many-to-one side only:
//! ```python
//! entries = relationship("Entry", primaryjoin=widget_id == Entry.widget_id)
//! ```

use super::flush_order::post_update;
use super::support::{diagnostic, fix, related, remove_keyword, safe};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::{Direction, ForeignKeyId};

/// The post-update flags, and the nullability the row-dependency cycles read.
pub const READS: Reads = Reads::Only(&["post_update", "nullable"]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for cycle in context.row_cycles() {
        if cycle.still_cyclic(graph, &[], false) {
            continue;
        }
        // Keep the covered keys that break the cycle, many-to-one first;
        // every other flag in the cycle does nothing.
        let mut covered: Vec<&super::flush_order::Dependency> = cycle
            .dependencies
            .iter()
            .filter(|d| d.covered(graph))
            .collect();
        covered.sort_by_key(|d| {
            (
                !d.has_many_to_one_writer(graph),
                d.writers.len(),
                d.foreign_key,
            )
        });
        let mut needed: Vec<ForeignKeyId> = Vec::new();
        for dependency in &covered {
            needed.push(dependency.foreign_key);
            // Broken by the keys kept so far, whatever the other flags say?
            if !cycle.still_cyclic(graph, &needed, true) {
                break;
            }
        }
        let kept_column = needed
            .iter()
            .map(|&fk| {
                let foreign_key = &graph.foreign_keys[fk];
                format!(
                    "{}.{}",
                    graph.tables[foreign_key.table].full_name(),
                    foreign_key.columns.join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        for dependency in &cycle.dependencies {
            if needed.contains(&dependency.foreign_key) {
                continue;
            }
            for writer in dependency.flagged(graph) {
                let relationship = &graph.relationships[writer];
                // Report where the flag is written (a backref copies its origin's).
                if !relationship
                    .facts
                    .call
                    .keywords
                    .iter()
                    .any(|k| k.name == "post_update")
                {
                    continue;
                }
                if post_update(graph, writer) != Some(true) {
                    continue;
                }
                let side = match relationship.direction {
                    Some(Direction::OneToMany) => "one-to-many",
                    _ => "many-to-one",
                };
                let mut d = diagnostic(
                    relationship.location,
                    format!(
                        "post_update=True on `{}` ({side}) is redundant: post_update on {kept_column} already breaks the \
                         cycle, and each flag costs an extra UPDATE per row",
                        graph.relationship_label(writer)
                    ),
                );
                for &fk in &needed {
                    d.related.push(related(
                        graph.foreign_keys[fk].location,
                        "the key whose post_update breaks the cycle",
                    ));
                }
                if relationship
                    .facts
                    .call
                    .keywords
                    .iter()
                    .any(|k| k.name == "post_update")
                {
                    if let Some(edit) = remove_keyword(
                        relationship.location.file,
                        &relationship.facts.call,
                        "post_update",
                    ) {
                        d.fixes
                            .push(fix("Remove post_update=True", safe(), vec![edit]));
                    }
                }
                diagnostics.push(d);
            }
        }
    }
}
