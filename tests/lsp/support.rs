//! The server under test, driven by `sqla_analyzer::lsp::client`: the
//! test server records everything it receives, keeps the latest published
//! diagnostics per document, and waits for messages with a deadline,
//! keeping the ones it was not waiting for.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sqla_analyzer::lsp::client::{self, Answers, Client};
use sqla_analyzer::lsp::Hooks;
use tokio::task::JoinHandle;
use tower_lsp_server::ls_types::Uri;

pub const TIMEOUT: Duration = Duration::from_secs(60);

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

pub fn lsp_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/lsp")
}

/// A temporary workspace holding a copy of a fixture directory.
pub fn copy_workspace(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(from, dir.path());
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the SA203 fixture: parent.py's relationship names a
/// back_populates attribute that child.py lacks, the one finding.
pub fn sa203_workspace() -> tempfile::TempDir {
    copy_workspace(&fixtures().join("rules/SA203/bad_missing_partner_two_files"))
}

pub fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Waits until the server has written the facts cache of a scanned folder,
/// which it does in the background after the scan.
pub async fn facts_cache_written(root: &Path) {
    let written = root.join(sqla_analyzer::cache::DIRECTORY).join("facts.bin");
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !written.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no facts cache in {}",
            root.display()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn root(dir: &tempfile::TempDir) -> PathBuf {
    std::fs::canonicalize(dir.path()).unwrap()
}

pub fn uri(path: &Path) -> String {
    Uri::from_file_path(path).unwrap().as_str().to_string()
}

/// An empty range at a position.
pub fn range_at(line: u32, character: u32) -> Value {
    let at = json!({"line": line, "character": character});
    json!({"start": at, "end": at})
}

/// The type of a `workspace/didChangeWatchedFiles` change.
#[derive(Clone, Copy)]
pub enum FileChange {
    Created = 1,
    Changed = 2,
    Deleted = 3,
}

pub struct TestServer {
    client: Client,
    /// Received and not yet taken by a `wait_for`.
    buffer: VecDeque<Value>,
    /// Every message received, in order.
    pub log: Vec<Value>,
    /// The latest publishDiagnostics per URI: version and diagnostics.
    pub published: BTreeMap<String, (Option<i64>, Vec<Value>)>,
    server: Option<JoinHandle<bool>>,
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_with(Hooks::default())
    }

    pub fn start_with(hooks: Hooks) -> Self {
        let (client, server) = client::connect(hooks, 1 << 16);
        TestServer {
            client,
            buffer: VecDeque::new(),
            log: Vec::new(),
            published: BTreeMap::new(),
            server: Some(server),
        }
    }

    pub fn send_body(&self, body: &[u8]) {
        self.client.send_body(body);
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.client.notify(method, params);
    }

    /// What the client answers to workspace/configuration from now on.
    pub fn set_configuration(&self, settings: Value) {
        self.client.set_configuration(settings);
    }

    /// From now on, the server's requests get no answer.
    pub fn stop_answering(&self) {
        self.client.set_answers(Answers::Nothing);
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.client.send_request(method, params);
        self.response(id).await
    }

    pub async fn response(&mut self, id: i64) -> Value {
        let id = json!(id);
        self.wait_for(&format!("the response to request {id}"), |m| {
            client::is_response(m, &id)
        })
        .await
    }

    /// The result of a request that must succeed.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    fn record(&mut self, message: Value) {
        if message["method"] == "textDocument/publishDiagnostics" {
            let params = &message["params"];
            self.published.insert(
                params["uri"].as_str().unwrap().to_string(),
                (
                    params["version"].as_i64(),
                    params["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                ),
            );
        }
        self.log.push(message.clone());
        self.buffer.push_back(message);
    }

    /// The first message (received or to come) matching `matches`, taken
    /// from the buffer.
    pub async fn wait_for(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self.buffer.iter().position(&matches) {
            return self.buffer.remove(at).unwrap();
        }
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.client.receive()).await {
                Ok(Some(message)) => {
                    let hit = matches(&message);
                    self.record(message);
                    if hit {
                        return self.buffer.pop_back().unwrap();
                    }
                }
                Ok(None) => panic!("the server closed the connection waiting for {what}"),
                Err(_) => panic!(
                    "timed out waiting for {what}; received:\n{}",
                    self.log
                        .iter()
                        .map(|m| m.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")
                ),
            }
        }
    }

    pub async fn notification(&mut self, method: &str) -> Value {
        self.wait_for(method, |m| m["method"] == method && m.get("id").is_none())
            .await
    }

    /// Takes every buffered message with this method.
    pub fn take(&mut self, method: &str) -> Vec<Value> {
        let (taken, kept): (VecDeque<Value>, VecDeque<Value>) =
            self.buffer.drain(..).partition(|m| m["method"] == method);
        self.buffer = kept;
        taken.into()
    }

    /// Waits until the server has analysed everything sent so far and its
    /// notifications have arrived: two requests that wait for the analysis
    /// of the current revision (the second one ensures that the publishes
    /// queued before the first answer were written before it).
    pub async fn settle(&mut self) {
        for _ in 0..2 {
            let response = self
                .request(
                    "textDocument/hover",
                    json!({
                        "textDocument": {"uri": "file:///nonexistent/settle.py"},
                        "position": {"line": 0, "character": 0}
                    }),
                )
                .await;
            assert!(response.get("error").is_none(), "{response}");
        }
    }

    /// A server initialized with `root` as its workspace folder and no
    /// position encoding asked for.
    pub async fn in_folder(root: &Path) -> Self {
        let mut server = Self::start();
        server.initialize_folder(root, None).await;
        server
    }

    pub async fn initialize(&mut self, params: Value) -> Value {
        let result = self.call("initialize", params).await;
        self.notify("initialized", json!({}));
        result
    }

    /// Initializes with a workspace folder and common client capabilities.
    pub async fn initialize_folder(&mut self, root: &Path, encoding: Option<&str>) -> Value {
        let mut capabilities = json!({
            "window": {"workDoneProgress": true},
            "workspace": {
                "didChangeWatchedFiles": {"dynamicRegistration": true},
                "workspaceEdit": {"documentChanges": true},
                "configuration": true
            }
        });
        if let Some(encoding) = encoding {
            capabilities["general"] = json!({"positionEncodings": [encoding]});
        }
        self.initialize_in(root, capabilities).await
    }

    /// Initializes with `root` as the workspace folder and these client
    /// capabilities.
    pub async fn initialize_in(&mut self, root: &Path, capabilities: Value) -> Value {
        self.initialize(json!({
            "processId": null,
            "capabilities": capabilities,
            "workspaceFolders": [{"uri": uri(root), "name": "workspace"}]
        }))
        .await
    }

    pub fn open(&self, path: &Path, text: &str, version: i64) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {
                "uri": uri(path), "languageId": "python", "version": version, "text": text
            }}),
        );
    }

    /// Opens a file with its text on disk; returns the text.
    pub fn open_from_disk(&self, path: &Path, version: i64) -> String {
        let text = std::fs::read_to_string(path).unwrap();
        self.open(path, &text, version);
        text
    }

    pub fn change(&self, path: &Path, version: i64, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri(path), "version": version},
                "contentChanges": changes
            }),
        );
    }

    pub fn close(&self, path: &Path) {
        self.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri(path)}}),
        );
    }

    pub async fn hover(&mut self, path: &Path, line: u32, character: u32) -> Value {
        self.request(
            "textDocument/hover",
            json!({
                "textDocument": {"uri": uri(path)},
                "position": {"line": line, "character": character}
            }),
        )
        .await
    }

    /// Tells the server that a file changed on disk, as a client watching
    /// it does.
    pub fn disk_changed(&self, path: &Path, change: FileChange) {
        self.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": uri(path), "type": change as u8}]}),
        );
    }

    /// The code actions for a range of a file (an answer without error);
    /// `only` empty asks for every kind.
    pub async fn code_actions(
        &mut self,
        path: &Path,
        range: Value,
        diagnostics: &[Value],
        only: &[&str],
    ) -> Value {
        let mut context = json!({"diagnostics": diagnostics});
        if !only.is_empty() {
            context["only"] = json!(only);
        }
        self.call(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri(path)}, "range": range, "context": context}),
        )
        .await
    }

    /// A hover over `relationship(` in parent.py of [`sa203_workspace`]
    /// answers with its summary: the server still works.
    pub async fn assert_hover_works(&mut self, root: &Path) {
        let hover = self.hover(&root.join("parent.py"), 12, 16).await;
        let value = hover["result"]["contents"]["value"].as_str().unwrap_or("");
        assert!(
            value.starts_with("**`Parent.children`**"),
            "hover in parent.py: {hover}"
        );
    }

    /// The diagnostics last published for a file (empty if none were).
    pub fn diagnostics(&self, path: &Path) -> Vec<Value> {
        self.published
            .get(&uri(path))
            .map(|(_, d)| d.clone())
            .unwrap_or_default()
    }

    pub fn published_version(&self, path: &Path) -> Option<i64> {
        self.published.get(&uri(path)).and_then(|(v, _)| *v)
    }

    /// `shutdown` then `exit`; returns whether the server saw a clean shutdown.
    pub async fn shutdown(mut self) -> bool {
        let result = self.call("shutdown", Value::Null).await;
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        self.exit().await
    }

    /// Waits for the server to stop (after `exit`).
    pub async fn exit(mut self) -> bool {
        let server = self.server.take().unwrap();
        tokio::time::timeout(TIMEOUT, server)
            .await
            .expect("the server exits")
            .expect("the server task does not panic")
    }
}

