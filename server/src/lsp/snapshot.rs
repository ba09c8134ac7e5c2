//! One project's inputs frozen for analysis, and what analysing them yields.
//!
//! A [`Snapshot`] owns everything it needs (shared texts, ropes and trees are
//! cheap clones), so analysis runs on a blocking thread while the session
//! keeps taking edits. The result carries the revision it was taken at; the
//! session stores it only if nothing changed since.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use ropey::Rope;
use tower_lsp_server::ls_types::{self as lsp, Uri};
use tree_sitter::Tree;

use super::convert;
use super::encoding::Encoding;
use crate::analysis;
use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::facts::{self, FileFacts};
use crate::graph::{self, FileId, Graph, Layout, LinkOptions, OptionEdit};
use crate::shift;
use crate::syntax;
use crate::text::{TextChange, TextRange};
use crate::workspace;

/// A file as the analysis sees it: from disk, or an open document's buffer.
#[derive(Clone)]
pub struct SnapshotFile {
    pub uri: Uri,
    pub path: Option<PathBuf>,
    /// The path module names derive from (relative to the project root).
    pub module_path: String,
    /// Relative to the configuration's base, for per-file ignores.
    pub relative: Option<String>,
    /// The document's version; `None` for a file read from disk.
    pub version: Option<i32>,
    pub text: Arc<str>,
    pub rope: Rope,
    /// Known facts of exactly `text`; `None` when the file must be parsed.
    pub facts: Option<Arc<FileFacts>>,
    /// An open document's tree, edited to match `text`, and whether it was
    /// parsed from `text` already.
    pub tree: Option<(Tree, bool)>,
    /// The text the tree was last parsed from, and its facts: an edited
    /// tree's facts are read again only where the edit touched them.
    pub parsed_from: Option<(Arc<str>, Arc<FileFacts>)>,
    /// The document's edit stamp, to store a new parse back.
    pub stamp: Option<u64>,
}

pub struct Snapshot {
    pub project: u64,
    pub revision: u64,
    /// The configuration with the editor's overrides applied.
    pub config: Config,
    pub encoding: Encoding,
    pub files: Vec<SnapshotFile>,
    /// The project's latest analysis, which the new one may only move.
    pub previous: Option<Arc<ProjectAnalysis>>,
}

/// A parse made during analysis, for the session to keep.
pub struct Parsed {
    pub uri: Uri,
    pub stamp: u64,
    pub module_path: String,
    pub text: Arc<str>,
    pub tree: Tree,
    pub facts: Arc<FileFacts>,
}

/// A file of a finished analysis.
#[derive(Clone)]
pub struct AnalyzedFile {
    pub uri: Uri,
    pub path: Option<PathBuf>,
    pub version: Option<i32>,
    pub text: Arc<str>,
    pub rope: Rope,
    pub facts: Arc<FileFacts>,
    pub relative: Option<String>,
}

pub struct ProjectAnalysis {
    pub revision: u64,
    pub encoding: Encoding,
    pub config: Config,
    pub files: Vec<AnalyzedFile>,
    /// Linked from the facts the files had when it was made: its positions
    /// in a file changed since are moved by `moves`.
    pub graph: Arc<Graph>,
    /// How the graph's entities fall into units.
    pub layout: Arc<Layout>,
    pub moves: GraphMoves,
    /// How the graph came about.
    pub derivation: Derivation,
    /// What the rules found, before suppression comments.
    pub findings: Vec<Diagnostic>,
    pub diagnostics: Vec<Diagnostic>,
    /// The diagnostics as published, by document.
    pub published: BTreeMap<Uri, Vec<lsp::Diagnostic>>,
}

/// How an analysis got its graph, from the cheapest way to the dearest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    /// The previous graph, its positions moved: no fact changed.
    Moved,
    /// The previous graph patched after an edit of an option value.
    Patched,
    /// The previous graph with the edited files' unit linked again.
    Relinked,
    /// Linked from every file's facts.
    Linked,
}

/// The changes of files made since the graph was linked, none of which
/// changed a fact: they move the graph's positions in those files.
#[derive(Clone, Default)]
pub struct GraphMoves {
    changes: BTreeMap<FileId, Vec<TextChange>>,
}

impl GraphMoves {
    /// Changes one file may pile up before the graph is linked again, so
    /// that moving a position stays cheap.
    const LIMIT: usize = 256;

