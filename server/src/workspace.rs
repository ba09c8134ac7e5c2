//! Finding, reading and extracting the Python files of a workspace: the IO
//! half of a check, shared by the CLI and the language server.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use aho_corasick::AhoCorasick;
use rayon::prelude::*;

use crate::cache::FactsCache;
use crate::config::{Config, DEFAULT_EXCLUDES};
use crate::facts::{self, FileFacts};

/// Files larger than this are not model code; they are skipped with a message.
pub const MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Relative to the current directory (or the workspace folder), `/`-separated.
    pub display_path: String,
    pub absolute: PathBuf,
    /// A hash of the file's bytes as read (the facts cache's key).
    pub content_hash: u64,
    pub text: Arc<str>,
    pub facts: Arc<FileFacts>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Workspace {
    pub files: Vec<SourceFile>,
    /// Python files looked at, including those the prefilter passed over.
    pub files_checked: usize,
    /// Files that could not be analysed, with the reason.
    pub skipped: Vec<Skipped>,
    /// Paths given explicitly that do not exist or cannot be read.
    pub errors: Vec<String>,
}

/// A Python file found by discovery, with the root its module name is relative to.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: PathBuf,
    pub module_root: PathBuf,
    /// Given on the command line: read even if excluded by pattern.
    pub explicit: bool,
}

fn is_python(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("py" | "pyi")
    )
}

/// The directory a file's module name is relative to, as Python sees it:
/// above the outermost package (directories with `__init__.py`) that holds
/// it. A file outside any package is named relative to `fallback`, the
/// checked directory (scripts, namespace packages).
fn package_root(path: &Path, fallback: &Path) -> PathBuf {
    let Some(mut dir) = path.parent() else {
        return fallback.to_path_buf();
    };
    if !dir.join("__init__.py").is_file() {
        return fallback.to_path_buf();
    }
    while dir.join("__init__.py").is_file() {
        match dir.parent() {
            Some(parent) => dir = parent,
            None => break,
        }
    }
    dir.to_path_buf()
}

/// An Alembic `versions/` directory (beside its `env.py`): migration scripts
/// declare throw-away models of their own, which are not the application's.
fn is_migration_versions(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "versions")
        && path.parent().is_some_and(|p| p.join("env.py").is_file())
}

/// Walks the given paths (gitignore-aware, default and configured excludes).
pub fn discover(paths: &[PathBuf], config: &Config) -> (Vec<Candidate>, Vec<String>) {
    let mut candidates = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if !path.exists() {
            errors.push(format!("{}: No such file or directory", path.display()));
            continue;
        }
        if path.is_file() {
            let fallback = path.parent().map(Path::to_path_buf).unwrap_or_default();
            candidates.push(Candidate {
                path: path.clone(),
                module_root: package_root(path, &fallback),
                explicit: true,
            });
            continue;
        }
        let root = path.clone();
        let base = config.base.clone();
        let exclude = config.clone();
        let mut builder = ignore::WalkBuilder::new(path);
        builder
            .hidden(true)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(move |entry| {
                let name = entry.file_name().to_string_lossy();
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                if entry.depth() > 0
                    && is_dir
                    && (DEFAULT_EXCLUDES.contains(&name.as_ref())
                        || is_migration_versions(entry.path()))
                {
                    return false;
                }
                let absolute = std::fs::canonicalize(entry.path())
                    .unwrap_or_else(|_| entry.path().to_path_buf());
                match absolute.strip_prefix(&base) {
                    Ok(relative) => {
                        !exclude.is_excluded(&relative.to_string_lossy().replace('\\', "/"))
                    }
                    Err(_) => true,
                }
            });
        for entry in builder.build() {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file()) && is_python(entry.path()) {
                        candidates.push(Candidate {
                            path: entry.path().to_path_buf(),
                            module_root: package_root(entry.path(), &root),
                            explicit: false,
                        });
                    }
                }
                Err(error) => errors.push(format!("warning: {error}")),
            }
        }
    }
    // One file reached through two spellings (`check . ../app`, a path
    // given twice) is one module: read twice, its classes would look
    // defined twice, and `--fix` would write it twice. (One walk, which
    // follows no links, finds each file once.)
    if paths.len() > 1 {
        let mut seen = std::collections::HashSet::new();
        candidates.retain(|c| {
            seen.insert(std::fs::canonicalize(&c.path).unwrap_or_else(|_| c.path.clone()))
        });
    }
    candidates.sort_by(|a, b| a.path.cmp(&b.path));
    (candidates, errors)
}

