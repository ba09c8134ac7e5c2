//! Fixture tests: every case folder under `tests/fixtures/` is a small
//! workspace. Its findings must match its `# expect: CODE` comments exactly,
//! and the readable snapshots beside it (`expected.txt`, `graph.json`,
//! `fixes.diff`) must match the output. `UPDATE_SNAPSHOTS=1 cargo test`
//! rewrites the snapshots; a missing snapshot fails.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{analyze, fixtures_root, load_workspace};
use sqla_analyzer::analysis::Analysis;
use sqla_analyzer::facts;
use sqla_analyzer::fix;
use sqla_analyzer::graph::{self, LinkOptions};
use sqla_analyzer::report::{self, Report, ReportFile};
use sqla_analyzer::workspace::SourceFile;

fn case_dirs(family: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let root = fixtures_root().join(family);
    for group in std::fs::read_dir(&root).unwrap() {
        let group = group.unwrap().path();
        if !group.is_dir() {
            continue;
        }
        if family == "extract" || family == "regressions" {
            dirs.push(group);
            continue;
        }
        for case in std::fs::read_dir(&group).unwrap() {
            let case = case.unwrap().path();
            if case.is_dir() {
                dirs.push(case);
            }
        }
    }
    dirs.sort();
    dirs
}

fn render(files: &[SourceFile], analysis: &Analysis) -> String {
    let report_files: Vec<ReportFile> = files
        .iter()
        .map(|f| ReportFile::new(&f.facts.path, &f.text))
        .collect();
    let report = Report {
        files: &report_files,
        diagnostics: &analysis.diagnostics,
        files_checked: files.len(),
        fixed: 0,
    };
    report::text::render(&report)
}

/// `(path, line, code)` of every `# expect: SA203, SA208` comment.
fn expectations(files: &[SourceFile]) -> BTreeSet<(String, usize, String)> {
    let mut expected = BTreeSet::new();
    for file in files {
        for (number, line) in file.text.lines().enumerate() {
            if let Some(at) = line.find("# expect:") {
                for code in line[at + "# expect:".len()..].split(',') {
                    let code = code.trim();
                    if !code.is_empty() {
                        expected.insert((file.facts.path.clone(), number + 1, code.to_string()));
                    }
                }
            }
        }
    }
    expected
}

fn found(files: &[SourceFile], analysis: &Analysis) -> BTreeSet<(String, usize, String)> {
    analysis
        .diagnostics
        .iter()
        .map(|d| {
            let file = &files[d.location.file];
            let line = sqla_analyzer::text::LineIndex::new(&file.text)
                .line_of(d.location.range.start())
                + 1;
            (file.facts.path.clone(), line, d.code.to_string())
        })
        .collect()
}

/// Compares with the snapshot, or writes it under `UPDATE_SNAPSHOTS=1`.
fn snapshot(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => {
            let diff = similar::TextDiff::from_lines(expected.as_str(), actual);
            failures.push(format!(
                "{} differs (UPDATE_SNAPSHOTS=1 to accept):\n{}",
                path.display(),
                diff.unified_diff().header("expected", "actual")
            ));
        }
        Err(_) => failures.push(format!(
            "{} is missing (UPDATE_SNAPSHOTS=1 writes it)",
            path.display()
        )),
    }
}

/// Applies every fix (unsafe ones too) until none is left, as `check
/// --fix --unsafe-fixes` does; returns the fixed files.
fn apply_all_fixes(files: &[SourceFile]) -> Vec<SourceFile> {
    let mut files = files.to_vec();
    for _ in 0..10 {
        let analysis = analyze(&files);
        let (edits, count) = fix::choose_edits(&analysis.diagnostics, true);
        if count == 0 {
            break;
        }
        for (file, file_edits) in edits {
            let new_text =
                fix::apply_edits(&files[file].text, &file_edits).expect("fix edits apply");
            files[file].facts = Arc::new(facts::extract(&files[file].facts.path, &new_text));
            files[file].text = Arc::from(new_text);
        }
    }
    files
}

fn error_nodes(text: &str) -> usize {
    let tree = sqla_analyzer::syntax::parse(text);
    let mut count = 0;
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        cursor.reset(node);
        stack.extend(node.children(&mut cursor));
    }
    count
}