    /// Where a range of the graph lies in the file's current text.
    pub fn current(&self, file: FileId, range: TextRange) -> Option<TextRange> {
        self.in_file(file).current(range)
    }

    /// The changes of one file.
    pub fn in_file(&self, file: FileId) -> FileMoves<'_> {
        FileMoves {
            changes: self.changes.get(&file).map_or(&[], Vec::as_slice),
        }
    }

    /// The files with changes.
    pub fn files(&self) -> impl Iterator<Item = FileId> + '_ {
        self.changes.keys().copied()
    }

    /// Whether file `file` has changes.
    pub fn touches(&self, file: FileId) -> bool {
        self.changes.contains_key(&file)
    }

    fn add(&mut self, file: FileId, change: TextChange) -> bool {
        let changes = self.changes.entry(file).or_default();
        changes.push(change);
        changes.len() <= Self::LIMIT
    }
}

/// The changes of one file since the graph was linked (see [`GraphMoves`]).
#[derive(Clone, Copy, Default)]
pub struct FileMoves<'a> {
    changes: &'a [TextChange],
}

impl FileMoves<'_> {
    /// Where a range of the graph lies in the file's current text.
    pub fn current(&self, range: TextRange) -> Option<TextRange> {
        self.changes
            .iter()
            .try_fold(range, |range, change| change.span(range))
    }

    /// How far [`Self::current`] moves a position at most: each change
    /// moves what follows it by its length difference, and keeps what
    /// precedes it. A range farther than this from an offset cannot hold
    /// it in the current text, which spares moving it.
    pub fn slack(&self) -> usize {
        self.changes
            .iter()
            .map(|c| (i64::from(c.new_end) - i64::from(c.old_end)).unsigned_abs() as usize)
            .sum()
    }
}

impl ProjectAnalysis {
    pub fn file_of(&self, uri: &Uri) -> Option<usize> {
        self.files.iter().position(|f| &f.uri == uri)
    }

    /// Re-runs the rules over changed texts (for fix-all), with the same
    /// configuration.
    pub fn reanalyze(&self, texts: &[Arc<str>], facts: &[Arc<FileFacts>]) -> analysis::Analysis {
        run(&self.config, &self.files, texts, facts)
    }
}

fn run(
    config: &Config,
    files: &[AnalyzedFile],
    texts: &[Arc<str>],
    facts: &[Arc<FileFacts>],
) -> analysis::Analysis {
    run_laid_out(config, files, texts, facts, None)
}

/// Links and checks every file, the unit of file `last` linked last.
fn run_laid_out(
    config: &Config,
    files: &[AnalyzedFile],
    texts: &[Arc<str>],
    facts: &[Arc<FileFacts>],
    last: Option<FileId>,
) -> analysis::Analysis {
    let pairs: Vec<(Arc<FileFacts>, Arc<str>)> =
        facts.iter().cloned().zip(texts.iter().cloned()).collect();
    analysis::analyze_laid_out(
        &pairs,
        &link_options(config),
        config.dialect,
        enabled(config, files),
        last,
    )
}

fn link_options(config: &Config) -> LinkOptions {
    LinkOptions {
        table_naming: config.table_naming,
    }
}

/// Whether the configuration enables a rule in a file (by its index).
fn enabled<'a>(config: &'a Config, files: &'a [AnalyzedFile]) -> impl Fn(usize, &str) -> bool + 'a {
    |file, code| config.enabled(code, files[file].relative.as_deref())
}