/// Diagnostics as readable lines: `line:col-line:col CODE severity message`
/// (0-based, in the negotiated encoding), related locations indented.
pub fn render(diagnostics: &[Value], root: &Path) -> String {
    let prefix = uri(root);
    let mut out = String::new();
    for d in diagnostics {
        let severity = match d["severity"].as_i64() {
            Some(1) => "error",
            Some(2) => "warning",
            Some(3) => "information",
            Some(4) => "hint",
            _ => "?",
        };
        out.push_str(&format!(
            "{} {} {severity} [{}]: {}\n",
            range(&d["range"]),
            d["code"].as_str().unwrap_or("?"),
            d["source"].as_str().unwrap_or("?"),
            d["message"].as_str().unwrap_or("")
        ));
        if let Some(tags) = d.get("tags") {
            out.push_str(&format!("  tags: {tags}\n"));
        }
        for related in d["relatedInformation"].as_array().into_iter().flatten() {
            let location = &related["location"];
            let file = location["uri"]
                .as_str()
                .unwrap_or("")
                .strip_prefix(&prefix)
                .unwrap_or("?")
                .trim_start_matches('/');
            out.push_str(&format!(
                "  related {file}:{}: {}\n",
                range(&location["range"]),
                related["message"].as_str().unwrap_or("")
            ));
        }
    }
    out
}

