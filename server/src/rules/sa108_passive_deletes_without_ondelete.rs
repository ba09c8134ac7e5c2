//! # SA108 passive-deletes-without-ondelete
//!
//! `passive_deletes` leaves unloaded children to the database, but their foreign key has no `ondelete`.
//!
//! ## What it finds
//! A one-to-many relationship with `passive_deletes=True` (or `"all"`) over a
//! foreign key without `ondelete`.
//!
//! ## Why it matters
//! The ORM does not load the children to delete them; the database does
//! nothing either. On PostgreSQL the parent's DELETE fails with an
//! `IntegrityError` (foreign key violation) as soon as unloaded children
//! exist; on SQLite they stay, pointing at a parent that is gone.
//!
//! ## Example
//! ```python
//! class Parent(Base):
//!     __tablename__ = "parent"
//!     id = Column(Integer, primary_key=True)
//!     children = relationship("Child", cascade="all, delete-orphan", passive_deletes=True)
//!
//! class Child(Base):
//!     __tablename__ = "child"
//!     id = Column(Integer, primary_key=True)
//!     parent_id = Column(ForeignKey("parent.id"))
//! ```
//!
//! ## Fix
//! ```python
//!     parent_id = Column(ForeignKey("parent.id", ondelete="CASCADE"))
//! ```

use super::support::{
    add_keyword, diagnostic, fix, ondelete, one_to_many, passive_deletes, quote_of, related, safe,
};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in one_to_many(graph) {
        if passive_deletes(relationship) != Some(true) {
            continue;
        }
        let Some(&fk) = relationship
            .foreign_keys
            .iter()
            .find(|&&fk| ondelete(graph, fk) == Some(None))
        else {
            continue;
        };
        let foreign_key = &graph.foreign_keys[fk];
        let child_table = graph.tables[foreign_key.table].full_name();
        let columns = foreign_key.columns.join(", ");
        let mut d = diagnostic(
            relationship.location,
            format!(
                "`{}` has passive_deletes, but {child_table}.{columns} has no ondelete: {child_table} rows not loaded \
                 in the session keep pointing at the deleted {} (IntegrityError on PostgreSQL, orphans on SQLite)",
                graph.relationship_label(id),
                graph.classes[relationship.class].name
            ),
        );
        d.related.push(related(
            foreign_key.location,
            format!("the foreign key on {child_table}.{columns}"),
        ));
        // CASCADE matches a delete cascade; SET NULL matches the ORM's own
        // nulling when there is none (and the column allows it).
        let action = if relationship.cascade.delete {
            Some("CASCADE")
        } else if graph.fk_not_null(fk) == Some(false) {
            Some("SET NULL")
        } else {
            None
        };
        if let (Some(action), Some(call)) = (action, &foreign_key.facts.call) {
            let file = foreign_key.location.file;
            let text = context.text(file);
            let quote = quote_of(
                text,
                call.args
                    .first()
                    .or_else(|| call.keyword_value("foreign_key")),
            );
            d.fixes.push(fix(
                format!("Add ondelete=\"{action}\" to the foreign key"),
                safe(),
                vec![add_keyword(
                    file,
                    call,
                    "ondelete",
                    &format!("{quote}{action}{quote}"),
                )],
            ));
        }
        diagnostics.push(d);
    }
}
