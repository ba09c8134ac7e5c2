//! Moving the previous analysis must give exactly what analysing again
//! gives: over every fixture workspace, edits on every line (comments,
//! blank lines, indentation, deletions, characters typed into code), each
//! analysed both ways and compared: findings, diagnostics, what is
//! published, and the hover target at every offset of the edited file.

use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use ropey::Rope;
use tower_lsp_server::ls_types::Uri;

use super::{analyze, Derivation, FileMoves, ProjectAnalysis, Snapshot, SnapshotFile};
use crate::config::Config;
use crate::facts::{ClassFacts, ClassTable, ColumnFacts, FileFacts, ForeignKeyFacts, TableFacts};
use crate::graph;
use crate::lsp::encoding::Encoding;
use crate::lsp::hover::target_at;
use crate::sql;
use crate::syntax;
use crate::syntax::edit;
use crate::syntax::expr::Keyword;
use crate::test_support::{python_files, workspaces};
use crate::text::{TextChange, TextRange};

fn snapshot(
    files: &[(String, String)],
    previous: Option<Arc<ProjectAnalysis>>,
    config: &Config,
) -> Snapshot {
    Snapshot {
        project: 0,
        revision: 0,
        config: config.clone(),
        encoding: Encoding::Utf16,
        files: files
            .iter()
            .map(|(path, text)| SnapshotFile {
                uri: format!("file:///workspace/{path}").parse::<Uri>().unwrap(),
                path: None,
                module_path: path.clone(),
                relative: Some(path.clone()),
                version: Some(1),
                text: text.as_str().into(),
                rope: Rope::from_str(text),
                facts: None,
                tree: None,
                parsed_from: None,
                stamp: None,
            })
            .collect(),
        previous,
    }
}

/// The snapshot of `files` in which file `edited` is an open document as
/// the server holds one: its last parse edited to the new text, and the
/// text and facts it was parsed from, so that its facts are read again
/// only where it changed.
fn edited_snapshot(
    files: &[(String, String)],
    previous: Option<Arc<ProjectAnalysis>>,
    config: &Config,
    edited: usize,
    edited_tree: tree_sitter::Tree,
    parsed_from: Option<(Arc<str>, Arc<FileFacts>)>,
) -> Snapshot {
    let mut snapshot = snapshot(files, previous, config);
    snapshot.files[edited].tree = Some((edited_tree, false));
    snapshot.files[edited].parsed_from = parsed_from;
    snapshot
}

/// An analysis derived from a previous one says what analysing again says.
fn assert_same_findings(derived: &ProjectAnalysis, fresh: &ProjectAnalysis, case: &str) {
    assert_eq!(derived.findings, fresh.findings, "{case}");
    assert_eq!(derived.diagnostics, fresh.diagnostics, "{case}");
    assert_eq!(derived.published, fresh.published, "{case}");
}

/// `count`'s two counts over every fixture workspace, side by side.
fn summed_over_workspaces(count: impl Fn(&Path) -> (usize, usize) + Sync) -> (usize, usize) {
    workspaces()
        .par_iter()
        .map(|root| count(root))
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
}

/// A fixture workspace's files, its configuration and its analysis.
fn analyse_workspace(root: &Path) -> (Vec<(String, String)>, Config, Arc<ProjectAnalysis>) {
    let files = python_files(root);
    let config = Config::default_at(root);
    let (analysis, _) = analyze(snapshot(&files, None, &config));
    (files, config, Arc::new(analysis))
}

/// Edits of lines: where a keystroke usually changes no fact, and where it
/// does; two kinds a line, in turn.
fn edits(text: &str) -> Vec<(usize, usize, &'static str)> {
    let mut edits = Vec::new();
    let mut line_start = 0;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        let content_end = line_start + line.trim_end_matches(['\n', '\r']).len();
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let kinds = [
            (line_start, line_start, "# a comment\n"),
            (content_end, content_end, "  # noqa"),
            (content_end, content_end, "\n"),
            (line_start, line_start, " "),
            (line_start + indent, line_start + indent, "x"),
            (line_start, line_start + line.len(), ""),
        ];
        edits.push(kinds[number % kinds.len()]);
        edits.push(kinds[(number + 3) % kinds.len()]);
        line_start += line.len();
    }
    edits
}