/// Parses what needs parsing, links and checks. Pure apart from CPU time.
pub fn analyze(snapshot: Snapshot) -> (ProjectAnalysis, Vec<Parsed>) {
    let mut parsed = Vec::new();
    let mut files = Vec::with_capacity(snapshot.files.len());
    for file in snapshot.files {
        // An open buffer passes the same size limit, prefilter and binary
        // check as a file on disk, so that the editor and `check` see the
        // same workspace (the session says why when it skips one).
        if file.version.is_some() {
            let path = file
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from(&file.module_path));
            if workspace::buffer_skip(&path, &file.text).is_some() {
                continue;
            }
        }
        let facts = match file.facts {
            Some(facts) => facts,
            None => {
                let (tree, edited) = match &file.tree {
                    Some((tree, true)) => (tree.clone(), None),
                    Some((tree, false)) => (syntax::reparse(&file.text, tree), Some(tree)),
                    None => (syntax::parse(&file.text), None),
                };
                let incremental = edited
                    .zip(file.parsed_from.as_ref())
                    .filter(|(_, (_, old_facts))| old_facts.path == file.module_path)
                    .and_then(|(old_tree, (old_text, old_facts))| {
                        facts::extract_edited(old_facts, old_text, old_tree, &file.text, &tree)
                    });
                let facts = Arc::new(incremental.unwrap_or_else(|| {
                    facts::extract_from_tree(&file.module_path, &file.text, &tree)
                }));
                if let Some(stamp) = file.stamp {
                    parsed.push(Parsed {
                        uri: file.uri.clone(),
                        stamp,
                        module_path: file.module_path.clone(),
                        text: file.text.clone(),
                        tree,
                        facts: facts.clone(),
                    });
                }
                facts
            }
        };
        files.push(AnalyzedFile {
            uri: file.uri,
            path: file.path,
            version: file.version,
            text: file.text,
            rope: file.rope,
            facts,
            relative: file.relative,
        });
    }
    let previous = snapshot.previous.as_deref();
    let moved = previous.and_then(|previous| move_previous(previous, &snapshot.config, &files));
    let patched = match moved {
        Some(_) => None,
        None => previous.and_then(|previous| patch_previous(previous, &snapshot.config, &files)),
    };
    let relinked = match (&moved, &patched) {
        (None, None) => {
            previous.and_then(|previous| relink_previous(previous, &snapshot.config, &files))
        }
        _ => None,
    };
    let derivation = match (&moved, &patched, &relinked) {
        (Some(_), _, _) => Derivation::Moved,
        (None, Some(_), _) => Derivation::Patched,
        (None, None, Some(_)) => Derivation::Relinked,
        (None, None, None) => Derivation::Linked,
    };
    let texts: Vec<&str> = files.iter().map(|f| f.text.as_ref()).collect();
    let previous_layout = || previous.map_or_else(Arc::default, |p| p.layout.clone());
    let (graph, layout, moves, findings, diagnostics) = match (moved, patched, relinked) {
        (Some((graph, moves, findings)), _, _) => {
            let diagnostics = analysis::unsuppressed(&findings, &texts);
            (graph, previous_layout(), moves, findings, diagnostics)
        }
        (None, Some((graph, edit)), _) => {
            let config = &snapshot.config;
            let previous_findings = previous.map_or(&[][..], |previous| &previous.findings);
            let findings = analysis::find_after_option_edit(
                &graph,
                &texts,
                config.dialect,
                enabled(config, &files),
                previous_findings,
                &edit,
            );
            let diagnostics = analysis::unsuppressed(&findings, &texts);
            (
                Arc::new(graph),
                previous_layout(),
                GraphMoves::default(),
                findings,
                diagnostics,
            )
        }
        (None, None, Some((graph, layout))) => {
            let config = &snapshot.config;
            let findings = analysis::find(&graph, &texts, config.dialect, enabled(config, &files));
            let diagnostics = analysis::unsuppressed(&findings, &texts);
            (
                Arc::new(graph),
                Arc::new(layout),
                GraphMoves::default(),
                findings,
                diagnostics,
            )
        }
        (None, None, None) => {
            let texts: Vec<Arc<str>> = files.iter().map(|f| f.text.clone()).collect();
            let facts: Vec<Arc<FileFacts>> = files.iter().map(|f| f.facts.clone()).collect();
            // The unit of an edited file last: the next edit there relinks it alone.
            let edited = previous.and_then(|previous| {
                (previous.files.len() == files.len())
                    .then(|| changed_files(previous, &files).into_iter().next())
                    .flatten()
            });
            let result = run_laid_out(&snapshot.config, &files, &texts, &facts, edited);
            (
                Arc::new(result.graph),
                Arc::new(result.layout),
                GraphMoves::default(),
                result.findings,
                result.diagnostics,
            )
        }
    };
    let published = convert::diagnostics(&diagnostics, &files, snapshot.encoding);
    (
        ProjectAnalysis {
            revision: snapshot.revision,
            encoding: snapshot.encoding,
            config: snapshot.config,
            files,
            graph,
            layout,
            moves,
            derivation,
            findings,
            diagnostics,
            published,
        },
        parsed,
    )
}

/// The same files as the previous analysis, in the same order, under
/// settings that analyse alike: what its graph's file ids mean still holds.
fn same_project(previous: &ProjectAnalysis, config: &Config, files: &[AnalyzedFile]) -> bool {
    previous.files.len() == files.len()
        && previous.config.analyses_alike(config)
        && (previous.files.iter().zip(files))
            .all(|(old, new)| old.uri == new.uri && old.relative == new.relative)
}

