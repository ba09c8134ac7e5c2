//! # SA204 backref-name-conflict
//!
//! A `backref` would create an attribute the target class already maps.
//!
//! ## What it finds
//! `relationship(..., backref="x")` (or `backref("x", ...)`) where the target
//! class already has a mapped column or relationship called `x`, declared on
//! it, a mixin or a mapped parent. A plain method of that name only draws a
//! deprecation warning and is not reported.
//!
//! ## Why it matters
//! Mapper configuration fails: `ArgumentError: Error creating backref 'x' on
//! relationship 'Parent.children': property of that name exists on mapper
//! 'Mapper[Child(child)]'`.
//!
//! ## Example
//! ```python
//! class Parent(Base):
//!     __tablename__ = "parent"
//!     id = Column(Integer, primary_key=True)
//!     children = relationship("Child", backref="parent")
//!
//! class Child(Base):
//!     __tablename__ = "child"
//!     id = Column(Integer, primary_key=True)
//!     parent_id = Column(ForeignKey("parent.id"))
//!     parent = relationship("Parent")
//! ```
//!
//! ## Fix
//! When the existing attribute is the counterpart relationship, pair the two
//! with `back_populates` instead:
//! ```python
//!     children = relationship("Child", back_populates="parent")
//!     ...
//!     parent = relationship("Parent", back_populates="children")
//! ```

use super::support::{add_keyword, diagnostic, fix, in_same_hierarchy, quote_of, related, unsafe_};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::AttributeKind;
use crate::text::TextRange;

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, relationship) in graph.relationships.iter().enumerate() {
        let Some(backref) = &relationship.facts.backref else {
            continue;
        };
        let Some(name) = &backref.name else { continue };
        let Some(target) = relationship.target_class() else {
            continue;
        };
        let kinds = graph.attributes_named(target, name);
        let existing = kinds.iter().find(|kind| match kind {
            AttributeKind::Column | AttributeKind::MapperProperty => true,
            AttributeKind::Relationship(other) => {
                graph.relationships[*other].backref_of != Some(id)
            }
            _ => false,
        });
        let Some(existing) = existing else { continue };
        let owner = &graph.classes[relationship.class].name;
        let target_name = &graph.classes[target].name;
        let what = match existing {
            AttributeKind::Relationship(_) => "a relationship",
            _ => "a mapped column",
        };
        let mut d = diagnostic(
            relationship.location,
            format!(
                "backref \"{name}\" of `{owner}.{}` clashes with {what} {target_name}.{name}: configure_mappers() raises \
                 ArgumentError (Error creating backref '{name}': property of that name exists on mapper {target_name})",
                relationship.attribute()
            ),
        );
        if let AttributeKind::Relationship(other_id) = existing {
            let other = &graph.relationships[*other_id];
            d.related
                .push(related(other.location, format!("{target_name}.{name}")));
            // The existing relationship points back: pair the two explicitly.
            let points_back = other
                .target_class()
                .is_some_and(|t| in_same_hierarchy(graph, t, relationship.class));
            let simple_backref = backref.call.is_none();
            let keyword = relationship.facts.keyword("backref");
            if points_back
                && simple_backref
                && other.facts.option("back_populates").is_none()
                && other.facts.backref.is_none()
            {
                if let Some(keyword) = keyword {
                    let file = relationship.location.file;
                    let text = context.text(file);
                    let quote = quote_of(text, Some(&keyword.value));
                    let mut edits = vec![super::support::replace_range(
                        file,
                        TextRange::new(keyword.range.start(), keyword.range.end()),
                        format!("back_populates={quote}{name}{quote}"),
                    )];
                    edits.push(add_keyword(
                        other.location.file,
                        &other.facts.call,
                        "back_populates",
                        &format!("{quote}{}{quote}", relationship.attribute()),
                    ));
                    d.fixes.push(fix(
                        format!(
                            "Pair {owner}.{} and {target_name}.{name} with back_populates",
                            relationship.attribute()
                        ),
                        unsafe_(),
                        edits,
                    ));
                }
            }
        } else if let Some(column) = graph.classes[target].table.and_then(|t| {
            graph.tables[t]
                .columns
                .iter()
                .find(|c| c.attribute() == Some(name.as_str()))
        }) {
            d.related
                .push(related(column.location, format!("{target_name}.{name}")));
        }
        diagnostics.push(d);
    }
}
