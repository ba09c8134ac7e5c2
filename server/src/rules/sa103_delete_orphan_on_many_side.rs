//! # SA103 delete-orphan-on-many-side
//!
//! `delete-orphan` cascade on a many-to-one or many-to-many relationship without `single_parent=True`.
//!
//! ## What it finds
//! A many-to-one or many-to-many relationship whose cascade includes
//! `delete-orphan` and that does not set `single_parent=True`.
//!
//! ## Why it matters
//! Mapper configuration fails with `ArgumentError: For many-to-one
//! relationship Child.parent, delete-orphan cascade is normally configured
//! only on the "one" side of a one-to-many relationship ...` (error code
//! bbf0). The cascade almost always belongs on the one-to-many side.
//!
//! ## Example
//! ```python
//! class Child(Base):
//!     __tablename__ = "child"
//!     id = Column(Integer, primary_key=True)
//!     parent_id = Column(ForeignKey("parent.id"))
//!     parent = relationship("Parent", cascade="all, delete-orphan")
//! ```
//!
//! ## Fix
//! Move the cascade to the one-to-many side, or, if each child really has one
//! parent object, declare it:
//! ```python
//!     parent = relationship("Parent", cascade="all, delete-orphan", single_parent=True)
//! ```

use super::support::{
    cascade_anchor, diagnostic, fix, move_cascade_to_partner, related, safe, set_keyword, unsafe_,
};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::Direction;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in graph.relationships.iter().enumerate() {
        if !relationship.cascade.delete_orphan
            || relationship.cascade.unknown
            || relationship.facts.has_splat
        {
            continue;
        }
        let direction = match relationship.direction {
            Some(d @ (Direction::ManyToOne | Direction::ManyToMany)) => d,
            _ => continue,
        };
        match relationship.facts.flag("single_parent") {
            None => {}
            Some(flag) if flag.known() == Some(&false) => {}
            Some(_) => continue,
        }
        let mut d = diagnostic(
            cascade_anchor(relationship),
            format!(
                "`{}` is {} with delete-orphan cascade but no single_parent=True: configure_mappers() raises \
                 ArgumentError (delete-orphan cascade is normally configured only on the \"one\" side of a one-to-many relationship)",
                graph.relationship_label(id),
                direction.label()
            ),
        );
        if let Some(edit) = set_keyword(context, relationship, "single_parent", "True") {
            d.fixes
                .push(fix("Add single_parent=True", safe(), vec![edit]));
        }
        if let (Some(partner), Direction::ManyToOne) = (relationship.pair, direction) {
            let partner = &graph.relationships[partner];
            d.related.push(related(
                partner.location,
                format!(
                    "{}, the one-to-many side",
                    graph.relationship_label(relationship.pair.unwrap())
                ),
            ));
            if let Some(text) = relationship
                .facts
                .option("cascade")
                .and_then(|v| v.as_str())
            {
                if let Some(edits) = move_cascade_to_partner(context, relationship, partner, text) {
                    d.fixes.push(fix(
                        format!(
                            "Move the cascade to {}",
                            graph.relationship_label(relationship.pair.unwrap())
                        ),
                        unsafe_(),
                        edits,
                    ));
                }
            }
        }
        diagnostics.push(d);
    }
}
