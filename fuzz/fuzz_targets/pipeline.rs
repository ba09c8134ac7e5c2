//! The analysis pipeline on arbitrary files: extraction, linking, every
//! rule, the reports, the hovers at every offset, the `sql` and `graph`
//! outputs, and the fixes (each one alone, then `--fix` and
//! `--unsafe-fixes` rounds as the command line runs them), and extracting
//! a file again after an edit, incrementally and afresh.
//!
//! Input: one flags byte, then files separated by the byte 0xFF (never
//! part of UTF-8 text). A file's first line is its path (a name such as
//! `app/models.py`, or `pyproject.toml` for the configuration); an empty
//! or unusable path line gives the file a default name. At most 8 files.
//!
//! Flags: bits 0-1 the dialect (PostgreSQL, SQLite, MySQL), bits 2-4 the
//! `table-naming` setting, bit 5 renders the hovers and the SQL in every
//! dialect, bit 6 adds the SARIF and GitHub reports.
//!
//! Beyond panics, it checks what the front ends rely on: diagnostic and
//! edit ranges lie inside their file on character boundaries, hover targets
//! contain the offset they were found at, every fix applies, and a fix of a
//! file that parses keeps it parsing.

#![no_main]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ropey::Rope;
use sqla_analyzer::analysis;
use sqla_analyzer::config::{Config, Dialect};
use sqla_analyzer::diagnostic::{Applicability, Diagnostic, Edit};
use sqla_analyzer::facts::{self, FileFacts, NamingScheme};
use sqla_analyzer::fix;
use sqla_analyzer::graph::{self, Graph, LinkOptions};
use sqla_analyzer::lsp::encoding::{self, Encoding};
use sqla_analyzer::lsp::hover::target_at;
use sqla_analyzer::lsp::snapshot::FileMoves;
use sqla_analyzer::report::{self, Report, ReportFile};
use sqla_analyzer::sql::{self, HoverTarget};
use sqla_analyzer::suppress;
use sqla_analyzer::syntax;
use sqla_analyzer::text::{LineIndex, TextRange};
use sqla_analyzer::workspace;

const MAX_FILES: usize = 8;
const SEPARATOR: u8 = 0xFF;
/// Above this many offsets in a file, hovers are asked at every Nth.
const MAX_HOVER_OFFSETS: usize = 4096;
const DIALECTS: [Dialect; 3] = [Dialect::Postgresql, Dialect::Sqlite, Dialect::Mysql];
const ENCODINGS: [Encoding; 3] = [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32];

#[derive(Clone)]
struct File {
    path: String,
    text: Arc<str>,
    facts: Arc<FileFacts>,
}

fn usable_path(line: &str) -> bool {
    !line.is_empty()
        && line.len() <= 80
        && !line.starts_with('/')
        && line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-'))
        && (line.ends_with(".py") || line.ends_with(".pyi"))
}

/// The flags byte, the files as (path, text), and a pyproject.toml's text.
type Input = (u8, Vec<(String, String)>, Option<String>);

fn parse_input(data: &[u8]) -> Option<Input> {
    let (&flags, rest) = data.split_first()?;
    let mut files = Vec::new();
    let mut pyproject = None;
    for (index, part) in rest.split(|&b| b == SEPARATOR).enumerate() {
        if files.len() == MAX_FILES {
            break;
        }
        let text = String::from_utf8_lossy(part);
        let (first, body) = text.split_once('\n').unwrap_or((&text, ""));
        let first = first.trim_end_matches('\r');
        if first == "pyproject.toml" {
            pyproject = Some(body.to_string());
            continue;
        }
        let path = if usable_path(first) {
            first.to_string()
        } else {
            format!("pkg/m{index}.py")
        };
        if files.iter().any(|(p, _)| *p == path) {
            continue;
        }
        files.push((path, body.to_string()));
    }
    Some((flags, files, pyproject))
}

fn analyze(files: &[File], config: &Config, options: &LinkOptions) -> analysis::Analysis {
    let pairs: Vec<(Arc<FileFacts>, Arc<str>)> = files
        .iter()
        .map(|f| (f.facts.clone(), f.text.clone()))
        .collect();
    analysis::analyze(&pairs, options, config.dialect, |file, code| {
        config.enabled(code, Some(&files[file].path))
    })
}

