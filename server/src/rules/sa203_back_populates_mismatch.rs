//! # SA203 back-populates-mismatch
//!
//! `back_populates="x"` names something on the target class that is not its counterpart relationship.
//!
//! ## What it finds
//! A relationship with `back_populates="x"` whose target class has no
//! attribute `x`, where `x` is a column (or other non-relationship), or where
//! `x` is a relationship to a different class.
//!
//! ## Why it matters
//! Mapper configuration fails on first use: `InvalidRequestError: Mapper
//! 'Mapper[Child(child)]' has no property 'parnet'`, `back_populates on
//! relationship 'Parent.children' refers to attribute 'Child.parent_id' that
//! is not a relationship`, or `ArgumentError: reverse_property 'x' on
//! relationship ... references relationship ..., which does not reference
//! mapper ...`.
//!
//! ## Example
//! ```python
//! class Parent(Base):
//!     __tablename__ = "parent"
//!     id = Column(Integer, primary_key=True)
//!     children = relationship("Child", back_populates="parnet")
//!
//! class Child(Base):
//!     __tablename__ = "child"
//!     id = Column(Integer, primary_key=True)
//!     parent_id = Column(ForeignKey("parent.id"))
//!     parent = relationship("Parent", back_populates="children")
//! ```
//!
//! ## Fix
//! Name the counterpart (offered when the target has one), or add it:
//! ```python
//!     children = relationship("Child", back_populates="parent")
//! ```
//! The counterpart is the target's one relationship back to this class
//! that names this one in its back_populates, or names none; when it names
//! none, the fix gives it `back_populates` too, so that the pair is not
//! one-way (SA208). A counterpart is added only when the target has no
//! relationship that already names this one or writes its foreign keys.

use super::support::{
    diagnostic, fix, in_same_hierarchy, is_python_identifier, related, replace_string, safe,
    unsafe_,
};
use super::{Context, Reads};
use crate::diagnostic::{Diagnostic, Edit};
use crate::facts::Setting;
use crate::graph::{AttributeKind, ClassId, Direction, Graph, Relationship, RelationshipId};
use crate::text::TextRange;

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    let unnamed_backref_targets = unnamed_backref_targets(graph);
    for (id, relationship) in graph.relationships.iter().enumerate() {
        let Some(Setting::Known(name, _)) = relationship.facts.string_option("back_populates")
        else {
            continue;
        };
        let Some(target) = relationship.target_class() else {
            continue;
        };
        if graph.classes[target].incomplete || unnamed_backref_targets.contains(&target) {
            continue;
        }
        let owner = &graph.classes[relationship.class];
        let target_class = &graph.classes[target];
        // Formatted only for a finding: most relationships have none.
        let label = || format!("{}.{}", owner.name, relationship.attribute());
        let first = target_class.attributes.first_named(name);
        let message = match first {
            None => format!(
                "`{}` has back_populates=\"{name}\", but {} has no attribute \"{name}\": \
                 configure_mappers() raises InvalidRequestError (Mapper '{}' has no property '{name}')",
                label(),
                target_class.name, target_class.name
            ),
            Some(AttributeKind::Relationship(other)) => {
                let other_relationship = &graph.relationships[other];
                match other_relationship.target_class() {
                    Some(other_target) if !in_same_hierarchy(graph, other_target, relationship.class) => format!(
                        "`{}` has back_populates=\"{name}\", but {}.{name} is a relationship to {}, not to {}: \
                         configure_mappers() raises ArgumentError (reverse_property '{name}' does not reference mapper {})",
                        label(),
                        target_class.name,
                        graph.classes[other_target].name,
                        owner.name,
                        owner.name
                    ),
                    _ => continue,
                }
            }
            Some(AttributeKind::Column | AttributeKind::MapperProperty) => format!(
                "`{}` has back_populates=\"{name}\", but {}.{name} is a column, not a relationship: \
                 configure_mappers() raises InvalidRequestError (back_populates refers to attribute '{}.{name}' that is not a relationship)",
                label(),
                target_class.name, target_class.name
            ),
            // Built by a call we cannot read: it may be the relationship.
            Some(AttributeKind::Computed) => continue,
            Some(AttributeKind::Method | AttributeKind::Plain) => format!(
                "`{}` has back_populates=\"{name}\", but {}.{name} is not a mapped attribute: \
                 configure_mappers() raises InvalidRequestError (Mapper '{}' has no property '{name}')",
                label(),
                target_class.name, target_class.name
            ),
        };
        let mut d = diagnostic(relationship.location, message);
        d.related.push(related(
            target_class.location,
            format!("the target class {}", target_class.name),
        ));
        let file = relationship.location.file;
        let text = context.text(file);
        let literal = relationship.facts.option("back_populates").cloned();
        // A relationship on the target that points back here is the counterpart.
        if let Some(counterpart) = counterpart(graph, target, relationship.class, id) {
            let other = &graph.relationships[counterpart];
            let counterpart_name = other.attribute();
            if let Some(edit) = literal
                .as_ref()
                .and_then(|l| replace_string(file, text, l, counterpart_name))
            {
                let mut edits = vec![edit];
                // A counterpart that names nothing back would leave the pair
                // one-way (SA208): it gets back_populates too.
                let mut title = format!("Use back_populates=\"{counterpart_name}\"");
                if other.facts.option("back_populates").is_none() && other.facts.backref.is_none() {
                    let quote = super::support::quote_of(text, literal.as_ref());
                    match super::support::set_keyword(
                        context,
                        other,
                        "back_populates",
                        &format!("{quote}{}{quote}", relationship.attribute()),
                    ) {
                        Some(edit) => {
                            title.push_str(&format!(
                                " and {}.{counterpart_name}'s back_populates=\"{}\"",
                                target_class.name,
                                relationship.attribute()
                            ));
                            edits.push(edit);
                        }
                        None => edits.clear(),
                    }
                }
                if !edits.is_empty() {
                    d.fixes.push(fix(title, unsafe_(), edits));
                }
            }
        } else if first.is_none() && !has_counterpart(graph, target, relationship.class, id) {
            if let Some(edit) = add_counterpart(context, relationship, target, name) {
                d.fixes.push(fix(
                    format!(
                        "Add relationship {}.{name} with back_populates=\"{}\"",
                        target_class.name,
                        relationship.attribute()
                    ),
                    safe(),
                    vec![edit],
                ));
            }
        }
        diagnostics.push(d);
    }
}

