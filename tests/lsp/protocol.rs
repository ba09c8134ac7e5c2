//! The protocol itself: lifecycle, encodings, and clients that get it
//! wrong. After every mistake the server still answers.

use serde_json::{json, Value};
use sqla_analyzer::lsp::{client, Hooks};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_before_initialize_are_refused() {
    let mut server = TestServer::start();
    let response = server
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": "file:///a.py"}, "position": {"line": 0, "character": 0}}),
        )
        .await;
    assert_eq!(response["error"]["code"], -32002, "{response}");
    // A notification before initialize is dropped without a word.
    server.open(std::path::Path::new("/a.py"), "x = 1\n", 1);
    let dir = sa203_workspace();
    let root = root(&dir);
    let result = server.initialize_folder(&root, None).await;
    assert_eq!(result["serverInfo"]["name"], "sqla-analyzer");
    let again = server
        .request("initialize", json!({"capabilities": {}}))
        .await;
    assert_eq!(again["error"]["code"], -32600, "{again}");
    server.assert_hover_works(&root).await;
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_methods_and_malformed_messages_get_errors() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let mut server = TestServer::in_folder(&root).await;
    let response = server.request("textDocument/frobnicate", json!({})).await;
    assert_eq!(response["error"]["code"], -32601, "{response}");
    // Unknown notifications are ignored.
    server.notify("custom/somethingHappened", json!({"x": 1}));
    // Not JSON: a parse error with a null id.
    server.send_body(b"{not json");
    let error = server
        .wait_for("the parse error", |m| {
            m["id"].is_null() && m.get("error").is_some()
        })
        .await;
    assert_eq!(error["error"]["code"], -32700, "{error}");
    // JSON, but not JSON-RPC: an invalid request, with its id.
    server.send_body(br#"{"jsonrpc":"2.0","id":77,"method":42}"#);
    let error = server.response(77).await;
    assert_eq!(error["error"]["code"], -32600, "{error}");
    // Messages the server's JSON-RPC reader cannot decode, though they are
    // JSON objects: an id that is not an integer, a key given twice. Each
    // gets an error and the server goes on. (Found by the LSP fuzz target:
    // the reader stopped for good, and the server with it.)
    for (body, id) in [
        (&br#"{"id":8e2}"#[..], Value::Null),
        (br#"{"jsonrpc":"2.0","id":1.5,"method":7}"#, Value::Null),
        (
            br#"{"jsonrpc":"2.0","method":"initialized","method":"exit"}"#,
            Value::Null,
        ),
        (
            br#"{"jsonrpc":"2.0","id":78,"result":null,"result":1}"#,
            json!(78),
        ),
    ] {
        server.send_body(body);
        let error = server
            .wait_for("the error", |m| m["id"] == id && m.get("error").is_some())
            .await;
        assert!(error["error"]["message"].is_string(), "{error}");
    }
    // Wrong parameters.
    let response = server
        .request("textDocument/hover", json!({"textDocument": 5}))
        .await;
    assert_eq!(response["error"]["code"], -32602, "{response}");
    server.assert_hover_works(&root).await;
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn position_encodings_are_negotiated() {
    for (offered, chosen) in [
        (json!(null), "utf-16"),
        (json!([]), "utf-16"),
        (json!(["utf-8", "utf-16"]), "utf-8"),
        (json!(["utf-32", "utf-8"]), "utf-32"),
        (json!(["utf-7", "utf-16"]), "utf-16"),
    ] {
        let mut server = TestServer::start();
        let mut capabilities = json!({});
        if !offered.is_null() {
            capabilities["general"] = json!({"positionEncodings": offered});
        }
        let result = server
            .initialize(json!({"capabilities": capabilities}))
            .await;
        assert_eq!(
            result["capabilities"]["positionEncoding"], chosen,
            "offered {offered}"
        );
        assert!(server.shutdown().await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_past_the_end_are_clamped() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::in_folder(&root).await;
    server.open_from_disk(&parent, 1);
    let past_the_end = server.hover(&parent, 9999, 9999).await;
    assert_eq!(past_the_end["result"], Value::Null, "{past_the_end}");
    let past_the_line = server.hover(&parent, 0, 9999).await;
    assert_eq!(past_the_line["result"], Value::Null, "{past_the_line}");
    // An edit past the end appends; so does a reversed range that starts
    // past the end (read as empty at its start), and one past the end of
    // the last line, in the middle of nowhere.
    server.change(
        &parent,
        2,
        json!([
            {
                "range": {"start": {"line": 500, "character": 3}, "end": {"line": 900, "character": 0}},
                "text": "# appended\n"
            },
            {
                "range": {"start": {"line": 9999, "character": 0}, "end": {"line": 0, "character": 0}},
                "text": "# reversed\n"
            },
            {
                "range": {"start": {"line": 4294967295u32, "character": 4294967295u32},
                          "end": {"line": 4294967295u32, "character": 4294967295u32}},
                "text": "# at the limit\n"
            }
        ]),
    );
    // A code action over a range past the end.
    let past_the_end =
        json!({"start": {"line": 12, "character": 0}, "end": {"line": 9999, "character": 0}});
    let actions = server.code_actions(&parent, past_the_end, &[], &[]).await;
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Ignore SA203 on this line"]);
    server.settle().await;
    assert_eq!(server.published_version(&parent), Some(2));
    assert_eq!(server.diagnostics(&parent).len(), 1);
    server.assert_hover_works(&root).await;
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_to_unopened_documents_and_old_versions_are_ignored() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::in_folder(&root).await;

    server.change(
        &root.join("child.py"),
        4,
        json!([{"text": "garbage that would clear everything"}]),
    );
    let warning = server.notification("window/logMessage").await;
    assert_eq!(warning["params"]["type"], 2);
    let text = warning["params"]["message"].as_str().unwrap();
    assert!(
        text.contains("child.py") && text.contains("not open"),
        "{text}"
    );

    server.open_from_disk(&parent, 5);
    server.change(&parent, 3, json!([{"text": "x = 1\n"}]));
    let warning = server.notification("window/logMessage").await;
    let message = warning["params"]["message"].as_str().unwrap();
    assert!(message.contains("version 3 after version 5"), "{message}");
    server.close(&root.join("never-opened.py"));
    let warning = server.notification("window/logMessage").await;
    assert!(warning["params"]["message"]
        .as_str()
        .unwrap()
        .contains("never-opened.py"));
    server.settle().await;
    // Neither change applied.
    assert_eq!(server.published_version(&parent), Some(5));
    assert_eq!(server.diagnostics(&parent).len(), 1);
    server.assert_hover_works(&root).await;
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_file_that_is_not_toml_is_reported() {
    let dir = sa203_workspace();
    let root = root(&dir);
    std::fs::write(
        root.join("pyproject.toml"),
        "[tool.sqla-analyzer\nselect = \n",
    )
    .unwrap();
    let mut server = TestServer::in_folder(&root).await;
    let message = server.notification("window/showMessage").await;
    assert_eq!(message["params"]["type"], 1);
    let text = message["params"]["message"].as_str().unwrap();
    assert!(text.contains("pyproject.toml"), "{text}");
    server.settle().await;
    // The defaults apply.
    assert_eq!(server.diagnostics(&root.join("parent.py")).len(), 1);
    server.assert_hover_works(&root).await;
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_with_an_error() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::start_with(Hooks {
        panic_in_hover: true,
    });
    server.initialize_folder(&root, None).await;
    let response = server.hover(&parent, 12, 16).await;
    assert_eq!(response["error"]["code"], -32603, "{response}");
    assert!(response["error"]["message"]
        .as_str()
        .unwrap()
        .contains("hover"));
    // The server carries on.
    let actions = server
        .code_actions(&parent, range_at(12, 16), &[], &[])
        .await;
    assert_eq!(actions.as_array().unwrap().len(), 1);
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_then_exit() {
    let mut server = TestServer::start();
    server.initialize(json!({"capabilities": {}})).await;
    let result = server.call("shutdown", Value::Null).await;
    assert_eq!(result, Value::Null);
    let after = server
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": "file:///a.py"}, "position": {"line": 0, "character": 0}}),
        )
        .await;
    assert_eq!(after["error"]["code"], -32600, "{after}");
    let twice = server.request("shutdown", Value::Null).await;
    assert_eq!(twice["error"]["code"], -32600, "{twice}");
    // Notifications other than exit are dropped.
    server.open(std::path::Path::new("/a.py"), "x = 1\n", 1);
    server.notify("custom/late", json!({}));
    server.notify("exit", Value::Null);
    assert!(server.exit().await);

    // Exit without shutdown: an unclean end.
    let mut server = TestServer::start();
    server.initialize(json!({"capabilities": {}})).await;
    server.notify("exit", Value::Null);
    assert!(!server.exit().await);
}

/// `exit` while the server waits for the client's answer to one of its
/// requests (`client/registerCapability` after `initialized`,
/// `workspace/configuration` after a `didChangeConfiguration` with no
/// settings): the server ends at once. It used to wait for that answer,
/// which could no longer arrive, for 10 s (found by the LSP fuzz target
/// as slow inputs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_does_not_wait_for_the_clients_answers() {
    let capabilities = json!({"workspace": {
        "configuration": true,
        "didChangeWatchedFiles": {"dynamicRegistration": true}
    }});
    for (method, params, request) in [
        ("initialized", json!({}), "client/registerCapability"),
        (
            "workspace/didChangeConfiguration",
            json!({"settings": null}),
            "workspace/configuration",
        ),
    ] {
        let mut server = TestServer::start();
        server
            .call("initialize", json!({"capabilities": capabilities}))
            .await;
        if method != "initialized" {
            server.notify("initialized", json!({}));
            server.settle().await;
        }
        server.stop_answering();
        server.notify(method, params);
        server.wait_for(request, |m| m["method"] == request).await;
        let start = std::time::Instant::now();
        server.notify("exit", Value::Null);
        // Without shutdown: an unclean end, but an end.
        assert!(!server.exit().await, "{method}");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "{method}: the server took {:?} to exit",
            start.elapsed()
        );
    }
}

/// `serve` leaves nothing running once it returns: the analysis worker
/// and the session it holds go with the server. (A process that serves
/// many connections on one runtime, as the fuzz target does, would
/// otherwise keep every session it ever had.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_task_outlives_the_server() {
    let metrics = tokio::runtime::Handle::current().metrics();
    for _ in 0..3 {
        let mut server = TestServer::start();
        server.initialize(json!({"capabilities": {}})).await;
        server.open(
            std::path::Path::new("/nonexistent/models.py"),
            "from sqlalchemy.orm import relationship\n",
            1,
        );
        server.settle().await;
        assert!(server.shutdown().await);
    }
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while metrics.num_alive_tasks() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} tasks still alive after every server exited",
            metrics.num_alive_tasks()
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_folders_come_and_go() {
    let first = sa203_workspace();
    let second = copy_workspace(&lsp_fixtures().join("workspaces/cascade"));
    let (first, second_root) = (root(&first), root(&second));
    let mut server = TestServer::start();
    server.initialize_folder(&first, None).await;
    server.settle().await;
    assert_eq!(server.rendered(&first).len(), 1);

    server.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": uri(&second_root), "name": "second"}], "removed": []}}),
    );
    server.settle().await;
    let parent = second_root.join("parent.py");
    assert_eq!(server.diagnostics(&parent).len(), 1);
    assert_eq!(server.diagnostics(&parent)[0]["code"], "SA106");

    server.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": [{"uri": uri(&first), "name": "first"}]}}),
    );
    server.settle().await;
    assert_eq!(
        server.published.get(&uri(&first.join("parent.py"))),
        Some(&(None, vec![]))
    );
    assert_eq!(server.diagnostics(&parent).len(), 1);
    assert!(server.shutdown().await);
}

/// The real binary over stdio: `shutdown` then `exit` ends with status 0,
/// `exit` alone with 1.
#[test]
fn the_binary_serves_stdio() {
    for clean in [true, false] {
        let mut server = StdioServer::start();
        server.send(json!({
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"capabilities": {}}
        }));
        let response = server.response(1);
        assert_eq!(response["result"]["serverInfo"]["name"], "sqla-analyzer");
        server.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        if clean {
            server.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
            assert_eq!(server.response(2)["result"], Value::Null);
        }
        server.send(json!({"jsonrpc": "2.0", "method": "exit"}));
        let status = server.child.wait().unwrap();
        assert_eq!(status.code(), Some(if clean { 0 } else { 1 }));
    }
}

