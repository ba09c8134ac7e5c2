//! # SA301 unnamed-fk-in-cycle
//!
//! Tables form a foreign-key cycle that its named constraints alone cannot break.
//!
//! ## What it finds
//! Two or more tables whose foreign keys form a cycle (a self-reference does
//! not count) that remains when every named foreign key (an explicit `name=`,
//! or an `fk` entry in the MetaData's `naming_convention`) and every
//! `use_alter=True` one is taken out. Reported on each unnamed foreign key of
//! what remains. One named key in a two-table cycle is enough.
//!
//! ## Why it matters
//! `metadata.drop_all()` on PostgreSQL or MySQL raises
//! `CircularDependencyError: Can't sort tables for DROP; an unresolvable
//! foreign key dependency exists between tables`, and migrations cannot drop
//! a constraint without a name.
//!
//! ## Example
//! ```python
//! class Department(Base):
//!     __tablename__ = "department"
//!     id = Column(Integer, primary_key=True)
//!     manager_id = Column(ForeignKey("employee.id"))
//!
//! class Employee(Base):
//!     __tablename__ = "employee"
//!     id = Column(Integer, primary_key=True)
//!     department_id = Column(ForeignKey("department.id"))
//! ```
//!
//! ## Fix
//! Name the constraint (or give the MetaData a naming convention):
//! ```python
//!     manager_id = Column(ForeignKey("employee.id", name="fk_department_manager_id_employee"))
//! ```

use super::support::{
    add_keyword, diagnostic, fix, quote_of, related, safe, string_literal, unsafe_,
};
use super::{Context, Reads};
use crate::config::Dialect;
use crate::diagnostic::Diagnostic;
use crate::facts::ForeignKeyKind;
use crate::graph::{cycle_places, cycles_of, ForeignKeyId, Graph};

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

/// A name SQLAlchemy's default convention would not produce, and that fits
/// PostgreSQL's 63 characters.
pub fn suggested_name(graph: &Graph, fk: ForeignKeyId) -> Option<String> {
    let foreign_key = &graph.foreign_keys[fk];
    let referred = graph.tables[foreign_key.referred_table()?].name.clone();
    let name = format!(
        "fk_{}_{}_{}",
        graph.tables[foreign_key.table].name,
        foreign_key.columns.join("_"),
        referred
    );
    (name.len() <= 63).then_some(name)
}

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    // SQLite drops tables without ALTER: it warns on every cycle, named or not.
    if context.dialect == Dialect::Sqlite {
        return;
    }
    // Each foreign key between two tables of one cycle belongs to that cycle.
    let cycle_of_table = cycle_places(graph.tables.len(), &graph.table_cycles);
    let mut unbreakable_by_cycle: Vec<Vec<ForeignKeyId>> =
        vec![Vec::new(); graph.table_cycles.len()];
    for (id, fk) in graph.foreign_keys.iter().enumerate() {
        let Some(referred) = fk.referred_table() else {
            continue;
        };
        let Some((cycle, _)) = cycle_of_table[fk.table] else {
            continue;
        };
        if referred != fk.table
            && cycle_of_table[referred].is_some_and(|(other, _)| other == cycle)
            && !fk.effective_name.is_named()
            && fk.facts.use_alter.as_ref().and_then(|u| u.known().copied()) != Some(true)
            && fk
                .facts
                .use_alter
                .as_ref()
                .is_none_or(|u| u.known().is_some())
        {
            unbreakable_by_cycle[cycle].push(id);
        }
    }
    for (cycle, unbreakable) in graph.table_cycles.iter().zip(&unbreakable_by_cycle) {
        // Without the breakable keys, what is left of the cycle: tables
        // numbered by their place in it.
        let place = |table: usize| cycle_of_table[table].map_or(0, |(_, place)| place);
        let edges: Vec<(usize, usize)> = unbreakable
            .iter()
            .map(|&fk| {
                let foreign_key = &graph.foreign_keys[fk];
                (
                    place(foreign_key.table),
                    place(foreign_key.referred_table().unwrap()),
                )
            })
            .collect();
        for places in cycles_of(cycle.len(), &edges) {
            let remaining: Vec<usize> = places.iter().map(|&p| cycle[p]).collect();
            let mut in_remaining = vec![false; cycle.len()];
            for &p in &places {
                in_remaining[p] = true;
            }
            let members: Vec<ForeignKeyId> = unbreakable
                .iter()
                .copied()
                .filter(|&fk| {
                    let f = &graph.foreign_keys[fk];
                    in_remaining[place(f.table)] && in_remaining[place(f.referred_table().unwrap())]
                })
                .collect();
            let mut tables: Vec<String> = remaining
                .iter()
                .map(|&t| graph.tables[t].full_name())
                .collect();
            tables.sort();
            for &fk in &members {
                let foreign_key = &graph.foreign_keys[fk];
                let table = graph.tables[foreign_key.table].full_name();
                let mut d = diagnostic(
                    foreign_key.location,
                    format!(
                        "the foreign key on {table}.{} has no name and is part of a cycle between {}: metadata.drop_all() \
                         raises CircularDependencyError (Can't sort tables for DROP) and migrations cannot drop it",
                        foreign_key.columns.join(", "),
                        tables.join(", ")
                    ),
                );
                for &other in &members {
                    if other != fk {
                        d.related.push(related(
                            graph.foreign_keys[other].location,
                            "another unnamed foreign key of the cycle",
                        ));
                    }
                }
                let file = foreign_key.location.file;
                let text = context.text(file);
                if let (Some(name), Some(call), false) = (
                    suggested_name(graph, fk),
                    &foreign_key.facts.call,
                    foreign_key.facts.kind == ForeignKeyKind::SqlModelField,
                ) {
                    let quote = quote_of(text, call.args.first());
                    d.fixes.push(fix(
                        format!("Name it \"{name}\""),
                        safe(),
                        vec![add_keyword(
                            file,
                            call,
                            "name",
                            &string_literal(&name, quote),
                        )],
                    ));
                }
                let scope = &graph.scopes[graph.tables[foreign_key.table].scope];
                if let Some((metadata_file, call)) = &scope.metadata_call {
                    if call.keyword("naming_convention").is_none() && !call.has_splat {
                        d.fixes.push(fix(
                            "Name every foreign key with a naming convention on the MetaData",
                            unsafe_(),
                            vec![add_keyword(*metadata_file, call,
                                "naming_convention",
                                "{\"fk\": \"fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s\"}",
                            )],
                        ));
                    }
                }
                diagnostics.push(d);
            }
        }
    }
}
