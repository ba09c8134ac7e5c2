//! What extraction says of a file whose syntax errors hide definitions.

use super::extract;

const HEADER: &str = "\
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()
metadata = MetaData()
";

fn class_names(facts: &super::FileFacts) -> Vec<&str> {
    facts.classes.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn an_open_bracket_hides_the_classes_after_it() {
    let source = format!(
        "{HEADER}
class Parent(Base):
    __tablename__ = \"parent\"
    id = Column(Integer, primary_key=True)


class Child(Base):
    __tablename__ = \"child\"
    note = Column(String(40), nul
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey(\"parent.id\"))


class Toy(Base):
    __tablename__ = \"toy\"
    id = Column(Integer, primary_key=True)
"
    );
    let facts = extract("models.py", &source);
    assert!(facts.has_syntax_errors);
    assert!(facts.hides_definitions);
    assert!(!facts.hides_imports, "no import after the bracket");
    assert_eq!(class_names(&facts), ["Parent", "Child"]);
    let (parent, child) = (&facts.classes[0], &facts.classes[1]);
    assert!(!parent.dynamic, "Parent parsed whole");
    assert!(
        child.dynamic,
        "Child's members after the bracket are unread"
    );
}

/// An import the error swallows too: what the hidden definitions name
/// may come from any module.
#[test]
fn an_import_inside_the_error_is_hidden_with_the_definitions() {
    for (opened, import) in [
        (
            "metadata_args = dict(schema=[1,",
            "from shop.extra import Extra",
        ),
        ("    note = Column(String(40), nul", "import shop.extra"),
        (
            "    note = Column(String(40), \"nul",
            "    from shop.extra import Extra",
        ),
    ] {
        let header = if opened.starts_with(' ') {
            "class Child(Base):\n    __tablename__ = \"child\"\n"
        } else {
            ""
        };
        let source = format!(
            "{HEADER}\n{header}{opened}\n{import}\n\n\nclass Toy(Extra):\n    __tablename__ = \"toy\"\n    id = Column(Integer, primary_key=True)\n"
        );
        let facts = extract("models.py", &source);
        assert!(facts.hides_definitions, "{source}");
        assert!(facts.hides_imports, "{source}");
    }
}

#[test]
fn a_table_call_left_open_hides_a_definition() {
    let source = format!(
        "{HEADER}
users = Table(
    \"users\",
    metadata,
    Column(\"id\", Integer, primary_key=True
"
    );
    let facts = extract("tables.py", &source);
    assert!(facts.has_syntax_errors);
    assert!(facts.hides_definitions);
}

/// The string being typed swallows the call's closing bracket; the call
/// ends with its line, and each statement is read.
#[test]
fn an_error_inside_one_statement_hides_nothing() {
    let source = format!(
        "{HEADER}
class Parent(Base):
    __tablename__ = \"parent\"
    id = Column(Integer, primary_key=True)
    children = relationship(\"Child\", cascade=\"all, del)
    name = Column(String(40),, nullable=False)


class Child(Base):
    __tablename__ = \"child\"
    id = Column(Integer, primary_key=True)
"
    );
    let facts = extract("models.py", &source);
    assert!(facts.has_syntax_errors);
    assert!(!facts.hides_definitions);
    assert_eq!(class_names(&facts), ["Parent", "Child"]);
    let parent = &facts.classes[0];
    assert!(!parent.dynamic);
    assert_eq!(parent.relationships.len(), 1);
    assert_eq!(parent.columns.len(), 2);
}

#[test]
fn a_file_without_errors_hides_nothing() {
    let source = format!(
        "{HEADER}
class Parent(Base):
    __tablename__ = \"parent\"
    id = Column(Integer, primary_key=True)
"
    );
    let facts = extract("models.py", &source);
    assert!(!facts.has_syntax_errors);
    assert!(!facts.hides_definitions);
    assert!(!facts.classes[0].dynamic);
}
