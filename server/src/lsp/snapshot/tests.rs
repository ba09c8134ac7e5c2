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

use super::{analyze, ProjectAnalysis, Snapshot, SnapshotFile};
use crate::config::Config;
use crate::lsp::encoding::Encoding;
use crate::lsp::hover::target_at;
use crate::sql;
use crate::syntax;
use crate::syntax::edit;
use crate::test_support::{python_files, workspaces};

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
    let files = python_files(root);
    let config = Config::default_at(root);
    let (first, _) = analyze(snapshot(&files, None, &config));
    let first = Arc::new(first);
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
            // The edited file as an open document has it: its last parse
            // edited, so that its facts are read again where it changed.
            let mut moving = snapshot(&changed, Some(first.clone()), &config);
            moving.files[edited].tree = Some((edited_tree, false));
            moving.files[edited].parsed_from =
                old_facts.clone().map(|facts| (text.as_str().into(), facts));
            let (mut moved, _) = analyze(moving);
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
                let mut moving = snapshot(&changed, None, &config);
                moving.files[edited].tree = Some((edited_tree, false));
                moving.files[edited].parsed_from =
                    facts_of(&moved).map(|facts| (new_text.as_str().into(), facts));
                moving.previous = Some(Arc::new(moved));
                moved = analyze(moving).0;
                case.push_str(", then a comment");
            }
            let (fresh, _) = analyze(snapshot(&changed, None, &config));
            assert_eq!(moved.findings, fresh.findings, "{case}");
            assert_eq!(moved.diagnostics, fresh.diagnostics, "{case}");
            assert_eq!(moved.published, fresh.published, "{case}");
            if !Arc::ptr_eq(&moved.graph, &first.graph) {
                analysed_count += 1;
                continue;
            }
            moved_count += 1;
            let new_text = &changed[edited].1;
            // Every third offset: ranges are at least a name long.
            let offsets = (0..=new_text.len()).step_by(3);
            for offset in offsets.filter(|&o| new_text.is_char_boundary(o)) {
                let by_move = target_at(&moved.graph, new_text, edited, offset, |range| {
                    moved.moves.current(edited, range)
                });
                let by_analysis = target_at(&fresh.graph, new_text, edited, offset, Some);
                assert_eq!(by_move, by_analysis, "{case}, hover at {offset}");
                if let Some((target, _)) = by_move {
                    assert_eq!(
                        sql::hover_markdown(&moved.graph, target, config.dialect),
                        sql::hover_markdown(&fresh.graph, target, config.dialect),
                        "{case}, hover at {offset}"
                    );
                }
            }
        }
    }
    (moved_count, analysed_count)
}

#[test]
fn moving_the_previous_analysis_equals_analysing_again() {
    let counts: Vec<(usize, usize)> = workspaces()
        .par_iter()
        .map(|root| compare_both_ways(root))
        .collect();
    let moved: usize = counts.iter().map(|c| c.0).sum();
    let analysed: usize = counts.iter().map(|c| c.1).sum();
    // Both ways are taken, often.
    assert!(moved > 5000, "moved {moved} times");
    assert!(analysed > 2000, "analysed {analysed} times");
}