/// Analyses each edit of the workspace both ways; how many times the
/// previous analysis was moved, and how many times analysed again.
fn compare_both_ways(root: &Path) -> (usize, usize) {
    let (mut moved_count, mut analysed_count) = (0, 0);
    let (files, config, first) = analyse_workspace(root);
    for (edited, (path, text)) in files.iter().enumerate() {
        let tree = syntax::parse(text);
        let uri = format!("file:///workspace/{path}").parse::<Uri>().unwrap();
        // Files the prefilter skips have no facts.
        let facts_of = |analysis: &ProjectAnalysis| {
            let file = analysis.file_of(&uri)?;
            Some(analysis.files[file].facts.clone())
        };
        let old_facts = facts_of(&first);
        for (start, end, inserted) in edits(text) {
            let mut changed = files.clone();
            let (new_text, edited_tree, new_tree) = edit(text, &tree, (start, end, inserted));
            changed[edited].1 = new_text.clone();
            let parsed_from = old_facts.clone().map(|facts| (text.as_str().into(), facts));
            let (mut moved, _) = analyze(edited_snapshot(
                &changed,
                Some(first.clone()),
                &config,
                edited,
                edited_tree,
                parsed_from,
            ));
            let mut case = format!(
                "{path} in {}: {start}..{end} -> {inserted:?}",
                root.display()
            );
            // Now and then a second edit, on top of a moved analysis.
            if Arc::ptr_eq(&moved.graph, &first.graph) && (start + end) % 5 == 0 {
                let again = new_text.find('\n').map_or(0, |at| at + 1);
                let (newer_text, edited_tree, _) =
                    edit(&new_text, &new_tree, (again, again, "# again\n"));
                changed[edited].1 = newer_text;
                let parsed_from = facts_of(&moved).map(|facts| (new_text.as_str().into(), facts));
                moved = analyze(edited_snapshot(
                    &changed,
                    Some(Arc::new(moved)),
                    &config,
                    edited,
                    edited_tree,
                    parsed_from,
                ))
                .0;
                case.push_str(", then a comment");
            }
            let (fresh, _) = analyze(snapshot(&changed, None, &config));
            assert_same_findings(&moved, &fresh, &case);
            if !Arc::ptr_eq(&moved.graph, &first.graph) {
                analysed_count += 1;
                continue;
            }
            moved_count += 1;
            assert_same_hovers(&moved, &fresh, &changed[edited].1, edited, &config, &case);
        }
    }
    (moved_count, analysed_count)
}

/// The hover target and its Markdown at every third offset of the edited
/// file (ranges are at least a name long) are those of a fresh analysis.
fn assert_same_hovers(
    derived: &ProjectAnalysis,
    fresh: &ProjectAnalysis,
    new_text: &str,
    edited: usize,
    config: &Config,
    case: &str,
) {
    let offsets = (0..=new_text.len()).step_by(3);
    for offset in offsets.filter(|&o| new_text.is_char_boundary(o)) {
        let by_derived = target_at(
            &derived.graph,
            new_text,
            edited,
            offset,
            derived.moves.in_file(edited),
        );
        let by_analysis = target_at(&fresh.graph, new_text, edited, offset, FileMoves::default());
        // The same place, and the same hover: a graph relinked in part
        // numbers its entities otherwise.
        let range = |found: &Option<(_, crate::text::TextRange)>| found.as_ref().map(|f| f.1);
        assert_eq!(
            range(&by_derived),
            range(&by_analysis),
            "{case}, hover at {offset}"
        );
        if let (Some((derived_target, _)), Some((fresh_target, _))) = (by_derived, by_analysis) {
            assert_eq!(
                sql::hover_markdown(&derived.graph, derived_target, config.dialect),
                sql::hover_markdown(&fresh.graph, fresh_target, config.dialect),
                "{case}, hover at {offset}"
            );
        }
    }
}

