use std::sync::Arc;

use super::{move_file, patched};
use crate::facts::{self, FileFacts};
use crate::graph::entities::CHUNK;
use crate::graph::{link, Entities, Graph, LinkOptions};
use crate::syntax;
use crate::text::TextChange;

const MODELS: &str = r#"from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import backref, declarative_base, relationship

Base = declarative_base()


class Parent(Base):
    __tablename__ = "parent"
    id = Column(Integer, primary_key=True)
    children = relationship(
        "Child", back_populates="parent", cascade="all", passive_deletes=True
    )


class Child(Base):
    __tablename__ = "child"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parent.id", ondelete="CASCADE"))
    parent = relationship("Parent", back_populates="children")


class Note(Base):
    __tablename__ = "note"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parent.id"))
    parent = relationship("Parent", backref=backref("notes", cascade="all"))
"#;

fn facts_of(text: &str) -> Arc<FileFacts> {
    Arc::new(facts::extract_from_tree(
        "models.py",
        text,
        &syntax::parse(text),
    ))
}

/// The graph linked from `MODELS`, and the one patched after replacing
/// the first `from` in it with `to`, if it could be patched.
fn patch(from: &str, to: &str) -> (Graph, Option<Graph>, String) {
    let old = facts_of(MODELS);
    let graph = link(vec![old.clone()], &LinkOptions::default());
    let new_text = MODELS.replacen(from, to, 1);
    assert_ne!(new_text, MODELS, "{from:?} is in the models");
    let new = facts_of(&new_text);
    let result = patched(0, &old, &new, (MODELS, &new_text), || Some(graph.clone()));
    (graph, result.map(|(graph, _)| graph), new_text)
}

/// The patched graph is the one linked from the new text.
fn assert_equals_linking(patched: &Graph, new_text: &str) {
    let linked = link(vec![facts_of(new_text)], &LinkOptions::default());
    let texts = [new_text];
    assert_eq!(
        crate::graph::json::to_json(patched, &texts),
        crate::graph::json::to_json(&linked, &texts)
    );
}

fn relationship<'g>(graph: &'g Graph, label: &str) -> &'g crate::graph::Relationship {
    let id = (0..graph.relationships.len())
        .find(|&id| graph.relationship_label(id) == label)
        .unwrap_or_else(|| panic!("{label} is linked"));
    &graph.relationships[id]
}

