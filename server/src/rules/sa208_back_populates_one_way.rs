//! # SA208 back-populates-one-way
//!
//! `back_populates="x"` names a counterpart that does not name this relationship back.
//!
//! ## What it finds
//! A relationship with `back_populates="x"` whose target's relationship `x`
//! points back at this class but has no `back_populates`, or names another
//! attribute.
//!
//! ## Why it matters
//! Nothing raises. In-Python synchronisation works one way only: appending to
//! one side updates the other, but not the reverse, so the two sides disagree
//! until a flush and a refresh.
//!
//! ## Example
//! ```python
//! class Parent(Base):
//!     __tablename__ = "parent"
//!     id = Column(Integer, primary_key=True)
//!     children = relationship("Child", back_populates="parent")
//!
//! class Child(Base):
//!     __tablename__ = "child"
//!     id = Column(Integer, primary_key=True)
//!     parent_id = Column(ForeignKey("parent.id"))
//!     parent = relationship("Parent")
//! ```
//!
//! ## Fix
//! Name this relationship on the counterpart:
//! ```python
//!     parent = relationship("Parent", back_populates="children")
//! ```

use super::support::{
    add_keyword, diagnostic, fix, in_same_hierarchy, quote_of, related, replace_string, safe,
    unsafe_,
};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::facts::Setting;
use crate::graph::{AttributeKind, TableId};

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

/// Whether two relationships write the same columns, in any order.
fn same_columns(own: &[(TableId, String)], other: &[(TableId, String)]) -> bool {
    let count = |list: &[(TableId, String)], column| list.iter().filter(|&c| c == column).count();
    own.len() == other.len() && own.iter().all(|c| count(own, c) == count(other, c))
}

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for relationship in &graph.relationships {
        let Some(Setting::Known(name, _)) = relationship.facts.string_option("back_populates")
        else {
            continue;
        };
        let Some(target) = relationship.target_class() else {
            continue;
        };
        let Some(AttributeKind::Relationship(other_id)) =
            graph.classes[target].attributes.first_named(name)
        else {
            continue;
        };
        let other = &graph.relationships[other_id];
        if other.facts.has_splat {
            continue;
        }
        // A viewonly side takes no part in synchronisation.
        if other.facts.flag("viewonly").is_some() || relationship.facts.flag("viewonly").is_some() {
            continue;
        }
        // Several relationships naming one counterpart (filtered views of
        // one collection): no single back_populates can pair them.
        let (own_columns, other_columns) = (&relationship.fk_columns, &other.fk_columns);
        let same_or_no_key = own_columns.is_empty()
            || other_columns.is_empty()
            || same_columns(own_columns, other_columns);
        if same_or_no_key
            && graph.classes[relationship.class]
                .relationships
                .iter()
                .filter(|&&r| {
                    graph.relationships[r]
                        .facts
                        .option("back_populates")
                        .and_then(|value| value.as_str())
                        == Some(name)
                })
                .count()
                > 1
        {
            continue;
        }
        if !other
            .target_class()
            .is_some_and(|t| in_same_hierarchy(graph, t, relationship.class))
        {
            continue;
        }
        let owner = &graph.classes[relationship.class].name;
        let target_name = &graph.classes[target].name;
        let other_back = other.facts.string_option("back_populates");
        let problem = match (other.backref_of, &other_back) {
            // A backref-created relationship populates its originating side.
            (Some(origin), _) => {
                let origin_attribute = graph.relationships[origin].attribute();
                if origin_attribute == relationship.attribute() {
                    continue;
                }
                format!("{target_name}.{name} is the backref of {owner}.{origin_attribute}")
            }
            (None, None) if other.facts.backref.is_none() => {
                format!("{target_name}.{name} names no back_populates")
            }
            (None, Some(Setting::Known(back, _))) if *back != relationship.attribute() => {
                // A name that does not exist on this class is SA203's finding.
                let exists = graph.classes[relationship.class]
                    .attributes
                    .iter()
                    .any(|a| &a.name == back && matches!(a.kind, AttributeKind::Relationship(_)));
                if !exists {
                    continue;
                }
                format!("{target_name}.{name} has back_populates=\"{back}\"")
            }
            _ => continue,
        };
        let consequence = if same_or_no_key {
            format!(
                "changes to {target_name}.{name} are not reflected on {owner}.{} until a flush and refresh",
                relationship.attribute()
            )
        } else {
            // The two write different keys: syncing one modifies the wrong side.
            format!(
                "the two write different foreign keys, so assigning {owner}.{} fires a modify event on the wrong \
                 relationship (ValueError: Bidirectional attribute conflict detected)",
                relationship.attribute()
            )
        };
        let mut d = diagnostic(
            relationship.location,
            format!(
                "`{owner}.{}` has back_populates=\"{name}\", but {problem}: {consequence}",
                relationship.attribute()
            ),
        );
        d.related.push(related(
            other.location,
            format!("{target_name}.{name}, the counterpart"),
        ));
        let file = other.location.file;
        let text = context.text(file);
        let edit = match &other_back {
            _ if other.backref_of.is_some() => None,
            Some(Setting::Known(_, _)) => other
                .facts
                .option("back_populates")
                .and_then(|literal| replace_string(file, text, literal, relationship.attribute())),
            _ => {
                let quote = quote_of(
                    context.text(relationship.location.file),
                    relationship.facts.option("back_populates"),
                );
                Some(add_keyword(
                    file,
                    &other.facts.call,
                    "back_populates",
                    &format!("{quote}{}{quote}", relationship.attribute()),
                ))
            }
        };
        // A counterpart with its own join condition may be meant one-way.
        let applicability = if other.facts.option("primaryjoin").is_some() {
            unsafe_()
        } else {
            safe()
        };
        if let Some(edit) = edit {
            d.fixes.push(fix(
                format!(
                    "Set back_populates=\"{}\" on {target_name}.{name}",
                    relationship.attribute()
                ),
                applicability,
                vec![edit],
            ));
        }
        diagnostics.push(d);
    }
}