#[test]
fn moving_the_previous_analysis_equals_analysing_again() {
    let (moved, analysed) = summed_over_workspaces(compare_both_ways);
    // Both ways are taken, often.
    assert!(moved > 5000, "moved {moved} times");
    assert!(analysed > 2000, "analysed {analysed} times");
}

/// The option values of a file's relationships, backrefs, columns and
/// foreign keys: (option, value range).
fn option_values(facts: &FileFacts) -> Vec<(String, TextRange)> {
    fn keywords(found: &mut Vec<(String, TextRange)>, keywords: &[Keyword]) {
        found.extend(keywords.iter().map(|k| (k.name.clone(), k.value.range)));
    }
    fn foreign_keys(found: &mut Vec<(String, TextRange)>, keys: &[Arc<ForeignKeyFacts>]) {
        for key in keys {
            if let Some(call) = &key.call {
                keywords(found, &call.keywords);
            }
        }
    }
    fn column(found: &mut Vec<(String, TextRange)>, column: &ColumnFacts) {
        if let Some(call) = &column.call {
            keywords(found, &call.keywords);
        }
        foreign_keys(found, &column.foreign_keys);
    }
    fn table(found: &mut Vec<(String, TextRange)>, table: &TableFacts) {
        for facts in &table.columns {
            column(found, facts);
        }
        foreign_keys(found, &table.foreign_key_constraints);
    }
    fn class(found: &mut Vec<(String, TextRange)>, class: &ClassFacts) {
        for relationship in &class.relationships {
            keywords(found, &relationship.keywords);
            if let Some(backref) = &relationship.backref {
                keywords(found, &backref.keywords);
            }
        }
        for facts in &class.columns {
            column(found, facts);
        }
        if let Some(ClassTable::Inline(inline)) = &class.table {
            table(found, inline);
        }
        if let Some(args) = &class.table_args {
            foreign_keys(found, &args.foreign_key_constraints);
        }
    }
    let mut found = Vec::new();
    for facts in &facts.classes {
        class(&mut found, facts);
    }
    for facts in &facts.tables {
        table(&mut found, facts);
    }
    for mapping in &facts.imperative_mappings {
        class(&mut found, &mapping.properties);
    }
    found.sort_by_key(|(_, range)| (range.start, range.end));
    found.dedup();
    found
}

/// The analysis's graph as the `graph` command prints it.
fn graph_json(analysis: &ProjectAnalysis) -> serde_json::Value {
    let texts: Vec<&str> = analysis.files.iter().map(|f| f.text.as_ref()).collect();
    graph::json::to_json(&analysis.graph, &texts)
}

/// An edit of one file, analysed both ways.
struct BothWays {
    /// As the server derives it from the previous analysis.
    derived: ProjectAnalysis,
    fresh: ProjectAnalysis,
    text: String,
    tree: tree_sitter::Tree,
}

/// Edits file `edited` of `files` (the analysis's file `index`), whose text
/// `base_text` was parsed as `base_tree` and analysed as `base`, and
/// analyses the new text both ways; the other files keep the facts of
/// `base`, as the server's files do.
fn analyse_edit(
    files: &[(String, String)],
    config: &Config,
    (edited, index): (usize, usize),
    base: &Arc<ProjectAnalysis>,
    (base_text, base_tree): (&str, &tree_sitter::Tree),
    change: (usize, usize, &str),
) -> BothWays {
    let (text, edited_tree, tree) = edit(base_text, base_tree, change);
    let mut changed = files.to_vec();
    changed[edited].1 = text.clone();
    let parsed_from = Some((base_text.into(), base.files[index].facts.clone()));
    let mut derived_snapshot = edited_snapshot(
        &changed,
        Some(base.clone()),
        config,
        edited,
        edited_tree,
        parsed_from,
    );
    for file in &mut derived_snapshot.files {
        if file.tree.is_none() {
            file.facts = base.file_of(&file.uri).map(|i| base.files[i].facts.clone());
        }
    }
    let (derived, _) = analyze(derived_snapshot);
    let (fresh, _) = analyze(snapshot(&changed, None, config));
    BothWays {
        derived,
        fresh,
        text,
        tree,
    }
}

