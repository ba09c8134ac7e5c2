//! The analysis worker: one task that reads from disk what projects wait
//! for, analyses one project snapshot at a time on the analysis thread and
//! publishes what changed. Handlers only change the session and wake it.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tower_lsp_server::ls_types::{MessageType, NumberOrString};
use tower_lsp_server::{Bounded, NotCancellable, OngoingProgress};

use super::disk;
use super::server::{blocking, lock, panic_message, Shared, CLIENT_ANSWER};
use super::session::{DiskWork, Publish};
use super::snapshot;
use crate::cache::FactsCache;

/// How long the worker waits without work before it gives freed memory
/// back: longer than a pause in typing.
const REST: Duration = Duration::from_secs(1);

impl Shared {
    async fn publish(&self, publishes: Vec<Publish>) {
        for publish in publishes {
            self.client
                .publish_diagnostics(publish.uri, publish.diagnostics, publish.version)
                .await;
        }
    }

    pub(super) async fn worker(self: Arc<Self>) {
        let mut released = true;
        loop {
            if released {
                self.wake.notified().await;
            } else if tokio::time::timeout(REST, self.wake.notified())
                .await
                .is_err()
            {
                // Resting: what the last analyses freed goes back to the
                // system (see `memory::release`).
                let _ = self.analysis_thread.run(crate::memory::release).await;
                released = true;
                continue;
            }
            released = false;
            loop {
                match AssertUnwindSafe(self.step()).catch_unwind().await {
                    Ok(None) => continue,
                    Ok(Some(revision)) => {
                        self.done.send_replace(revision);
                        break;
                    }
                    Err(payload) => {
                        let message = panic_message(payload.as_ref());
                        let revision = {
                            let mut session = lock(&self.session);
                            let revision = session.revision;
                            let ids: Vec<u64> = session.projects.keys().copied().collect();
                            for id in ids {
                                session.failed(id, revision);
                            }
                            revision
                        };
                        self.client
                            .log_message(
                                MessageType::ERROR,
                                format!("sqla-analyzer: analysis failed: {message}"),
                            )
                            .await;
                        self.done.send_replace(revision);
                        break;
                    }
                }
            }
        }
    }

    /// One round of work; `Some(revision)` when nothing was left to do at
    /// that revision.
    async fn step(&self) -> Option<u64> {
        let (dropped, work, stale) = {
            let mut session = lock(&self.session);
            let dropped = session.drop_projects();
            let work = session.take_disk_work();
            let stale = session.stale_projects();
            if dropped.is_empty() && work.is_empty() && stale.is_empty() {
                return Some(session.revision);
            }
            (dropped, work, stale)
        };
        self.publish(dropped).await;
        if !work.is_empty() {
            for item in work {
                self.disk_work(item).await;
            }
            return None;
        }
        for project in stale {
            self.analyze(project).await;
        }
        None
    }

    async fn analyze(&self, project: u64) {
        let Some(snapshot) = lock(&self.session).snapshot(project) else {
            return;
        };
        let revision = snapshot.revision;
        match self
            .analysis_thread
            .run(move || snapshot::analyze(snapshot))
            .await
        {
            Ok((analysis, parsed)) => {
                let (publishes, replaced) = lock(&self.session).accept(analysis, parsed, project);
                // Freeing a graph or a tree takes a while: off the lock and
                // off this task, while the diagnostics go out.
                self.analysis_thread.spawn(move || drop(replaced));
                self.publish(publishes).await;
            }
            Err(message) => {
                lock(&self.session).failed(project, revision);
                self.client
                    .log_message(
                        MessageType::ERROR,
                        format!("sqla-analyzer: analysis failed: {message}"),
                    )
                    .await;
            }
        }
    }

    async fn begin_progress(
        &self,
        title: String,
    ) -> Option<OngoingProgress<Bounded, NotCancellable>> {
        if !lock(&self.session).flags.work_done_progress {
            return None;
        }
        let number = self.progress_tokens.fetch_add(1, Ordering::Relaxed);
        let token = NumberOrString::String(format!("sqla-analyzer/scan/{number}"));
        // A client that never answers must not stall the worker.
        tokio::time::timeout(
            CLIENT_ANSWER,
            self.client.create_work_done_progress(token.clone()),
        )
        .await
        .ok()?
        .ok()?;
        Some(
            self.client
                .progress(token, title)
                .with_message("Discovering Python files")
                .with_percentage(0)
                .begin()
                .await,
        )
    }