/// Why a file of `len` bytes is not read: over [`MAX_FILE_SIZE`].
pub fn too_large(len: u64) -> Option<String> {
    (len > MAX_FILE_SIZE).then(|| {
        format!(
            "skipped: {} MiB is larger than the {} MiB limit for a source file",
            len / (1024 * 1024),
            MAX_FILE_SIZE / (1024 * 1024)
        )
    })
}

/// Why a file that passed the prefilter is not analysed: NUL bytes.
pub const BINARY: &str = "skipped: binary file (contains NUL bytes)";

/// Why a text an editor holds (not read from disk) is not analysed, as
/// `check` would skip the file: too large or binary (both said, with the
/// reason), or no model code (`Some(None)`: nothing to say). `None` when it
/// is analysed.
pub fn buffer_skip(path: &Path, text: &str) -> Option<Option<String>> {
    if let Some(reason) = too_large(text.len() as u64) {
        return Some(Some(reason));
    }
    if !may_hold_models(path, text.as_bytes()) {
        return Some(None);
    }
    if memchr::memchr(0, text.as_bytes()).is_some() {
        return Some(Some(BINARY.into()));
    }
    None
}

/// Bytes that any file holding models, tables or the engine mentions.
fn prefilter() -> &'static AhoCorasick {
    static PREFILTER: OnceLock<AhoCorasick> = OnceLock::new();
    PREFILTER.get_or_init(|| {
        AhoCorasick::new([
            "sqlalchemy",
            "sqlmodel",
            ".Model",
            "Table(",
            "relationship",
            "Column(",
            "ForeignKey",
            "mapped_column",
            "declarative",
            "MetaData",
            "create_engine",
            "Mapped[",
            "__tablename__",
            "foreign_keys",
            // Bulk deletes in service modules: `session.query(X)...delete()`.
            ".query(",
            "delete(",
        ])
        .expect("the prefilter patterns are valid")
    })
}

/// Could this file hold model facts? Package `__init__` files always pass:
/// they re-export models and bases that other files import.
pub fn may_hold_models(path: &Path, bytes: &[u8]) -> bool {
    path.file_name().is_some_and(|n| n == "__init__.py") || prefilter().is_match(bytes)
}

pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let relative = cwd
        .as_ref()
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .unwrap_or(path);
    let text = relative.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

