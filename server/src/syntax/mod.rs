//! Parsing with tree-sitter-python and the compiled `.scm` queries.
//!
//! Queries live in `queries/python/` and are embedded at build time, compiled
//! once per process, and looked up by capture name once.

pub mod expr;

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{Language, Parser, Query, Tree};

pub fn language() -> Language {
    tree_sitter_python::LANGUAGE.into()
}

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new(new_parser());
}

fn new_parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&language())
        .expect("tree-sitter-python matches the tree-sitter ABI");
    parser
}

/// Parses Python source. Tree-sitter always yields a tree, with ERROR nodes
/// where the text does not parse, so a half-typed file still has facts.
pub fn parse(text: &str) -> Tree {
    PARSER.with(|parser| {
        parser
            .borrow_mut()
            .parse(text, None)
            .expect("parsing without a timeout or cancellation flag always returns a tree")
    })
}

/// Re-parses after an edit, reusing the old tree (the server's path).
pub fn reparse(text: &str, old: &Tree) -> Tree {
    PARSER.with(|parser| {
        parser
            .borrow_mut()
            .parse(text, Some(old))
            .expect("parsing without a timeout or cancellation flag always returns a tree")
    })
}

/// One `.scm` file: its name, its source and the compiled query.
pub struct NamedQuery {
    pub name: &'static str,
    pub query: Query,
}

impl NamedQuery {
    fn compile(name: &'static str, source: &'static str) -> Self {
        let query = Query::new(&language(), source)
            .unwrap_or_else(|error| panic!("query {name} does not compile: {error}"));
        Self { name, query }
    }

    /// Index of a capture; every name asked for is in the query (checked by a test).
    pub fn capture(&self, name: &str) -> u32 {
        self.query
            .capture_index_for_name(name)
            .unwrap_or_else(|| panic!("query {} has no capture @{name}", self.name))
    }
}

pub struct Queries {
    pub imports: NamedQuery,
    pub definitions: NamedQuery,
    pub class_body: NamedQuery,
    pub calls: NamedQuery,
}

pub const QUERY_SOURCES: &[(&str, &str)] = &[
    (
        "imports.scm",
        include_str!("../../../queries/python/imports.scm"),
    ),
    (
        "definitions.scm",
        include_str!("../../../queries/python/definitions.scm"),
    ),
    (
        "class_body.scm",
        include_str!("../../../queries/python/class_body.scm"),
    ),
    (
        "calls.scm",
        include_str!("../../../queries/python/calls.scm"),
    ),
];

pub fn queries() -> &'static Queries {
    static QUERIES: OnceLock<Queries> = OnceLock::new();
    QUERIES.get_or_init(|| {
        let source = |name: &str| {
            QUERY_SOURCES
                .iter()
                .find(|(file, _)| *file == name)
                .map(|(_, source)| *source)
                .expect("every query file is listed")
        };
        Queries {
            imports: NamedQuery::compile("imports.scm", source("imports.scm")),
            definitions: NamedQuery::compile("definitions.scm", source("definitions.scm")),
            class_body: NamedQuery::compile("class_body.scm", source("class_body.scm")),
            calls: NamedQuery::compile("calls.scm", source("calls.scm")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_compiles() {
        for (name, source) in QUERY_SOURCES {
            if let Err(error) = Query::new(&language(), source) {
                panic!("{name}: {error}");
            }
        }
        // Forces the lazily built set too, with its capture look-ups.
        let _ = queries();
    }

    #[test]
    fn every_query_file_on_disk_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../queries/python");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".scm") {
                assert!(
                    QUERY_SOURCES.iter().any(|(file, _)| *file == name),
                    "{name} is not embedded in QUERY_SOURCES"
                );
            }
        }
    }
}
