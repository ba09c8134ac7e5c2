//! Input no editor should send, and disks that change under the server:
//! huge, deeply nested, binary and mis-encoded files, folders that vanish,
//! notifications nobody knows. Each is answered with the protocol's error
//! or ignored with a `window/logMessage`, and the server still answers a
//! hover afterwards.

use serde_json::{json, Value};

use crate::support::*;

/// The log messages received so far that mention all of `words`.
fn logged(server: &mut TestServer, words: &[&str]) -> Vec<String> {
    server
        .log
        .iter()
        .filter(|m| m["method"] == "window/logMessage")
        .filter_map(|m| m["params"]["message"].as_str())
        .filter(|text| words.iter().all(|w| text.contains(w)))
        .map(str::to_string)
        .collect()
}

/// A model file of about `size` bytes: real models, then filler comments.
fn large_model_file(size: usize) -> String {
    let mut text = String::from(
        "from sqlalchemy import Column, Integer\nfrom base import Base\n\n\nclass Big(Base):\n    __tablename__ = \"big\"\n    id = Column(Integer, primary_key=True)\n",
    );
    let line =
        "# generated filler to make a very large module ..................................\n";
    text.reserve(size);
    while text.len() < size {
        text.push_str(line);
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_mb_file_on_disk_and_open_is_skipped_with_a_log_line() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let big = root.join("big.py");
    std::fs::write(&big, large_model_file(20 << 20)).unwrap();
    let mut server = TestServer::in_folder(&root).await;
    server.settle().await;
    assert_eq!(
        logged(&mut server, &["big.py", "limit"]).len(),
        1,
        "{:?}",
        server.log
    );
    assert_eq!(server.diagnostics(&root.join("parent.py")).len(), 1);

    // Opened, it is skipped the same way, and said so once.
    let text = large_model_file(20 << 20);
    server.open(&big, &text, 1);
    server.change(
        &big,
        2,
        json!([{"range": {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 0}},
                "text": "# edited\n"}]),
    );
    server.settle().await;
    assert_eq!(
        logged(&mut server, &["big.py", "limit"]).len(),
        2,
        "{:?}",
        logged(&mut server, &["big.py"])
    );
    let hover = server.hover(&big, 4, 8).await;
    assert_eq!(hover["result"], Value::Null, "{hover}");
    assert!(server.diagnostics(&big).is_empty());
    server.assert_hover_works(&root).await;
    assert!(server.shutdown().await);
}

/// 10,000 levels of brackets, parentheses, braces and calls, in a class
/// body and a relationship's arguments: parsed, checked, hovered, edited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_nested_brackets() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let nested = root.join("nested.py");
    let depth = 10_000;
    let text = format!(
        "from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import relationship\n\nfrom base import Base\n\n\n\
         class Nested(Base):\n    __tablename__ = \"nested\"\n    id = Column(Integer, primary_key=True)\n\
         \x20   things = relationship(\"Thing\", order_by={}1{})\n    x = {}1{}\n    y = Column(Integer, default={}{})\n\
         z = {}){}\n",
        "[".repeat(depth),
        "]".repeat(depth),
        "(".repeat(depth),
        ")".repeat(depth),
        "{".repeat(depth),
        "}".repeat(depth),
        "f(".repeat(depth),
        ")".repeat(depth - 1),
    );
    std::fs::write(&nested, &text).unwrap();
    let mut server = TestServer::in_folder(&root).await;
    server.open(&nested, &text, 1);
    server.settle().await;
    // The unresolved target is still found.
    let found = server.diagnostics(&nested);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "SA201");
    // Hover and code actions in the middle of the nesting.
    let hover = server.hover(&nested, 9, 5000).await;
    assert!(hover.get("error").is_none(), "{hover}");
    let whole_file =
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 20, "character": 0}});
    server.code_actions(&nested, whole_file, &[], &[]).await;
    // An edit deep inside re-parses incrementally.
    server.change(
        &nested,
        2,
        json!([{"range": {"start": {"line": 10, "character": 5004}, "end": {"line": 10, "character": 5004}},
                "text": "(((("}]),
    );
    server.settle().await;
    assert_eq!(server.published_version(&nested), Some(2));
    server.assert_hover_works(&root).await;
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_bytes_and_invalid_utf8_are_skipped_with_a_log_line() {
    let dir = sa203_workspace();
    let root = root(&dir);
    std::fs::write(root.join("nul.py"), b"import sqlalchemy\x00\x00\x00\x00").unwrap();
    std::fs::write(root.join("zeros.py"), vec![0u8; 4096]).unwrap();
    std::fs::write(
        root.join("latin1.py"),
        b"# sqlalchemy models\nname = '\xe9t\xe9'\n",
    )
    .unwrap();
    let mut server = TestServer::in_folder(&root).await;
    server.settle().await;
    assert_eq!(logged(&mut server, &["nul.py", "binary"]).len(), 1);
    assert_eq!(logged(&mut server, &["latin1.py", "UTF-8"]).len(), 1);
    assert_eq!(server.diagnostics(&root.join("parent.py")).len(), 1);

    // Changed on disk: read again, skipped again.
    std::fs::write(
        root.join("latin1.py"),
        b"# sqlalchemy models\nname = '\xff'\n",
    )
    .unwrap();
    server.disk_changed(&root.join("latin1.py"), FileChange::Changed);
    server.settle().await;
    assert_eq!(logged(&mut server, &["latin1.py", "UTF-8"]).len(), 2);

    // A document of NUL bytes (JSON carries them as \u0000), and one with
    // models and NUL bytes: skipped as the files on disk are.
    let zeros = root.join("zeros.py");
    server.open(&zeros, &"\0".repeat(4096), 1);
    let nul = root.join("nul.py");
    server.open(
        &nul,
        "from sqlalchemy.orm import relationship\n\0\0\0\nx = relationship(\"Nowhere\")\n",
        1,
    );
    server.settle().await;
    assert!(server.diagnostics(&zeros).is_empty());
    assert!(server.diagnostics(&nul).is_empty());
    assert_eq!(logged(&mut server, &["nul.py", "binary"]).len(), 2);
    let hover = server.hover(&zeros, 0, 100).await;
    assert_eq!(hover["result"], Value::Null, "{hover}");
    server.assert_hover_works(&root).await;
    assert!(server.shutdown().await);
}

