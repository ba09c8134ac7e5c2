//! Parsing with tree-sitter-python and the compiled `.scm` queries.
//!
//! Queries live in `queries/python/` and are embedded at build time, compiled
//! once per process into one query, and looked up by capture name once.

pub mod expr;

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{InputEdit, Language, Parser, Point, Query, Tree};

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

/// Replaces `start..end` of `text` with `inserted` as an editor would: the
/// new text, the old tree edited to match it (`Tree::edit`), and its
/// incremental re-parse. For tests and fuzzing; the server edits ropes.
pub fn edit(
    text: &str,
    tree: &Tree,
    (start, end, inserted): (usize, usize, &str),
) -> (String, Tree, Tree) {
    let new_text = format!("{}{inserted}{}", &text[..start], &text[end..]);
    let new_end = start + inserted.len();
    let mut old_tree = tree.clone();
    old_tree.edit(&InputEdit {
        start_byte: start,
        old_end_byte: end,
        new_end_byte: new_end,
        start_position: point(text, start),
        old_end_position: point(text, end),
        new_end_position: point(&new_text, new_end),
    });
    let new_tree = reparse(&new_text, &old_tree);
    (new_text, old_tree, new_tree)
}

/// A tree-sitter point: rows end at `\n` only, columns count bytes.
fn point(text: &str, offset: usize) -> Point {
    let before = &text.as_bytes()[..offset];
    let row = before.iter().filter(|&&b| b == b'\n').count();
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
    Point { row, column }
}

/// The `.scm` files, in the order their patterns are numbered in [`ModelQuery`].
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

/// Every `.scm` file compiled into one query, so that extraction walks the
/// tree once: a query cursor's cost is mostly the walk itself, and four
/// separate passes cost about twice as much as parsing the file.
///
/// Capture names are unique across the files (checked when compiling), so a
/// capture says which file's pattern matched.
pub struct ModelQuery {
    pub query: Query,
    pub captures: Captures,
    /// The file each pattern comes from, by pattern index.
    pattern_files: Vec<QueryFile>,
}

/// The `.scm` file a pattern of [`ModelQuery`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryFile {
    Imports,
    Definitions,
    ClassBody,
    Calls,
}

impl QueryFile {
    fn named(name: &str) -> Self {
        match name {
            "imports.scm" => Self::Imports,
            "definitions.scm" => Self::Definitions,
            "class_body.scm" => Self::ClassBody,
            "calls.scm" => Self::Calls,
            other => panic!("no extractor reads the query file {other}"),
        }
    }
}

/// The index of every capture the extractor reads, looked up once.
pub struct Captures {
    // imports.scm
    pub import: u32,
    pub import_from: u32,
    // definitions.scm
    pub class: u32,
    pub decorated: u32,
    pub target: u32,
    pub value: u32,
    pub attribute_target: u32,
    pub attribute_value: u32,
    // class_body.scm
    pub body: u32,
    pub member: u32,
    pub member_name: u32,
    pub member_annotation: u32,
    pub member_value: u32,
    pub method: u32,
    pub method_decorator: u32,
    pub method_name: u32,
    pub method_body: u32,
    pub method_return_type: u32,
    pub plain_method: u32,
    pub plain_method_name: u32,
    // calls.scm
    pub call: u32,
    pub callee: u32,
    pub pragma: u32,
}

impl ModelQuery {
    fn compile() -> Self {
        let mut source = String::new();
        // Where each file's text ends in the combined source.
        let mut file_ends = Vec::new();
        for (name, text) in QUERY_SOURCES {
            // Each file compiles on its own first, so that an error names it.
            if let Err(error) = Query::new(&language(), text) {
                panic!("query {name} does not compile: {error}");
            }
            source.push_str(text);
            source.push('\n');
            file_ends.push((source.len(), QueryFile::named(name)));
        }
        let query = Query::new(&language(), &source)
            .unwrap_or_else(|error| panic!("the combined queries do not compile: {error}"));
        let mut seen = std::collections::HashSet::new();
        for name in query.capture_names() {
            assert!(seen.insert(*name), "capture @{name} is defined twice");
        }
        let capture = |name: &str| {
            query
                .capture_index_for_name(name)
                .unwrap_or_else(|| panic!("no query has a capture @{name}"))
        };
        let captures = Captures {
            import: capture("import"),
            import_from: capture("import_from"),
            class: capture("class"),
            decorated: capture("decorated"),
            target: capture("target"),
            value: capture("value"),
            attribute_target: capture("attribute_target"),
            attribute_value: capture("attribute_value"),
            body: capture("body"),
            member: capture("member"),
            member_name: capture("member_name"),
            member_annotation: capture("member_annotation"),
            member_value: capture("member_value"),
            method: capture("method"),
            method_decorator: capture("method_decorator"),
            method_name: capture("method_name"),
            method_body: capture("method_body"),
            method_return_type: capture("method_return_type"),
            plain_method: capture("plain_method"),
            plain_method_name: capture("plain_method_name"),
            call: capture("call"),
            callee: capture("callee"),
            pragma: capture("pragma"),
        };
        let pattern_files = (0..query.pattern_count())
            .map(|pattern| {
                let start = query.start_byte_for_pattern(pattern);
                file_ends
                    .iter()
                    .find(|(end, _)| start < *end)
                    .map(|(_, file)| *file)
                    .expect("every pattern starts inside one of the files")
            })
            .collect();
        Self {
            query,
            captures,
            pattern_files,
        }
    }

    /// The file the pattern of a match comes from.
    pub fn file_of_pattern(&self, pattern: usize) -> QueryFile {
        self.pattern_files[pattern]
    }
}

pub fn model_query() -> &'static ModelQuery {
    static QUERY: OnceLock<ModelQuery> = OnceLock::new();
    QUERY.get_or_init(ModelQuery::compile)
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
        // Forces the combined query too, with its capture look-ups.
        let _ = model_query();
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
