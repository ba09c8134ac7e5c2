//! # SA303 composite-fk-split
//!
//! Single-column foreign keys on several columns that together point at a composite primary key.
//!
//! ## What it finds
//! Two or more `ForeignKey`s on columns of one table that refer to the
//! columns of another table's composite primary key one by one, where no
//! single referred column is unique by itself.
//!
//! ## Why it matters
//! They are separate constraints, not one composite key: PostgreSQL refuses
//! each of them at `CREATE TABLE` (`there is no unique constraint matching
//! given keys for referenced table`), and nothing ties the pair of values to
//! one row.
//!
//! ## Example
//! ```python
//! class InvoiceItem(Base):
//!     __tablename__ = "invoice_item"
//!     id = Column(Integer, primary_key=True)
//!     invoice_id = Column(ForeignKey("invoice.invoice_id"))
//!     ref_num = Column(ForeignKey("invoice.ref_num"))
//! ```
//!
//! ## Fix
//! One composite constraint:
//! ```python
//!     invoice_id = Column(Integer)
//!     ref_num = Column(Integer)
//!     __table_args__ = (ForeignKeyConstraint(["invoice_id", "ref_num"], ["invoice.invoice_id", "invoice.ref_num"]),)
//! ```

use std::collections::BTreeMap;

use super::support::{diagnostic, related};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::facts::ForeignKeyKind;
use crate::graph::{ForeignKeyId, ForeignKeyResolution, Graph, TableId};

/// The options this rule reads (see `Reads`).
pub const READS: Reads = Reads::Only(&["unique"]);

/// Column foreign keys of one table that split a composite primary key.
pub fn split_groups(graph: &Graph) -> Vec<(TableId, Vec<ForeignKeyId>)> {
    let mut groups = Vec::new();
    for (table_id, table) in graph.tables.iter().enumerate() {
        // A split needs two keys: most tables have fewer.
        if table.foreign_keys.len() < 2 {
            continue;
        }
        let mut by_referred: BTreeMap<TableId, Vec<ForeignKeyId>> = BTreeMap::new();
        for &fk in &table.foreign_keys {
            let foreign_key = &graph.foreign_keys[fk];
            if foreign_key.facts.kind == ForeignKeyKind::Constraint
                || foreign_key.columns.len() != 1
            {
                continue;
            }
            if let ForeignKeyResolution::Resolved {
                table: referred, ..
            } = &foreign_key.resolution
            {
                by_referred.entry(*referred).or_default().push(fk);
            }
        }
        for (referred, fks) in by_referred {
            if fks.len() < 2 || referred == table_id {
                continue;
            }
            let target = &graph.tables[referred];
            if target.incomplete {
                continue;
            }
            let primary_key = target.primary_key();
            if primary_key.len() < 2 {
                continue;
            }
            let referred_columns: Vec<String> = fks
                .iter()
                .filter_map(|&fk| match &graph.foreign_keys[fk].resolution {
                    ForeignKeyResolution::Resolved { columns, .. } => columns.first().cloned(),
                    _ => None,
                })
                .collect();
            let all_in_key = referred_columns
                .iter()
                .all(|c| primary_key.contains(&c.as_str()));
            let several_key_columns = referred_columns
                .iter()
                .filter(|c| primary_key.contains(&c.as_str()))
                .count()
                >= 2;
            let none_unique = referred_columns.iter().all(|c| {
                !target.column(c).is_some_and(|col| col.unique)
                    && !target
                        .unique_sets
                        .iter()
                        .any(|set| set.len() == 1 && set[0] == *c)
            });
            if all_in_key && several_key_columns && none_unique {
                groups.push((table_id, fks));
            }
        }
    }
    groups
}

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (table, fks) in split_groups(graph) {
        let columns: Vec<String> = fks
            .iter()
            .map(|&fk| graph.foreign_keys[fk].columns[0].clone())
            .collect();
        let referred = graph.foreign_keys[fks[0]]
            .referred_table()
            .map(|t| graph.tables[t].full_name())
            .unwrap_or_default();
        for &fk in &fks {
            let foreign_key = &graph.foreign_keys[fk];
            let mut d = diagnostic(
                foreign_key.location,
                format!(
                    "{}.{} is one of {} separate foreign keys ({}) that together refer to {referred}'s composite primary key: \
                     PostgreSQL refuses each at CREATE TABLE (there is no unique constraint matching given keys); use one \
                     ForeignKeyConstraint([{}], [...])",
                    graph.tables[table].full_name(),
                    foreign_key.columns[0],
                    fks.len(),
                    columns.join(", "),
                    columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
                ),
            );
            for &other in &fks {
                if other != fk {
                    d.related.push(related(
                        graph.foreign_keys[other].location,
                        "another part of the split key",
                    ));
                }
            }
            diagnostics.push(d);
        }
    }
}
