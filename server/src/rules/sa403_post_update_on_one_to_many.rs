//! # SA403 post-update-on-one-to-many
//!
//! A cycle broken only by `post_update` on a one-to-many relationship, while a many-to-one side exists.
//!
//! ## What it finds
//! A row-dependency cycle whose only `post_update` is on a one-to-many
//! relationship (one without a many-to-one partner; with a partner lacking
//! the flag it is SA401) while a many-to-one relationship of the cycle could
//! carry it.
//!
//! ## Why it matters
//! It works, but the documented placement is the many-to-one side: on the
//! one-to-many side every child row gets its own UPDATE.
//!
//! ## Example
//! ```python
//! entries = relationship("Entry", primaryjoin=widget_id == Entry.widget_id, post_update=True)
//! favorite_entry = relationship("Entry", primaryjoin=favorite_entry_id == Entry.entry_id)
//! ```
//!
//! ## Fix
//! ```python
//! entries = relationship("Entry", primaryjoin=widget_id == Entry.widget_id)
//! favorite_entry = relationship("Entry", primaryjoin=favorite_entry_id == Entry.entry_id, post_update=True)
//! ```

use super::flush_order::{post_update, preferred_break};
use super::support::{diagnostic, fix, related, remove_keyword, set_keyword, unsafe_};
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
        let covered: Vec<_> = cycle
            .dependencies
            .iter()
            .filter(|d| d.covered(graph))
            .collect();
        if covered.iter().any(|d| d.has_many_to_one_writer(graph)) {
            continue;
        }
        let open: Vec<ForeignKeyId> = cycle
            .dependencies
            .iter()
            .filter(|d| !d.covered(graph) && d.has_many_to_one_writer(graph))
            .map(|d| d.foreign_key)
            .collect();
        let Some(target_fk) = preferred_break(graph, cycle, &open) else {
            continue;
        };
        // Moving the flag there must still break the cycle.
        if cycle.still_cyclic(graph, &[target_fk], true) {
            continue;
        }
        let target = cycle
            .dependencies
            .iter()
            .find(|d| d.foreign_key == target_fk)
            .unwrap();
        let many_to_one = target
            .writers
            .iter()
            .copied()
            .find(|&r| graph.relationships[r].direction == Some(Direction::ManyToOne))
            .unwrap();
        for dependency in &covered {
            for writer in dependency.flagged(graph) {
                let relationship = &graph.relationships[writer];
                if relationship.direction != Some(Direction::OneToMany)
                    || post_update(graph, writer) != Some(true)
                {
                    continue;
                }
                let mut d = diagnostic(
                    relationship.location,
                    format!(
                        "the cycle is broken by post_update on the one-to-many `{}`, which UPDATEs every child row; \
                         the documented place is the many-to-one `{}`",
                        graph.relationship_label(writer),
                        graph.relationship_label(many_to_one)
                    ),
                );
                d.related.push(related(
                    graph.relationships[many_to_one].location,
                    graph.relationship_label(many_to_one),
                ));
                let mut edits = Vec::new();
                if let Some(edit) = remove_keyword(
                    relationship.location.file,
                    &relationship.facts.call,
                    "post_update",
                ) {
                    edits.push(edit);
                }
                let mut complete = edits.len() == 1;
                for &target_writer in &target.writers {
                    if graph.relationships[target_writer]
                        .backref_of
                        .is_some_and(|o| target.writers.contains(&o))
                    {
                        continue;
                    }
                    match set_keyword(
                        context,
                        &graph.relationships[target_writer],
                        "post_update",
                        "True",
                    ) {
                        Some(edit) => edits.push(edit),
                        None => complete = false,
                    }
                }
                if complete {
                    d.fixes.push(fix(
                        format!(
                            "Move post_update=True to {}",
                            graph.relationship_label(many_to_one)
                        ),
                        unsafe_(),
                        edits,
                    ));
                }
                diagnostics.push(d);
            }
        }
    }
}
