//! The `LanguageServer` implementation.
//!
//! Order: tower-lsp-server starts handlers in arrival order, and every
//! handler changes the session in one synchronous section before its first
//! `.await`, so changes apply in arrival order. Handlers then wake the
//! worker ([`super::worker`]), which does the disk work, analyses
//! snapshots on its own thread and publishes; requests that read
//! analysis results wait until the worker has caught up with the revision
//! they arrived at.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{watch, Notify};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use super::analysis_thread::AnalysisThread;
use super::handlers::{code_action, hover, lifecycle, workspace as workspace_handlers};
use super::session::Session;
use super::settings::Overrides;
use super::transport::{IgnoredNotification, InvalidMessage};

/// How long a request waits for the analysis of the revision it arrived
/// at before answering from the latest one (a guard, not a debounce).
const WAIT_FOR_ANALYSIS: Duration = Duration::from_secs(30);

/// How long the server waits for the client to answer one of its requests.
pub(super) const CLIENT_ANSWER: Duration = Duration::from_secs(10);

/// Test hooks; not part of the protocol.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Hooks {
    /// Hover panics: proves a panicking handler answers with an error.
    pub panic_in_hover: bool,
}

pub(super) struct Shared {
    pub(super) client: Client,
    pub(super) session: Mutex<Session>,
    pub(super) wake: Notify,
    /// The revision the worker has fully processed.
    pub(super) done: watch::Sender<u64>,
    pub(super) shutdown: Arc<AtomicBool>,
    pub(super) worker_started: AtomicBool,
    /// The worker task, ended with the server (it holds this state).
    pub(super) worker: Mutex<Option<tokio::task::JoinHandle<()>>>,
    pub(super) progress_tokens: AtomicU64,
    pub(super) hooks: Hooks,
    /// Where the worker analyses (see [`AnalysisThread`]).
    pub(super) analysis_thread: AnalysisThread,
}

pub struct Server {
    shared: Arc<Shared>,
}

pub(super) fn lock(session: &Mutex<Session>) -> MutexGuard<'_, Session> {
    session
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(super) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

fn internal_error(what: &str, message: String) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: format!("sqla-analyzer: {what} failed: {message}").into(),
        data: None,
    }
}

/// Runs a closure on the blocking pool; a panic becomes `Err(message)`.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::result::Result<T, String> {
    match tokio::task::spawn_blocking(move || catch_unwind(AssertUnwindSafe(f))).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(payload)) => Err(panic_message(payload.as_ref())),
        Err(error) => Err(error.to_string()),
    }
}

impl Shared {
    /// Changes the session in one synchronous section, then wakes the
    /// worker. A panic is reported, and the server carries on.
    async fn mutate<R>(&self, what: &str, f: impl FnOnce(&mut Session) -> R) -> Option<R> {
        let result = {
            let mut session = lock(&self.session);
            catch_unwind(AssertUnwindSafe(|| f(&mut session)))
        };
        self.wake.notify_one();
        match result {
            Ok(value) => Some(value),
            Err(payload) => {
                self.client
                    .log_message(
                        MessageType::ERROR,
                        format!(
                            "sqla-analyzer: {what} failed: {}",
                            panic_message(payload.as_ref())
                        ),
                    )
                    .await;
                None
            }
        }
    }

    async fn register_watchers(&self) {
        let registered = tokio::time::timeout(
            CLIENT_ANSWER,
            self.client
                .register_capability(vec![lifecycle::watch_registration()]),
        )
        .await;
        let failure = match registered {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(error.message.to_string()),
            Err(_) => Some("no answer".to_string()),
        };
        if let Some(failure) = failure {
            self.client
                .log_message(
                    MessageType::WARNING,
                    format!("sqla-analyzer: could not register file watchers: {failure}"),
                )
                .await;
        }
    }