#[test]
fn a_cascade_value_is_patched_and_its_set_derived_again() {
    let (old, patched, new_text) = patch(r#"cascade="all""#, r#"cascade="save-update""#);
    let patched = patched.expect("a cascade value is patched");
    assert!(relationship(&old, "Parent.children").cascade.delete);
    let children = relationship(&patched, "Parent.children");
    assert!(!children.cascade.delete && children.cascade.save_update);
    // Positions after the edit moved with it.
    let note = relationship(&patched, "Note.parent");
    let at = note.location.range.start();
    assert_eq!(&new_text[at..at + "relationship".len()], "relationship");
    // The rest is what linking again gives.
    assert_equals_linking(&patched, &new_text);
}

#[test]
fn a_backref_option_is_derived_again_on_the_relationship_it_creates() {
    let (old, patched, new_text) = patch(
        r#"backref("notes", cascade="all")"#,
        r#"backref("notes", cascade="all, delete-orphan")"#,
    );
    let patched = patched.expect("a backref's cascade value is patched");
    assert!(!relationship(&old, "Parent.notes").cascade.delete_orphan);
    let notes = relationship(&patched, "Parent.notes");
    assert!(notes.cascade.delete_orphan);
    assert_eq!(
        notes
            .facts
            .string_option("cascade")
            .and_then(|s| s.known().copied()),
        Some("all, delete-orphan")
    );
    assert_equals_linking(&patched, &new_text);
}

#[test]
fn a_foreign_key_action_is_patched() {
    let (_, patched, _) = patch(r#"ondelete="CASCADE""#, r#"ondelete="SET NULL""#);
    let patched = patched.expect("an ondelete value is patched");
    let actions: Vec<Option<&str>> = patched
        .foreign_keys
        .iter()
        .map(|key| key.ondelete().and_then(|s| s.known().map(String::as_str)))
        .collect();
    assert!(actions.contains(&Some("SET NULL")), "{actions:?}");
}

#[test]
fn options_the_linker_reads_are_linked_again() {
    for (from, to) in [
        (r#"back_populates="parent""#, r#"back_populates="owner""#),
        (r#"ForeignKey("parent.id", "#, r#"ForeignKey("child.id", "#),
        (r#"backref("notes""#, r#"backref("remarks""#),
        (
            "primary_key=True)\n    parent_id",
            "primary_key=False)\n    parent_id",
        ),
    ] {
        assert!(patch(from, to).1.is_none(), "{from:?} -> {to:?}");
    }
}

#[test]
fn an_edit_that_breaks_the_syntax_is_patched_when_the_linker_reads_the_same() {
    // The string left open: error recovery keeps every other fact.
    let (_, patched, new_text) = patch(r#"cascade="all""#, r#"cascade="all"#);
    let patched = patched.expect("an open string inside an option is patched");
    assert_equals_linking(&patched, &new_text);
    // A call opened that swallows the rest of the relationship call, and
    // the classes after it.
    assert!(patch(r#"passive_deletes=True"#, r#"passive_deletes=True("#)
        .1
        .is_none());
}

#[test]
fn a_moved_file_takes_its_moved_facts_and_positions() {
    let old = facts_of(MODELS);
    let mut graph = link(vec![old.clone()], &LinkOptions::default());
    // A comment line above Child moves everything below it.
    let new_text = MODELS.replacen("class Child", "# rows kept\nclass Child", 1);
    let new = facts_of(&new_text);
    let change = TextChange::between(MODELS, &new_text);
    assert!(move_file(&mut graph, 0, &new, |range| change.span(range)));
    assert!(Arc::ptr_eq(&graph.files[0], &new));
    assert_equals_linking(&graph, &new_text);
    let parent = relationship(&graph, "Child.parent");
    assert!(Arc::ptr_eq(&parent.facts, &new.classes[1].relationships[0]));
    assert_eq!(
        &new_text[parent.location.range.start()..parent.location.range.end()],
        "relationship"
    );
}

#[test]
fn facts_that_do_not_pair_up_are_not_moved() {
    let old = facts_of(MODELS);
    let mut graph = link(vec![old.clone()], &LinkOptions::default());
    let new_text = MODELS.replacen(
        "    parent = relationship(\"Parent\", back_populates=\"children\")\n",
        "",
        1,
    );
    let new = facts_of(&new_text);
    let change = TextChange::between(MODELS, &new_text);
    assert!(!move_file(&mut graph, 0, &new, |range| change.span(range)));
}

#[test]
fn a_patch_copies_only_the_chunks_holding_the_edited_files_entities() {
    // More classes than two chunks hold, in a second file.
    let mut other = String::from(
        "from sqlalchemy import Column, ForeignKey, Integer\nfrom sqlalchemy.orm import relationship\n\nfrom models import Base\n",
    );
    for n in 0..CHUNK * 2 + 10 {
        other.push_str(&format!(
            "\n\nclass Tag{n}(Base):\n    __tablename__ = \"tag_{n}\"\n    id = Column(Integer, primary_key=True)\n    parent_id = Column(Integer, ForeignKey(\"parent.id\"))\n    parent = relationship(\"Parent\")\n"
        ));
    }
    let old = facts_of(MODELS);
    let other = Arc::new(facts::extract_from_tree(
        "tags.py",
        &other,
        &syntax::parse(&other),
    ));
    let graph = link(vec![old.clone(), other], &LinkOptions::default());
    let new_text = MODELS.replacen(r#"cascade="all""#, r#"cascade="merge""#, 1);
    let new = facts_of(&new_text);
    let (patched, _) = patched(0, &old, &new, (MODELS, &new_text), || Some(graph.clone()))
        .expect("a cascade value is patched");
    /// Per entity: whether the patched list shares it, and whether its
    /// chunk holds none of the edited file's entities.
    fn sharing<T>(
        old: &Entities<T>,
        patched: &Entities<T>,
        file_of: impl Fn(&T) -> usize,
    ) -> (Vec<bool>, Vec<bool>) {
        let in_edited: Vec<bool> = old.iter().map(|e| file_of(e) == 0).collect();
        let untouched = (0..old.len())
            .map(|i| {
                let chunk = i / CHUNK * CHUNK;
                !in_edited[chunk..(chunk + CHUNK).min(old.len())].contains(&true)
            })
            .collect();
        let shared = (0..old.len()).map(|i| patched.shares(old, i)).collect();
        (shared, untouched)
    }
    let (shared, untouched) = sharing(&graph.classes, &patched.classes, |c| c.location.file);
    assert!(untouched.contains(&true) && untouched.contains(&false));
    assert_eq!(shared, untouched);
    let (shared, untouched) = sharing(&graph.relationships, &patched.relationships, |r| {
        r.location.file
    });
    assert!(untouched.contains(&true) && untouched.contains(&false));
    assert_eq!(shared, untouched);
}

/// Types `typed` into `MODELS` at the end of the call that `before` ends,
/// one character at a time, patching (or else linking) each state from the
/// previous one; whether each state was patched.
fn type_into_models(before: &str, typed: &str) -> Vec<bool> {
    let at = MODELS.find(before).expect("the call is in the models") + before.len();
    let mut text = MODELS.to_string();
    let mut facts = facts_of(&text);
    let mut graph = link(vec![facts.clone()], &LinkOptions::default());
    let mut patched_states = Vec::new();
    for (offset, ch) in typed.char_indices() {
        let mut new_text = text.clone();
        new_text.insert(at + offset, ch);
        let new = facts_of(&new_text);
        let result = patched(0, &facts, &new, (&text, &new_text), || Some(graph.clone()))
            .map(|(graph, _)| graph);
        patched_states.push(result.is_some());
        graph = match result {
            Some(patched) => {
                assert_equals_linking(&patched, &new_text);
                patched
            }
            None => link(vec![new.clone()], &LinkOptions::default()),
        };
        (text, facts) = (new_text, new);
    }
    patched_states
}

#[test]
fn typing_an_option_the_linker_does_not_read_is_patched() {
    let typed = r#", cascade="all, delete-orphan""#;
    let states = type_into_models(r#"back_populates="children""#, typed);
    // The comma ends the value before it, whose position must not move
    // (see `TextChange::leaf`); every other state is patched, the half
    // typed name, the open string and its syntax errors included.
    let linked: Vec<&str> = states
        .iter()
        .zip(1..)
        .filter(|(patched, _)| !**patched)
        .map(|(_, typed_length)| &typed[..typed_length])
        .collect();
    assert_eq!(linked, [","]);
}

#[test]
fn typing_an_option_the_linker_reads_is_linked_once_it_is_written() {
    let typed = ", viewonly=True";
    let states = type_into_models(r#"back_populates="children""#, typed);
    let patched: Vec<&str> = states
        .iter()
        .zip(1..)
        .filter(|(patched, _)| **patched)
        .map(|(_, typed_length)| &typed[..typed_length])
        .collect();
    assert!(!patched.contains(&typed), "{patched:?}");
    assert!(patched.contains(&", view"), "{patched:?}");
}

#[test]
fn typing_a_foreign_key_action_is_patched() {
    // Typed before the key's other option: the comma slides after the
    // comma already there, clear of the target.
    let typed = r#", ondelete="SET NULL""#;
    let states = type_into_models(r#"ForeignKey("parent.id""#, typed);
    assert_eq!(linked_states(&states, typed), Vec::<&str>::new());
}

#[test]
fn typing_a_column_option_is_patched_but_where_nullable_appears() {
    let typed = ", nullable=False";
    let states = type_into_models(
        r#"parent_id = Column(Integer, ForeignKey("parent.id", ondelete="CASCADE")"#,
        typed,
    );
    // Once `nullable=` has a value, the column's nullability no longer
    // follows from its primary key and annotation: linked where it does.
    assert_eq!(linked_states(&states, typed), [", nullable=F"]);
}

/// The states of `typed` that were linked again.
fn linked_states<'t>(states: &[bool], typed: &'t str) -> Vec<&'t str> {
    states
        .iter()
        .zip(1..)
        .filter(|(patched, _)| !**patched)
        .map(|(_, typed_length)| &typed[..typed_length])
        .collect()
}

/// What a patched edit tells the rules: the options it changed, and where
/// their calls are in the old text.
fn option_edit(from: &str, to: &str) -> Option<(Option<Vec<String>>, Vec<&'static str>)> {
    let old = facts_of(MODELS);
    let graph = link(vec![old.clone()], &LinkOptions::default());
    let new_text = MODELS.replacen(from, to, 1);
    let new = facts_of(&new_text);
    let (_, edit) = patched(0, &old, &new, (MODELS, &new_text), || Some(graph.clone()))?;
    let calls = edit
        .calls
        .iter()
        .map(|range| &MODELS[range.start()..range.end()])
        .collect();
    Some((edit.names, calls))
}

#[test]
fn a_patch_names_the_options_it_changed_and_their_calls() {
    let children = "relationship(\n        \"Child\", back_populates=\"parent\", cascade=\"all\", passive_deletes=True\n    )";
    assert_eq!(
        option_edit(
            r#"cascade="all", passive"#,
            r#"cascade="all, delete-orphan", passive"#
        ),
        Some((Some(vec!["cascade".to_string()]), vec![children]))
    );
    // Typing a keyword: its half-typed name is another positional argument.
    assert_eq!(
        option_edit("passive_deletes=True\n", "passive_deletes=True, post\n"),
        Some((Some(vec![super::POSITIONAL.to_string()]), vec![children]))
    );
    assert_eq!(
        option_edit(
            "passive_deletes=True\n",
            "passive_deletes=True, post_update=True\n"
        ),
        Some((Some(vec!["post_update".to_string()]), vec![children]))
    );
    // An option of a backref's call (the `backref=` value changes with
    // it), and one of a key's.
    assert_eq!(
        option_edit(
            r#"backref("notes", cascade="all")"#,
            r#"backref("notes", cascade="none")"#
        ),
        Some((
            Some(vec!["backref".to_string(), "cascade".to_string()]),
            vec![r#"relationship("Parent", backref=backref("notes", cascade="all"))"#]
        ))
    );
    assert_eq!(
        option_edit(r#"ondelete="CASCADE""#, r#"ondelete="SET NULL""#),
        Some((
            Some(vec!["ondelete".to_string()]),
            vec![
                r#"Column(Integer, ForeignKey("parent.id", ondelete="CASCADE"))"#,
                r#"ForeignKey("parent.id", ondelete="CASCADE")"#
            ]
        ))
    );
}
