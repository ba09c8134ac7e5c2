//! # SA115 delete-cascade-both-ways
//!
//! `delete` cascade on both sides of one bidirectional relationship.
//!
//! ## What it finds
//! A one-to-many relationship and its many-to-one partner (paired by
//! `back_populates` or `backref`) that both cascade `delete`.
//!
//! ## Why it matters
//! Deleting one child deletes its parent, and the parent's cascade then
//! deletes every sibling: one `session.delete(line)` empties the whole order.
//!
//! ## Example
//! ```python
//! lines = relationship("OrderLine", back_populates="order", cascade="all, delete-orphan")
//! ...
//! order = relationship("Order", back_populates="lines", cascade="all")
//! ```
//!
//! ## Fix
//! Keep the cascade on the one-to-many side only:
//! ```python
//! order = relationship("Order", back_populates="lines")
//! ```

use super::support::{cascade_anchor, diagnostic, fix, related, remove_keyword, safe};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::Direction;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in graph.relationships.iter().enumerate() {
        if relationship.direction != Some(Direction::ManyToOne)
            || !relationship.cascade.delete
            || relationship.cascade.unknown
        {
            continue;
        }
        let Some(partner_id) = relationship.pair else {
            continue;
        };
        let partner = &graph.relationships[partner_id];
        if partner.direction != Some(Direction::OneToMany)
            || !partner.cascade.delete
            || partner.cascade.unknown
        {
            continue;
        }
        let child = &graph.classes[relationship.class].name;
        let parent = relationship
            .target_class()
            .map(|t| graph.classes[t].name.as_str())
            .unwrap_or("parent");
        let mut d = diagnostic(
            cascade_anchor(relationship),
            format!(
                "`{}` and `{}` both cascade delete: deleting one {child} deletes its {parent}, and through `{}` every \
                 other {child} of that {parent}",
                graph.relationship_label(id),
                graph.relationship_label(partner_id),
                graph.relationship_label(partner_id)
            ),
        );
        d.related.push(related(
            partner.location,
            graph.relationship_label(partner_id),
        ));
        let own_keyword = relationship.facts.keyword("cascade").is_some_and(|k| {
            relationship
                .facts
                .call
                .keywords
                .iter()
                .any(|c| c.range == k.range)
        });
        if own_keyword {
            if let Some(edit) = remove_keyword(
                relationship.location.file,
                &relationship.facts.call,
                "cascade",
            ) {
                d.fixes.push(fix(
                    format!("Remove the cascade from {}", graph.relationship_label(id)),
                    safe(),
                    vec![edit],
                ));
            }
        }
        diagnostics.push(d);
    }
}