/// The files whose facts are not those the previous graph was linked
/// from (a file moved since counts as changed: its graph positions are old).
fn changed_files(previous: &ProjectAnalysis, files: &[AnalyzedFile]) -> Vec<FileId> {
    (previous.graph.files.iter().zip(files).enumerate())
        .filter(|(_, (linked, file))| !Arc::ptr_eq(linked, &file.facts))
        .map(|(id, _)| id)
        .collect()
}

/// The previous graph with the changed files' unit linked again, when the
/// files and settings are those of the previous analysis and the change
/// keeps to the unit linked last (see [`graph::relink_unit`]). None when
/// the workspace must be linked again.
fn relink_previous(
    previous: &ProjectAnalysis,
    config: &Config,
    files: &[AnalyzedFile],
) -> Option<(Graph, Layout)> {
    if !same_project(previous, config, files) {
        return None;
    }
    let changed = changed_files(previous, files);
    let facts: Vec<Arc<FileFacts>> = files.iter().map(|f| f.facts.clone()).collect();
    graph::relink_unit(
        &previous.graph,
        &previous.layout,
        facts,
        &changed,
        &link_options(config),
    )
}

/// The previous graph patched for the new texts, when one file changed
/// and only inside an option value the linker does not read (see
/// [`graph::patched`]); the rules then run on it again. None when the
/// workspace must be linked again.
fn patch_previous(
    previous: &ProjectAnalysis,
    config: &Config,
    files: &[AnalyzedFile],
) -> Option<(Graph, OptionEdit)> {
    if !same_project(previous, config, files) {
        return None;
    }
    let mut edited = None;
    for (file, (old, new)) in previous.files.iter().zip(files).enumerate() {
        let same_text = Arc::ptr_eq(&old.text, &new.text) || old.text == new.text;
        // A file read again from disk unchanged has equal facts of its own.
        if same_text && (Arc::ptr_eq(&old.facts, &new.facts) || old.facts == new.facts) {
            continue;
        }
        if edited.replace(file).is_some() {
            return None;
        }
    }
    let file = edited?;
    let (old, new) = (&previous.files[file], &files[file]);
    // The graph was linked from exactly these facts, or from facts they
    // moved from (the copy then takes them).
    if !previous.moves.touches(file) && !Arc::ptr_eq(&previous.graph.files[file], &old.facts) {
        return None;
    }
    let texts = (old.text.as_ref(), new.text.as_ref());
    graph::patched(file, &old.facts, &new.facts, texts, || {
        let mut graph = (*previous.graph).clone();
        // The positions of a moved graph are not those of its files' texts:
        // the copy takes the moved facts and positions.
        for moved in previous.moves.files() {
            let facts = &previous.files[moved].facts;
            let current = |range| previous.moves.current(moved, range);
            if !graph::move_file(&mut graph, moved, facts, current) {
                return None;
            }
        }
        Some(graph)
    })
}

/// The previous analysis moved to the new texts, when no file's facts
/// changed but for their positions: the graph is kept (its positions are
/// moved on use), the findings are moved. None when anything else changed
/// (the files, the settings, a fact), and the project must be analysed.
fn move_previous(
    previous: &ProjectAnalysis,
    config: &Config,
    files: &[AnalyzedFile],
) -> Option<(Arc<Graph>, GraphMoves, Vec<Diagnostic>)> {
    if !same_project(previous, config, files) {
        return None;
    }
    let mut changes = Vec::new();
    for (file, (old, new)) in previous.files.iter().zip(files).enumerate() {
        if Arc::ptr_eq(&old.facts, &new.facts)
            && (Arc::ptr_eq(&old.text, &new.text) || old.text == new.text)
        {
            continue;
        }
        let change = shift::facts_moved(&old.facts, &old.text, &new.facts, &new.text)?;
        changes.push((file, change));
    }
    let mut moves = previous.moves.clone();
    let mut findings = previous.findings.clone();
    for (file, change) in changes {
        if !moves.add(file, change) {
            return None;
        }
        for finding in &mut findings {
            if !shift::shift_diagnostic(finding, file, &change) {
                return None;
            }
        }
    }
    Some((previous.graph.clone(), moves, findings))
}

#[cfg(test)]
mod tests;
