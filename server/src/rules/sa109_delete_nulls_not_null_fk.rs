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

use super::support::{
    backref_with_keywords, diagnostic, fix, ondelete, one_to_many, passive_deletes, quote_in,
    related, safe, set_keyword,
};
use super::Context;
use crate::diagnostic::Diagnostic;

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
        let mut edits: Vec<_> = set_keyword(context, relationship, "cascade", &cascade)
            .into_iter()
            .collect();
        if database_cascades {
            edits.extend(set_keyword(
                context,
                relationship,
                "passive_deletes",
                "True",
            ));
        }
        let expected = if database_cascades { 2 } else { 1 };
        let edits = if edits.len() == expected {
            Some(edits)
        } else {
            backref_with_keywords(context, relationship, &keywords).map(|e| vec![e])
        };
        if let Some(edits) = edits {
            d.fixes.push(fix(format!("Use {keywords}"), safe(), edits));
        }
        diagnostics.push(d);
    }
}