fn check_range(texts: &[&str], file: usize, range: TextRange, what: &str) {
    assert!(file < texts.len(), "{what}: file {file} of {}", texts.len());
    let text = texts[file];
    assert!(
        range.start() <= range.end()
            && range.end() <= text.len()
            && text.is_char_boundary(range.start())
            && text.is_char_boundary(range.end()),
        "{what}: range {}..{} in a text of {} bytes",
        range.start(),
        range.end(),
        text.len()
    );
}

fn check_diagnostics(texts: &[&str], diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        check_range(texts, d.location.file, d.location.range, d.code);
        for related in &d.related {
            check_range(texts, related.location.file, related.location.range, d.code);
        }
        for fix in &d.fixes {
            for edit in &fix.edits {
                check_range(texts, edit.file, edit.range, &fix.title);
            }
        }
    }
}

/// Does the file parse without errors, also as Python reads it? Python
/// turns every `\r\n` and lone `\r` into `\n` before tokenizing, and ends
/// a single-quoted string at a line end, while tree-sitter takes both a
/// lone `\r` and a line end inside a string literal as part of it.
fn parses_cleanly(text: &str) -> bool {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let tree = syntax::parse(&normalized);
    if tree.root_node().has_error() {
        return false;
    }
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "string" {
            let literal = &normalized[node.byte_range()];
            let quotes = literal.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            let triple = quotes.starts_with("\"\"\"") || quotes.starts_with("\'\'\'");
            let bytes = literal.as_bytes();
            let bare_newline = bytes
                .iter()
                .enumerate()
                .any(|(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\\'));
            if !triple && bare_newline {
                return false;
            }
            continue;
        }
        for i in 0..node.child_count() {
            if let Some(child) = node.child(i) {
                stack.push(child);
            }
        }
    }
    true
}

/// LSP positions of a range, and back: what publishing a diagnostic or a
/// hover range does.
fn convert_range(rope: &Rope, text: &str, range: TextRange) {
    for encoding in ENCODINGS {
        let lsp_range = encoding::range(rope, range, encoding);
        let back = encoding::text_range(rope, lsp_range, encoding);
        // Every offset maps back to itself, except the middle of a \r\n,
        // which has no LSP position of its own.
        for (offset, returned) in [(range.start(), back.start()), (range.end(), back.end())] {
            let inside_crlf = offset > 0
                && text.as_bytes().get(offset - 1) == Some(&b'\r')
                && text.as_bytes().get(offset) == Some(&b'\n');
            assert!(
                offset == returned || inside_crlf,
                "offset {offset} came back as {returned} through {lsp_range:?} ({encoding:?})"
            );
        }
    }
}

fn hovers(graph: &Graph, files: &[File], dialects: &[Dialect]) {
    for (file, source) in files.iter().enumerate() {
        let text = &*source.text;
        let rope = Rope::from_str(text);
        let step = (text.len() / MAX_HOVER_OFFSETS).max(1);
        let mut seen = BTreeSet::new();
        let mut offset = 0;
        while offset <= text.len() {
            if text.is_char_boundary(offset) {
                if let Some((target, range)) =
                    target_at(graph, text, file, offset, FileMoves::default())
                {
                    assert!(
                        range.contains(offset) && range.end() <= text.len(),
                        "hover at {offset} found {target:?} at {}..{}",
                        range.start(),
                        range.end()
                    );
                    if seen.insert(format!("{target:?}")) {
                        convert_range(&rope, text, range);
                    }
                }
            }
            offset += step;
        }
    }
    // Every element, whatever the offsets reached.
    let targets = (0..graph.relationships.len())
        .map(HoverTarget::Relationship)
        .chain((0..graph.foreign_keys.len()).map(HoverTarget::ForeignKey))
        .chain((0..graph.classes.len()).map(HoverTarget::Class))
        .chain((0..graph.tables.len()).map(HoverTarget::Table));
    for target in targets {
        for &dialect in dialects {
            let markdown = sql::hover_markdown(graph, target, dialect);
            std::hint::black_box(markdown);
        }
    }
}

fn outputs(
    graph: &Graph,
    files: &[File],
    diagnostics: &[Diagnostic],
    dialects: &[Dialect],
    all_formats: bool,
) {
    let texts: Vec<&str> = files.iter().map(|f| &*f.text).collect();
    std::hint::black_box(graph::json::to_json(graph, &texts).to_string());
    std::hint::black_box(graph::json::to_mermaid(graph));
    std::hint::black_box(graph::json::to_dot(graph));
    for &dialect in dialects {
        std::hint::black_box(sql::json::to_json(graph, dialect).to_string());
        std::hint::black_box(sql::json::to_sql_script(graph, dialect));
    }
    let report_files: Vec<ReportFile> = files
        .iter()
        .map(|f| ReportFile::new(&f.path, &f.text))
        .collect();
    let report = Report {
        files: &report_files,
        diagnostics,
        files_checked: files.len(),
        fixed: 0,
    };
    std::hint::black_box(report::text::render(&report));
    std::hint::black_box(report::json::render(&report));
    if all_formats {
        // SARIF carries every rule's documentation: slow, and the same each time.
        std::hint::black_box(report::sarif::render(&report));
        std::hint::black_box(report::github::render(&report));
    }
    for (file, source) in files.iter().enumerate() {
        let rope = Rope::from_str(&source.text);
        for d in diagnostics.iter().filter(|d| d.file() == file) {
            convert_range(&rope, &source.text, d.location.range);
        }
    }
}

/// Applies edits grouped by file; every edit must apply.
fn apply(files: &[File], edits: &[Edit], what: &str) -> Vec<(usize, String)> {
    let mut by_file: Vec<(usize, Vec<Edit>)> = Vec::new();
    for edit in edits {
        match by_file.iter_mut().find(|(f, _)| *f == edit.file) {
            Some((_, list)) => list.push(edit.clone()),
            None => by_file.push((edit.file, vec![edit.clone()])),
        }
    }
    by_file
        .into_iter()
        .map(|(file, edits)| {
            let text = fix::apply_edits(&files[file].text, &edits)
                .unwrap_or_else(|| panic!("{what}: the edits do not apply: {edits:?}"));
            (file, text)
        })
        .collect()
}

fn each_fix(files: &[File], diagnostics: &[Diagnostic], clean: &[bool]) {
    for d in diagnostics {
        for fix in &d.fixes {
            for (file, text) in apply(files, &fix.edits, &fix.title) {
                if clean[file] {
                    assert!(
                        parses_cleanly(&text),
                        "{} fix {:?} breaks the syntax of {}:\n{text}",
                        d.code,
                        fix.title,
                        files[file].path
                    );
                }
            }
        }
        // "Ignore on this line", as the code action builds it: in a file
        // that parses, it keeps it parsing and suppresses the finding.
        if !clean[d.file()] {
            continue;
        }
        let source = &files[d.file()];
        let index = LineIndex::new(&source.text);
        let line = index.line_of(d.location.range.start());
        let line_text = index.line_text(&source.text, line);
        let (replace, new_text) = suppress::ignore_edit(line_text, d.code);
        let start = index.line_start(line);
        let edit = Edit {
            file: d.file(),
            range: TextRange::new(start + replace.start, start + replace.end),
            new_text,
        };
        check_range(
            &files.iter().map(|f| &*f.text).collect::<Vec<_>>(),
            edit.file,
            edit.range,
            "ignore edit",
        );
        let ignored = fix::apply_edits(&source.text, std::slice::from_ref(&edit))
            .expect("the ignore edit applies");
        assert!(
            parses_cleanly(&ignored),
            "ignoring {} breaks the syntax:\n{ignored}",
            d.code
        );
        let ignored_index = LineIndex::new(&ignored);
        let ignored_line = ignored_index.line_text(&ignored, ignored_index.line_of(start));
        assert!(
            suppress::is_suppressed(ignored_line, d.code),
            "{}: {ignored_line:?} does not suppress it",
            d.code
        );
    }
}

/// `check --fix` (or `--unsafe-fixes`): rounds of non-overlapping fixes.
fn fix_rounds(mut files: Vec<File>, config: &Config, options: &LinkOptions, allow_unsafe: bool) {
    let mut analysis = analyze(&files, config, options);
    for _ in 0..10 {
        let (edits, count) = fix::choose_edits(&analysis.diagnostics, allow_unsafe);
        if count == 0 {
            break;
        }
        let mut changed = false;
        for (file, file_edits) in edits {
            let new_text = fix::apply_edits(&files[file].text, &file_edits)
                .unwrap_or_else(|| panic!("chosen edits do not apply: {file_edits:?}"));
            if *files[file].text != *new_text {
                files[file].facts = Arc::new(facts::extract(&files[file].path, &new_text));
                files[file].text = Arc::from(new_text);
                changed = true;
            }
        }
        if !changed {
            break;
        }
        analysis = analyze(&files, config, options);
        let texts: Vec<&str> = files.iter().map(|f| &*f.text).collect();
        check_diagnostics(&texts, &analysis.diagnostics);
    }
}

/// Extracting only what an edit touched equals extracting afresh: edits
/// that open a bracket, a string, a line, and delete a slice of the file.
fn incremental_extraction(path: &str, text: &str, facts: &FileFacts) {
    let floor = |mut at: usize| {
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let (third, half) = (floor(text.len() / 3), floor(text.len() / 2));
    let tree = syntax::parse(text);
    for (start, end, inserted) in [
        (half, half, "("),
        (third, third, "\"\"\""),
        (third, half, ""),
        (half, half, "\n    x = Column(Integer)\n"),
    ] {
        let (new_text, old_tree, new_tree) = syntax::edit(text, &tree, (start, end, inserted));
        if let Some(edited) = facts::extract_edited(facts, text, &old_tree, &new_text, &new_tree) {
            let afresh = facts::extract_from_tree(path, &new_text, &new_tree);
            assert!(
                edited == afresh,
                "extracting {start}..{end} -> {inserted:?} incrementally differs"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((flags, inputs, pyproject)) = parse_input(data) else {
        return;
    };
    let dialect = DIALECTS
        .get(usize::from(flags & 3))
        .copied()
        .unwrap_or_default();
    let table_naming = match (flags >> 2) & 7 {
        1 => Some(NamingScheme::Lower),
        2 => Some(NamingScheme::Snake),
        3 => Some(NamingScheme::Same),
        4 => Some(NamingScheme::EveryCapital),
        5 => Some(NamingScheme::LowerUpper),
        _ => None,
    };
    let base = Path::new("/fuzz");
    let mut config = pyproject
        .and_then(|text| Config::parse_pyproject(&text, &base.join("pyproject.toml")).ok())
        .flatten()
        .unwrap_or_else(|| {
            let mut config = Config::default_at(base);
            config.dialect = dialect;
            config.table_naming = table_naming;
            config
        });
    if table_naming.is_some() {
        config.table_naming = table_naming;
    }
    let dialects: &[Dialect] = if flags & 0x20 != 0 {
        &DIALECTS
    } else {
        std::slice::from_ref(&config.dialect)
    };
    let options = LinkOptions {
        table_naming: config.table_naming,
    };

    let files: Vec<File> = inputs
        .into_iter()
        .map(|(path, text)| {
            std::hint::black_box(workspace::may_hold_models(
                Path::new(&path),
                text.as_bytes(),
            ));
            let facts = Arc::new(facts::extract(&path, &text));
            incremental_extraction(&path, &text, &facts);
            File {
                path,
                text: Arc::from(text),
                facts,
            }
        })
        .collect();
    let texts: Vec<&str> = files.iter().map(|f| &*f.text).collect();
    let clean: Vec<bool> = texts.iter().map(|t| parses_cleanly(t)).collect();

    let result = analyze(&files, &config, &options);
    check_diagnostics(&texts, &result.diagnostics);
    hovers(&result.graph, &files, dialects);
    outputs(
        &result.graph,
        &files,
        &result.diagnostics,
        dialects,
        flags & 0x40 != 0,
    );
    each_fix(&files, &result.diagnostics, &clean);

    if result.diagnostics.iter().any(|d| {
        d.fixes
            .iter()
            .any(|f| f.applicability == Applicability::Safe)
    }) {
        fix_rounds(files.clone(), &config, &options, false);
    }
    if result.diagnostics.iter().any(|d| !d.fixes.is_empty()) {
        fix_rounds(files, &config, &options, true);
    }
});
