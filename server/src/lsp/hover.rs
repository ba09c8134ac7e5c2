//! Which model element is under the cursor, by the byte ranges the graph
//! and the facts keep; the text shown comes from [`crate::sql`].

use crate::graph::{FileId, Graph};
use crate::lsp::snapshot::FileMoves;
use crate::sql::HoverTarget;
use crate::text::TextRange;

/// The element at `offset` of `file`, with the range it spans: the
/// innermost of `relationship(` (or the attribute it is assigned to),
/// `ForeignKey(...)` / `ForeignKeyConstraint(...)`, a mapped class's name and a
/// Core `Table(...)` call. `moves` maps the graph's ranges to the file's
/// current text (the graph may predate edits that moved them).
pub fn target_at(
    graph: &Graph,
    text: &str,
    file: FileId,
    offset: usize,
    moves: FileMoves,
) -> Option<(HoverTarget, TextRange)> {
    // Moving every range of a large file through its edits cost more than
    // the rest of a hover: only the ranges near enough are moved.
    let slack = moves.slack();
    let near = |range: TextRange| {
        range.start().saturating_sub(slack) <= offset && offset <= range.end() + slack
    };
    let current = |range: TextRange| near(range).then(|| moves.current(range)).flatten();
    let mut found: Vec<(HoverTarget, TextRange)> = Vec::new();
    for (id, relationship) in graph.relationships.iter().enumerate() {
        if relationship.location.file != file || relationship.backref_of.is_some() {
            continue;
        }
        // The callee and its opening parenthesis, one past it.
        let callee = relationship.facts.callee_range;
        let with_paren = TextRange::new(callee.start(), callee.end() + 1);
        if let Some(callee) = near(with_paren).then(|| moves.current(callee)).flatten() {
            let open = text
                .get(callee.end()..)
                .is_some_and(|rest| rest.starts_with('('));
            let callee = TextRange::new(callee.start(), callee.end() + usize::from(open));
            found.push((HoverTarget::Relationship(id), callee));
        }
        if let Some(attribute) = current(relationship.facts.attribute_range) {
            found.push((HoverTarget::Relationship(id), attribute));
        }
    }
    for (id, fk) in graph.foreign_keys.iter().enumerate() {
        if fk.location.file == file {
            found.extend(current(fk.location.range).map(|r| (HoverTarget::ForeignKey(id), r)));
        }
    }
    for (id, class) in graph.classes.iter().enumerate() {
        if class.location.file == file {
            found.extend(current(class.location.range).map(|r| (HoverTarget::Class(id), r)));
            // The `Table(...)` of an inline `__table__ = Table(...)`.
            let facts = graph.files[class.file].classes.get(class.index);
            if let (Some(table), Some(crate::facts::ClassTable::Inline(inline))) =
                (class.table, facts.and_then(|f| f.table.as_ref()))
            {
                found.extend(current(inline.range).map(|r| (HoverTarget::Table(table), r)));
            }
        }
    }
    for (id, table) in graph.tables.iter().enumerate() {
        if table.class.is_none() && table.location.file == file {
            found.extend(current(table.location.range).map(|r| (HoverTarget::Table(id), r)));
        }
    }
    // Innermost first; among equal ranges the first found (a mixin's
    // relationship copied to several classes shows the first).
    found
        .into_iter()
        .filter(|(_, range)| range.contains(offset))
        .min_by_key(|(_, range)| range.len())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::facts;
    use crate::graph::{link, LinkOptions};

    const MODELS: &str = r#"from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()
metadata = MetaData()

audit = Table("audit", metadata, Column("id", Integer, primary_key=True), Column("ref", ForeignKey("other.id")))

class Parent(Base):
    __tablename__ = "parent"
    id = Column(Integer, primary_key=True)
    children = relationship("Child")

class Child(Base):
    __tablename__ = "child"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parent.id"))

class Tag(Base):
    __table__ = Table("tag", Base.metadata, Column("id", Integer, primary_key=True), Column("child_id", ForeignKey("child.id")))
"#;

    fn at(needle: &str, delta: usize) -> Option<HoverTarget> {
        let graph = link(
            vec![Arc::new(facts::extract("models.py", MODELS))],
            &LinkOptions::default(),
        );
        let offset = MODELS.find(needle).unwrap() + delta;
        target_at(&graph, MODELS, 0, offset, FileMoves::default()).map(|(target, _)| target)
    }

    #[test]
    fn finds_the_innermost_element() {
        assert!(matches!(
            at("relationship(\"Child\")", 0),
            Some(HoverTarget::Relationship(_))
        ));
        assert!(matches!(
            at("relationship(\"Child\")", "relationship".len()),
            Some(HoverTarget::Relationship(_))
        ));
        assert_eq!(at("relationship(\"Child\")", "relationship(".len()), None);
        assert!(matches!(
            at("children =", 2),
            Some(HoverTarget::Relationship(_))
        ));
        assert!(matches!(
            at("ForeignKey(\"parent", 3),
            Some(HoverTarget::ForeignKey(_))
        ));
        assert!(matches!(at("Child(Base)", 1), Some(HoverTarget::Class(_))));
        assert!(matches!(
            at("Table(\"audit\"", 0),
            Some(HoverTarget::Table(_))
        ));
        // The ForeignKey inside the Table call is the innermost.
        assert!(matches!(
            at("ForeignKey(\"other", 0),
            Some(HoverTarget::ForeignKey(_))
        ));
        assert_eq!(at("__tablename__ = \"parent\"", 0), None);
        // An inline `__table__ = Table(...)` shows its table.
        let tag = at("Table(\"tag\"", 0);
        assert!(matches!(tag, Some(HoverTarget::Table(_))), "{tag:?}");
        assert!(matches!(
            at("ForeignKey(\"child", 0),
            Some(HoverTarget::ForeignKey(_))
        ));
    }
}