/// Edits of an option's value: another value, and a character typed into a
/// string. Options the linker reads are edited too, and must be linked.
fn value_edits(name: &str, value: &str, range: TextRange) -> Vec<(usize, usize, String)> {
    let (start, end) = (range.start(), range.end());
    let other = match name {
        "cascade" if value.contains("delete") => "\"save-update, merge\"",
        "cascade" => "\"all, delete-orphan\"",
        "ondelete" | "onupdate" => "\"SET NULL\"",
        _ if value == "True" => "False",
        _ if value == "False" => "True",
        "passive_deletes" => "\"all\"",
        _ => "None",
    };
    let mut edits = vec![(start, end, other.to_string())];
    if value.len() >= 2 && (value.ends_with('"') || value.ends_with('\'')) {
        edits.push((end - 1, end - 1, "x".to_string()));
    }
    edits
}

/// Edits every option value of every file both ways; how many times the
/// previous graph was patched, and how many times linked again. With
/// `pending_move`, a comment line is first typed above the option's line,
/// so that the previous analysis holds a moved graph (its positions not
/// those of the text) when the option is edited.
fn compare_option_edits(root: &Path, pending_move: bool) -> (usize, usize) {
    let (mut patched_count, mut linked_count) = (0, 0);
    let (files, config, first) = analyse_workspace(root);
    for (edited, (path, text)) in files.iter().enumerate() {
        let uri = format!("file:///workspace/{path}").parse::<Uri>().unwrap();
        let Some(index) = first.file_of(&uri) else {
            continue;
        };
        let tree = syntax::parse(text);
        for (name, range) in option_values(&first.files[index].facts) {
            let value = &text[range.start()..range.end()];
            // The text, tree and analysis the option edits start from.
            let (base, base_text, base_tree, moved_by) = if pending_move {
                let line_start = text[..range.start()].rfind('\n').map_or(0, |i| i + 1);
                let comment = "# pending\n";
                let (moved_text, edited_tree, moved_tree) =
                    edit(text, &tree, (line_start, line_start, comment));
                let mut moved_files = files.clone();
                moved_files[edited].1 = moved_text.clone();
                let (moved, _) = analyze(edited_snapshot(
                    &moved_files,
                    Some(first.clone()),
                    &config,
                    edited,
                    edited_tree,
                    Some((text.as_str().into(), first.files[index].facts.clone())),
                ));
                // A comment line typed inside a string changes a fact.
                if moved.derivation != Derivation::Moved {
                    continue;
                }
                (Arc::new(moved), moved_text, moved_tree, comment.len())
            } else {
                (first.clone(), text.clone(), tree.clone(), 0)
            };
            let range = TextRange::new(range.start() + moved_by, range.end() + moved_by);
            for (start, end, inserted) in value_edits(&name, value, range) {
                let BothWays {
                    derived,
                    fresh,
                    text: new_text,
                    ..
                } = analyse_edit(
                    &files,
                    &config,
                    (edited, index),
                    &base,
                    (&base_text, &base_tree),
                    (start, end, &inserted),
                );
                let case = format!(
                    "{path} in {}: {name}={value:?}, {start}..{end} -> {inserted:?}, pending move: {pending_move}",
                    root.display()
                );
                assert_same_findings(&derived, &fresh, &case);
                // A moved graph's own positions are those before its moves.
                if derived.derivation != Derivation::Moved || !pending_move {
                    assert_eq!(graph_json(&derived), graph_json(&fresh), "{case}");
                }
                match derived.derivation {
                    Derivation::Patched => patched_count += 1,
                    Derivation::Relinked | Derivation::Linked => linked_count += 1,
                    Derivation::Moved => {}
                }
                if derived.derivation == Derivation::Patched {
                    assert_same_hovers(&derived, &fresh, &new_text, index, &config, &case);
                }
            }
        }
    }
    (patched_count, linked_count)
}

