//! The fixture workspaces as `check` loads and analyses them, for the
//! fixture tests and the fix properties.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqla_analyzer::analysis::{self, Analysis};
use sqla_analyzer::config::{Config, Dialect};
use sqla_analyzer::facts::FileFacts;
use sqla_analyzer::graph::LinkOptions;
use sqla_analyzer::workspace::{self, SourceFile};

/// `tests/fixtures/`.
pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// The files of the workspace at `dir`, loaded with the default
/// configuration; every file must load.
pub fn load_workspace(dir: &Path) -> Vec<SourceFile> {
    let config = Config::default_at(dir);
    let (candidates, errors) = workspace::discover(&[dir.to_path_buf()], &config);
    assert!(errors.is_empty(), "{}: {errors:?}", dir.display());
    let loaded = workspace::load(&candidates);
    assert!(
        loaded.skipped.is_empty(),
        "{}: {:?}",
        dir.display(),
        loaded.skipped
    );
    loaded.files
}

/// Every rule, on PostgreSQL, with the default table naming.
pub fn analyze(files: &[SourceFile]) -> Analysis {
    let pairs: Vec<(Arc<FileFacts>, Arc<str>)> = files
        .iter()
        .map(|f| (f.facts.clone(), f.text.clone()))
        .collect();
    analysis::analyze(
        &pairs,
        &LinkOptions::default(),
        Dialect::Postgresql,
        |_, _| true,
    )
}
