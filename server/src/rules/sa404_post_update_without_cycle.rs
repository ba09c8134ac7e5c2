//! # SA404 post-update-without-cycle
//!
//! `post_update=True` on a relationship that is in no dependency cycle.
//!
//! ## What it finds
//! A relationship with `post_update=True` whose rows are in no
//! row-dependency cycle with another class (a self-referential relationship,
//! where a row may point at itself, is not reported).
//!
//! ## Why it matters
//! Every INSERT is followed by an UPDATE for nothing, and every DELETE is
//! preceded by one.
//!
//! ## Example
//! ```python
//! class Book(Base):
//!     __tablename__ = "book"
//!     id = Column(Integer, primary_key=True)
//!     author_id = Column(ForeignKey("author.id"))
//!     author = relationship("Author", post_update=True)
//! ```
//!
//! ## Fix
//! ```python
//!     author = relationship("Author")
//! ```

use super::support::{diagnostic, fix, remove_keyword, safe};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;

/// The post-update flags, and the nullability the row-dependency cycles read.
pub const READS: Reads = Reads::Only(&["post_update", "nullable"]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    let cycles = context.row_cycles();
    for (id, relationship) in graph.relationships.iter().enumerate() {
        // Only where the flag is written.
        let Some(keyword) = relationship
            .facts
            .call
            .keywords
            .iter()
            .find(|k| k.name == "post_update")
        else {
            continue;
        };
        if keyword.value.as_bool() != Some(true) || relationship.facts.has_splat {
            continue;
        }
        let Some(target) = relationship.target_class() else {
            continue;
        };
        if relationship.direction.is_none() || target == relationship.class {
            continue;
        }
        let in_cycle = cycles.iter().any(|cycle| {
            cycle.classes.contains(&relationship.class)
                && cycle.classes.contains(&target)
                && cycle
                    .dependencies
                    .iter()
                    .any(|d| relationship.foreign_keys.contains(&d.foreign_key))
        });
        // Also the reverse side of a pair whose other half is in a cycle.
        let pair_in_cycle = relationship.pair.is_some_and(|p| {
            cycles.iter().any(|c| {
                c.dependencies
                    .iter()
                    .any(|d| d.writers.contains(&p) && d.writers.contains(&id))
            })
        });
        if in_cycle || pair_in_cycle {
            continue;
        }
        // A cycle may hide behind what the analyzer cannot link: a
        // relationship of either class without a known direction, or a
        // foreign key of their tables that does not resolve.
        if [relationship.class, target]
            .iter()
            .any(|&c| has_unknown_links(graph, c))
        {
            continue;
        }
        // Relationships in an inheritance hierarchy with a cycle are not
        // judged: the mapper-level cycle may involve subclasses.
        if graph.classes[relationship.class].superclass.is_some()
            || graph.classes[target].superclass.is_some()
        {
            continue;
        }
        let mut d = diagnostic(
            relationship.location,
            format!(
                "post_update=True on `{}`, which is in no dependency cycle: every INSERT of {} is followed by an \
                 UPDATE for nothing",
                graph.relationship_label(id),
                graph.classes[relationship.class].name
            ),
        );
        if let Some(edit) = remove_keyword(
            relationship.location.file,
            &relationship.facts.call,
            "post_update",
        ) {
            d.fixes
                .push(fix("Remove post_update=True", safe(), vec![edit]));
        }
        diagnostics.push(d);
    }
}

fn has_unknown_links(graph: &crate::graph::Graph, class: usize) -> bool {
    let mapped = &graph.classes[class];
    mapped.relationships.iter().any(|&r| {
        graph.relationships[r].direction.is_none() && !graph.relationships[r].is_viewonly()
    }) || mapped.tables.iter().any(|&t| {
        graph.tables[t]
            .foreign_keys
            .iter()
            .any(|&fk| graph.foreign_keys[fk].referred_table().is_none())
    })
}
