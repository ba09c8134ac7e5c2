//! # SA207 overlapping-relationships
//!
//! Two relationships write the same foreign key column without knowing about each other.
//!
//! ## What it finds
//! Two relationships (neither `viewonly`) that synchronise the same foreign
//! key column, are not each other's `back_populates`/`backref`, and neither
//! lists the other in `overlaps=`. The classic case is a one-to-many and its
//! many-to-one declared separately without `back_populates`.
//!
//! ## Why it matters
//! SQLAlchemy warns at configuration (`SAWarning: relationship 'Child.parent'
//! will copy column parent.id to column child.parent_id, which conflicts with
//! relationship(s): 'Parent.children'`) and at run time the two sides can
//! write different values to the same column in one flush.
//!
//! ## Example
//! ```python
//! class Parent(Base):
//!     __tablename__ = "parent"
//!     id = Column(Integer, primary_key=True)
//!     children = relationship("Child")
//!
//! class Child(Base):
//!     __tablename__ = "child"
//!     id = Column(Integer, primary_key=True)
//!     parent_id = Column(ForeignKey("parent.id"))
//!     parent = relationship("Parent")
//! ```
//!
//! ## Fix
//! Link the two with `back_populates` (or, if they are meant to be
//! independent, name each other in `overlaps=`):
//! ```python
//!     children = relationship("Child", back_populates="parent")
//!     ...
//!     parent = relationship("Parent", back_populates="children")
//! ```

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::support::{add_keyword, diagnostic, fix, quote_of, related, safe, set_keyword, unsafe_};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::facts::Setting;
use crate::graph::{Direction, Graph, RelationshipId, TableId};

/// The options this rule reads (see `Reads`).
pub const READS: Reads = Reads::Only(&["overlaps"]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    // Unordered: each conflict's lists are sorted below.
    let mut writers: FxHashMap<(TableId, &str), Vec<RelationshipId>> = FxHashMap::default();
    for (id, relationship) in graph.relationships.iter().enumerate() {
        if relationship.is_viewonly()
            || relationship.direction.is_none()
            || relationship.facts.has_splat
        {
            continue;
        }
        if relationship
            .facts
            .flag("viewonly")
            .is_some_and(|f| f.known().is_none())
        {
            continue;
        }
        for (table, column) in &relationship.fk_columns {
            let list = writers.entry((*table, column.as_str())).or_default();
            if !list.contains(&id) {
                list.push(id);
            }
        }
    }
    let mut conflicts: BTreeMap<RelationshipId, Vec<(RelationshipId, String)>> = BTreeMap::new();
    for ((table, column), ids) in &writers {
        for (i, &a) in ids.iter().enumerate() {
            for &b in &ids[i + 1..] {
                if !overlapping(graph, a, b) {
                    continue;
                }
                let label = format!("{}.{column}", graph.tables[*table].full_name());
                conflicts.entry(a).or_default().push((b, label.clone()));
                conflicts.entry(b).or_default().push((a, label));
            }
        }
    }
    for (id, others) in conflicts {
        let relationship = &graph.relationships[id];
        let mut other_ids: Vec<RelationshipId> = others.iter().map(|(o, _)| *o).collect();
        other_ids.sort_unstable();
        other_ids.dedup();
        let mut columns: Vec<String> = others.iter().map(|(_, c)| c.clone()).collect();
        columns.sort();
        columns.dedup();
        let names: Vec<String> = other_ids
            .iter()
            .map(|&o| format!("'{}'", graph.relationship_label(o)))
            .collect();
        let mut d = diagnostic(
            relationship.location,
            format!(
                "`{}` writes {} as {} also do{}, and they are not linked by back_populates, backref or overlaps: \
                 SQLAlchemy warns (relationship '{}' will copy column ... which conflicts with relationship(s): {}) \
                 and the two may write different values in one flush",
                graph.relationship_label(id),
                columns.join(", "),
                names.join(", "),
                if names.len() == 1 { "es" } else { "" },
                graph.relationship_label(id),
                names.join(", ")
            ),
        );
        for &other in &other_ids {
            d.related.push(related(
                graph.relationships[other].location,
                graph.relationship_label(other),
            ));
        }
        if let [other] = other_ids.as_slice() {
            if let Some(edits) = pair_edits(context, id, *other) {
                d.fixes.push(fix(
                    format!(
                        "Link {} and {} with back_populates",
                        graph.relationship_label(id),
                        graph.relationship_label(*other)
                    ),
                    safe(),
                    edits,
                ));
            }
        }
        if relationship.backref_of.is_none() {
            let file = relationship.location.file;
            let text = context.text(file);
            let quote = quote_of(text, relationship.facts.call.args.first());
            let keys: Vec<String> = other_ids
                .iter()
                .map(|&o| graph.relationships[o].attribute().to_string())
                .collect();
            let value = format!("{quote}{}{quote}", keys.join(","));
            if relationship.facts.option("overlaps").is_none() {
                // Through sa_relationship_kwargs for SQLModel's Relationship().
                if let Some(edit) = set_keyword(context, relationship, "overlaps", &value) {
                    d.fixes.push(fix(
                        format!("Declare overlaps={value}"),
                        unsafe_(),
                        vec![edit],
                    ));
                }
            }
        }
        diagnostics.push(d);
    }
}

