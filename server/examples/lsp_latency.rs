//! didChange → publishDiagnostics latency on a generated workspace.
//!
//! `cargo run --release --example lsp_latency -- [FILES] [EDITS] [MODELS]`
//! (defaults: 500 files, 200 edits, every file a model file). Files past
//! the first MODELS hold plain Python that the prefilter passes over. Each
//! edit waits for the diagnostics of its version before the next is sent;
//! prints the median and other percentiles.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::DuplexStream;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, ReadHalf, WriteHalf};

fn plain(i: usize) -> String {
    format!("def helper_{i}(values):\n    return [v * {i} for v in values]\n")
}

fn model(i: usize, models: usize) -> String {
    format!(
        r#"from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from base import Base


class Parent{i}(Base):
    __tablename__ = "parent_{i}"

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    children = relationship("Child{i}", back_populates="parent")


class Child{i}(Base):
    __tablename__ = "child_{i}"

    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parent_{i}.id", ondelete="CASCADE"))
    other_id = Column(Integer, ForeignKey("parent_{j}.id"))
    parent = relationship("Parent{i}", back_populates="children")
    other = relationship("Parent{j}")
    # edits go here:
"#,
        j = (i + 1) % models
    )
}

struct Client {
    write: WriteHalf<DuplexStream>,
    read: BufReader<ReadHalf<DuplexStream>>,
    next_id: i64,
}

impl Client {
    async fn send(&mut self, message: Value) {
        let body = message.to_string();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.write.write_all(framed.as_bytes()).await.unwrap();
    }

    async fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.read.read_line(&mut line).await.unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.read.read_exact(&mut body).await.unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Reads until `done` holds, answering the server's requests.
    async fn until(&mut self, done: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self.receive().await;
            if let (Some(id), Some(_)) = (message.get("id"), message.get("method")) {
                let id = id.clone();
                self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}))
                    .await;
                continue;
            }
            if done(&message) {
                return message;
            }
        }
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.until(|m| m["id"] == id && m.get("method").is_none())
            .await
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let files: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let edits: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let models: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(files)
        .clamp(1, files);

    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(
        root.join("base.py"),
        "from sqlalchemy.orm import declarative_base\n\nBase = declarative_base()\n",
    )
    .unwrap();
    for i in 0..files {
        let text = if i < models {
            model(i, models)
        } else {
            plain(i)
        };
        std::fs::write(root.join(format!("m{i}.py")), text).unwrap();
    }

    let (client_io, server_io) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_io);
    tokio::spawn(sqla_analyzer::lsp::serve(
        server_read,
        server_write,
        Default::default(),
    ));
    let (read, write) = tokio::io::split(client_io);
    let mut client = Client {
        write,
        read: BufReader::new(read),
        next_id: 1,
    };

    let started = Instant::now();
    client
        .request(
            "initialize",
            json!({"capabilities": {}, "workspaceFolders": [{"uri": uri(&root), "name": "bench"}]}),
        )
        .await;
    client
        .send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        .await;
    let target = root.join("m0.py");
    let target_uri = uri(&target);
    client
        .until(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == target_uri
        })
        .await;
    println!(
        "{files} files ({models} with models): first diagnostics of m0.py after {:?}",
        started.elapsed()
    );

    let mut text = std::fs::read_to_string(&target).unwrap();
    client
        .send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": target_uri, "languageId": "python", "version": 1, "text": text}
        }}))
        .await;
    client
        .until(|m| m["params"]["uri"] == target_uri && m["params"]["version"] == 1)
        .await;

    let line = text
        .lines()
        .position(|l| l.contains("# edits go here:"))
        .unwrap();
    let mut latencies: Vec<Duration> = Vec::with_capacity(edits);
    for edit in 0..edits {
        let version = edit as i64 + 2;
        let column = text.lines().nth(line).unwrap().len();
        text.insert(text.match_indices('\n').nth(line).unwrap().0, 'x');
        let started = Instant::now();
        client
            .send(
                json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                    "textDocument": {"uri": target_uri, "version": version},
                    "contentChanges": [{
                        "range": {"start": {"line": line, "character": column},
                                  "end": {"line": line, "character": column}},
                        "text": "x"
                    }]
                }}),
            )
            .await;
        client
            .until(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == target_uri
                    && m["params"]["version"] == version
            })
            .await;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let at = |p: usize| latencies[(latencies.len() - 1) * p / 100];
    println!(
        "didChange → publishDiagnostics over {edits} edits: median {:?}, p90 {:?}, p99 {:?}, max {:?}",
        at(50),
        at(90),
        at(99),
        latencies.last().unwrap()
    );
}
