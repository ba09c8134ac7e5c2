//! The language server's message handling: a sequence of LSP messages,
//! some built from templates with fuzzed fields (documents, versions,
//! positions, edits, settings), some raw bodies, sent to the real server
//! (`sqla_analyzer::lsp::serve`, as `sqla-analyzer server` runs it) over
//! an in-memory transport by `sqla_analyzer::lsp::client`, which also
//! checks that the server writes nothing but framed JSON-RPC. Afterwards
//! the server must still answer a request and then shut down and exit; a
//! server that stops, stops answering or panics (even in a task whose
//! panic it would catch) is a crash.
//!
//! Input: records separated by the byte 0xFF (never part of UTF-8 text).
//! The first record sets up `initialize`:
//!
//!   [flags, encodings, folders] initializationOptions (JSON)
//!
//! flags: bit 0 workDoneProgress, 1 dynamic registration of watched files,
//! 2 documentChanges, 3 workspace/configuration, 4 the client answers the
//! server's requests with errors, 7 no initialize at all. Each later record
//! is one message, `[op, a, b, c, d, e] payload`; see [`Op`] for what the
//! bytes mean. A didChange payload holds its content changes separated by
//! the byte 0xFE, each `[flags, start line, start character, end line, end
//! character] text`.
//!
//! Documents are picked by index from a fixed list: files of a small
//! workspace written once per process to a temporary directory, files
//! that do not exist, a loose file outside every folder, an untitled
//! buffer, non-Python files. URIs in raw bodies are moved under a
//! directory that does not exist, so that no input makes the server scan
//! the machine.

#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use sqla_analyzer::lsp::client::{self, Answers, Client};
use sqla_analyzer::lsp::Hooks;
use tokio::runtime::Runtime;
use tower_lsp_server::ls_types::Uri;

const SEPARATOR: u8 = 0xFF;
const CHANGE_SEPARATOR: u8 = 0xFE;
const MAX_MESSAGES: usize = 64;
/// Longer than any wait of the server's own (30 s for an analysis, 10 s
/// for a client's answer): libFuzzer's -timeout reports slow inputs first.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(90);
const PROBE_ID: &str = "fuzz-liveness-probe";
const MISSING_ROOT: &str = "/nonexistent-sqla-fuzz";

const MODELS: &str = r#"from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Parent(Base):
    __tablename__ = "parent"
    id = Column(Integer, primary_key=True)
    children = relationship("Child", back_populates="parent", cascade="all, delete-orphan")


class Child(Base):
    __tablename__ = "child"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parent.id", ondelete="CASCADE"), nullable=False)
    parent = relationship("Parent", back_populates="kids")
"#;

const OTHER: &str = r#"from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import relationship

from app.models import Base


class Toy(Base):
    __tablename__ = "toy"
    id = Column(Integer, primary_key=True)
    child_id = Column(Integer, ForeignKey("child.id"))
    child = relationship("Child", backref="toys")
"#;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// A small workspace on disk, written once per process.
fn workspace() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("sqla-analyzer-fuzz-{}", std::process::id()));
        let files = [
            ("app/__init__.py", ""),
            ("app/models.py", MODELS),
            ("app/other.py", OTHER),
            ("app/plain.py", "x = 1\n"),
            (
                "pyproject.toml",
                "[tool.sqla-analyzer]\nignore = [\"SA208\"]\n",
            ),
        ];
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::canonicalize(&root).unwrap()
    })
}

fn file_uri(path: &Path) -> String {
    Uri::from_file_path(path).unwrap().as_str().to_string()
}

/// The documents messages refer to, by index.
fn document_uri(index: u8) -> String {
    let root = workspace();
    let on_disk = |relative: &str| file_uri(&root.join(relative));
    match index % 12 {
        0 => on_disk("app/models.py"),
        1 => on_disk("app/other.py"),
        2 => on_disk("app/new.py"),
        3 => on_disk("app/__init__.py"),
        4 => on_disk("app/plain.py"),
        5 => format!("file://{MISSING_ROOT}/loose/a.py"),
        6 => format!("file://{MISSING_ROOT}/loose/b.py"),
        7 => "untitled:Untitled-1".to_string(),
        8 => on_disk("pyproject.toml"),
        9 => on_disk("notes.txt"),
        10 => on_disk(".hidden/x.py"),
        _ => on_disk("build/x.py"),
    }
}

