//! # SA202 unresolved-foreign-key
//!
//! A `ForeignKey("table.column")` names a table or column that its MetaData does not have.
//!
//! ## What it finds
//! The target of a `ForeignKey`, `ForeignKeyConstraint` or SQLModel
//! `Field(foreign_key=...)` is a table missing from the MetaData the table
//! belongs to, or a column missing from that table. Only reported when every
//! table of that MetaData is known.
//!
//! ## Why it matters
//! An unknown table raises `NoReferencedTableError` at `create_all()` (and
//! `NoForeignKeysError` when a relationship needs the key); an unknown column
//! raises `NoReferencedColumnError`.
//!
//! ## Example
//! ```python
//! class Child(Base):
//!     __tablename__ = "child"
//!     id = Column(Integer, primary_key=True)
//!     parent_id = Column(ForeignKey("parnet.id"))
//! ```
//!
//! ## Fix
//! Refer to an existing `table.column`; the fix offers the closest one:
//! ```python
//!     parent_id = Column(ForeignKey("parent.id"))
//! ```

use super::support::{closest, diagnostic, fix, related, replace_string, unsafe_};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::facts::ForeignKeyTarget;
use crate::graph::{ForeignKeyResolution, ScopeId, TableId};
use std::collections::HashMap;

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    let mut table_names: HashMap<ScopeId, Vec<(String, TableId)>> = HashMap::new();
    let mut closest_tables: HashMap<(ScopeId, String), Option<TableId>> = HashMap::new();
    for fk in &graph.foreign_keys {
        // Nearly every key resolves: nothing is formatted for those.
        if !matches!(
            fk.resolution,
            ForeignKeyResolution::MissingTable | ForeignKeyResolution::MissingColumn { .. }
        ) {
            continue;
        }
        let table = &graph.tables[fk.table];
        let (target_index, target) = match fk
            .facts
            .targets
            .iter()
            .enumerate()
            .find(|(_, t)| matches!(t, ForeignKeyTarget::Path { .. }))
        {
            Some(found) => found,
            None => continue,
        };
        let ForeignKeyTarget::Path {
            schema,
            table: target_table,
            column,
        } = target
        else {
            continue;
        };
        let written = match schema {
            Some(schema) => format!("{schema}.{target_table}.{column}"),
            None => format!("{target_table}.{column}"),
        };
        let (message, suggestion, referred) = match &fk.resolution {
            ForeignKeyResolution::MissingTable => {
                let qualified = match schema {
                    Some(schema) => format!("{schema}.{target_table}"),
                    None => target_table.clone(),
                };
                // While a table is being renamed, every key to it misses the
                // same name: each name is looked up once per MetaData.
                let closest_table = *closest_tables
                    .entry((table.scope, qualified.clone()))
                    .or_insert_with(|| {
                        let candidates = table_names.entry(table.scope).or_insert_with(|| {
                            graph
                                .tables
                                .iter()
                                .enumerate()
                                .filter(|(_, t)| t.scope == table.scope)
                                .map(|(id, t)| (t.full_name(), id))
                                .collect()
                        });
                        let name = closest(&qualified, candidates.iter().map(|(n, _)| n.as_str()))?;
                        // The first table of that name, as the MetaData holds it.
                        candidates
                            .iter()
                            .find(|(n, _)| n == name)
                            .map(|(_, id)| *id)
                    });
                let suggestion = closest_table.and_then(|id| {
                    let found = &graph.tables[id];
                    let column = if found.column(column).is_some() {
                        column.clone()
                    } else {
                        found.primary_key().first()?.to_string()
                    };
                    Some(format!("{}.{column}", found.full_name()))
                });
                (
                    format!(
                        "foreign key \"{written}\" on {}.{} refers to table \"{qualified}\", which this MetaData does not define: \
                         create_all() raises NoReferencedTableError, and relationships over it raise NoForeignKeysError",
                        table.full_name(),
                        fk.columns.join(", ")
                    ),
                    suggestion,
                    None,
                )
            }
            ForeignKeyResolution::MissingColumn {
                table: referred,
                column: missing,
            } => {
                let referred_table = &graph.tables[*referred];
                let suggestion = closest(missing, referred_table.columns.iter().map(|c| c.name()))
                    .map(|c| format!("{}.{c}", referred_table.full_name()));
                (
                    format!(
                        "foreign key \"{written}\" on {}.{} refers to column \"{missing}\", which table \"{}\" does not have: \
                         create_all() (or the first relationship over it) raises NoReferencedColumnError",
                        table.full_name(),
                        fk.columns.join(", "),
                        referred_table.full_name()
                    ),
                    suggestion,
                    Some(*referred),
                )
            }
            _ => continue,
        };
        let message = match &suggestion {
            Some(s) => format!("{message}; did you mean \"{s}\"?"),
            None => message,
        };
        let mut d = diagnostic(fk.location, message);
        if let Some(referred) = referred {
            d.related.push(related(
                graph.tables[referred].location,
                "the referred table",
            ));
        }
        if let (Some(suggestion), Some(call)) = (&suggestion, &fk.facts.call) {
            let literal = match fk.facts.kind {
                crate::facts::ForeignKeyKind::SqlModelField => call.keyword_value("foreign_key"),
                crate::facts::ForeignKeyKind::Column => {
                    call.args.first().or_else(|| call.keyword_value("column"))
                }
                crate::facts::ForeignKeyKind::Constraint => call
                    .args
                    .get(1)
                    .or_else(|| call.keyword_value("refcolumns"))
                    .and_then(|list| list.elements())
                    .and_then(|items| items.get(target_index)),
            };
            let file = fk.location.file;
            if let Some(edit) =
                literal.and_then(|l| replace_string(file, context.text(file), l, suggestion))
            {
                d.fixes.push(fix(
                    format!("Refer to \"{suggestion}\""),
                    unsafe_(),
                    vec![edit],
                ));
            }
        }
        diagnostics.push(d);
    }
}