/// Classes that may carry relationships a backref with a computed name
/// creates: their attributes are not fully known.
fn unnamed_backref_targets(graph: &Graph) -> std::collections::HashSet<ClassId> {
    graph
        .relationships
        .iter()
        .filter(|r| r.facts.backref.as_ref().is_some_and(|b| b.name.is_none()))
        .filter_map(|r| r.target_class())
        .collect()
}

fn counterpart(
    graph: &Graph,
    target: ClassId,
    owner: ClassId,
    from: RelationshipId,
) -> Option<RelationshipId> {
    let candidates: Vec<RelationshipId> = graph.classes[target]
        .relationships
        .iter()
        .copied()
        .filter(|&r| {
            let other = &graph.relationships[r];
            r != from
                && other.backref_of.is_none()
                && other
                    .target_class()
                    .is_some_and(|t| in_same_hierarchy(graph, t, owner))
                && match other.facts.string_option("back_populates") {
                    Some(Setting::Known(name, _)) => name == graph.relationships[from].attribute(),
                    Some(Setting::Unknown(_)) => false,
                    None => true,
                }
        })
        .collect();
    // One that names this relationship back is the counterpart, whatever
    // the others are.
    let naming: Vec<RelationshipId> = candidates
        .iter()
        .copied()
        .filter(|&r| {
            matches!(graph.relationships[r].facts.string_option("back_populates"),
                Some(Setting::Known(name, _)) if name == graph.relationships[from].attribute())
        })
        .collect();
    match (naming.as_slice(), candidates.as_slice()) {
        ([only], _) | ([], [only]) => Some(*only),
        _ => None,
    }
}

/// Does the target already have a relationship that is this one's
/// counterpart, or writes the foreign keys it writes? Adding another one
/// would overlap it (SA207).
fn has_counterpart(graph: &Graph, target: ClassId, owner: ClassId, from: RelationshipId) -> bool {
    let relationship = &graph.relationships[from];
    graph.classes[target].relationships.iter().any(|&r| {
        let other = &graph.relationships[r];
        r != from
            && other
                .target_class()
                .is_some_and(|t| in_same_hierarchy(graph, t, owner))
            && (matches!(other.facts.string_option("back_populates"),
                    Some(Setting::Known(name, _)) if name == relationship.attribute())
                || (!other.is_viewonly()
                    && other
                        .foreign_keys
                        .iter()
                        .any(|fk| relationship.foreign_keys.contains(fk))))
    })
}