#[test]
fn patching_the_previous_graph_equals_analysing_again() {
    for pending_move in [false, true] {
        let (patched, linked) =
            summed_over_workspaces(|root| compare_option_edits(root, pending_move));
        println!("pending move {pending_move}: patched {patched}, linked {linked}");
        // Both ways are taken, often.
        assert!(patched > 800, "patched {patched} times");
        assert!(linked > 1500, "linked {linked} times");
    }
}

/// Where a keyword argument may be typed into a file's calls: before the
/// closing parenthesis of its first two relationship calls, its first
/// column call and its first foreign key call, each with the keywords to
/// type there: one the linker does not read, and one it reads.
fn keyword_typing_places(facts: &FileFacts, text: &str) -> Vec<(usize, &'static [&'static str])> {
    let end = |call: &crate::syntax::expr::Call| {
        let end = call.arguments_range.end();
        (end > 0 && text.as_bytes().get(end - 1) == Some(&b')')).then_some(end - 1)
    };
    let classes = || facts.classes.iter();
    let columns = classes()
        .flat_map(|class| &class.columns)
        .chain(facts.tables.iter().flat_map(|table| &table.columns));
    let keys = columns
        .clone()
        .flat_map(|column| &column.foreign_keys)
        .filter_map(|key| key.call.as_deref());
    // Each option some rule reads, and one the linker reads.
    let relationship_options: &[&str] = &[
        ", cascade=\"all, delete\"",
        ", viewonly=True",
        ", post_update=True",
        ", passive_deletes=True",
        ", overlaps=\"parent\"",
    ];
    let mut places: Vec<(usize, &[&str])> = classes()
        .flat_map(|class| &class.relationships)
        .filter_map(|relationship| end(&relationship.call))
        .take(3)
        .map(|at| (at, relationship_options))
        .collect();
    places.extend(
        columns
            .filter_map(|column| column.call.as_deref().and_then(end))
            .take(1)
            .map(|at| {
                let options: &[&str] = &[
                    ", nullable=False",
                    ", primary_key=True",
                    ", unique=True",
                    ", autoincrement=False",
                ];
                (at, options)
            }),
    );
    places.extend(keys.filter_map(end).take(1).map(|at| {
        let options: &[&str] = &[
            ", ondelete=\"CASCADE\"",
            ", name=\"fk_typed\"",
            ", onupdate=\"SET NULL\"",
        ];
        (at, options)
    }));
    places.sort_unstable();
    places.dedup_by_key(|(at, _)| *at);
    places
}

/// Types keyword arguments into relationship, column and foreign key calls
/// one character at a time, each state analysed from the previous one's
/// analysis and afresh; how many states were patched, and how many linked
/// again. The keywords take turns: options the linker does not read but
/// rules do (`cascade`, `post_update`, `passive_deletes`, `overlaps`,
/// `nullable`, `unique`, `autoincrement`, `ondelete`, `onupdate`), and ones
/// the linker reads (`viewonly`, `primary_key`, `name`).
fn compare_keyword_typing(root: &Path) -> (usize, usize) {
    let (mut patched_count, mut linked_count) = (0, 0);
    let (files, config, first) = analyse_workspace(root);
    for (edited, (path, text)) in files.iter().enumerate() {
        let uri = format!("file:///workspace/{path}").parse::<Uri>().unwrap();
        let Some(index) = first.file_of(&uri) else {
            continue;
        };
        // A few calls of each file: typing costs two analyses a character.
        let places = keyword_typing_places(&first.files[index].facts, text);
        for (nth, (end, keywords)) in places.into_iter().enumerate() {
            let typed = keywords[(nth + edited) % keywords.len()];
            let mut previous = first.clone();
            let mut current = text.clone();
            let mut tree = syntax::parse(text);
            for (at, ch) in (end..).zip(typed.chars()) {
                let both = analyse_edit(
                    &files,
                    &config,
                    (edited, index),
                    &previous,
                    (&current, &tree),
                    (at, at, &ch.to_string()),
                );
                let (derived, fresh) = (both.derived, both.fresh);
                let case = format!(
                    "{path} in {}: {typed:?} typed at {end} up to {:?}",
                    root.display(),
                    &typed[..=at - end]
                );
                assert_same_findings(&derived, &fresh, &case);
                match derived.derivation {
                    Derivation::Patched => {
                        patched_count += 1;
                        assert_eq!(graph_json(&derived), graph_json(&fresh), "{case}");
                        assert_same_hovers(&derived, &fresh, &both.text, index, &config, &case);
                    }
                    Derivation::Relinked => {
                        linked_count += 1;
                        assert_eq!(graph_json(&derived), graph_json(&fresh), "{case}");
                    }
                    Derivation::Linked => linked_count += 1,
                    Derivation::Moved => {}
                }
                previous = Arc::new(derived);
                current = both.text;
                tree = both.tree;
            }
        }
    }
    (patched_count, linked_count)
}

