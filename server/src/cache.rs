//! A cache of per-file facts, so that `check` and the language server's
//! scan parse only the files that changed since the last run. Entries are
//! keyed by the file's module path and a hash of its bytes; the cache is
//! tied to the analyzer's version and its queries, and is rebuilt when
//! either changes. Failures to read or write it are never errors: the
//! check (or the scan) simply runs without it.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::facts::FileFacts;

pub const DIRECTORY: &str = ".sqla-analyzer-cache";

#[derive(Serialize, Deserialize)]
struct Stored {
    key: u64,
    entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    module_path: String,
    content_hash: u64,
    facts: FileFacts,
}

/// [`Stored`] as written: borrowing the facts, which serialize the same,
/// instead of copying every file's facts first.
#[derive(Serialize)]
struct StoredRef<'a> {
    key: u64,
    entries: Vec<EntryRef<'a>>,
}

#[derive(Serialize)]
struct EntryRef<'a> {
    module_path: &'a str,
    content_hash: u64,
    facts: &'a FileFacts,
}

pub struct FactsCache {
    file: PathBuf,
    entries: HashMap<(String, u64), Arc<FileFacts>>,
}

/// What invalidates every entry: the analyzer's version and its queries.
fn cache_key() -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    for (name, source) in crate::syntax::QUERY_SOURCES {
        name.hash(&mut hasher);
        source.hash(&mut hasher);
    }
    // The extraction code itself: the binary's build identity.
    env!("SQLA_ANALYZER_BUILD").hash(&mut hasher);
    hasher.finish()
}

pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

impl FactsCache {
    /// Opens (or starts) the cache in `root/.sqla-analyzer-cache`.
    pub fn open(root: &Path) -> Self {
        let file = root.join(DIRECTORY).join("facts.bin");
        let entries = std::fs::read(&file)
            .ok()
            .and_then(|bytes| postcard::from_bytes::<Stored>(&bytes).ok())
            .filter(|stored| stored.key == cache_key())
            .map(|stored| {
                stored
                    .entries
                    .into_iter()
                    .map(|e| ((e.module_path, e.content_hash), Arc::new(e.facts)))
                    .collect()
            })
            .unwrap_or_default();
        Self { file, entries }
    }

    pub fn get(&self, module_path: &str, content_hash: u64) -> Option<Arc<FileFacts>> {
        self.entries
            .get(&(module_path.to_string(), content_hash))
            .cloned()
    }

    /// Replaces the cache with the facts of this run's files.
    pub fn store(&self, files: &[(String, u64, Arc<FileFacts>)]) {
        let stored = StoredRef {
            key: cache_key(),
            entries: files
                .iter()
                .map(|(module_path, hash, facts)| EntryRef {
                    module_path,
                    content_hash: *hash,
                    facts,
                })
                .collect(),
        };
        let Some(directory) = self.file.parent() else {
            return;
        };
        // The cache directory only, never its parent: a scan's cache is
        // written in the background, and a workspace folder deleted in the
        // meantime must stay deleted.
        match std::fs::create_dir(directory) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(_) => return,
        }
        // Keep the cache out of version control, as other tools do.
        let ignore = directory.join(".gitignore");
        if !ignore.exists() {
            let _ = std::fs::write(&ignore, "# Created by sqla-analyzer\n*\n");
        }
        // Serialized straight into the file: a workspace's facts are tens of
        // MB serialized, which a buffer would hold (twice, while it grows)
        // in a server that has just scanned.
        let temporary = directory.join(format!("facts.bin.{}.tmp", std::process::id()));
        let written = std::fs::File::create(&temporary).and_then(|file| {
            let writer = postcard::to_io(&stored, std::io::BufWriter::new(file))
                .map_err(std::io::Error::other)?;
            writer.into_inner().map(drop).map_err(|e| e.into_error())
        });
        if written.is_ok() {
            let _ = std::fs::rename(&temporary, &self.file);
        } else {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts;

    #[test]
    fn stored_facts_read_back_equal() {
        let directory = tempfile::tempdir().unwrap();
        let text = "from sqlalchemy import Column, Integer\n\nclass A(Base):\n    __tablename__ = 'a'\n    id = Column(Integer, primary_key=True)\n";
        let stored = Arc::new(facts::extract("app.models", text));
        let hash = content_hash(text.as_bytes());
        FactsCache::open(directory.path()).store(&[("app/models.py".into(), hash, stored.clone())]);

        let cache = FactsCache::open(directory.path());
        assert_eq!(cache.get("app/models.py", hash).as_deref(), Some(&*stored));
        assert!(cache.get("app/models.py", hash + 1).is_none());
        assert!(cache.get("app/other.py", hash).is_none());
        let ignore = directory.path().join(DIRECTORY).join(".gitignore");
        assert_eq!(
            std::fs::read_to_string(ignore).unwrap(),
            "# Created by sqla-analyzer\n*\n"
        );
    }

    /// The scan writes its cache in the background; a workspace folder
    /// deleted before the write must not come back.
    #[test]
    fn a_deleted_root_is_not_recreated() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path().join("workspace");
        std::fs::create_dir(&root).unwrap();
        let cache = FactsCache::open(&root);
        std::fs::remove_dir(&root).unwrap();
        let text = "x = 1\n";
        let facts = Arc::new(facts::extract("x", text));
        cache.store(&[("x.py".into(), content_hash(text.as_bytes()), facts)]);
        assert!(!root.exists());
    }
}