    /// Reads what a project waits for from disk: configuration, a scan,
    /// new files, changed files.
    async fn disk_work(&self, work: DiskWork) {
        let (mut config, folder, old_candidates, previous_error) = {
            let session = lock(&self.session);
            let Some(project) = session.projects.get(&work.project) else {
                return;
            };
            (
                project.config.clone(),
                project.folder,
                project.candidates.clone(),
                project.config_error.clone(),
            )
        };
        let root = work.root.clone();
        let mut messages = Vec::new();
        let mut scan = work.scan;
        let mut new_config = None;
        let mut config_error = previous_error.clone();
        if work.config {
            let at = root.clone();
            match blocking(move || disk::load_config(at.as_deref())).await {
                Ok(Ok(loaded)) => {
                    if folder && disk::changes_discovery(&config, &loaded) {
                        scan = true;
                    }
                    config = loaded.clone();
                    new_config = Some(loaded);
                    config_error = None;
                }
                Ok(Err(error)) => {
                    let text = format!(
                        "sqla-analyzer: invalid configuration: {error}; keeping the last valid settings"
                    );
                    if previous_error.as_deref() != Some(text.as_str()) {
                        self.client.show_message(MessageType::ERROR, &text).await;
                    }
                    config_error = Some(text);
                }
                Err(message) => {
                    messages.push(format!("reading the configuration failed: {message}"))
                }
            }
        }

        let mut candidates: Option<BTreeSet<PathBuf>> = None;
        let mut loaded = Vec::new();
        let mut removed = Vec::new();
        let mut replace = false;
        if let (true, Some(root)) = (folder, root.clone()) {
            if scan {
                let name = root
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_else(|| root.display().to_string());
                let progress = self
                    .begin_progress(format!("sqla-analyzer: scanning {name}"))
                    .await;
                let (at, with) = (root.clone(), config.clone());
                let (found, errors) = blocking(move || disk::discover(&at, &with))
                    .await
                    .unwrap_or_default();
                messages.extend(errors);
                let total = found.len();
                let chunk = (total / 10).max(64);
                let mut read = 0;
                // The facts `check` or an earlier scan left in the project's
                // cache spare parsing the files unchanged since; the scan
                // then leaves its own for the next one.
                let base = config.base.clone();
                let cache = blocking(move || FactsCache::open(&base))
                    .await
                    .ok()
                    .map(Arc::new);
                let mut cache_entries = Vec::new();
                for part in found.chunks(chunk) {
                    if let Some(progress) = &progress {
                        progress
                            .report_with_message(
                                format!("Reading {read}/{total} Python files"),
                                (read * 100 / total.max(1)) as u32,
                            )
                            .await;
                    }
                    let part = part.to_vec();
                    let part_cache = cache.clone();
                    match blocking(move || disk::load(&part, part_cache.as_deref())).await {
                        Ok(part) => {
                            loaded.extend(part.files.into_iter().map(|(p, f)| (p, Some(f))));
                            messages.extend(part.messages);
                            cache_entries.extend(part.cache_entries);
                        }
                        Err(message) => messages.push(format!("reading files failed: {message}")),
                    }
                    read += chunk.min(total - read);
                }
                if let Some(cache) = cache {
                    // Written while the project is analysed; a failure to
                    // write it is no error (see `FactsCache`).
                    tokio::task::spawn_blocking(move || cache.store(&cache_entries));
                }
                if let Some(progress) = progress {
                    progress
                        .finish_with_message(format!(
                            "{} model files in {total} Python files",
                            loaded.len()
                        ))
                        .await;
                }
                candidates = Some(found.into_iter().map(|c| c.path).collect());
                replace = true;
            } else {
                let mut to_read: BTreeSet<PathBuf> = work.reload.iter().cloned().collect();
                let mut known = old_candidates.clone();
                if work.discovery {
                    let (at, with) = (root.clone(), config.clone());
                    let (found, errors) = blocking(move || disk::discover(&at, &with))
                        .await
                        .unwrap_or_default();
                    messages.extend(errors);
                    let found: BTreeSet<PathBuf> = found.into_iter().map(|c| c.path).collect();
                    to_read.extend(found.difference(&old_candidates).cloned());
                    removed.extend(old_candidates.difference(&found).cloned());
                    known = found;
                }
                for path in &to_read {
                    if !path.exists() {
                        known.remove(path);
                    }
                }
                let reads: Vec<_> = to_read
                    .iter()
                    .filter(|p| known.contains(*p))
                    .map(|p| disk::candidate(p, &root))
                    .collect();
                let read = blocking(move || disk::load(&reads, None))
                    .await
                    .unwrap_or_default();
                messages.extend(read.messages);
                let mut files: BTreeMap<PathBuf, _> = read.files.into_iter().collect();
                for path in to_read {
                    // Not read back: deleted, or no longer passing the prefilter.
                    let file = files.remove(&path);
                    loaded.push((path, file));
                }
                candidates = Some(known);
            }
        }

        {
            let mut session = lock(&self.session);
            if let Some(project) = session.projects.get_mut(&work.project) {
                if let Some(config) = new_config {
                    project.set_config(config);
                }
                project.config_error = config_error;
                if let Some(candidates) = candidates {
                    project.candidates = candidates;
                }
                if replace {
                    project.disk.clear();
                }
                for path in removed {
                    project.disk.remove(&path);
                }
                for (path, file) in loaded {
                    match file {
                        Some(file) => project.insert_disk_file(path, file),
                        None => {
                            project.disk.remove(&path);
                        }
                    }
                }
                project.scanned = true;
            }
            session.touch(work.project);
        }
        for message in messages {
            self.client
                .log_message(MessageType::WARNING, format!("sqla-analyzer: {message}"))
                .await;
        }
    }
}
