//! One analysis of a workspace: link the facts, run the enabled rules, drop
//! what the user suppressed, and order the result.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Dialect;
use crate::diagnostic::Diagnostic;
use crate::facts::FileFacts;
use crate::graph::{self, Graph, LinkOptions};
use crate::rules::{self, Context};
use crate::suppress;
use crate::text::LineIndex;

pub struct Analysis {
    pub graph: Graph,
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
    let facts: Vec<Arc<FileFacts>> = files.iter().map(|(f, _)| f.clone()).collect();
    let texts: Vec<&str> = files.iter().map(|(_, t)| t.as_ref()).collect();
    let graph = graph::link(facts, options);
    let findings = find(&graph, &texts, dialect, enabled);
    let diagnostics = unsuppressed(&findings, &texts);
    Analysis {
        graph,
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
    diagnostics
}