#[test]
fn typing_a_keyword_into_a_call_equals_analysing_again() {
    let (patched, linked) = summed_over_workspaces(compare_keyword_typing);
    println!("typing keywords: patched {patched}, linked {linked}");
    assert!(patched > 1000, "patched {patched} times");
    assert!(linked > 500, "linked {linked} times");
}

/// No range moves farther than the slack: a hover skips the ranges whose
/// distance to the cursor exceeds it without moving them.
#[test]
fn moved_ranges_stay_within_the_slack() {
    let changes = [
        TextChange::between("abcdefghij", "abcXXXXdefghij"),
        TextChange::between("abcXXXXdefghij", "abcXXXXdj"),
        TextChange::between("abcXXXXdj", "Yabcdj"),
    ];
    let moves = FileMoves { changes: &changes };
    assert_eq!(moves.slack(), 4 + 5 + 3);
    for start in 0..=10 {
        for end in start..=10 {
            let range = TextRange::new(start, end);
            if let Some(moved) = moves.current(range) {
                assert!(moved.start().abs_diff(start) <= moves.slack(), "{range:?}");
                assert!(moved.end().abs_diff(end) <= moves.slack(), "{range:?}");
            }
        }
    }
    assert_eq!(FileMoves::default().slack(), 0);
}

/// Edits that change what the linker reads, in each file of the fixture
/// workspaces that have several, one after the other from the analysis
/// before: the unit edited is relinked alone when it is the last one
/// linked (after its first edit), and what is found is what analysing
/// again finds.
#[test]
fn relinking_the_edited_unit_equals_analysing_again() {
    let (relinked, linked) = summed_over_workspaces(|root| {
        let (files, config, first) = analyse_workspace(root);
        if files.len() < 2 {
            return (0, 0);
        }
        let (mut relinked, mut linked) = (0, 0);
        let mut previous = first;
        let mut current = files.clone();
        for (edited, (path, _)) in files.iter().enumerate() {
            let uri = format!("file:///workspace/{path}").parse::<Uri>().unwrap();
            let Some(index) = previous.file_of(&uri) else {
                continue;
            };
            let pasted = "\n\nclass Pasted(Base):\n    __tablename__ = \"pasted\"\n    id = Column(Integer, primary_key=True)\n";
            for inserted in [pasted, "\nclass Half(Base:\n", "\nclass Other:\n    pass\n"] {
                let text = current[edited].1.clone();
                let tree = syntax::parse(&text);
                let end = text.len();
                let both = analyse_edit(
                    &current,
                    &config,
                    (edited, index),
                    &previous,
                    (&text, &tree),
                    (end, end, inserted),
                );
                let case = format!("{path} in {}: {inserted:?} appended", root.display());
                assert_same_findings(&both.derived, &both.fresh, &case);
                assert_eq!(graph_json(&both.derived), graph_json(&both.fresh), "{case}");
                match both.derived.derivation {
                    Derivation::Relinked => relinked += 1,
                    Derivation::Linked => linked += 1,
                    Derivation::Moved | Derivation::Patched => {}
                }
                current[edited].1 = both.text;
                previous = Arc::new(both.derived);
            }
        }
        (relinked, linked)
    });
    println!("structural edits: relinked {relinked}, linked {linked}");
    assert!(relinked > linked, "relinked {relinked}, linked {linked}");
}
