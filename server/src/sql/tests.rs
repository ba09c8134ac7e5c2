//! Renderer tests: small inline workspaces with the SQL spelled out, and
//! snapshots of every hover of the `tests/fixtures/sql/*` workspaces
//! (`hovers.md`, `ddl.sql`; `UPDATE_SNAPSHOTS=1 cargo test` rewrites them).
//! The oracle (`tests/oracle/test_hover_sql.py`) checks the same workspaces
//! against SQLAlchemy itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pretty_assertions::assert_eq;

use super::*;
use crate::config::Dialect;
use crate::facts;
use crate::graph::{self, Graph, LinkOptions};

fn link(files: &[(&str, &str)]) -> Graph {
    let facts: Vec<Arc<facts::FileFacts>> = files
        .iter()
        .map(|(path, text)| Arc::new(facts::extract(path, text)))
        .collect();
    graph::link(facts, &LinkOptions::default())
}

fn table(graph: &Graph, name: &str) -> TableId {
    graph.tables.iter().position(|t| t.name == name).unwrap()
}

fn relationship(graph: &Graph, label: &str) -> RelationshipId {
    (0..graph.relationships.len())
        .find(|&r| graph.relationship_label(r) == label)
        .unwrap()
}

fn sql(statements: &[Statement]) -> Vec<String> {
    statements
        .iter()
        .map(|s| s.sql.replace(" \n", " "))
        .collect()
}

const AUTHOR_BOOK: &str = r#"
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

class Author(Base):
    __tablename__ = "author"
    id = Column(Integer, primary_key=True)
    name = Column(String(50))
    books = relationship("Book", back_populates="author")

class Book(Base):
    __tablename__ = "book"
    id = Column(Integer, primary_key=True)
    title = Column(String(50), nullable=False)
    author_id = Column(Integer, ForeignKey("author.id", ondelete="CASCADE"))
    author = relationship(Author, back_populates="books")
"#;

#[test]
fn create_table_per_dialect() {
    let graph = link(&[("models.py", AUTHOR_BOOK)]);
    let book = table(&graph, "book");
    let create = |dialect| create_table(&graph, book, dialect)[0].sql.clone();
    assert_eq!(
        create(Dialect::Postgresql),
        "CREATE TABLE book (
    id SERIAL NOT NULL,
    title VARCHAR(50) NOT NULL,
    author_id INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY(author_id) REFERENCES author (id) ON DELETE CASCADE
)"
    );
    assert_eq!(
        create(Dialect::Sqlite),
        "CREATE TABLE book (
    id INTEGER NOT NULL,
    title VARCHAR(50) NOT NULL,
    author_id INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY(author_id) REFERENCES author (id) ON DELETE CASCADE
)"
    );
    assert_eq!(
        create(Dialect::Mysql),
        "CREATE TABLE book (
    id INTEGER NOT NULL AUTO_INCREMENT,
    title VARCHAR(50) NOT NULL,
    author_id INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY(author_id) REFERENCES author (id) ON DELETE CASCADE
)"
    );
    assert!(create_table(&graph, book, Dialect::Postgresql)
        .iter()
        .all(Statement::is_exact));
}

#[test]
fn delete_parent_default_cascade_nulls_the_children() {
    let graph = link(&[("models.py", AUTHOR_BOOK)]);
    let books = relationship(&graph, "Author.books");
    assert_eq!(
        sql(&delete_parent_sequence(&graph, books, Dialect::Postgresql)),
        [
            "SELECT book.id, book.title, book.author_id FROM book WHERE %(param_1)s::INTEGER = book.author_id",
            "UPDATE book SET author_id=%(author_id)s::INTEGER WHERE book.id = %(book_id)s::INTEGER",
            "DELETE FROM author WHERE author.id = %(id)s::INTEGER",
        ]
    );
    assert_eq!(
        sql(&delete_parent_sequence(&graph, books, Dialect::Sqlite)),
        [
            "SELECT book.id, book.title, book.author_id FROM book WHERE ? = book.author_id",
            "UPDATE book SET author_id=? WHERE book.id = ?",
            "DELETE FROM author WHERE author.id = ?",
        ]
    );
    // The many-to-one side describes the same deletion, driven by its partner.
    let author = relationship(&graph, "Book.author");
    assert_eq!(
        delete_parent_sequence(&graph, author, Dialect::Postgresql),
        delete_parent_sequence(&graph, books, Dialect::Postgresql)
    );
}

