//! Reading a project from disk, with the same discovery, excludes and
//! prefilter as `check` (`crate::workspace`). Blocking: the worker runs
//! these on the blocking pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ropey::Rope;
use tower_lsp_server::ls_types::Uri;

use super::session::DiskFile;
use crate::cache::FactsCache;
use crate::config::{Config, ConfigError};
use crate::facts::FileFacts;
use crate::workspace::{self, Candidate};

pub fn load_config(root: Option<&Path>) -> Result<Config, ConfigError> {
    match root {
        Some(root) => Config::discover(root),
        None => Ok(Config::default_at(Path::new("."))),
    }
}

/// Does the new configuration change which files discovery finds?
pub fn changes_discovery(old: &Config, new: &Config) -> bool {
    old.base != new.base || old.source != new.source || old.exclude_patterns != new.exclude_patterns
}

pub fn discover(root: &Path, config: &Config) -> (Vec<Candidate>, Vec<String>) {
    workspace::discover(&[root.to_path_buf()], config)
}

pub fn candidate(path: &Path, root: &Path) -> Candidate {
    Candidate {
        path: path.to_path_buf(),
        module_root: root.to_path_buf(),
        explicit: false,
    }
}

/// What reading candidates from disk gave.
#[derive(Default)]
pub struct Loaded {
    pub files: Vec<(PathBuf, DiskFile)>,
    /// About the files that could not be read.
    pub messages: Vec<String>,
    /// Each file's facts with its module path and content hash, for the
    /// facts cache.
    pub cache_entries: Vec<(String, u64, Arc<FileFacts>)>,
}

/// Reads and extracts the candidates: the files that may hold models.
/// The facts of a file unchanged since `cache` was written come from it.
pub fn load(candidates: &[Candidate], cache: Option<&FactsCache>) -> Loaded {
    let loaded = workspace::load_with_cache(candidates, cache);
    let mut messages: Vec<String> = loaded
        .skipped
        .iter()
        .filter(|s| Path::new(&s.path).exists() || !s.reason.starts_with("cannot read"))
        .map(|s| format!("{}: {}", s.path, s.reason))
        .collect();
    messages.extend(loaded.errors);
    let cache_entries = loaded
        .files
        .iter()
        .map(|f| (f.facts.path.clone(), f.content_hash, f.facts.clone()))
        .collect();
    let files = loaded
        .files
        .into_iter()
        .filter_map(|file| {
            let uri = Uri::from_file_path(&file.absolute)?;
            let rope = Rope::from_str(&file.text);
            Some((
                file.absolute,
                DiskFile {
                    uri,
                    rope,
                    text: file.text,
                    facts: file.facts,
                    // Set by the session, which knows the configuration.
                    relative: None,
                },
            ))
        })
        .collect();
    Loaded {
        files,
        messages,
        cache_entries,
    }
}