/// Inserts `name = relationship("Owner", back_populates="attr")` at the end
/// of the target class body, in the style of the relationship being fixed.
fn add_counterpart(
    context: &Context,
    relationship: &Relationship,
    target: ClassId,
    name: &str,
) -> Option<Edit> {
    let graph = context.graph;
    if relationship.facts.style != crate::facts::RelationshipStyle::Orm
        || !is_python_identifier(name)
    {
        return None;
    }
    let target_class = &graph.classes[target];
    if target_class.imperative {
        return None;
    }
    let facts = graph.class_facts(target);
    let file = target_class.file;
    let text = context.text(file);
    let owner = &graph.classes[relationship.class];
    let relationship_text = context.text(relationship.location.file);
    let callee = relationship_text
        .get(relationship.facts.callee_range.start()..relationship.facts.callee_range.end())?;
    // The callee (`relationship`, `db.relationship`, `orm.relationship`) must
    // be a name the target's module has bound; no fix that raises NameError.
    let head = callee.split('.').next().unwrap_or(callee);
    let target_module = graph.file(file);
    let bound = target_module.imports.iter().any(|i| i.local == head)
        || target_module.bindings.iter().any(|b| b.name == head);
    let annotated = relationship.facts.annotation.is_some();
    if !bound || (annotated && !target_module.imports.iter().any(|i| i.local == "Mapped")) {
        return None;
    }
    let quote = super::support::quote_of(
        relationship_text,
        relationship.facts.option("back_populates"),
    );
    let body_end = facts.body_range.end();
    let body_start = facts.body_range.start();
    // The body's indentation, from the first member line.
    let line_start = text[..body_start]
        .rfind(['\n', '\r'])
        .map(|i| i + 1)
        .unwrap_or(0);
    let indent: String = text[line_start..body_start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    if indent.is_empty() {
        return None;
    }
    let annotation = if annotated {
        let inner = format!("{quote}{}{quote}", owner.name);
        match relationship.direction? {
            Direction::ManyToOne => format!(": Mapped[list[{inner}]]"),
            Direction::OneToMany => format!(": Mapped[{inner}]"),
            Direction::ManyToMany => format!(": Mapped[list[{inner}]]"),
        }
    } else {
        String::new()
    };
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let target_argument = if annotation.is_empty() {
        format!("{quote}{}{quote}, ", owner.name)
    } else {
        String::new()
    };
    let secondary = match (
        relationship.direction,
        relationship.facts.option("secondary"),
    ) {
        (Some(Direction::ManyToMany), Some(secondary)) => {
            let secondary_text =
                relationship_text.get(secondary.range.start()..secondary.range.end())?;
            format!("secondary={secondary_text}, ")
        }
        (Some(Direction::ManyToMany), None) => return None,
        _ => String::new(),
    };
    Some(Edit {
        file,
        range: TextRange::empty_at(body_end),
        new_text: format!(
            "{newline}{indent}{name}{annotation} = {callee}({target_argument}{secondary}back_populates={quote}{}{quote})",
            relationship.attribute()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fix titles of the SA203 findings in one file.
    fn fixes(source: &str) -> Vec<Vec<String>> {
        crate::rules::fix_titles(check, source)
    }

    fn models(back_populates: &str) -> String {
        format!(
            r#"from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

class Customer(Base):
    __tablename__ = "customer"
    id = Column(Integer, primary_key=True)
    orders = relationship("Order", back_populates="{back_populates}")

class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    customer_id = Column(ForeignKey("customer.id"))
"#
        )
    }

    #[test]
    fn adds_the_missing_counterpart() {
        assert_eq!(
            fixes(&models("customer")),
            [["Add relationship Order.customer with back_populates=\"orders\""]]
        );
    }

    /// Found by the pipeline fuzz target: the added attribute was named
    /// after any string, which broke the file's syntax.
    #[test]
    fn adds_no_counterpart_whose_name_python_cannot_spell() {
        for name in ["line-items", "class", "o\u{fffd}ders", "2nd", ""] {
            assert_eq!(fixes(&models(name)), [Vec::<String>::new()], "{name:?}");
        }
    }
}