#[test]
fn rule_fixtures() {
    let mut failures = Vec::new();
    let cases = case_dirs("rules");
    assert!(
        cases.len() >= 40,
        "rule fixtures are missing: {}",
        cases.len()
    );
    for dir in &cases {
        let files = load_workspace(dir);
        let analysis = analyze(&files);
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let rule = dir
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let expected = expectations(&files);
        let actual = found(&files, &analysis);
        if expected != actual {
            failures.push(format!(
                "{}: expected {:?}\n  found {:?}",
                dir.display(),
                expected.difference(&actual).collect::<Vec<_>>(),
                actual.difference(&expected).collect::<Vec<_>>()
            ));
        }
        if name.starts_with("bad_") && !actual.iter().any(|(_, _, code)| *code == rule) {
            failures.push(format!("{}: a bad case must report {rule}", dir.display()));
        }
        if name.starts_with("good_") && !actual.is_empty() {
            failures.push(format!(
                "{}: a good case must stay silent, found {actual:?}",
                dir.display()
            ));
        }
        snapshot(
            &dir.join("expected.txt"),
            &render(&files, &analysis),
            &mut failures,
        );

        // Fixes: valid Python, the fixed findings gone, nothing new.
        let fixed = apply_all_fixes(&files);
        let mut diff_text = String::new();
        for (before, after) in files.iter().zip(&fixed) {
            if before.text == after.text {
                continue;
            }
            if error_nodes(&after.text) > error_nodes(&before.text) {
                failures.push(format!(
                    "{}: a fix broke the syntax of {}",
                    dir.display(),
                    before.facts.path
                ));
            }
            let diff = similar::TextDiff::from_lines(before.text.as_ref(), after.text.as_ref());
            diff_text.push_str(
                &diff
                    .unified_diff()
                    .header(
                        &format!("a/{}", before.facts.path),
                        &format!("b/{}", before.facts.path),
                    )
                    .to_string(),
            );
        }
        if !diff_text.is_empty() {
            let after = analyze(&fixed);
            let remaining = found(&fixed, &after);
            for (path, line, code) in &remaining {
                if !actual.iter().any(|(_, _, c)| c == code) {
                    failures.push(format!(
                        "{}: fixing introduced {code} at {path}:{line}",
                        dir.display()
                    ));
                }
            }
            for d in analysis.diagnostics.iter().filter(|d| !d.fixes.is_empty()) {
                let file = &files[d.location.file];
                let line = sqla_analyzer::text::LineIndex::new(&file.text)
                    .line_of(d.location.range.start())
                    + 1;
                if remaining.contains(&(file.facts.path.clone(), line, d.code.to_string())) {
                    failures.push(format!(
                        "{}: {} at {}:{line} survives its own fix",
                        dir.display(),
                        d.code,
                        file.facts.path
                    ));
                }
            }
            snapshot(&dir.join("fixes.diff"), &diff_text, &mut failures);
        } else if dir.join("fixes.diff").exists() {
            if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
                std::fs::remove_file(dir.join("fixes.diff")).unwrap();
            } else {
                failures.push(format!(
                    "{}: fixes.diff exists but no fix applies",
                    dir.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Minimal reproductions of false findings and misses met on real projects:
/// their `# expect` markers must match exactly (most have none).
#[test]
fn regression_fixtures() {
    let mut failures = Vec::new();
    let cases = case_dirs("regressions");
    assert!(cases.len() >= 15, "regression fixtures are missing");
    for dir in &cases {
        let files = load_workspace(dir);
        let analysis = analyze(&files);
        let expected = expectations(&files);
        let actual = found(&files, &analysis);
        if expected != actual {
            failures.push(format!(
                "{}: expected {:?}\n  found {:?}",
                dir.display(),
                expected.difference(&actual).collect::<Vec<_>>(),
                actual.difference(&expected).collect::<Vec<_>>()
            ));
        }
        snapshot(
            &dir.join("expected.txt"),
            &render(&files, &analysis),
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn extraction_fixtures_link_and_stay_silent() {
    let mut failures = Vec::new();
    let cases = case_dirs("extract");
    assert!(cases.len() >= 10, "extraction fixtures are missing");
    for dir in &cases {
        let files = load_workspace(dir);
        assert!(
            files.len() >= 2,
            "{}: a family spans at least two files",
            dir.display()
        );
        let analysis = analyze(&files);
        if !analysis.diagnostics.is_empty() {
            failures.push(format!(
                "{}: correct models must stay silent:\n{}",
                dir.display(),
                render(&files, &analysis)
            ));
        }
        let texts: Vec<&str> = files.iter().map(|f| f.text.as_ref()).collect();
        let linked = graph::link(
            files.iter().map(|f| f.facts.clone()).collect(),
            &LinkOptions::default(),
        );
        assert!(
            !linked.classes.is_empty() || !linked.tables.is_empty(),
            "{}: no models found",
            dir.display()
        );
        let mut json =
            serde_json::to_string_pretty(&graph::json::to_json(&linked, &texts)).unwrap();
        json.push('\n');
        snapshot(&dir.join("graph.json"), &json, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
