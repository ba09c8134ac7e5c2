//! # SA206 no-foreign-key-path
//!
//! No foreign key joins the tables of a relationship's two classes.
//!
//! ## What it finds
//! A `relationship()` without `secondary=` or `primaryjoin=` between two
//! classes whose tables (all of them known) share no foreign key in either
//! direction.
//!
//! ## Why it matters
//! Mapper configuration fails: `NoForeignKeysError: Could not determine join
//! condition between parent/child tables on relationship ... - there are no
//! foreign keys linking these tables`.
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
//!     parent_id = Column(Integer)
//! ```
//!
//! ## Fix
//! Add the foreign key (or `secondary=` for many-to-many):
//! ```python
//!     parent_id = Column(Integer, ForeignKey("parent.id"))
//! ```

use super::support::{diagnostic, related};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::JoinProblem;

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for relationship in &graph.relationships {
        if relationship.backref_of.is_some()
            || relationship.join_problem != Some(JoinProblem::NoPath)
        {
            continue;
        }
        let Some(target) = relationship.target_class() else {
            continue;
        };
        let owner = &graph.classes[relationship.class];
        let target_class = &graph.classes[target];
        let tables = |class: &crate::graph::MappedClass| -> String {
            class
                .tables
                .iter()
                .map(|&t| graph.tables[t].full_name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut d = diagnostic(
            relationship.location,
            format!(
                "`{}.{}` relates {} to {}, but no foreign key joins {} and {}, and it has no secondary or primaryjoin: \
                 configure_mappers() raises NoForeignKeysError",
                owner.name,
                relationship.attribute(),
                owner.name,
                target_class.name,
                tables(owner),
                tables(target_class)
            ),
        );
        d.related.push(related(
            target_class.location,
            format!("the target class {}", target_class.name),
        ));
        diagnostics.push(d);
    }
}