/// SQLAlchemy's test in `_warn_for_conflicting_sync_targets`, for two
/// relationships that write one column.
fn overlapping(graph: &Graph, a: RelationshipId, b: RelationshipId) -> bool {
    let (ra, rb) = (&graph.relationships[a], &graph.relationships[b]);
    if ra.pair == Some(b) || rb.pair == Some(a) {
        return false;
    }
    if names_overlap(ra, rb.attribute()) || names_overlap(rb, ra.attribute()) {
        return false;
    }
    // A backref named like the other side meant to link them; SA204 reports
    // that SQLAlchemy refuses it.
    let backref_names = |r: &crate::graph::Relationship, other: &crate::graph::Relationship| {
        r.facts.backref.as_ref().and_then(|b| b.name.as_deref()) == Some(other.attribute())
            && r.target_class() == Some(other.class)
    };
    if backref_names(ra, rb) || backref_names(rb, ra) {
        return false;
    }
    // The same relationship inherited, or mappers on sibling branches.
    if ra.attribute() == rb.attribute() && common_parent(graph, ra.class, rb.class) {
        return false;
    }
    if siblings(graph, ra.class, rb.class) {
        return false;
    }
    if let (Some(ta), Some(tb)) = (ra.target_class(), rb.target_class()) {
        if siblings(graph, ta, tb) {
            return false;
        }
    }
    true
}

fn names_overlap(relationship: &crate::graph::Relationship, other: &str) -> bool {
    match relationship.facts.string_option("overlaps") {
        Some(Setting::Known(list, _)) => list
            .split(',')
            .map(str::trim)
            .any(|k| k == other || k == "__*"),
        // Computed overlaps: cannot tell, assume it covers the other.
        Some(Setting::Unknown(_)) => true,
        None => false,
    }
}

fn ancestors(graph: &Graph, class: usize) -> Vec<usize> {
    let mut chain = Vec::new();
    let mut current = Some(class);
    while let Some(c) = current {
        chain.push(c);
        current = graph.classes[c].superclass;
    }
    chain
}

fn common_parent(graph: &Graph, a: usize, b: usize) -> bool {
    let chain = ancestors(graph, a);
    ancestors(graph, b).iter().any(|c| chain.contains(c))
}

/// Mappers sharing a base where neither inherits from the other.
fn siblings(graph: &Graph, a: usize, b: usize) -> bool {
    let (chain_a, chain_b) = (ancestors(graph, a), ancestors(graph, b));
    a != b
        && !chain_a.contains(&b)
        && !chain_b.contains(&a)
        && chain_a.iter().any(|c| chain_b.contains(c))
}

/// A one-to-many and a many-to-one between the same two classes, neither
/// paired: add `back_populates` to both.
fn pair_edits(
    context: &Context,
    a: RelationshipId,
    b: RelationshipId,
) -> Option<Vec<crate::diagnostic::Edit>> {
    let graph = context.graph;
    let (ra, rb) = (&graph.relationships[a], &graph.relationships[b]);
    if ra.backref_of.is_some() || rb.backref_of.is_some() {
        return None;
    }
    let opposite = matches!(
        (ra.direction, rb.direction),
        (Some(Direction::OneToMany), Some(Direction::ManyToOne))
            | (Some(Direction::ManyToOne), Some(Direction::OneToMany))
            | (Some(Direction::ManyToMany), Some(Direction::ManyToMany))
    );
    if !opposite || ra.target_class() != Some(rb.class) || rb.target_class() != Some(ra.class) {
        return None;
    }
    for r in [ra, rb] {
        if r.facts.option("back_populates").is_some()
            || r.facts.backref.is_some()
            || r.facts.option("overlaps").is_some()
        {
            return None;
        }
    }
    let quote = quote_of(context.text(ra.location.file), ra.facts.call.args.first());
    Some(vec![
        add_keyword(
            ra.location.file,
            &ra.facts.call,
            "back_populates",
            &format!("{quote}{}{quote}", rb.attribute()),
        ),
        add_keyword(
            rb.location.file,
            &rb.facts.call,
            "back_populates",
            &format!("{quote}{}{quote}", ra.attribute()),
        ),
    ])
}
