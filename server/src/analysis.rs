//! One analysis of a workspace: link the facts, run the enabled rules, drop
//! what the user suppressed, and order the result.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Dialect;
use crate::diagnostic::Diagnostic;
use crate::facts::FileFacts;
use crate::graph::{self, Graph, Layout, LinkOptions, OptionEdit};
use crate::rules::{self, Context, RULES};
use crate::shift;
use crate::suppress;
use crate::text::LineIndex;

pub struct Analysis {
    pub graph: Graph,
    /// How the graph's entities fall into units (see `graph::link_laid_out`).
    pub layout: Layout,
    /// What the enabled rules found, suppressed or not.
    pub findings: Vec<Diagnostic>,
    /// The findings no comment suppresses: what is reported.
    pub diagnostics: Vec<Diagnostic>,
}

/// Analyses files given as (facts, text) pairs; `enabled(file, code)` says
/// whether a rule applies to a file (selection and per-file ignores).
pub fn analyze(
    files: &[(Arc<FileFacts>, Arc<str>)],
    options: &LinkOptions,
    dialect: Dialect,
    enabled: impl Fn(usize, &str) -> bool,
) -> Analysis {
    analyze_with(files, options, dialect, enabled, None, graph::Cores::All)
}

/// [`analyze`] for the language server: the unit of file `last` (if any)
/// linked last, so that the next edit there can relink that unit alone,
/// and the units linked on the calling thread (see [`graph::Cores`]).
pub fn analyze_laid_out(
    files: &[(Arc<FileFacts>, Arc<str>)],
    options: &LinkOptions,
    dialect: Dialect,
    enabled: impl Fn(usize, &str) -> bool,
    last: Option<usize>,
) -> Analysis {
    analyze_with(
        files,
        options,
        dialect,
        enabled,
        last,
        graph::Cores::Calling,
    )
}

fn analyze_with(
    files: &[(Arc<FileFacts>, Arc<str>)],
    options: &LinkOptions,
    dialect: Dialect,
    enabled: impl Fn(usize, &str) -> bool,
    last: Option<usize>,
    cores: graph::Cores,
) -> Analysis {
    let facts: Vec<Arc<FileFacts>> = files.iter().map(|(f, _)| f.clone()).collect();
    let texts: Vec<&str> = files.iter().map(|(_, t)| t.as_ref()).collect();
    let (graph, layout) = graph::link_laid_out(facts, options, last, cores);
    let findings = find(&graph, &texts, dialect, enabled);
    let diagnostics = unsuppressed(&findings, &texts);
    Analysis {
        graph,
        layout,
        findings,
        diagnostics,
    }
}

/// Runs the rules on a linked graph, drops what is disabled or suppressed,
/// and orders the rest.
pub fn diagnose(
    graph: &Graph,
    texts: &[&str],
    dialect: Dialect,
    enabled: impl Fn(usize, &str) -> bool,
) -> Vec<Diagnostic> {
    unsuppressed(&find(graph, texts, dialect, enabled), texts)
}

/// The findings no comment on their line suppresses. Kept apart from the
/// rules: an edit that adds or removes a comment changes only this.
pub fn unsuppressed(findings: &[Diagnostic], texts: &[&str]) -> Vec<Diagnostic> {
    // Lines are indexed only in the files that have findings.
    let mut indexes: HashMap<usize, LineIndex> = HashMap::new();
    findings
        .iter()
        .filter(|d| {
            let file = d.location.file;
            let index = indexes
                .entry(file)
                .or_insert_with(|| LineIndex::new(texts[file]));
            let line = index.line_of(d.location.range.start());
            !suppress::is_suppressed(index.line_text(texts[file], line), d.code)
        })
        .cloned()
        .collect()
}

/// Runs the rules on a linked graph, keeps what is enabled, and orders it.
pub fn find(
    graph: &Graph,
    texts: &[&str],
    dialect: Dialect,
    enabled: impl Fn(usize, &str) -> bool,
) -> Vec<Diagnostic> {
    let context = Context::new(graph, texts, dialect);
    let mut diagnostics = rules::run(&context, |_| true);
    diagnostics.retain(|d| enabled(d.location.file, d.code));
    in_order(&mut diagnostics);
    diagnostics
}

/// The findings of a graph patched after an edit of options (see
/// [`graph::patched`]), from those of the graph before it: the rules that
/// read an edited option, or whose findings lie on an edited call, run
/// again; the others' findings move with the text. Equal to [`find`] on
/// the patched graph, which it falls back to when a finding cannot move.
pub fn find_after_option_edit(
    graph: &Graph,
    texts: &[&str],
    dialect: Dialect,
    enabled: impl Fn(usize, &str) -> bool,
    previous: &[Diagnostic],
    edit: &OptionEdit,
) -> Vec<Diagnostic> {
    let on_an_edited_call = |finding: &Diagnostic| {
        let touches = |range: crate::text::TextRange| {
            edit.calls
                .iter()
                .any(|call| range.start <= call.end && call.start <= range.end)
        };
        std::iter::once(finding.location)
            .chain(finding.related.iter().map(|r| r.location))
            .filter(|location| location.file == edit.file)
            .map(|location| location.range)
            .chain(
                finding
                    .fixes
                    .iter()
                    .flat_map(|fix| &fix.edits)
                    .filter(|e| e.file == edit.file)
                    .map(|e| e.range),
            )
            .any(touches)
    };
    let again: Vec<&str> = RULES
        .iter()
        .filter(|rule| {
            edit.names
                .as_ref()
                .is_none_or(|names| rule.reads.any_of(names))
                || previous
                    .iter()
                    .any(|f| f.code == rule.code && on_an_edited_call(f))
        })
        .map(|rule| rule.code)
        .collect();
    let mut diagnostics = Vec::with_capacity(previous.len());
    for finding in previous.iter().filter(|f| !again.contains(&f.code)) {
        let mut moved = finding.clone();
        if !shift::shift_diagnostic(&mut moved, edit.file, &edit.change) {
            return find(graph, texts, dialect, enabled);
        }
        diagnostics.push(moved);
    }
    let context = Context::new(graph, texts, dialect);
    let found = rules::run(&context, |code| again.contains(&code));
    diagnostics.extend(
        found
            .into_iter()
            .filter(|d| enabled(d.location.file, d.code)),
    );
    in_order(&mut diagnostics);
    diagnostics
}

/// Orders findings by place, keeping one per place and rule.
fn in_order(diagnostics: &mut Vec<Diagnostic>) {
    // One diagnostic per place: a mixin's relationship applied to several
    // classes is one line of code.
    diagnostics.sort_by(|a, b| {
        (a.location.file, a.location.range.start, a.code, &a.message).cmp(&(
            b.location.file,
            b.location.range.start,
            b.code,
            &b.message,
        ))
    });
    diagnostics.dedup_by(|a, b| a.code == b.code && a.location == b.location);
}
