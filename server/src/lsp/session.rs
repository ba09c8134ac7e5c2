//! The server's state: open documents, the projects (one per workspace
//! folder, plus loose ones for files outside every folder) with the files
//! read from disk, and each project's latest analysis.
//!
//! Handlers change it in one synchronous section each, in arrival order;
//! every change of an analysis input bumps the revision. The worker takes
//! snapshots, analyses them off the async runtime and hands results back
//! through [`Session::accept`], which drops results older than the inputs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ropey::Rope;
use tower_lsp_server::ls_types::{self as lsp, FileChangeType, FileEvent, Uri};
use tree_sitter::Tree;

use super::document::{Document, LastParse};
use super::encoding::Encoding;
use super::settings::Overrides;
use super::snapshot::{Parsed, ProjectAnalysis, Snapshot, SnapshotFile};
use crate::config::{Config, DEFAULT_EXCLUDES};
use crate::facts::FileFacts;
use crate::workspace;

/// What the client said it can do.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientFlags {
    pub work_done_progress: bool,
    pub watch_files: bool,
    pub document_changes: bool,
    pub configuration: bool,
    /// The client resolves a code action's `edit` later
    /// (`codeAction/resolve`), so costly edits can wait until chosen.
    pub resolves_code_action_edits: bool,
}

pub struct DiskFile {
    pub uri: Uri,
    pub text: Arc<str>,
    pub rope: Rope,
    pub facts: Arc<FileFacts>,
    /// [`Project::config_relative`] of the file, kept with it: every
    /// snapshot asks for it, and the configuration seldom changes.
    pub relative: Option<String>,
}

pub struct Project {
    /// The directory module names and excludes are relative to; `None` for
    /// documents that are not files.
    pub root: Option<PathBuf>,
    pub root_canonical: Option<PathBuf>,
    /// A workspace folder (scanned), or a loose project of open files.
    pub folder: bool,
    /// The last configuration that loaded without error.
    pub config: Config,
    /// The last configuration error shown, not shown twice.
    pub config_error: Option<String>,
    /// Every Python file discovery found, prefiltered or not.
    pub candidates: BTreeSet<PathBuf>,
    /// The files read from disk that may hold models.
    pub disk: BTreeMap<PathBuf, DiskFile>,
    pub needs_config: bool,
    pub needs_scan: bool,
    pub needs_discovery: bool,
    pub reload: BTreeSet<PathBuf>,
    /// The first scan is done: analyses may start.
    pub scanned: bool,
    /// Removed from the workspace: its diagnostics are to be cleared.
    pub removed: bool,
    /// The revision of the last change to this project's inputs.
    pub changed_at: u64,
    /// The revision the last analysis (or failed attempt) was made at.
    pub analyzed_at: Option<u64>,
    pub analysis: Option<Arc<ProjectAnalysis>>,
    /// What was last published, by document: version and diagnostics.
    pub published: HashMap<Uri, (Option<i32>, Vec<lsp::Diagnostic>)>,
}