fn folder(mode: u8) -> Option<Value> {
    let root = workspace();
    let uri = match mode {
        1 => file_uri(root),
        2 => file_uri(&root.join("app")),
        3 => format!("file://{MISSING_ROOT}/folder"),
        _ => return None,
    };
    Some(json!({"uri": uri, "name": "folder"}))
}

/// Moves every file URI and root path of a raw message under a directory
/// that does not exist.
fn confine(value: &mut Value, key: Option<&str>) -> bool {
    match value {
        Value::String(text) => {
            let rewritten = if let Some(rest) = text.strip_prefix("file:") {
                Some(format!(
                    "file://{MISSING_ROOT}/{}",
                    rest.trim_start_matches('/')
                ))
            } else if key == Some("rootPath") {
                Some(format!("{MISSING_ROOT}/{}", text.trim_start_matches('/')))
            } else {
                None
            };
            match rewritten {
                Some(new) => {
                    *text = new;
                    true
                }
                None => false,
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| confine(item, None) | changed),
        Value::Object(map) => map
            .iter_mut()
            .fold(false, |changed, (k, v)| confine(v, Some(k)) | changed),
        _ => false,
    }
}

fn json_payload(payload: &[u8]) -> Option<Value> {
    let mut value: Value = serde_json::from_slice(payload).ok()?;
    confine(&mut value, None);
    Some(value)
}

fn text(payload: &[u8]) -> String {
    String::from_utf8_lossy(payload).into_owned()
}

/// A coordinate: small values as they are, and with the flag bit set the
/// extremes a client may send.
fn coordinate(value: u8, huge: bool) -> u32 {
    if huge {
        u32::MAX - u32::from(value)
    } else {
        u32::from(value)
    }
}

fn is_exit(body: &[u8]) -> bool {
    serde_json::from_slice::<tower_lsp_server::jsonrpc::Request>(body)
        .is_ok_and(|request| request.method() == "exit")
}

#[derive(Clone, Copy)]
enum Op {
    /// Everything after the op byte is a message body, sent as it is
    /// (file URIs confined).
    Raw,
    /// a: document, b: version, c: language (odd: plaintext); payload: text.
    Open,
    /// a: document, b: version step (signed); payload: content changes.
    Change,
    /// a: document.
    Close,
    /// a: document.
    Save,
    /// a: document, b: line, c: character, d: bit 0 huge coordinates.
    Hover,
    /// a: document, b-e: range; payload[0]: the `only` filter.
    CodeAction,
    /// payload: settings (JSON), also the answer to workspace/configuration.
    Configuration,
    /// a: document, b: change type.
    WatchedFiles,
    /// a: folder added, b: folder removed.
    Folders,
    /// a: the id of the request to cancel.
    Cancel,
    Shutdown,
    Exit,
    Initialized,
    /// Another initialize.
    Initialize,
    /// a: odd for a request; payload: params (JSON).
    Unknown,
    /// A hover that is waited for: analyses run between messages.
    Sync,
}

const OPS: [Op; 17] = [
    Op::Raw,
    Op::Open,
    Op::Change,
    Op::Close,
    Op::Save,
    Op::Hover,
    Op::CodeAction,
    Op::Configuration,
    Op::WatchedFiles,
    Op::Folders,
    Op::Cancel,
    Op::Shutdown,
    Op::Exit,
    Op::Initialized,
    Op::Initialize,
    Op::Unknown,
    Op::Sync,
];

/// The client and what the messages built so far have done to the
/// session.
struct Session {
    client: Client,
    versions: [i32; 12],
    exited: bool,
}

impl Session {
    fn send_body(&mut self, body: &[u8]) {
        if is_exit(body) {
            self.exited = true;
        }
        self.client.send_body(body);
    }

    fn notify(&mut self, method: &str, params: Value) {
        if method == "exit" {
            self.exited = true;
        }
        self.client.notify(method, params);
    }

    fn request(&mut self, method: &str, params: Value) {
        self.client.send_request(method, params);
    }

    /// Sends a request and waits for its answer; `false` when none came.
    async fn request_and_wait(&mut self, method: &str, params: Value) -> bool {
        matches!(
            tokio::time::timeout(ANSWER_TIMEOUT, self.client.request(method, params)).await,
            Ok(Some(_))
        )
    }

    fn initialize(&mut self, header: &[u8]) {
        let byte = |i: usize| header.get(i).copied().unwrap_or(0);
        let flags = byte(0);
        let encodings = match byte(1) % 8 {
            1 => Some(json!(["utf-8"])),
            2 => Some(json!(["utf-16"])),
            3 => Some(json!(["utf-32"])),
            4 => Some(json!(["utf-7", "utf-32", "utf-8"])),
            5 => Some(json!([])),
            _ => None,
        };
        let mut capabilities = json!({
            "window": {"workDoneProgress": flags & 1 != 0},
            "workspace": {
                "didChangeWatchedFiles": {"dynamicRegistration": flags & 2 != 0},
                "workspaceEdit": {"documentChanges": flags & 4 != 0},
                "configuration": flags & 8 != 0
            }
        });
        if let Some(encodings) = encodings {
            capabilities["general"] = json!({"positionEncodings": encodings});
        }
        let mut params = json!({"processId": null, "capabilities": capabilities});
        let root = workspace();
        match byte(2) % 6 {
            0 => params["workspaceFolders"] = json!([folder(1)]),
            1 => {}
            2 => params["rootUri"] = json!(file_uri(root)),
            3 => params["rootPath"] = json!(root.to_string_lossy()),
            4 => params["workspaceFolders"] = json!([folder(3)]),
            _ => params["workspaceFolders"] = json!([folder(1), folder(2)]),
        }
        if let Some(options) = json_payload(header.get(3..).unwrap_or_default()) {
            params["initializationOptions"] = options;
        }
        self.request("initialize", params);
    }

    fn content_changes(payload: &[u8]) -> Value {
        let changes: Vec<Value> = payload
            .split(|&b| b == CHANGE_SEPARATOR)
            .map(|chunk| {
                let byte = |i: usize| chunk.get(i).copied().unwrap_or(0);
                let flags = byte(0);
                let new_text = text(chunk.get(5..).unwrap_or_default());
                if flags & 1 != 0 {
                    return json!({"text": new_text});
                }
                let huge = flags & 2 != 0;
                let mut change = json!({
                    "range": {
                        "start": {"line": coordinate(byte(1), false), "character": coordinate(byte(2), huge)},
                        "end": {"line": coordinate(byte(3), huge), "character": coordinate(byte(4), huge)}
                    },
                    "text": new_text
                });
                if flags & 4 != 0 {
                    change["rangeLength"] = json!(byte(4));
                }
                change
            })
            .collect();
        Value::Array(changes)
    }

    async fn message(&mut self, record: &[u8]) {
        let byte = |i: usize| record.get(i).copied().unwrap_or(0);
        let payload = record.get(6..).unwrap_or_default();
        let (a, b, c, d, e) = (byte(1), byte(2), byte(3), byte(4), byte(5));
        let uri = document_uri(a);
        let slot = usize::from(a % 12);
        match OPS[usize::from(byte(0)) % OPS.len()] {
            Op::Raw => {
                let body = record.get(1..).unwrap_or_default();
                match serde_json::from_slice::<Value>(body) {
                    Ok(mut value) => {
                        if confine(&mut value, None) {
                            self.send_body(&serde_json::to_vec(&value).unwrap());
                        } else {
                            self.send_body(body);
                        }
                    }
                    Err(_) => self.send_body(body),
                }
            }
            Op::Open => {
                self.versions[slot] = i32::from(b);
                let language = if c % 2 == 0 { "python" } else { "plaintext" };
                self.notify(
                    "textDocument/didOpen",
                    json!({"textDocument": {
                        "uri": uri, "languageId": language, "version": b, "text": text(payload)
                    }}),
                );
            }
            Op::Change => {
                let version = self.versions[slot].saturating_add(i32::from(b as i8));
                self.versions[slot] = version;
                self.notify(
                    "textDocument/didChange",
                    json!({
                        "textDocument": {"uri": uri, "version": version},
                        "contentChanges": Self::content_changes(payload)
                    }),
                );
            }
            Op::Close => self.notify(
                "textDocument/didClose",
                json!({"textDocument": {"uri": uri}}),
            ),
            Op::Save => self.notify(
                "textDocument/didSave",
                json!({"textDocument": {"uri": uri}}),
            ),
            Op::Hover => {
                let huge = d & 1 != 0;
                self.request(
                    "textDocument/hover",
                    json!({
                        "textDocument": {"uri": uri},
                        "position": {"line": coordinate(b, huge), "character": coordinate(c, huge)}
                    }),
                );
            }
            Op::CodeAction => {
                let only = match payload.first().copied().unwrap_or(0) % 5 {
                    1 => json!(["quickfix"]),
                    2 => json!(["source.fixAll.sqla-analyzer"]),
                    3 => json!(["source"]),
                    4 => json!([]),
                    _ => Value::Null,
                };
                let mut context = json!({"diagnostics": []});
                if !only.is_null() {
                    context["only"] = only;
                }
                self.request(
                    "textDocument/codeAction",
                    json!({
                        "textDocument": {"uri": uri},
                        "range": {
                            "start": {"line": b, "character": c},
                            "end": {"line": d, "character": e}
                        },
                        "context": context
                    }),
                );
            }
            Op::Configuration => {
                let settings =
                    json_payload(payload).unwrap_or_else(|| Value::String(text(payload)));
                self.client.set_configuration(settings.clone());
                self.notify(
                    "workspace/didChangeConfiguration",
                    json!({"settings": settings}),
                );
            }
            Op::WatchedFiles => self.notify(
                "workspace/didChangeWatchedFiles",
                json!({"changes": [{"uri": uri, "type": 1 + b % 3}]}),
            ),
            Op::Folders => {
                let added: Vec<Value> = folder(a % 4).into_iter().collect();
                let removed: Vec<Value> = folder(b % 4).into_iter().collect();
                self.notify(
                    "workspace/didChangeWorkspaceFolders",
                    json!({"event": {"added": added, "removed": removed}}),
                );
            }
            Op::Cancel => self.notify("$/cancelRequest", json!({"id": a})),
            Op::Shutdown => {
                self.request("shutdown", Value::Null);
            }
            Op::Exit => self.notify("exit", Value::Null),
            Op::Initialized => self.notify("initialized", json!({})),
            Op::Initialize => self.initialize(payload),
            Op::Unknown => {
                let params = json_payload(payload).unwrap_or(Value::Null);
                if a % 2 == 1 {
                    self.request("sqla-analyzer/unknown", params);
                } else {
                    self.notify("$/unknownNotification", params);
                }
            }
            Op::Sync => {
                let params = json!({
                    "textDocument": {"uri": uri},
                    "position": {"line": b, "character": c}
                });
                if !self.exited {
                    assert!(
                        self.request_and_wait("textDocument/hover", params).await,
                        "no answer to a hover in {ANSWER_TIMEOUT:?}"
                    );
                }
            }
        }
    }
}

async fn session(data: &[u8]) {
    let mut records = data.split(|&b| b == SEPARATOR);
    let header = records.next().unwrap_or_default();

    let (client, mut server) = client::connect(Hooks::default(), 1 << 16);
    let flags = header.first().copied().unwrap_or(0);
    if flags & 0x10 != 0 {
        client.set_answers(Answers::Errors);
    }
    let mut session = Session {
        client,
        versions: [0; 12],
        exited: false,
    };

    if flags & 0x80 == 0 {
        session.initialize(header);
        session.notify("initialized", json!({}));
    }
    for record in records.take(MAX_MESSAGES) {
        session.message(record).await;
    }

    if !session.exited {
        let probe = json!(PROBE_ID);
        session.client.send(&client::request_message(
            &probe,
            "textDocument/hover",
            json!({
                "textDocument": {"uri": document_uri(0)},
                "position": {"line": 0, "character": 0}
            }),
        ));
        let answer = session
            .client
            .skip_until(|m| client::is_response(m, &probe));
        let answered = tokio::select! {
            answered = tokio::time::timeout(ANSWER_TIMEOUT, answer) => answered,
            stopped = &mut server => panic!("the server stopped without an exit notification: {stopped:?}"),
        };
        match answered {
            Ok(Some(_)) => {}
            // Its output ended before the task did.
            Ok(None) => panic!(
                "the server stopped without an exit notification: {:?}",
                (&mut server).await
            ),
            Err(_) => panic!("the server stopped answering"),
        }
        session.request("shutdown", Value::Null);
        session.notify("exit", Value::Null);
    }
    match tokio::time::timeout(ANSWER_TIMEOUT, &mut server).await {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => panic!("the server task failed: {error}"),
        Err(_) => panic!("the server did not exit after the exit notification"),
    }
}

fuzz_target!(|data: &[u8]| {
    runtime().block_on(session(data));
});