#[test]
fn delete_parent_with_cascade_and_passive_deletes() {
    let source = AUTHOR_BOOK.replace(
        r#"books = relationship("Book", back_populates="author")"#,
        r#"books = relationship("Book", back_populates="author", cascade="all, delete-orphan", passive_deletes=True)"#,
    );
    let graph = link(&[("models.py", &source)]);
    let statements = delete_parent_sequence(
        &graph,
        relationship(&graph, "Author.books"),
        Dialect::Postgresql,
    );
    assert_eq!(
        sql(&statements),
        ["DELETE FROM author WHERE author.id = %(id)s::INTEGER"]
    );
    assert_eq!(
        statements[0].note.as_deref(),
        Some("PostgreSQL deletes the `book` rows that still reference it (ON DELETE CASCADE); children in a collection already loaded in the session are deleted by the ORM first")
    );
}

#[test]
fn unknown_types_are_reported_not_guessed() {
    let graph = link(&[(
        "models.py",
        r#"
from sqlalchemy import Column, Integer
from sqlalchemy.orm import declarative_base
from app.types import Money

Base = declarative_base()

class Price(Base):
    __tablename__ = "price"
    id = Column(Integer, primary_key=True)
    amount = Column(Money(12))
"#,
    )]);
    let statements = create_table(&graph, table(&graph, "price"), Dialect::Postgresql);
    assert!(statements[0].sql.contains("amount <unknown type>"));
    assert_eq!(
        statements[0].unknown,
        ["the type of `amount` is not known: `Money` is a type the renderer does not know"]
    );
}

#[test]
fn mysql_refuses_varchar_without_length() {
    let graph = link(&[(
        "models.py",
        r#"
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

class Base(DeclarativeBase):
    pass

class Note(Base):
    __tablename__ = "note"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str]
"#,
    )]);
    let statements = create_table(&graph, table(&graph, "note"), Dialect::Mysql);
    assert_eq!(
        statements[0].error.as_deref(),
        Some("CompileError: (in table 'note', column 'body'): VARCHAR requires a length on dialect mysql")
    );
}

/// A key's keywords the clause does not write make it "not exact" where
/// they apply (a comment on PostgreSQL, which comments on the constraint;
/// an option of the dialect), and change nothing where SQLAlchemy ignores
/// them (another dialect's option, a comment where constraints have none).
#[test]
fn foreign_key_keywords_not_rendered_are_said() {
    let graph = link(&[(
        "models.py",
        r#"
from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import declarative_base

Base = declarative_base()

class Shelf(Base):
    __tablename__ = "shelf"
    id = Column(Integer, primary_key=True)

class Crate(Base):
    __tablename__ = "crate"
    id = Column(Integer, primary_key=True)
    shelf_id = Column(Integer, ForeignKey("shelf.id", comment="where it is", sqlite_on_conflict="ABORT", info={}))
    other_id = Column(Integer, ForeignKey("shelf.id", mysql_x=1))
"#,
    )]);
    let crate_table = table(&graph, "crate");
    let unknown = |dialect| {
        create_table(&graph, crate_table, dialect)[0]
            .unknown
            .clone()
    };
    // Another dialect's option is ignored; one SQLAlchemy refuses
    // (`mysql_x`: the model does not load) is not rendered anywhere.
    assert_eq!(
        unknown(Dialect::Postgresql),
        [
            "its `comment=` is not rendered",
            "its `mysql_x=` is not rendered"
        ]
    );
    assert_eq!(
        unknown(Dialect::Sqlite),
        [
            "its `sqlite_on_conflict=` is not rendered",
            "its `mysql_x=` is not rendered"
        ]
    );
    assert_eq!(unknown(Dialect::Mysql), ["its `mysql_x=` is not rendered"]);
}

// --------------------------------------------------------------------------
// snapshots of the hover workspaces

fn sql_fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sql");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn load(dir: &Path) -> Graph {
    let config = crate::config::Config::default_at(dir);
    let (candidates, errors) = crate::workspace::discover(&[dir.to_path_buf()], &config);
    assert!(errors.is_empty(), "{errors:?}");
    let loaded = crate::workspace::load(&candidates);
    let facts = loaded.files.iter().map(|f| f.facts.clone()).collect();
    graph::link(facts, &LinkOptions::default())
}

