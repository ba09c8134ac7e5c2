//! # SA106 db-cascade-defeated
//!
//! The database would delete the children (`ondelete="CASCADE"`), but the ORM sets their foreign key to NULL first.
//!
//! ## What it finds
//! A one-to-many relationship without `delete` cascade over a foreign key
//! with `ondelete="CASCADE"`.
//!
//! ## Why it matters
//! `session.delete(parent)` makes the ORM emit `UPDATE child SET parent_id=NULL`
//! for the children it loads (all of them without `passive_deletes`, those
//! already in the session with it) before `DELETE FROM parent`. The database's
//! `ON DELETE CASCADE` then finds nothing to delete: the children survive as
//! orphans, or the UPDATE fails on a NOT NULL column.
//!
//! ## Example
//! ```python
//! class Invoice(Base):
//!     __tablename__ = "invoice"
//!     id = Column(Integer, primary_key=True)
//!     lines = relationship("InvoiceLine", passive_deletes=True)
//!
//! class InvoiceLine(Base):
//!     __tablename__ = "invoice_line"
//!     id = Column(Integer, primary_key=True)
//!     invoice_id = Column(ForeignKey("invoice.id", ondelete="CASCADE"))
//! ```
//!
//! ## Fix
//! Delete the children in the ORM too, and let the database handle unloaded ones:
//! ```python
//!     lines = relationship("InvoiceLine", cascade="all, delete-orphan", passive_deletes=True)
//! ```

use super::support::{
    backref_with_keywords, diagnostic, fix, ondelete, one_to_many, passive_deletes, quote_in,
    related, safe, set_keywords,
};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in one_to_many(graph) {
        if relationship.cascade.delete {
            continue;
        }
        let Some(passive) = passive_deletes(relationship) else {
            continue;
        };
        if relationship
            .facts
            .option("passive_deletes")
            .and_then(|v| v.as_str())
            == Some("all")
        {
            continue;
        }
        let Some(&fk) = relationship
            .foreign_keys
            .iter()
            .find(|&&fk| ondelete(graph, fk) == Some(Some("CASCADE".into())))
        else {
            continue;
        };
        // NOT NULL without passive_deletes is SA109's finding.
        if !passive && graph.fk_not_null(fk) == Some(true) {
            continue;
        }
        let foreign_key = &graph.foreign_keys[fk];
        let child_table = graph.tables[foreign_key.table].full_name();
        let parent = &graph.classes[relationship.class].name;
        let columns = foreign_key.columns.join(", ");
        let loaded = if passive {
            "the children already loaded in the session"
        } else {
            "every child it loads"
        };
        let mut d = diagnostic(
            relationship.location,
            format!(
                "deleting a {parent} runs `UPDATE {child_table} SET {columns}=NULL` for {loaded} through `{}`: \
                 the database's ON DELETE CASCADE on {child_table}.{columns} then finds nothing to delete and those rows \
                 stay as orphans; use cascade=\"all, delete-orphan\" with passive_deletes=True",
                graph.relationship_label(id)
            ),
        );
        d.related.push(related(
            foreign_key.location,
            format!("{child_table}.{columns} with ondelete=\"CASCADE\""),
        ));
        let quote = quote_in(context, relationship);
        let cascade = format!("{quote}all, delete-orphan{quote}");
        let keywords: &[(&str, &str)] = if passive {
            &[("cascade", &cascade)]
        } else {
            &[("cascade", &cascade), ("passive_deletes", "True")]
        };
        let edits = set_keywords(context, relationship, keywords).or_else(|| {
            backref_with_keywords(
                context,
                relationship,
                &format!("cascade={cascade}, passive_deletes=True"),
            )
            .map(|e| vec![e])
        });
        if let Some(edits) = edits {
            d.fixes.push(fix(
                "Use cascade=\"all, delete-orphan\" with passive_deletes=True",
                safe(),
                edits,
            ));
        }
        diagnostics.push(d);
    }
}
