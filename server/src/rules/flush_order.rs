//! The unit of work's row dependencies, shared by the post_update rules
//! (SA401-SA404).
//!
//! Each foreign key that a relationship writes makes the row holding it
//! depend on the row it refers to: that row must be INSERTed first.
//! `post_update=True` takes the dependency out of the INSERT order (the key
//! is written by a later UPDATE), but only when every relationship writing
//! that foreign key has it: both sides of a `back_populates` pair (a
//! `backref(...)` copies the flag by itself).

use std::collections::{BTreeMap, HashSet};

use crate::graph::{cycle_places, cycles_of};
use crate::graph::{ClassId, Direction, ForeignKeyId, Graph, RelationshipId};

#[derive(Debug, Clone)]
pub struct Dependency {
    pub foreign_key: ForeignKeyId,
    /// The class whose rows hold the foreign key.
    pub holder: ClassId,
    /// The class whose rows it refers to.
    pub referred: ClassId,
    /// Every relationship that writes this foreign key.
    pub writers: Vec<RelationshipId>,
}

impl Dependency {
    pub fn flagged(&self, graph: &Graph) -> Vec<RelationshipId> {
        self.writers
            .iter()
            .copied()
            .filter(|&r| post_update(graph, r) == Some(true))
            .collect()
    }

    /// Every writer has `post_update=True`: the INSERT order ignores it.
    pub fn covered(&self, graph: &Graph) -> bool {
        self.flagged(graph).len() == self.writers.len()
    }

    pub fn has_many_to_one_writer(&self, graph: &Graph) -> bool {
        self.writers
            .iter()
            .any(|&r| graph.relationships[r].direction == Some(Direction::ManyToOne))
    }
}

#[derive(Debug, Clone)]
pub struct RowCycle {
    pub classes: Vec<ClassId>,
    /// The dependencies between classes of the cycle.
    pub dependencies: Vec<Dependency>,
}

impl RowCycle {
    /// Do the dependencies not taken out by `post_update` (nor listed in
    /// `also_covered`) still form a cycle?
    pub fn still_cyclic(
        &self,
        graph: &Graph,
        also_covered: &[ForeignKeyId],
        ignore_flags: bool,
    ) -> bool {
        let index: BTreeMap<ClassId, usize> = self
            .classes
            .iter()
            .enumerate()
            .map(|(i, &c)| (c, i))
            .collect();
        let edges: Vec<(usize, usize)> = self
            .dependencies
            .iter()
            .filter(|d| {
                !also_covered.contains(&d.foreign_key) && (ignore_flags || !d.covered(graph))
            })
            .map(|d| (index[&d.holder], index[&d.referred]))
            .collect();
        !cycles_of(self.classes.len(), &edges).is_empty()
    }
}

/// `post_update` of a relationship: `None` when not knowable.
pub fn post_update(graph: &Graph, relationship: RelationshipId) -> Option<bool> {
    match graph.relationships[relationship].facts.flag("post_update") {
        None => Some(false),
        Some(flag) => flag.known().copied(),
    }
}

/// The row-dependency cycles of two or more classes. Cycles involving a
/// relationship whose options cannot be read are left out.
pub fn row_cycles(graph: &Graph) -> Vec<RowCycle> {
    // By foreign key id, which keeps the dependencies in key order.
    let mut by_key: Vec<Option<Dependency>> = vec![None; graph.foreign_keys.len()];
    let mut unreadable: Vec<ForeignKeyId> = Vec::new();
    for (id, relationship) in graph.relationships.iter().enumerate() {
        if relationship.is_viewonly() {
            continue;
        }
        let Some(target) = relationship.target_class() else {
            continue;
        };
        let (holder, referred) = match relationship.direction {
            Some(Direction::ManyToOne) => (relationship.class, target),
            Some(Direction::OneToMany) => (target, relationship.class),
            _ => continue,
        };
        let readable = !relationship.facts.has_splat
            && post_update(graph, id).is_some()
            && relationship
                .facts
                .flag("viewonly")
                .is_none_or(|f| f.known().is_some());
        for &fk in &relationship.foreign_keys {
            if !readable {
                unreadable.push(fk);
            }
            let dependency = by_key[fk].get_or_insert_with(|| Dependency {
                foreign_key: fk,
                holder,
                referred,
                writers: Vec::new(),
            });
            if !dependency.writers.contains(&id) {
                dependency.writers.push(id);
            }
        }
    }
    let dependencies: Vec<Dependency> = by_key
        .into_iter()
        .flatten()
        .filter(|d| d.holder != d.referred)
        .collect();
    let edges: Vec<(usize, usize)> = dependencies
        .iter()
        .map(|d| (d.holder, d.referred))
        .collect();
    let cycles = cycles_of(graph.classes.len(), &edges);
    // A dependency belongs to the cycle holding both its classes, if any.
    let cycle_of_class = cycle_places(graph.classes.len(), &cycles);
    let mut members: Vec<Vec<Dependency>> = vec![Vec::new(); cycles.len()];
    for dependency in &dependencies {
        if let Some((cycle, _)) = cycle_of_class[dependency.holder] {
            if cycle_of_class[dependency.referred].is_some_and(|(other, _)| other == cycle) {
                members[cycle].push(dependency.clone());
            }
        }
    }
    let unreadable: HashSet<ForeignKeyId> = unreadable.into_iter().collect();
    cycles
        .into_iter()
        .zip(members)
        .map(|(classes, dependencies)| RowCycle {
            dependencies,
            classes,
        })
        .filter(|cycle| {
            !cycle
                .dependencies
                .iter()
                .any(|d| unreadable.contains(&d.foreign_key))
        })
        .collect()
}

/// The foreign key where `post_update` belongs: written by a many-to-one,
/// nullable (the row is INSERTed with NULL first), with the fewest writers.
pub fn preferred_break(
    graph: &Graph,
    cycle: &RowCycle,
    among: &[ForeignKeyId],
) -> Option<ForeignKeyId> {
    let mut candidates: Vec<&Dependency> = cycle
        .dependencies
        .iter()
        .filter(|d| among.contains(&d.foreign_key))
        .collect();
    candidates.sort_by_key(|d| {
        (
            !d.has_many_to_one_writer(graph),
            graph.fk_not_null(d.foreign_key) == Some(true),
            d.writers.len(),
            d.foreign_key,
        )
    });
    candidates.first().map(|d| d.foreign_key)
}
