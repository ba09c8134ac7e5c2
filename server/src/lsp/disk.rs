//! Reading a project from disk, with the same discovery, excludes and
//! prefilter as `check` (`crate::workspace`). Blocking: the worker runs
//! these on the blocking pool.

use std::path::{Path, PathBuf};

use ropey::Rope;
use tower_lsp_server::ls_types::Uri;

use super::session::DiskFile;
use crate::config::{Config, ConfigError};
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

/// Reads and extracts the candidates: the files that may hold models, and
/// the messages about files that could not be read.
pub fn load(candidates: &[Candidate]) -> (Vec<(PathBuf, DiskFile)>, Vec<String>) {
    let loaded = workspace::load(candidates);
    let mut messages: Vec<String> = loaded
        .skipped
        .iter()
        .filter(|s| Path::new(&s.path).exists() || !s.reason.starts_with("cannot read"))
        .map(|s| format!("{}: {}", s.path, s.reason))
        .collect();
    messages.extend(loaded.errors);
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
    (files, messages)
}