    /// Asks the client for the settings after the `sequence`th
    /// didChangeConfiguration, and applies them unless a newer one came.
    async fn pull_settings(&self, sequence: u64) {
        let items = vec![ConfigurationItem {
            scope_uri: None,
            section: Some("sqla-analyzer".to_string()),
        }];
        let Ok(Ok(values)) =
            tokio::time::timeout(CLIENT_ANSWER, self.client.configuration(items)).await
        else {
            return;
        };
        let value = values.into_iter().next().unwrap_or(Value::Null);
        let message = self
            .mutate("workspace/configuration", |session| {
                // A newer didChangeConfiguration wins over this late answer.
                if session.settings_sequence != sequence {
                    return None;
                }
                workspace_handlers::apply_settings(session, Overrides::from_value(&value))
            })
            .await
            .flatten();
        if let Some(message) = message {
            self.client.show_message(MessageType::ERROR, message).await;
        }
    }
}

impl Server {
    pub fn new(client: Client, shutdown: Arc<AtomicBool>, hooks: Hooks) -> Self {
        let (done, _) = watch::channel(0);
        Server {
            shared: Arc::new(Shared {
                client,
                session: Mutex::new(Session::default()),
                wake: Notify::new(),
                done,
                shutdown,
                worker_started: AtomicBool::new(false),
                worker: Mutex::new(None),
                progress_tokens: AtomicU64::new(0),
                hooks,
                analysis_thread: AnalysisThread::start(),
            }),
        }
    }

    async fn mutate<R>(&self, what: &str, f: impl FnOnce(&mut Session) -> R) -> Option<R> {
        self.shared.mutate(what, f).await
    }

    /// Waits until the worker has processed the current revision.
    async fn caught_up(&self) {
        let (revision, started) = {
            let session = lock(&self.shared.session);
            (session.revision, session.started)
        };
        if !started {
            return;
        }
        let mut done = self.shared.done.subscribe();
        let _ = tokio::time::timeout(WAIT_FOR_ANALYSIS, done.wait_for(|d| *d >= revision)).await;
    }

    /// The answer to a message the transport filter could not pass on.
    pub async fn invalid_message(&self, params: InvalidMessage) -> Result<()> {
        Err(match params.code {
            -32700 => Error::parse_error(),
            _ => Error::invalid_request(),
        })
    }

    /// A notification the server ignores (unknown, or its params do not
    /// read), said in the log.
    pub async fn ignored_notification(&self, params: IgnoredNotification) {
        self.warn(format!(
            "sqla-analyzer: ignored the notification {}: {}",
            params.method, params.reason
        ))
        .await;
    }

    async fn warn(&self, message: String) {
        self.shared
            .client
            .log_message(MessageType::WARNING, message)
            .await;
    }
}

/// The service drops the server when `serve` returns: the worker, which
/// would otherwise wait forever for work and keep the session, ends too.
/// (An analysis already running finishes and is dropped, and the analysis
/// thread ends.)
impl Drop for Server {
    fn drop(&mut self) {
        let worker = self
            .shared
            .worker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(worker) = worker {
            worker.abort();
        }
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = lifecycle::encoding(&params.capabilities);
        let flags = lifecycle::client_flags(&params.capabilities);
        let folders = lifecycle::folders(&params);
        let overrides = params
            .initialization_options
            .as_ref()
            .map(Overrides::from_value);
        {
            let mut session = lock(&self.shared.session);
            session.encoding = encoding;
            session.flags = flags;
            for folder in folders {
                session.add_folder(folder);
            }
            match overrides {
                Some(Ok(Some(overrides))) => session.set_overrides(overrides),
                Some(Err(message)) => session.startup_messages.push(format!(
                    "sqla-analyzer: invalid initializationOptions: {message}"
                )),
                _ => {}
            }
        }
        if !self.shared.worker_started.swap(true, Ordering::SeqCst) {
            let worker = tokio::spawn(self.shared.clone().worker());
            *self
                .shared
                .worker
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(worker);
        }
        Ok(lifecycle::initialize_result(encoding))
    }

    async fn initialized(&self, _: InitializedParams) {
        let (messages, watch) = self
            .mutate("initialized", |session| {
                session.start();
                (
                    std::mem::take(&mut session.startup_messages),
                    session.flags.watch_files,
                )
            })
            .await
            .unwrap_or_default();
        for message in messages {
            self.shared
                .client
                .show_message(MessageType::ERROR, message)
                .await;
        }
        if watch {
            // Not awaited: a handler waiting for the client holds up `exit`,
            // after which no answer can arrive.
            let shared = self.shared.clone();
            tokio::spawn(async move { shared.register_watchers().await });
        }
    }

