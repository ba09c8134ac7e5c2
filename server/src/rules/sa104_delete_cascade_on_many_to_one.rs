//! # SA104 delete-cascade-on-many-to-one
//!
//! `delete` cascade on a many-to-one relationship: deleting a child deletes its parent.
//!
//! ## What it finds
//! A many-to-one relationship whose cascade includes `delete`, directly or
//! through `all`. Often the result of putting the cascade on the side where
//! the `relationship()` happens to be declared.
//!
//! ## Why it matters
//! `session.delete(child)` deletes the parent too; the parent's other
//! children are then set to NULL or, with a NOT NULL key, the flush fails.
//!
//! ## Example
//! ```python
//! class Child(Base):
//!     __tablename__ = "child"
//!     id = Column(Integer, primary_key=True)
//!     parent_id = Column(ForeignKey("parent.id"))
//!     parent = relationship("Parent", backref="children", cascade="all")
//! ```
//!
//! ## Fix
//! Put the cascade on the one-to-many side:
//! ```python
//!     parent = relationship("Parent", backref=backref("children", cascade="all, delete-orphan"))
//! ```

use super::support::{cascade_anchor, diagnostic, fix, move_cascade_to_partner, related, unsafe_};
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
        // `single_parent=True`: the target is owned by this one row (a
        // one-to-one owned through a many-to-one); deleting it with its owner
        // is the point.
        if relationship.facts.flag("single_parent").is_some() {
            continue;
        }
        let parent = relationship
            .target_class()
            .map(|t| graph.classes[t].name.clone())
            .unwrap_or_else(|| "parent".into());
        let child = &graph.classes[relationship.class].name;
        let mut d = diagnostic(
            cascade_anchor(relationship),
            format!(
                "`{}` is many-to-one with delete cascade: deleting a {child} deletes its {parent}, and the {parent}'s \
                 other {child} rows are then set to NULL or the flush fails",
                graph.relationship_label(id)
            ),
        );
        if let Some(partner_id) = relationship.pair {
            let partner = &graph.relationships[partner_id];
            d.related.push(related(
                partner.location,
                format!(
                    "{}, the one-to-many side",
                    graph.relationship_label(partner_id)
                ),
            ));
            if partner.direction == Some(Direction::OneToMany) && !partner.cascade.delete {
                if let Some(text) = relationship
                    .facts
                    .option("cascade")
                    .and_then(|v| v.as_str())
                {
                    if let Some(edits) =
                        move_cascade_to_partner(context, relationship, partner, text)
                    {
                        d.fixes.push(fix(
                            format!(
                                "Move the cascade to {}",
                                graph.relationship_label(partner_id)
                            ),
                            unsafe_(),
                            edits,
                        ));
                    }
                }
            }
        }
        diagnostics.push(d);
    }
}
