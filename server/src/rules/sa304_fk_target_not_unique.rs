//! # SA304 fk-target-not-unique
//!
//! A foreign key refers to columns that are neither the primary key nor unique.
//!
//! ## What it finds
//! A foreign key whose referred columns are not the referred table's primary
//! key, not a `unique=True` column, and not covered by a `UniqueConstraint`
//! or unique `Index` of exactly those columns.
//!
//! ## Why it matters
//! PostgreSQL refuses the constraint at `CREATE TABLE`: `there is no unique
//! constraint matching given keys for referenced table`. (MySQL requires an
//! index; SQLite fails later, on INSERT, with `foreign key mismatch`.)
//!
//! ## Example
//! ```python
//! class Membership(Base):
//!     __tablename__ = "membership"
//!     id = Column(Integer, primary_key=True)
//!     user_email = Column(ForeignKey("user.email"))
//! ```
//!
//! ## Fix
//! Refer to the key, or make the referred column unique:
//! ```python
//!     email = Column(String(200), unique=True)
//! ```

use std::collections::BTreeSet;

use super::sa303_composite_fk_split::split_groups;
use super::support::{add_keyword, diagnostic, fix, related, unsafe_};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::ForeignKeyResolution;

/// The options this rule reads (see `Reads`).
pub const READS: Reads = Reads::Only(&["unique"]);

/// A unique `Index(...)` declared apart from the table
/// (`Index("ix", Country.iso_code, unique=True)`) on exactly these columns.
fn unique_index_elsewhere(
    graph: &crate::graph::Graph,
    table: &crate::graph::Table,
    columns: &BTreeSet<&str>,
) -> bool {
    let owner_names: Vec<&str> = table
        .class
        .map(|c| graph.classes[c].name.as_str())
        .into_iter()
        .chain(table.location_binding())
        .collect();
    graph.files.iter().flat_map(|f| &f.call_sites).any(|site| {
        if site.construct != Some(crate::facts::Construct::Index) {
            return false;
        }
        let Some(call) = site.call.as_call() else {
            return false;
        };
        if call.keyword_value("unique").and_then(|u| u.as_bool()) == Some(false)
            || call.keyword("unique").is_none()
        {
            return false;
        }
        let mut indexed: BTreeSet<String> = BTreeSet::new();
        for argument in call.args.iter().skip(1) {
            let Some(dotted) = argument.dotted() else {
                return false;
            };
            let parts: Vec<&str> = dotted.split('.').collect();
            let (owner, column) = match parts.as_slice() {
                [owner, column] => (*owner, *column),
                [owner, "c", column] => (*owner, *column),
                _ => return false,
            };
            if !owner_names.contains(&owner) {
                return false;
            }
            let name = table
                .columns
                .iter()
                .find(|c| c.attribute() == Some(column) || c.name() == column)
                .map(|c| c.name().to_string())
                .unwrap_or_else(|| column.to_string());
            indexed.insert(name);
        }
        !indexed.is_empty()
            && indexed.iter().map(String::as_str).collect::<BTreeSet<_>>() == *columns
    })
}

/// Whether `names` and `set` hold the same names, as sets (checked without
/// building any: nearly every key refers to its table's primary key).
fn names_the_set<'a>(names: &[String], set: impl Iterator<Item = &'a str> + Clone) -> bool {
    names.iter().all(|name| set.clone().any(|s| s == name))
        && set.clone().all(|s| names.iter().any(|name| name == s))
}

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    let split: BTreeSet<usize> = split_groups(graph)
        .into_iter()
        .flat_map(|(_, fks)| fks)
        .collect();
    for (id, fk) in graph.foreign_keys.iter().enumerate() {
        if split.contains(&id) {
            continue;
        }
        let ForeignKeyResolution::Resolved {
            table: referred,
            columns,
        } = &fk.resolution
        else {
            continue;
        };
        let target = &graph.tables[*referred];
        if target.incomplete || target.class.is_some_and(|c| graph.classes[c].incomplete) {
            continue;
        }
        let key = target.columns.iter().filter(|c| c.primary_key);
        if key.clone().next().is_none() || names_the_set(columns, key.clone().map(|c| c.name())) {
            continue;
        }
        let referred_set: BTreeSet<&str> = columns.iter().map(String::as_str).collect();
        if let [only] = columns.as_slice() {
            if target.column(only).is_some_and(|c| {
                c.unique || c.facts.unique.as_ref().is_some_and(|u| u.known().is_none())
            }) {
                continue;
            }
        }
        if unique_index_elsewhere(graph, target, &referred_set) {
            continue;
        }
        if target
            .unique_sets
            .iter()
            .any(|set| set.iter().map(String::as_str).collect::<BTreeSet<_>>() == referred_set)
        {
            continue;
        }
        let mut d = diagnostic(
            fk.location,
            format!(
                "the foreign key on {}.{} refers to {}({}), which is neither {}'s primary key nor unique: \
                 PostgreSQL refuses it at CREATE TABLE (there is no unique constraint matching given keys for referenced table \"{}\")",
                graph.tables[fk.table].full_name(),
                fk.columns.join(", "),
                target.full_name(),
                columns.join(", "),
                target.full_name(),
                target.name
            ),
        );
        if let [only] = columns.as_slice() {
            if let Some(column) = target.column(only) {
                d.related.push(related(
                    column.location,
                    format!("{}.{only}", target.full_name()),
                ));
                if let Some(call) = &column.facts.call {
                    let file = column.location.file;
                    d.fixes.push(fix(
                        format!("Make {}.{only} unique", target.full_name()),
                        unsafe_(),
                        vec![add_keyword(file, call, "unique", "True")],
                    ));
                }
            }
        }
        diagnostics.push(d);
    }
}
