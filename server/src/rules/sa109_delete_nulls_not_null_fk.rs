//! # SA109 delete-nulls-not-null-fk
//!
//! Deleting a parent sets its children's NOT NULL foreign key to NULL.
//!
//! ## What it finds
//! A one-to-many relationship without `delete` cascade and without
//! `passive_deletes`, over a foreign key that is NOT NULL (`nullable=False`,
//! part of the primary key, or a non-Optional `Mapped[int]`).
//!
//! ## Why it matters
//! `session.delete(parent)` emits `UPDATE child SET parent_id=NULL` for every
//! child: `IntegrityError` (NotNullViolation), or, when the key is part of the
//! primary key, `AssertionError: Dependency rule tried to blank-out primary
//! key column`.
//!
//! ## Example
//! ```python
//! class Order(Base):
//!     __tablename__ = "orders"
//!     id = Column(Integer, primary_key=True)
//!     items = relationship("OrderItem")
//!
//! class OrderItem(Base):
//!     __tablename__ = "order_item"
//!     id = Column(Integer, primary_key=True)
//!     order_id = Column(ForeignKey("orders.id"), nullable=False)
//! ```
//!
//! ## Fix
//! Delete the children with the parent:
//! ```python
//!     items = relationship("OrderItem", cascade="all, delete-orphan")
//! ```
//! When the many-to-one side cascades delete too (SA104), the fix also
//! removes that cascade: with both, deleting one child would delete its
//! parent and every sibling (SA115).

use super::support::{
    backref_with_keywords, diagnostic, fix, ondelete, one_to_many, passive_deletes, quote_in,
    related, remove_keyword, safe, set_keywords,
};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in one_to_many(graph) {
        if relationship.cascade.delete || passive_deletes(relationship) != Some(false) {
            continue;
        }
        let Some(&fk) = relationship
            .foreign_keys
            .iter()
            .find(|&&fk| graph.fk_not_null(fk) == Some(true))
        else {
            continue;
        };
        let foreign_key = &graph.foreign_keys[fk];
        let child_table = graph.tables[foreign_key.table].full_name();
        let columns = foreign_key.columns.join(", ");
        let in_primary_key = foreign_key.columns.iter().any(|c| {
            graph.tables[foreign_key.table]
                .column(c)
                .is_some_and(|col| col.primary_key)
        });
        let failure = if in_primary_key {
            "AssertionError (Dependency rule tried to blank-out primary key column)"
        } else {
            "IntegrityError (NOT NULL violation)"
        };
        let mut d = diagnostic(
            relationship.location,
            format!(
                "deleting a {} that has {child_table} rows runs `UPDATE {child_table} SET {columns}=NULL` through `{}`, \
                 but {child_table}.{columns} is NOT NULL: the flush fails with {failure}",
                graph.classes[relationship.class].name,
                graph.relationship_label(id)
            ),
        );
        d.related.push(related(
            foreign_key.location,
            format!("{child_table}.{columns}"),
        ));
        let quote = quote_in(context, relationship);
        let cascade = format!("{quote}all, delete-orphan{quote}");
        // With ON DELETE CASCADE in the database, let it do the unloaded rows.
        let database_cascades = ondelete(graph, fk) == Some(Some("CASCADE".into()));
        let keywords = if database_cascades {
            format!("cascade={cascade}, passive_deletes=True")
        } else {
            format!("cascade={cascade}")
        };
        let edits = if database_cascades {
            set_keywords(
                context,
                relationship,
                &[("cascade", &cascade), ("passive_deletes", "True")],
            )
        } else {
            set_keywords(context, relationship, &[("cascade", &cascade)])
        }
        .or_else(|| backref_with_keywords(context, relationship, &keywords).map(|e| vec![e]));
        // The reverse many-to-one must stop cascading delete, or deleting a
        // child deletes the parent and, now, every sibling. Its cascade is
        // removed when written in its own call; otherwise no fix.
        let reverse = relationship
            .pair
            .filter(|&p| graph.relationships[p].cascade.delete);
        let edits = match (edits, reverse) {
            (Some(edits), None) => Some(edits),
            (Some(mut edits), Some(reverse)) => {
                let removal = own_cascade_removal(graph, reverse).filter(|removal| {
                    !edits.iter().any(|e| {
                        e.file == removal.file
                            && e.range.start < removal.range.end
                            && removal.range.start < e.range.end
                    })
                });
                removal.map(|removal| {
                    edits.push(removal);
                    edits
                })
            }
            (None, _) => None,
        };
        if let Some(edits) = edits {
            let title = match reverse {
                Some(reverse) => format!(
                    "Use {keywords}, and remove the cascade from {}",
                    graph.relationship_label(reverse)
                ),
                None => format!("Use {keywords}"),
            };
            d.fixes.push(fix(title, safe(), edits));
        }
        diagnostics.push(d);
    }
}

/// Removes a relationship's `cascade=` keyword, when it is written in the
/// relationship's own call (not a backref's, not computed).
fn own_cascade_removal(
    graph: &crate::graph::Graph,
    id: crate::graph::RelationshipId,
) -> Option<crate::diagnostic::Edit> {
    let relationship = &graph.relationships[id];
    if relationship.backref_of.is_some() || relationship.cascade.unknown {
        return None;
    }
    let keyword = relationship.facts.keyword("cascade")?;
    if !relationship
        .facts
        .call
        .keywords
        .iter()
        .any(|k| k.range == keyword.range)
    {
        return None;
    }
    remove_keyword(
        relationship.location.file,
        &relationship.facts.call,
        "cascade",
    )
}