/// A workspace folder deleted while the server runs: the client reports
/// the deleted files (or only the folder), then edits that name it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_folder_that_disappears() {
    for per_file in [true, false] {
        let kept = sa203_workspace();
        let doomed = copy_workspace(&lsp_fixtures().join("workspaces/cascade"));
        let (kept, doomed_root) = (root(&kept), root(&doomed));
        let mut server = TestServer::start();
        server.initialize(json!({
            "capabilities": {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}},
            "workspaceFolders": [
                {"uri": uri(&kept), "name": "kept"},
                {"uri": uri(&doomed_root), "name": "doomed"}
            ]
        }))
        .await;
        server.settle().await;
        let doomed_parent = doomed_root.join("parent.py");
        assert_eq!(server.diagnostics(&doomed_parent).len(), 1);
        // Deleted once the server no longer writes into it.
        facts_cache_written(&doomed_root).await;

        let files: Vec<_> = std::fs::read_dir(&doomed_root)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        drop(doomed);
        assert!(!doomed_root.exists());
        let changes: Vec<Value> = if per_file {
            files
                .iter()
                .map(|f| json!({"uri": uri(f), "type": 3}))
                .collect()
        } else {
            vec![json!({"uri": uri(&doomed_root), "type": 3})]
        };
        server.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": changes}),
        );
        server.settle().await;
        assert_eq!(
            server.published.get(&uri(&doomed_parent)),
            Some(&(None, vec![])),
            "per file: {per_file}"
        );

        // Events for files in the vanished folder: a configuration file, a
        // new module, a change.
        server.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [
                {"uri": uri(&doomed_root.join("pyproject.toml")), "type": 2},
                {"uri": uri(&doomed_root.join("new.py")), "type": 1},
                {"uri": uri(&doomed_parent), "type": 2}
            ]}),
        );
        server.settle().await;
        assert!(server.diagnostics(&doomed_parent).is_empty());
        assert!(
            !logged(&mut server, &[doomed_root.to_str().unwrap()]).is_empty(),
            "per file: {per_file}: {:?}",
            server.log
        );
        // The other folder is untouched.
        assert_eq!(server.diagnostics(&kept.join("parent.py")).len(), 1);
        server.assert_hover_works(&kept).await;
        assert!(server.shutdown().await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_notifications_are_ignored_with_a_log_line() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let mut server = TestServer::in_folder(&root).await;
    server.notify("custom/somethingHappened", json!({"x": 1}));
    let message = server.notification("window/logMessage").await;
    let text = message["params"]["message"].as_str().unwrap();
    assert_eq!(
        text,
        "sqla-analyzer: ignored the notification custom/somethingHappened: the server does not handle it"
    );
    // `$/` notifications may be ignored silently.
    server.notify("$/somethingElse", json!({}));
    server.settle().await;
    assert!(logged(&mut server, &["$/somethingElse"]).is_empty());
    server.assert_hover_works(&root).await;
    assert!(server.shutdown().await);
}

/// Notifications whose params do not read as their type: without a word,
/// a lost didChange would leave the server with another text than the
/// editor's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_with_invalid_params_are_ignored_with_a_log_line() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::in_folder(&root).await;
    server.open_from_disk(&parent, 1);
    server.change(
        &parent,
        2,
        json!([{"range": {"start": {"line": 0, "character": -1}, "end": {"line": 0, "character": 0}},
                "text": "x"}]),
    );
    server.notify("textDocument/didClose", json!({"textDocument": 42}));
    server.notify("workspace/didChangeWatchedFiles", Value::Null);
    server.settle().await;
    for method in [
        "textDocument/didChange",
        "textDocument/didClose",
        "workspace/didChangeWatchedFiles",
    ] {
        assert_eq!(
            logged(
                &mut server,
                &["ignored the notification", method, "invalid params"]
            )
            .len(),
            1,
            "{method}: {:?}",
            server.log
        );
    }
    assert_eq!(server.published_version(&parent), Some(1));
    // Positions beyond u32 in a request: the protocol's invalid params.
    let response = server
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&parent)}, "position": {"line": 1u64 << 40, "character": 0}}),
        )
        .await;
    assert_eq!(response["error"]["code"], -32602, "{response}");
    server.assert_hover_works(&root).await;
    assert!(server.shutdown().await);
}
