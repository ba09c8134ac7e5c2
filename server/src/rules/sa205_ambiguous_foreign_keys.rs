//! # SA205 ambiguous-foreign-keys
//!
//! Several foreign keys join the two classes and the relationship does not say which one it uses.
//!
//! ## What it finds
//! A `relationship()` without `foreign_keys=` or `primaryjoin=` between two
//! tables joined by more than one foreign key (for example a `Customer` with
//! `billing_address_id` and `shipping_address_id`, or two tables that point
//! at each other).
//!
//! ## Why it matters
//! Mapper configuration fails: `AmbiguousForeignKeysError: Could not determine
//! join condition between parent/child tables on relationship ... - there are
//! multiple foreign key paths linking the tables`.
//!
//! ## Example
//! ```python
//! class Customer(Base):
//!     __tablename__ = "customer"
//!     id = Column(Integer, primary_key=True)
//!     billing_address_id = Column(ForeignKey("address.id"))
//!     shipping_address_id = Column(ForeignKey("address.id"))
//!     billing_address = relationship("Address")
//! ```
//!
//! ## Fix
//! Name the foreign key column; the fix offers one action per candidate:
//! ```python
//!     billing_address = relationship("Address", foreign_keys="[Customer.billing_address_id]")
//! ```
//! A candidate that another relationship already writes (and that is not
//! this one's back_populates partner) is not offered: using it would make
//! the two overlap. When the partner names its foreign key, that one is the
//! only candidate. The fix is safe only when one candidate is left, or when
//! one is named after the relationship (`billing_address_id` for
//! `billing_address`); picking among the others is a guess, so they are unsafe.

use super::support::{diagnostic, fix, related, safe, set_keyword, unsafe_};
use super::{Context, Reads};
use crate::diagnostic::{Diagnostic, Fix};
use crate::graph::{ForeignKeyId, Graph, JoinProblem, RelationshipId};

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in graph.relationships.iter().enumerate() {
        if relationship.backref_of.is_some() {
            continue;
        }
        let Some(JoinProblem::Ambiguous(candidates)) = &relationship.join_problem else {
            continue;
        };
        let Some(target) = relationship.target_class() else {
            continue;
        };
        let owner = &graph.classes[relationship.class].name;
        let target_name = &graph.classes[target].name;
        let paths: Vec<String> = candidates
            .iter()
            .map(|&fk| {
                let fk = &graph.foreign_keys[fk];
                let table = graph.tables[fk.table].full_name();
                let referred = fk
                    .referred_table()
                    .map(|t| graph.tables[t].full_name())
                    .unwrap_or_default();
                format!("{table}.{} -> {referred}", fk.columns.join(", "))
            })
            .collect();
        let mut d = diagnostic(
            relationship.location,
            format!(
                "`{owner}.{}` can join {owner} and {target_name} through {} foreign keys ({}) and {}: \
                 configure_mappers() raises AmbiguousForeignKeysError",
                relationship.attribute(),
                candidates.len(),
                paths.join("; "),
                if relationship.facts.option("foreign_keys").is_some() {
                    "its foreign_keys name more than one of them (only a primaryjoin can pick the columns)"
                } else {
                    "names neither foreign_keys nor primaryjoin"
                }
            ),
        );
        let file = relationship.location.file;
        let text = context.text(file);
        let quote = super::support::quote_of(text, relationship.facts.call.args.first());
        let has_foreign_keys = relationship.facts.option("foreign_keys").is_some();
        for &fk_id in candidates {
            d.related.push(related(
                graph.foreign_keys[fk_id].location,
                "a candidate foreign key",
            ));
        }
        // With `foreign_keys` already written, only a primaryjoin settles it.
        if !has_foreign_keys {
            // (fix, named after the relationship)
            let mut fixes: Vec<(Fix, bool)> = Vec::new();
            for fk_id in offered(graph, id, candidates) {
                let fk = &graph.foreign_keys[fk_id];
                let table = &graph.tables[fk.table];
                let Some(holder) = table.class else { continue };
                let holder_name = &graph.classes[holder].name;
                let attributes: Option<Vec<String>> = fk
                    .columns
                    .iter()
                    .map(|c| {
                        table
                            .column(c)
                            .and_then(|col| col.attribute().map(str::to_string))
                    })
                    .collect();
                let Some(attributes) = attributes else {
                    continue;
                };
                let named = matches!(attributes.as_slice(), [only]
                    if *only == format!("{}_id", relationship.attribute()));
                let list: Vec<String> = attributes
                    .iter()
                    .map(|a| format!("{holder_name}.{a}"))
                    .collect();
                let value = format!("{quote}[{}]{quote}", list.join(", "));
                // SQLModel's Relationship() has no foreign_keys: set_keyword
                // passes it through sa_relationship_kwargs.
                let Some(edit) = set_keyword(context, relationship, "foreign_keys", &value) else {
                    continue;
                };
                fixes.push((
                    fix(format!("Use foreign_keys={value}"), unsafe_(), vec![edit]),
                    named,
                ));
            }
            let named = fixes.iter().filter(|(_, named)| *named).count();
            if fixes.len() == 1 || named == 1 {
                // The one left, or the one named after the relationship, first.
                fixes.sort_by_key(|(_, named)| !named);
                fixes[0].0.applicability = safe();
            }
            d.fixes.extend(fixes.into_iter().map(|(fix, _)| fix));
        }
        diagnostics.push(d);
    }
}

/// The candidates worth offering: the partner's foreign key when the
/// back_populates partner names one among them; otherwise the candidates no
/// other relationship writes already (SQLAlchemy warns when two
/// relationships that are not linked write one column).
fn offered(graph: &Graph, id: RelationshipId, candidates: &[ForeignKeyId]) -> Vec<ForeignKeyId> {
    let relationship = &graph.relationships[id];
    let is_partner = |other: RelationshipId| {
        relationship.pair == Some(other)
            || graph.relationships[other].pair == Some(id)
            || graph.relationships[other].backref_of == Some(id)
    };
    if let Some(partner) = relationship.pair {
        let chosen: Vec<ForeignKeyId> = candidates
            .iter()
            .copied()
            .filter(|fk| graph.relationships[partner].foreign_keys.contains(fk))
            .collect();
        if graph.relationships[partner].join_problem.is_none() && !chosen.is_empty() {
            return chosen;
        }
    }
    candidates
        .iter()
        .copied()
        .filter(|fk| {
            !graph.relationships.iter().enumerate().any(|(other, r)| {
                other != id && !is_partner(other) && !r.is_viewonly() && r.foreign_keys.contains(fk)
            })
        })
        .collect()
}