/// Every hover of the workspace, in PostgreSQL.
fn hovers(graph: &Graph) -> String {
    let dialect = Dialect::Postgresql;
    let mut out = String::new();
    for (id, class) in graph.classes.iter().enumerate() {
        out.push_str(&format!("## class {}\n\n", class.name));
        out.push_str(&hover_markdown(graph, HoverTarget::Class(id), dialect));
        out.push('\n');
    }
    for id in 0..graph.tables.len() {
        if graph.tables[id].class.is_none() {
            out.push_str(&format!("## table {}\n\n", graph.tables[id].full_name()));
            out.push_str(&hover_markdown(graph, HoverTarget::Table(id), dialect));
            out.push('\n');
        }
    }
    for (id, fk) in graph.foreign_keys.iter().enumerate() {
        out.push_str(&format!(
            "## foreign key {}({})\n\n",
            graph.tables[fk.table].full_name(),
            fk.columns.join(", ")
        ));
        out.push_str(&hover_markdown(graph, HoverTarget::ForeignKey(id), dialect));
        out.push('\n');
    }
    for id in 0..graph.relationships.len() {
        out.push_str(&format!(
            "## relationship {}\n\n",
            graph.relationship_label(id)
        ));
        out.push_str(&hover_markdown(
            graph,
            HoverTarget::Relationship(id),
            dialect,
        ));
        out.push('\n');
    }
    out
}

fn check_snapshot(path: &Path, actual: &str) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {} (UPDATE_SNAPSHOTS=1 cargo test writes it)",
            path.display()
        )
    });
    assert_eq!(expected, actual, "{}", path.display());
}

#[test]
fn hover_snapshots() {
    let dirs = sql_fixtures();
    assert!(dirs.len() >= 10, "hover workspaces are missing");
    for dir in dirs {
        let graph = load(&dir);
        check_snapshot(&dir.join("hovers.md"), &hovers(&graph));
        let mut ddl = String::new();
        for dialect in [Dialect::Postgresql, Dialect::Sqlite, Dialect::Mysql] {
            ddl.push_str(&format!("-- {}\n", dialect.name()));
            ddl.push_str(&json::to_sql_script(&graph, dialect));
        }
        check_snapshot(&dir.join("ddl.sql"), &ddl);
    }
}

#[test]
fn python_repr_writes_strings_as_python_does() {
    // Each expected value is what CPython 3.11 prints for `repr(text)`.
    for (text, expected) in [
        ("CASCADE;", "'CASCADE;'"),
        ("it's", r#""it's""#),
        (r#"a'b"c"#, r#"'a\'b"c'"#),
        (r"^\w+(?:\s+\w+)*$", r"'^\\w+(?:\\s+\\w+)*$'"),
        ("x\ny\tz\r", r"'x\ny\tz\r'"),
        ("\u{1}\u{7f}\u{85}", r"'\x01\x7f\x85'"),
        ("é€", "'é€'"),
    ] {
        assert_eq!(super::python_repr(text), expected, "{text:?}");
    }
}

#[test]
fn mysql_table_options_not_rendered_are_said() {
    let graph = link(&[(
        "models.py",
        r#"
from sqlalchemy import Column, Integer
from sqlalchemy.orm import declarative_base

Base = declarative_base()

class Shelf(Base):
    __tablename__ = "shelf"
    __table_args__ = {"mysql_engine": "InnoDB", "mysql_partition_by": "HASH(id)"}
    id = Column(Integer, primary_key=True)

class Crate(Base):
    __tablename__ = "crate"
    __table_args__ = {"mysql_auto_increment": 100}
    id = Column(Integer, primary_key=True)
"#,
    )]);
    let unknown = |name| {
        create_table(&graph, table(&graph, name), Dialect::Mysql)[0]
            .unknown
            .clone()
    };
    assert_eq!(
        unknown("shelf"),
        ["table option `mysql_partition_by` is not rendered"]
    );
    // SQLAlchemy joins the value as a string: an int raises TypeError.
    assert_eq!(
        unknown("crate"),
        ["table option `mysql_auto_increment` is not a literal string"]
    );
    // The other dialects ignore them.
    assert!(
        create_table(&graph, table(&graph, "shelf"), Dialect::Postgresql)[0]
            .unknown
            .is_empty()
    );
}