pub fn range(range: &Value) -> String {
    format!(
        "{}:{}-{}:{}",
        range["start"]["line"],
        range["start"]["character"],
        range["end"]["line"],
        range["end"]["character"]
    )
}

/// Compares with `tests/lsp/snapshots/NAME`, or writes it under `UPDATE_SNAPSHOTS=1`.
pub fn snapshot(name: &str, actual: &str) {
    let path = lsp_fixtures().join("snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing (UPDATE_SNAPSHOTS=1 writes it); actual:\n{actual}",
            path.display()
        )
    });
    pretty_assertions::assert_eq!(expected, actual, "{} differs", path.display());
}

/// Positions as a client computes them: lines end at \n, \r\n or \r;
/// columns count code units of `encoding`. Independent of the server's code.
pub fn position(text: &str, offset: usize, encoding: &str) -> (u32, u32) {
    let mut line = 0;
    let mut line_start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < offset {
        match bytes[i] {
            b'\n' => {
                line += 1;
                line_start = i + 1;
            }
            b'\r' => {
                if i + 1 < bytes.len() && bytes[i + 1] == b'\n' {
                    if i + 1 >= offset {
                        break;
                    }
                    i += 1;
                }
                line += 1;
                line_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let column_text = &text[line_start..offset];
    let column = match encoding {
        "utf-8" => column_text.len(),
        "utf-16" => column_text.encode_utf16().count(),
        "utf-32" => column_text.chars().count(),
        other => panic!("unknown encoding {other}"),
    };
    (line, column as u32)
}

pub fn lsp_range(text: &str, start: usize, end: usize, encoding: &str) -> Value {
    let (sl, sc) = position(text, start, encoding);
    let (el, ec) = position(text, end, encoding);
    json!({"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}})
}

/// What `check` reports for the workspace at `root`, with some files'
/// texts replaced (as an editor's unsaved buffers), rendered per file URI
/// like [`render`] with positions in `encoding`. Only files with findings.
pub fn expected(
    root: &Path,
    buffers: &[(&Path, &str)],
    encoding: &str,
) -> BTreeMap<String, String> {
    use sqla_analyzer::{analysis, config::Config, facts, graph::LinkOptions, workspace};

    let config = Config::discover(root).unwrap();
    let (candidates, errors) = workspace::discover(&[root.to_path_buf()], &config);
    assert!(errors.is_empty(), "{errors:?}");
    let mut files = workspace::load(&candidates).files;
    for (path, text) in buffers {
        let file = files
            .iter_mut()
            .find(|f| f.absolute == *path)
            .unwrap_or_else(|| panic!("{} is not in the workspace", path.display()));
        file.facts = Arc::new(facts::extract(&file.facts.path, text));
        file.text = Arc::from(*text);
    }
    let pairs: Vec<_> = files
        .iter()
        .map(|f| (f.facts.clone(), f.text.clone()))
        .collect();
    let relative: Vec<Option<String>> = files
        .iter()
        .map(|f| {
            std::fs::canonicalize(&f.absolute)
                .unwrap()
                .strip_prefix(&config.base)
                .ok()
                .map(|p| p.to_string_lossy().to_string())
        })
        .collect();
    let result = analysis::analyze(
        &pairs,
        &LinkOptions {
            table_naming: config.table_naming,
        },
        config.dialect,
        |file, code| config.enabled(code, relative[file].as_deref()),
    );
    let to_range = |file: usize, range: sqla_analyzer::text::TextRange| {
        lsp_range(&files[file].text, range.start(), range.end(), encoding)
    };
    let mut by_file: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for d in &result.diagnostics {
        let file = d.location.file;
        let mut value = json!({
            "range": to_range(file, d.location.range),
            "severity": match d.severity {
                sqla_analyzer::diagnostic::Severity::Error => 1,
                sqla_analyzer::diagnostic::Severity::Warning => 2,
                sqla_analyzer::diagnostic::Severity::Hint => 4,
            },
            "code": d.code,
            "source": "sqla-analyzer",
            "message": d.message,
        });
        if matches!(d.code, "SA402" | "SA404") {
            value["tags"] = json!([1]);
        }
        let related: Vec<Value> = d
            .related
            .iter()
            .map(|r| {
                json!({
                    "location": {
                        "uri": uri(&files[r.location.file].absolute),
                        "range": to_range(r.location.file, r.location.range)
                    },
                    "message": r.message
                })
            })
            .collect();
        if !related.is_empty() {
            value["relatedInformation"] = json!(related);
        }
        by_file
            .entry(uri(&files[file].absolute))
            .or_default()
            .push(value);
    }
    by_file
        .into_iter()
        .map(|(uri, diagnostics)| (uri, render(&diagnostics, root)))
        .collect()
}

impl TestServer {
    /// The published diagnostics of every file that has some, rendered.
    pub fn rendered(&self, root: &Path) -> BTreeMap<String, String> {
        self.published
            .iter()
            .filter(|(_, (_, d))| !d.is_empty())
            .map(|(uri, (_, d))| (uri.clone(), render(d, root)))
            .collect()
    }
}