    async fn shutdown(&self) -> Result<()> {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        lock(&self.shared.session).shut_down = true;
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let skipped = self
            .mutate("didOpen", |session| {
                session.open(
                    document.uri,
                    document.text,
                    document.version,
                    document.language_id,
                )
            })
            .await
            .flatten();
        if let Some(message) = skipped {
            self.warn(message).await;
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let result = self
            .mutate("didChange", |session| {
                session.change(&uri, version, &params.content_changes)
            })
            .await;
        match result {
            Some(Err(message)) => self.warn(format!("sqla-analyzer: {message}")).await,
            Some(Ok(Some(skipped))) => self.warn(skipped).await,
            _ => {}
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.mutate("didSave", |session| session.save(&params.text_document.uri))
            .await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let closed = self.mutate("didClose", |session| session.close(&uri)).await;
        if closed == Some(false) {
            self.warn(format!(
                "sqla-analyzer: didClose for {} which is not open: ignored",
                uri.as_str()
            ))
            .await;
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        self.mutate("didChangeWatchedFiles", |session| {
            session.watched_files_changed(&params.changes)
        })
        .await;
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        self.mutate("didChangeWorkspaceFolders", |session| {
            workspace_handlers::change_folders(session, &params.event)
        })
        .await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let (sequence, pull, message) = self
            .mutate("didChangeConfiguration", |session| {
                session.settings_sequence += 1;
                let result = Overrides::from_value(&params.settings);
                let pull = matches!(result, Ok(None)) && session.flags.configuration;
                let message = workspace_handlers::apply_settings(session, result);
                (session.settings_sequence, pull, message)
            })
            .await
            .unwrap_or((0, false, None));
        if let Some(message) = message {
            self.shared
                .client
                .show_message(MessageType::ERROR, message)
                .await;
        }
        if pull {
            // Not awaited, as the registration in `initialized`.
            let shared = self.shared.clone();
            tokio::spawn(async move { shared.pull_settings(sequence).await });
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.caught_up().await;
        let position = params.text_document_position_params;
        let analysis = lock(&self.shared.session).analysis_of(&position.text_document.uri);
        let Some(analysis) = analysis else {
            return Ok(None);
        };
        let panic_in_hover = self.shared.hooks.panic_in_hover;
        blocking(move || {
            if panic_in_hover {
                panic!("hover hook");
            }
            hover::hover(&analysis, &position.text_document.uri, position.position)
        })
        .await
        .map_err(|message| internal_error("hover", message))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.caught_up().await;
        let (analysis, document_changes, defer_fix_all) = {
            let session = lock(&self.shared.session);
            (
                session.analysis_of(&params.text_document.uri),
                session.flags.document_changes,
                session.flags.resolves_code_action_edits,
            )
        };
        let Some(analysis) = analysis else {
            return Ok(None);
        };
        blocking(move || {
            code_action::code_actions(
                &analysis,
                &params.text_document.uri,
                params.range,
                params.context.only.as_deref(),
                document_changes,
                defer_fix_all,
            )
        })
        .await
        .map(Some)
        .map_err(|message| internal_error("codeAction", message))
    }

    async fn code_action_resolve(&self, action: CodeAction) -> Result<CodeAction> {
        self.caught_up().await;
        let uri = action
            .data
            .as_ref()
            .and_then(|d| serde_json::from_value::<code_action::FixAllData>(d.clone()).ok())
            .map(|d| d.fix_all);
        let (analysis, document_changes) = {
            let session = lock(&self.shared.session);
            (
                uri.and_then(|uri| session.analysis_of(&uri)),
                session.flags.document_changes,
            )
        };
        // It checks the project again with the fixes applied: a whole
        // analysis, made where the others are (see `AnalysisThread`).
        self.shared
            .analysis_thread
            .run(move || code_action::resolve(analysis.as_deref(), action, document_changes))
            .await
            .map_err(|message| internal_error("codeAction/resolve", message))
    }
}