impl Project {
    fn new(root: Option<PathBuf>, folder: bool, changed_at: u64) -> Self {
        let root_canonical = root
            .as_ref()
            .map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.clone()));
        let base = root_canonical.clone().unwrap_or_default();
        Project {
            root,
            root_canonical,
            folder,
            config: Config::default_at(&base),
            config_error: None,
            candidates: BTreeSet::new(),
            disk: BTreeMap::new(),
            needs_config: true,
            needs_scan: folder,
            needs_discovery: false,
            reload: BTreeSet::new(),
            scanned: !folder,
            removed: false,
            changed_at,
            analyzed_at: None,
            analysis: None,
            published: HashMap::new(),
        }
    }

    pub fn contains(&self, path: &Path) -> bool {
        match &self.root {
            Some(root) if self.folder => path.starts_with(root),
            Some(root) => path.parent() == Some(root.as_path()),
            None => false,
        }
    }

    /// The path module names derive from, as `check` computes it.
    pub fn module_path(&self, path: &Path) -> String {
        match &self.root {
            Some(root) => workspace::module_path(path, root),
            None => path.to_string_lossy().replace('\\', "/"),
        }
    }

    /// The path relative to the configuration's base (per-file ignores, excludes).
    /// Stores a file read from disk, with its path relative to the
    /// configuration.
    pub fn insert_disk_file(&mut self, path: PathBuf, mut file: DiskFile) {
        file.relative = self.config_relative(&path);
        self.disk.insert(path, file);
    }

    /// Takes a new configuration, whose base the disk files' relative
    /// paths follow.
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
        let relative: Vec<Option<String>> = self
            .disk
            .keys()
            .map(|path| self.config_relative(path))
            .collect();
        for (file, relative) in self.disk.values_mut().zip(relative) {
            file.relative = relative;
        }
    }

    pub fn config_relative(&self, path: &Path) -> Option<String> {
        let root = self.root.as_ref()?;
        let canonical = self
            .root_canonical
            .as_ref()?
            .join(path.strip_prefix(root).ok()?);
        canonical
            .strip_prefix(&self.config.base)
            .ok()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
    }

    /// Would discovery skip this path (default excludes, hidden entries,
    /// configured excludes)? Ignore files are left to discovery itself.
    pub fn is_excluded(&self, path: &Path) -> bool {
        let Some(root) = &self.root else {
            return false;
        };
        let Ok(relative) = path.strip_prefix(root) else {
            return false;
        };
        let components: Vec<_> = relative.components().collect();
        let mut prefix = PathBuf::new();
        for (index, component) in components.iter().enumerate() {
            let name = component.as_os_str().to_string_lossy();
            let is_dir = index + 1 < components.len();
            if name.starts_with('.') || (is_dir && DEFAULT_EXCLUDES.contains(&name.as_ref())) {
                return true;
            }
            prefix.push(component);
            if let Some(relative) = self.config_relative(&root.join(&prefix)) {
                if self.config.is_excluded(&relative) {
                    return true;
                }
            }
        }
        false
    }

    /// Analysed at its latest inputs (or failed there); nothing to do.
    pub fn up_to_date(&self) -> bool {
        self.analyzed_at.is_some_and(|at| at >= self.changed_at)
    }
}

/// What accepting an analysis replaced. Freeing a graph or a tree takes a
/// while (a tree after error recovery shares few nodes with the one before
/// it): the worker drops this off the session's lock, on the analysis
/// thread, while the diagnostics go out.
#[derive(Default)]
pub struct Replaced {
    pub analysis: Option<Arc<ProjectAnalysis>>,
    pub trees: Vec<Tree>,
    pub parses: Vec<LastParse>,
}

/// A `publishDiagnostics` to send.
#[derive(Debug, Clone)]
pub struct Publish {
    pub uri: Uri,
    pub diagnostics: Vec<lsp::Diagnostic>,
    pub version: Option<i32>,
}

/// Disk work a project waits for, taken by the worker.
pub struct DiskWork {
    pub project: u64,
    pub root: Option<PathBuf>,
    pub config: bool,
    pub scan: bool,
    pub discovery: bool,
    pub reload: Vec<PathBuf>,
}

pub fn is_python(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("py" | "pyi")
    )
}

pub fn is_config_file(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("pyproject.toml" | "sqla-analyzer.toml")
    )
}

pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().as_str() != "file" {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

#[derive(Default)]
pub struct Session {
    pub encoding: Encoding,
    pub flags: ClientFlags,
    pub overrides: Overrides,
    pub projects: BTreeMap<u64, Project>,
    next_project: u64,
    pub documents: HashMap<Uri, Document>,
    /// Bumped by every change of an analysis input.
    pub revision: u64,
    /// `initialized` arrived: folders may be scanned.
    pub started: bool,
    pub shut_down: bool,
    /// Errors found before the client could be told (initializationOptions).
    pub startup_messages: Vec<String>,
    /// Counts didChangeConfiguration, so that a late answer to a
    /// workspace/configuration request does not undo a newer change.
    pub settings_sequence: u64,
}

impl Session {
    fn bump(&mut self) -> u64 {
        self.revision += 1;
        self.revision
    }

    /// `initialized`: scans may start.
    pub fn start(&mut self) {
        self.started = true;
        self.touch_all();
    }

    pub fn touch(&mut self, project: u64) {
        let revision = self.bump();
        if let Some(project) = self.projects.get_mut(&project) {
            project.changed_at = revision;
        }
    }

    fn touch_all(&mut self) {
        let revision = self.bump();
        for project in self.projects.values_mut() {
            project.changed_at = revision;
        }
    }

    pub fn add_folder(&mut self, root: PathBuf) {
        if self
            .projects
            .values()
            .any(|p| p.folder && !p.removed && p.root.as_ref() == Some(&root))
        {
            return;
        }
        let revision = self.bump();
        let id = self.next_project;
        self.next_project += 1;
        self.projects
            .insert(id, Project::new(Some(root), true, revision));
        // Open documents may move into the new folder.
        self.reassign_documents();
    }

    pub fn remove_folder(&mut self, root: &Path) {
        for project in self.projects.values_mut() {
            if project.folder && project.root.as_deref() == Some(root) {
                project.removed = true;
            }
        }
        self.touch_all();
        self.reassign_documents();
    }

    /// The project a path belongs to: the deepest folder holding it, else
    /// the loose project of its directory.
    pub fn project_of_path(&self, path: Option<&Path>) -> Option<u64> {
        match path {
            Some(path) => self
                .projects
                .iter()
                .filter(|(_, p)| !p.removed && p.folder && p.contains(path))
                .max_by_key(|(_, p)| p.root.as_ref().map(|r| r.components().count()))
                .or_else(|| {
                    self.projects
                        .iter()
                        .find(|(_, p)| !p.removed && !p.folder && p.contains(path))
                })
                .map(|(id, _)| *id),
            None => self
                .projects
                .iter()
                .find(|(_, p)| !p.removed && p.root.is_none())
                .map(|(id, _)| *id),
        }
    }

    pub fn project_of(&self, uri: &Uri) -> Option<u64> {
        self.project_of_path(uri_path(uri).as_deref())
    }

    /// The project of a document, creating a loose one when needed.
    fn ensure_project(&mut self, uri: &Uri) -> u64 {
        if let Some(id) = self.project_of(uri) {
            return id;
        }
        let root = uri_path(uri).and_then(|p| p.parent().map(Path::to_path_buf));
        let revision = self.bump();
        let id = self.next_project;
        self.next_project += 1;
        self.projects
            .insert(id, Project::new(root, false, revision));
        id
    }

    fn reassign_documents(&mut self) {
        let uris: Vec<Uri> = self.documents.keys().cloned().collect();
        for uri in uris {
            let id = self.ensure_project(&uri);
            self.touch(id);
        }
    }

    fn is_analysed(uri: &Uri, document: &Document) -> bool {
        document.language_id == "python" || uri_path(uri).is_some_and(|p| is_python(&p))
    }

    /// Notes why a document's text is skipped, as `check` would skip the
    /// file; the message to log when the reason is new.
    fn note_skipped(uri: &Uri, document: &mut Document) -> Option<String> {
        let path = uri_path(uri).unwrap_or_else(|| {
            PathBuf::from(uri.path().as_str().rsplit('/').next().unwrap_or_default())
        });
        let reason = if Self::is_analysed(uri, document) {
            workspace::buffer_skip(&path, &document.text).flatten()
        } else {
            None
        };
        if reason == document.skipped {
            return None;
        }
        document.skipped = reason.clone();
        let shown = uri_path(uri)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| uri.as_str().to_string());
        reason.map(|reason| format!("sqla-analyzer: {shown}: {reason}"))
    }

    /// Opens a document; a message to log when its text is skipped.
    pub fn open(
        &mut self,
        uri: Uri,
        text: String,
        version: i32,
        language_id: String,
    ) -> Option<String> {
        let mut document = Document::new(text, version, language_id);
        let analysed = Self::is_analysed(&uri, &document);
        let skipped = Self::note_skipped(&uri, &mut document);
        self.documents.insert(uri.clone(), document);
        if analysed {
            let id = self.ensure_project(&uri);
            self.touch(id);
        }
        skipped
    }

    /// Applies a `didChange`; an error message when it cannot be applied,
    /// a message to log when the text is now skipped.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: &[lsp::TextDocumentContentChangeEvent],
    ) -> Result<Option<String>, String> {
        let encoding = self.encoding;
        let Some(document) = self.documents.get_mut(uri) else {
            return Err(format!(
                "didChange for {} which is not open: ignored",
                uri.as_str()
            ));
        };
        if version <= document.version {
            return Err(format!(
                "didChange for {} with version {version} after version {}: ignored",
                uri.as_str(),
                document.version
            ));
        }
        document.apply(changes, encoding);
        document.version = version;
        let skipped = Self::note_skipped(uri, document);
        if Self::is_analysed(uri, document) {
            if let Some(id) = self.project_of(uri) {
                self.touch(id);
            }
        }
        Ok(skipped)
    }

    /// A saved document: its file on disk is current again.
    pub fn save(&mut self, uri: &Uri) {
        let Some(path) = uri_path(uri) else {
            return;
        };
        if is_config_file(&path) {
            self.config_changed();
            return;
        }
        self.disk_changed(&path, false);
    }

    pub fn close(&mut self, uri: &Uri) -> bool {
        if self.documents.remove(uri).is_none() {
            return false;
        }
        let id = self.project_of(uri);
        if let (Some(id), Some(path)) = (id, uri_path(uri)) {
            if let Some(project) = self.projects.get_mut(&id) {
                if project.candidates.contains(&path) {
                    // The buffer may have been unsaved: back to the disk's text.
                    project.reload.insert(path);
                }
            }
        }
        if let Some(id) = id {
            self.touch(id);
        }
        true
    }

    fn config_changed(&mut self) {
        for project in self.projects.values_mut() {
            project.needs_config = true;
        }
        self.touch_all();
    }

    fn disk_changed(&mut self, path: &Path, deleted: bool) {
        let Some(id) = self.project_of_path(Some(path)) else {
            return;
        };
        let Some(project) = self.projects.get_mut(&id) else {
            return;
        };
        if !project.folder {
            return;
        }
        if deleted {
            project.candidates.remove(path);
            project.disk.remove(path);
            project.reload.remove(path);
        } else if project.candidates.contains(path) {
            project.reload.insert(path.to_path_buf());
        } else if !project.is_excluded(path) {
            // A new file: discovery decides (ignore files, excludes).
            project.needs_discovery = true;
        } else {
            return;
        }
        self.touch(id);
    }

    pub fn watched_files_changed(&mut self, events: &[FileEvent]) {
        for event in events {
            let Some(path) = uri_path(&event.uri) else {
                continue;
            };
            if is_config_file(&path) {
                self.config_changed();
            } else if is_python(&path) {
                self.disk_changed(&path, event.typ == FileChangeType::DELETED);
            } else if event.typ == FileChangeType::DELETED {
                self.directory_deleted(&path);
            }
        }
    }

    /// A deleted directory: clients report it alone, not each file in it.
    /// Its files leave every project that read them, a workspace folder's
    /// own root included.
    fn directory_deleted(&mut self, directory: &Path) {
        let mut touched = Vec::new();
        for (id, project) in &mut self.projects {
            if !project.folder || project.removed {
                continue;
            }
            let before = project.candidates.len() + project.disk.len();
            project.candidates.retain(|p| !p.starts_with(directory));
            project.disk.retain(|p, _| !p.starts_with(directory));
            project.reload.retain(|p| !p.starts_with(directory));
            if project.candidates.len() + project.disk.len() != before {
                touched.push(*id);
            }
        }
        for id in touched {
            self.touch(id);
        }
    }

    pub fn set_overrides(&mut self, overrides: Overrides) {
        if self.overrides != overrides {
            self.overrides = overrides;
            self.touch_all();
        }
    }

    /// Disk work of every project, clearing the requests.
    pub fn take_disk_work(&mut self) -> Vec<DiskWork> {
        if !self.started {
            return Vec::new();
        }
        let mut work = Vec::new();
        for (id, project) in &mut self.projects {
            if project.removed {
                continue;
            }
            let item = DiskWork {
                project: *id,
                root: project.root.clone(),
                config: std::mem::take(&mut project.needs_config),
                scan: std::mem::take(&mut project.needs_scan),
                discovery: std::mem::take(&mut project.needs_discovery),
                reload: std::mem::take(&mut project.reload).into_iter().collect(),
            };
            if item.config || item.scan || item.discovery || !item.reload.is_empty() {
                work.push(item);
            }
        }
        work
    }

    /// Projects to analyse now.
    pub fn stale_projects(&self) -> Vec<u64> {
        if !self.started {
            return Vec::new();
        }
        self.projects
            .iter()
            .filter(|(_, p)| !p.removed && p.scanned && !p.up_to_date())
            .map(|(id, _)| *id)
            .collect()
    }

    pub fn pending(&self) -> bool {
        self.started
            && self.projects.values().any(|p| {
                p.removed
                    || p.needs_config
                    || p.needs_scan
                    || p.needs_discovery
                    || !p.reload.is_empty()
                    || (p.scanned && !p.up_to_date())
            })
    }

    /// Removes projects that left the workspace, and loose projects with no
    /// document left; returns the clearing publishes of both.
    pub fn drop_projects(&mut self) -> Vec<Publish> {
        let open: Vec<Option<u64>> = self.documents.keys().map(|u| self.project_of(u)).collect();
        let gone: Vec<u64> = self
            .projects
            .iter()
            .filter(|(id, p)| p.removed || (!p.folder && !open.contains(&Some(**id))))
            .map(|(id, _)| *id)
            .collect();
        let mut publishes = Vec::new();
        for id in gone {
            if let Some(project) = self.projects.remove(&id) {
                let mut uris: Vec<Uri> = project
                    .published
                    .into_iter()
                    .filter(|(_, (_, d))| !d.is_empty())
                    .map(|(uri, _)| uri)
                    .collect();
                uris.sort();
                publishes.extend(uris.into_iter().map(|uri| Publish {
                    uri,
                    diagnostics: Vec::new(),
                    version: None,
                }));
            }
        }
        publishes
    }

    pub fn snapshot(&self, id: u64) -> Option<Snapshot> {
        let project = self.projects.get(&id)?;
        // Open documents replace the disk files of the same path. Both come
        // in path order, so that files keep one order from one analysis to
        // the next; the documents are few, the disk files many.
        let mut documents: BTreeMap<PathBuf, SnapshotFile> = BTreeMap::new();
        for (uri, document) in &self.documents {
            if !Self::is_analysed(uri, document) || self.project_of(uri) != Some(id) {
                continue;
            }
            let path = uri_path(uri);
            if path.as_deref().is_some_and(|p| project.is_excluded(p)) {
                continue;
            }
            let module_path = match &path {
                Some(path) => project.module_path(path),
                None => uri
                    .path()
                    .as_str()
                    .rsplit('/')
                    .next()
                    .unwrap_or("untitled.py")
                    .to_string(),
            };
            let parse = document
                .parse
                .as_ref()
                .filter(|parse| parse.module_path == module_path);
            let facts = parse
                .filter(|parse| parse.stamp == document.stamp)
                .map(|parse| parse.facts.clone());
            let parsed_from = parse.map(|parse| (parse.text.clone(), parse.facts.clone()));
            let key = path.clone().unwrap_or_else(|| PathBuf::from(uri.as_str()));
            documents.insert(
                key,
                SnapshotFile {
                    uri: uri.clone(),
                    relative: path.as_deref().and_then(|p| project.config_relative(p)),
                    path,
                    module_path,
                    version: Some(document.version),
                    text: document.text.clone(),
                    rope: document.rope.clone(),
                    facts,
                    tree: document
                        .tree
                        .clone()
                        .map(|tree| (tree, document.tree_current)),
                    parsed_from,
                    stamp: Some(document.stamp),
                },
            );
        }
        let disk_file = |(path, disk): (&PathBuf, &DiskFile)| SnapshotFile {
            uri: disk.uri.clone(),
            path: Some(path.clone()),
            module_path: disk.facts.path.clone(),
            relative: disk.relative.clone(),
            version: None,
            text: disk.text.clone(),
            rope: disk.rope.clone(),
            facts: Some(disk.facts.clone()),
            tree: None,
            parsed_from: None,
            stamp: None,
        };
        let mut files = Vec::with_capacity(project.disk.len() + documents.len());
        let mut disk = project.disk.iter().peekable();
        for (key, document) in documents {
            while let Some(entry) = disk.next_if(|(path, _)| **path < key) {
                files.push(disk_file(entry));
            }
            disk.next_if(|(path, _)| **path == key);
            files.push(document);
        }
        files.extend(disk.map(disk_file));
        Some(Snapshot {
            project: id,
            revision: self.revision,
            config: self.overrides.apply(&project.config),
            encoding: self.encoding,
            files,
            previous: project.analysis.clone(),
        })
    }

    /// Stores parses whose document did not change since, and the analysis
    /// if its project did not change since; returns what to publish, and
    /// what they replaced (to be dropped off the lock).
    pub fn accept(
        &mut self,
        analysis: ProjectAnalysis,
        parsed: Vec<Parsed>,
        project: u64,
    ) -> (Vec<Publish>, Replaced) {
        let mut replaced = Replaced::default();
        for parse in parsed {
            if let Some(document) = self.documents.get_mut(&parse.uri) {
                if document.stamp == parse.stamp {
                    replaced.trees.extend(document.tree.replace(parse.tree));
                    document.tree_current = true;
                    replaced.parses.extend(document.parse.replace(LastParse {
                        stamp: parse.stamp,
                        module_path: parse.module_path,
                        text: parse.text,
                        facts: parse.facts,
                    }));
                }
            }
        }
        let Some(state) = self.projects.get_mut(&project) else {
            replaced.analysis = Some(Arc::new(analysis));
            return (Vec::new(), replaced);
        };
        if state.removed || state.changed_at > analysis.revision {
            // Stale: a newer analysis follows.
            replaced.analysis = Some(Arc::new(analysis));
            return (Vec::new(), replaced);
        }
        state.analyzed_at = Some(analysis.revision);
        // Only open documents have a version.
        let versions: HashMap<&Uri, Option<i32>> = analysis
            .files
            .iter()
            .filter(|f| f.version.is_some())
            .map(|f| (&f.uri, f.version))
            .collect();
        // Clear first: a client that maps two spellings of a URI to one
        // document must not see a clear after the new diagnostics.
        let mut cleared: Vec<&Uri> = state
            .published
            .iter()
            .filter(|(uri, (_, d))| !d.is_empty() && !analysis.published.contains_key(*uri))
            .map(|(uri, _)| uri)
            .collect();
        cleared.sort();
        let mut publishes: Vec<Publish> = cleared
            .into_iter()
            .map(|uri| Publish {
                uri: uri.clone(),
                diagnostics: Vec::new(),
                version: versions.get(uri).copied().flatten(),
            })
            .collect();
        let mut published = HashMap::new();
        for (uri, diagnostics) in &analysis.published {
            let version = versions.get(uri).copied().flatten();
            let same = state
                .published
                .get(uri)
                .is_some_and(|(v, d)| *v == version && d == diagnostics);
            if !same {
                publishes.push(Publish {
                    uri: uri.clone(),
                    diagnostics: diagnostics.clone(),
                    version,
                });
            }
            published.insert(uri.clone(), (version, diagnostics.clone()));
        }
        state.published = published;
        replaced.analysis = state.analysis.replace(Arc::new(analysis));
        (publishes, replaced)
    }

    /// An analysis that failed (a panic): not retried until the next change.
    pub fn failed(&mut self, project: u64, revision: u64) {
        if let Some(state) = self.projects.get_mut(&project) {
            if state.changed_at <= revision {
                state.analyzed_at = Some(revision);
            }
        }
    }

    /// The latest analysis of the project holding `uri`.
    pub fn analysis_of(&self, uri: &Uri) -> Option<Arc<ProjectAnalysis>> {
        self.projects.get(&self.project_of(uri)?)?.analysis.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts;
    use crate::lsp::snapshot;

    const OLD: &str = "from sqlalchemy.orm import declarative_base, relationship\n\nBase = declarative_base()\n\nclass Parent(Base):\n    __tablename__ = \"parent_table_with_a_long_name\"\n    children = relationship(\"Child\", back_populates=\"parent\")\n";
    const NEW: &str = "from sqlalchemy.orm import relationship\n";

    /// Found by the LSP fuzz target: a parse of a document's old text,
    /// finishing after the document was closed and opened again with
    /// another text, was taken for a parse of the new text: the old text's
    /// facts were used for the new one, and the next edits were applied to
    /// the old tree, whose byte ranges the analysis then read in the new
    /// text (a panic in tree-sitter's text predicates).
    #[test]
    fn a_parse_of_a_reopened_documents_old_text_is_dropped() {
        let uri: Uri = "file:///nonexistent/models.py".parse().unwrap();
        let mut session = Session::default();
        session.start();
        session.open(uri.clone(), OLD.into(), 1, "python".into());
        let project = session.project_of(&uri).unwrap();
        let (analysis, parsed) = snapshot::analyze(session.snapshot(project).unwrap());
        assert_eq!(parsed.len(), 1);

        // Closed and opened again while that analysis ran.
        session.close(&uri);
        session.open(uri.clone(), NEW.into(), 1, "python".into());
        session.accept(analysis, parsed, project);
        let analysed_as_typed = |session: &Session| {
            let (analysis, _) = snapshot::analyze(session.snapshot(project).unwrap());
            let fresh = facts::extract("models.py", &session.documents[&uri].text);
            assert_eq!(
                serde_json::to_value(&*analysis.files[0].facts).unwrap(),
                serde_json::to_value(&fresh).unwrap()
            );
        };
        analysed_as_typed(&session);

        let edit = lsp::TextDocumentContentChangeEvent {
            range: Some(lsp::Range::new(
                lsp::Position::new(0, 0),
                lsp::Position::new(0, 0),
            )),
            range_length: None,
            text: "import os\n".into(),
        };
        session.change(&uri, 2, &[edit]).unwrap();
        analysed_as_typed(&session);
    }

    /// An open document takes the place of the disk file of its path, and
    /// the files come in path order whichever side they come from.
    #[test]
    fn snapshots_put_open_documents_in_place_of_disk_files() {
        let uri = |name: &str| -> Uri { format!("file:///nonexistent/{name}").parse().unwrap() };
        let mut session = Session::default();
        session.start();
        session.open(uri("b.py"), OLD.into(), 1, "python".into());
        session.open(uri("d.py"), NEW.into(), 3, "python".into());
        let project = session.project_of(&uri("b.py")).unwrap();
        for name in ["a.py", "b.py", "c.py", "e.py"] {
            let text: Arc<str> = Arc::from(NEW);
            session
                .projects
                .get_mut(&project)
                .unwrap()
                .insert_disk_file(
                    PathBuf::from(format!("/nonexistent/{name}")),
                    DiskFile {
                        uri: uri(name),
                        rope: Rope::from_str(&text),
                        facts: Arc::new(facts::extract(name, &text)),
                        text,
                        relative: None,
                    },
                );
        }
        let snapshot = session.snapshot(project).unwrap();
        let files: Vec<(String, Option<i32>)> = snapshot
            .files
            .iter()
            .map(|f| (f.uri.as_str().to_string(), f.version))
            .collect();
        let expected: Vec<(String, Option<i32>)> = [
            ("a.py", None),
            ("b.py", Some(1)),
            ("c.py", None),
            ("d.py", Some(3)),
            ("e.py", None),
        ]
        .into_iter()
        .map(|(name, version)| (uri(name).as_str().to_string(), version))
        .collect();
        assert_eq!(files, expected);
    }
}
