//! # SA401 cycle-needs-post-update
//!
//! Rows of two classes depend on each other and no `post_update` breaks the cycle.
//!
//! ## What it finds
//! Relationships whose foreign keys make rows of two or more classes depend
//! on each other (a `Widget` refers to its favourite `Entry`, every `Entry`
//! to its `Widget`) where no foreign key of the cycle is fully covered by
//! `post_update=True`: every relationship writing that key, both sides of a
//! `back_populates` pair, needs the flag (`backref(...)` copies it).
//!
//! ## Why it matters
//! Flushing related new objects raises `CircularDependencyError: Circular
//! dependency detected`: neither row can be INSERTed first.
//!
//! ## Example
//! ```python
//! class Widget(Base):
//!     __tablename__ = "widget"
//!     widget_id = Column(Integer, primary_key=True)
//!     favorite_entry_id = Column(Integer, ForeignKey("entry.entry_id", name="fk_favorite_entry"))
//!     entries = relationship("Entry", primaryjoin=widget_id == Entry.widget_id)
//!     favorite_entry = relationship("Entry", primaryjoin=favorite_entry_id == Entry.entry_id)
//! ```
//!
//! ## Fix
//! `post_update=True` on the many-to-one side (and on its `back_populates`
//! partner): the key is written by an UPDATE after both INSERTs.
//! ```python
//!     favorite_entry = relationship("Entry", primaryjoin=favorite_entry_id == Entry.entry_id, post_update=True)
//! ```

use super::flush_order::{post_update, preferred_break};
use super::support::{diagnostic, fix, related, safe, set_keyword};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::{Direction, ForeignKeyId};

/// The post-update flags, and the nullability the row-dependency cycles read.
pub const READS: Reads = Reads::Only(&["post_update", "nullable"]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for cycle in context.row_cycles() {
        if !cycle.still_cyclic(graph, &[], false) {
            continue;
        }
        let names: Vec<&str> = cycle
            .classes
            .iter()
            .map(|&c| graph.classes[c].name.as_str())
            .collect();
        // Flags already placed on part of a key show where the user meant
        // to break the cycle; otherwise the preferred key.
        let mut chosen: Vec<ForeignKeyId> = cycle
            .dependencies
            .iter()
            .filter(|d| !d.flagged(graph).is_empty() && !d.covered(graph))
            .map(|d| d.foreign_key)
            .collect();
        while cycle.still_cyclic(graph, &chosen, false) {
            let open: Vec<ForeignKeyId> = cycle
                .dependencies
                .iter()
                .filter(|d| !chosen.contains(&d.foreign_key) && !d.covered(graph))
                .map(|d| d.foreign_key)
                .collect();
            match preferred_break(graph, cycle, &open) {
                Some(fk) => chosen.push(fk),
                None => break,
            }
        }
        for fk in chosen {
            let Some(dependency) = cycle.dependencies.iter().find(|d| d.foreign_key == fk) else {
                continue;
            };
            let lacking: Vec<usize> = dependency
                .writers
                .iter()
                .copied()
                .filter(|&r| post_update(graph, r) != Some(true))
                .collect();
            let partially = lacking.len() < dependency.writers.len();
            // Report on the many-to-one (or, when it has the flag, on the
            // partner lacking it); the fix covers every writer.
            let anchor = if partially {
                lacking.clone()
            } else {
                let many_to_one: Vec<usize> = lacking
                    .iter()
                    .copied()
                    .filter(|&r| graph.relationships[r].direction == Some(Direction::ManyToOne))
                    .collect();
                if many_to_one.is_empty() {
                    lacking.clone()
                } else {
                    many_to_one
                }
            };
            let foreign_key = &graph.foreign_keys[fk];
            let column = format!(
                "{}.{}",
                graph.tables[foreign_key.table].full_name(),
                foreign_key.columns.join(", ")
            );
            let mut edits = Vec::new();
            let mut fixable = true;
            for &writer in &lacking {
                // A backref-created side takes the flag from its origin.
                if graph.relationships[writer]
                    .backref_of
                    .is_some_and(|origin| lacking.contains(&origin))
                {
                    continue;
                }
                match set_keyword(context, &graph.relationships[writer], "post_update", "True") {
                    Some(edit) => edits.push(edit),
                    None => fixable = false,
                }
            }
            for &relationship_id in &anchor {
                let relationship = &graph.relationships[relationship_id];
                let message = if partially {
                    format!(
                        "`{}` writes {column} too but lacks post_update=True, so its partner's flag does not take {column} \
                         out of the INSERT order: rows of {} depend on each other and the flush raises CircularDependencyError",
                        graph.relationship_label(relationship_id),
                        names.join(" and ")
                    )
                } else {
                    format!(
                        "rows of {} depend on each other and no post_update breaks the cycle: flushing new related objects \
                         raises CircularDependencyError; `{}` (writing {column}) should set post_update=True",
                        names.join(" and "),
                        graph.relationship_label(relationship_id)
                    )
                };
                let mut d = diagnostic(relationship.location, message);
                for other in &cycle.dependencies {
                    if other.foreign_key != fk {
                        d.related.push(related(
                            graph.foreign_keys[other.foreign_key].location,
                            "another foreign key of the cycle",
                        ));
                    }
                }
                d.related.push(related(
                    foreign_key.location,
                    format!("{column}, the key to write with an UPDATE"),
                ));
                if fixable && !edits.is_empty() {
                    let title = if edits.len() > 1 {
                        format!("Add post_update=True to every relationship writing {column}")
                    } else {
                        "Add post_update=True".to_string()
                    };
                    d.fixes.push(fix(title, safe(), edits.clone()));
                }
                diagnostics.push(d);
            }
        }
    }
}