/// The path a module name derives from: relative to the module root.
pub fn module_path(path: &Path, module_root: &Path) -> String {
    path.strip_prefix(module_root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

enum Loaded {
    File(SourceFile),
    Skipped(Skipped),
    Filtered,
}

/// Time spent in each step of loading, summed over the threads that load
/// files in parallel (the benchmark's breakdown of a check).
#[derive(Debug, Default)]
pub struct LoadTimings {
    /// Reading, the size and encoding checks, the prefilter and the hash.
    pub read_ns: AtomicU64,
    /// Tree-sitter parsing.
    pub parse_ns: AtomicU64,
    /// Reading facts from the tree (or taking them from the cache).
    pub extract_ns: AtomicU64,
}

fn add_elapsed(counter: Option<&AtomicU64>, since: Instant) -> Instant {
    let now = Instant::now();
    if let Some(counter) = counter {
        counter.fetch_add((now - since).as_nanos() as u64, Ordering::Relaxed);
    }
    now
}

fn load_one(
    candidate: &Candidate,
    cache: Option<&FactsCache>,
    force: bool,
    timings: Option<&LoadTimings>,
) -> Loaded {
    let started = Instant::now();
    let loaded = read_and_extract(candidate, cache, force, timings, started);
    if let Loaded::Filtered | Loaded::Skipped(_) = loaded {
        add_elapsed(timings.map(|t| &t.read_ns), started);
    }
    loaded
}

fn read_and_extract(
    candidate: &Candidate,
    cache: Option<&FactsCache>,
    force: bool,
    timings: Option<&LoadTimings>,
    started: Instant,
) -> Loaded {
    let display = display_path(&candidate.path);
    let skip = |reason: String| {
        Loaded::Skipped(Skipped {
            path: display.clone(),
            reason,
        })
    };
    let metadata = match std::fs::metadata(&candidate.path) {
        Ok(metadata) => metadata,
        Err(error) => return skip(format!("cannot read: {error}")),
    };
    if let Some(reason) = too_large(metadata.len()) {
        return skip(reason);
    }
    let bytes = match std::fs::read(&candidate.path) {
        Ok(bytes) => bytes,
        Err(error) => return skip(format!("cannot read: {error}")),
    };
    if !force && !may_hold_models(&candidate.path, &bytes) {
        return Loaded::Filtered;
    }
    if memchr::memchr(0, &bytes).is_some() {
        return skip(BINARY.into());
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            return skip(format!(
                "skipped: not valid UTF-8 (invalid byte at offset {})",
                error.utf8_error().valid_up_to()
            ))
        }
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_string)
        .unwrap_or(text);
    let module = module_path(&candidate.path, &candidate.module_root);
    let hash = crate::cache::content_hash(text.as_bytes());
    let mut now = add_elapsed(timings.map(|t| &t.read_ns), started);
    let facts = match cache.and_then(|c| c.get(&module, hash)) {
        Some(facts) => facts,
        None => {
            let tree = crate::syntax::parse(&text);
            now = add_elapsed(timings.map(|t| &t.parse_ns), now);
            Arc::new(facts::extract_from_tree(&module, &text, &tree))
        }
    };
    add_elapsed(timings.map(|t| &t.extract_ns), now);
    Loaded::File(SourceFile {
        display_path: display,
        absolute: candidate.path.clone(),
        content_hash: hash,
        text: Arc::from(text),
        facts,
    })
}

/// Reads and extracts every candidate, in parallel.
pub fn load(candidates: &[Candidate]) -> Workspace {
    load_with_cache(candidates, None)
}

/// Reads every candidate, taking the facts of unchanged files from `cache`.
pub fn load_with_cache(candidates: &[Candidate], cache: Option<&FactsCache>) -> Workspace {
    load_timed(candidates, cache, None)
}

/// [`load_with_cache`], adding the time of each step to `timings`.
pub fn load_timed(
    candidates: &[Candidate],
    cache: Option<&FactsCache>,
    timings: Option<&LoadTimings>,
) -> Workspace {
    let loaded: Vec<Loaded> = candidates
        .par_iter()
        .map(|c| load_one(c, cache, false, timings))
        .collect();
    let mut workspace = Workspace {
        files_checked: candidates.len(),
        ..Workspace::default()
    };
    let mut filtered: Vec<&Candidate> = Vec::new();
    for (item, candidate) in loaded.into_iter().zip(candidates) {
        match item {
            Loaded::File(file) => workspace.files.push(file),
            Loaded::Skipped(skipped) => workspace.skipped.push(skipped),
            Loaded::Filtered => filtered.push(candidate),
        }
    }
    // Modules the model files import (a mixin of plain methods, a helper
    // that returns a Column) are read too, whatever the prefilter said:
    // without them those names would look like another library's.
    for _ in 0..3 {
        let imported = imported_modules(&workspace.files);
        // A module is wanted when it is imported, or when an import's dotted
        // name ends with `.module`: every dotted tail of every import.
        let mut names: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for import in &imported {
            names.insert(import);
            for (dot, _) in import.match_indices('.') {
                names.insert(&import[dot + 1..]);
            }
        }
        let (wanted, rest): (Vec<&Candidate>, Vec<&Candidate>) =
            filtered.into_iter().partition(|c| {
                let module = facts::module_name(&module_path(&c.path, &c.module_root)).0;
                !module.is_empty() && names.contains(module.as_str())
            });
        filtered = rest;
        if wanted.is_empty() {
            break;
        }
        let loaded: Vec<Loaded> = wanted
            .par_iter()
            .map(|c| load_one(c, cache, true, timings))
            .collect();
        for item in loaded {
            match item {
                Loaded::File(file) => workspace.files.push(file),
                Loaded::Skipped(skipped) => workspace.skipped.push(skipped),
                Loaded::Filtered => {}
            }
        }
    }
    workspace.files.sort_by(|a, b| a.absolute.cmp(&b.absolute));
    workspace
}

/// Every module (and `module.member`) the files import from.
fn imported_modules(files: &[SourceFile]) -> std::collections::HashSet<String> {
    let mut modules = std::collections::HashSet::new();
    for file in files {
        for import in &file.facts.imports {
            if crate::facts::imports::is_sqlalchemy_module(&import.module) {
                continue;
            }
            modules.insert(import.module.clone());
            if let Some(member) = &import.member {
                modules.insert(format!("{}.{member}", import.module));
            }
        }
    }
    modules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_passes_models_and_packages() {
        assert!(may_hold_models(
            Path::new("a.py"),
            b"from sqlalchemy import Column"
        ));
        assert!(may_hold_models(
            Path::new("pkg/__init__.py"),
            b"from .user import User"
        ));
        assert!(!may_hold_models(
            Path::new("utils.py"),
            b"def add(a, b):\n    return a + b\n"
        ));
    }
}
