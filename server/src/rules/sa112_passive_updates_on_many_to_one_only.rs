//! # SA112 passive-updates-on-many-to-one-only
//!
//! `passive_updates=False` on a many-to-one relationship only.
//!
//! ## What it finds
//! A many-to-one relationship with `passive_updates=False` while its
//! one-to-many side, if there is one, keeps the default `True`.
//!
//! ## Why it matters
//! `passive_updates=False` tells the ORM to propagate primary-key changes to
//! the rows that refer to them (for databases without `ON UPDATE CASCADE`).
//! It is read on the one-to-many side: set only on the many-to-one side, a
//! changed parent key reaches only the children already in the identity map.
//!
//! ## Example
//! ```python
//! parent = relationship("Parent", back_populates="children", passive_updates=False)
//! ```
//!
//! ## Fix
//! Set it on the one-to-many side:
//! ```python
//! children = relationship("Child", back_populates="parent", passive_updates=False)
//! ```

use super::support::{diagnostic, fix, related, safe, set_keyword};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::Direction;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in graph.relationships.iter().enumerate() {
        if relationship.direction != Some(Direction::ManyToOne) || relationship.facts.has_splat {
            continue;
        }
        if relationship
            .facts
            .flag("passive_updates")
            .and_then(|f| f.known().copied())
            != Some(false)
        {
            continue;
        }
        let partner = relationship.pair.map(|p| (p, &graph.relationships[p]));
        if let Some((_, partner)) = partner {
            match partner.facts.flag("passive_updates") {
                None => {}
                Some(flag) if flag.known() == Some(&true) => {}
                Some(_) => continue,
            }
        }
        let mut d = diagnostic(
            relationship.location,
            format!(
                "`{}` sets passive_updates=False on the many-to-one side only: a changed {} primary key is propagated \
                 only to {} rows already in the session; set it on the one-to-many side",
                graph.relationship_label(id),
                relationship.target_class().map(|t| graph.classes[t].name.as_str()).unwrap_or("parent"),
                graph.classes[relationship.class].name
            ),
        );
        if let Some((partner_id, partner)) = partner {
            d.related.push(related(
                partner.location,
                graph.relationship_label(partner_id),
            ));
            if let Some(edit) = set_keyword(context, partner, "passive_updates", "False") {
                d.fixes.push(fix(
                    format!(
                        "Set passive_updates=False on {}",
                        graph.relationship_label(partner_id)
                    ),
                    safe(),
                    vec![edit],
                ));
            }
        }
        diagnostics.push(d);
    }
}