/// The real binary over stdio, for what only a byte stream can get wrong:
/// messages are read on a thread and handed over with a deadline.
struct StdioServer {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    messages: std::sync::mpsc::Receiver<Value>,
}

impl StdioServer {
    fn start() -> Self {
        use std::io::{BufRead, BufReader, Read};
        use std::process::{Command, Stdio};

        let mut child = Command::new(env!("CARGO_BIN_EXE_sqla-analyzer"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (deliver, messages) = std::sync::mpsc::channel();
        std::thread::spawn(move || loop {
            let mut length = None;
            loop {
                let mut line = String::new();
                if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(value) = line.strip_prefix("Content-Length: ") {
                    length = value.parse::<usize>().ok();
                }
            }
            let mut body = vec![0; length.expect("the server frames every message")];
            if stdout.read_exact(&mut body).is_err() {
                return;
            }
            let message: Value = serde_json::from_slice(&body).expect("the server writes JSON");
            if deliver.send(message).is_err() {
                return;
            }
        });
        StdioServer {
            child,
            stdin,
            messages,
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, message: Value) {
        self.send_raw(&client::frame(message.to_string().as_bytes()));
    }

    /// The next message matching `matches`, skipping the others.
    fn wait_for(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(message) if matches(&message) => return message,
                Ok(_) => {}
                Err(error) => panic!("waiting for {what}: {error}"),
            }
        }
    }

    fn response(&self, id: i64) -> Value {
        self.wait_for(&format!("the response to {id}"), |m| {
            m.get("method").is_none() && m["id"] == id
        })
    }

    fn parse_error(&self) -> Value {
        let error = self.wait_for("a parse error", |m| {
            m.get("method").is_none() && m["id"].is_null()
        });
        assert_eq!(error["error"]["code"], -32700, "{error}");
        error
    }
}

fn hover_request(id: i64, root: &std::path::Path) -> Value {
    json!({
        "jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
        "params": {
            "textDocument": {"uri": uri(&root.join("parent.py"))},
            "position": {"line": 12, "character": 16}
        }
    })
}

fn assert_stdio_hover(server: &mut StdioServer, id: i64, root: &std::path::Path) {
    server.send(hover_request(id, root));
    let hover = server.response(id);
    let value = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(
        value.starts_with("**`Parent.children`**"),
        "hover {id}: {hover}"
    );
}

/// Content-Length headers that do not match the body, or that are not
/// numbers: a parse error (id null) for what cannot be read, then the
/// server finds the next header and answers again.
#[test]
fn wrong_content_lengths_get_parse_errors_and_the_server_resynchronises() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let mut server = StdioServer::start();
    server.send(json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"capabilities": {}, "rootUri": uri(&root)}
    }));
    server.response(1);
    server.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    assert_stdio_hover(&mut server, 2, &root);

    // Too short: the body is cut, its rest runs into the next header.
    let body = hover_request(3, &root).to_string();
    server.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len() - 7).as_bytes());
    server.parse_error();
    assert_stdio_hover(&mut server, 4, &root);

    // Too long: the body swallows the start of the next message, which is
    // lost; the one after it is answered.
    let body = hover_request(5, &root).to_string();
    server.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len() + 30).as_bytes());
    server.send(hover_request(6, &root));
    server.parse_error();
    assert_stdio_hover(&mut server, 7, &root);

    // Not a number, and no length at all.
    for header in ["Content-Length: twelve", "Content-Type: application/json"] {
        let body = hover_request(8, &root).to_string();
        server.send_raw(format!("{header}\r\n\r\n{body}").as_bytes());
        server.parse_error();
        assert_stdio_hover(&mut server, 9, &root);
    }

    // Garbage between messages.
    server.send_raw(b"\x00\xffnot a header at all\r\n\r\n");
    server.parse_error();
    assert_stdio_hover(&mut server, 10, &root);

    server.send(json!({"jsonrpc": "2.0", "id": 11, "method": "shutdown"}));
    assert_eq!(server.response(11)["result"], Value::Null);
    server.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    assert_eq!(server.child.wait().unwrap().code(), Some(0));
}
