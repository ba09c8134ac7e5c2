//! Hovers and code actions, snapshotted in `tests/lsp/snapshots/`.

use std::path::Path;

use serde_json::{json, Value};

use crate::support::*;

/// The kind of the action that applies every safe fix.
const FIX_ALL: &str = "source.fixAll.sqla-analyzer";

/// The JSON with the workspace's URI replaced, pretty-printed.
fn portable(value: &Value, root: &Path) -> String {
    serde_json::to_string_pretty(value)
        .unwrap()
        .replace(&uri(root), "file:///workspace")
        + "\n"
}

async fn hover_report(
    server: &mut TestServer,
    root: &Path,
    cases: &[(&str, &str, usize)],
) -> String {
    let mut report = String::new();
    for (file, needle, delta) in cases {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in {file}"))
            + delta;
        let (line, character) = position(&text, at, "utf-16");
        let hover = server.hover(&path, line, character).await;
        assert!(hover.get("error").is_none(), "{hover}");
        report.push_str(&format!("## {file} {line}:{character} ({needle})\n"));
        match hover["result"].as_object() {
            None => report.push_str("no hover\n\n"),
            Some(result) => {
                assert_eq!(result["contents"]["kind"], "markdown");
                report.push_str(&format!(
                    "range {}\n{}\n\n",
                    range(&result["range"]),
                    result["contents"]["value"].as_str().unwrap()
                ));
            }
        }
    }
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hovers_over_model_elements_and_diagnostics() {
    let dir = copy_workspace(&lsp_fixtures().join("workspaces/cascade"));
    std::fs::write(
        dir.path().join("tables.py"),
        std::fs::read_to_string(lsp_fixtures().join("workspaces/core/tables.py")).unwrap(),
    )
    .unwrap();
    let root = root(&dir);
    let mut server = TestServer::in_folder(&root).await;
    let report = hover_report(
        &mut server,
        &root,
        &[
            ("parent.py", "relationship(", 0),
            ("parent.py", "relationship(", "relationship".len()),
            ("parent.py", "children =", 3),
            ("parent.py", "Parent(Base)", 2),
            ("child.py", "ForeignKey(\"parent.id\"", 4),
            ("child.py", "relationship(\"Parent\"", 0),
            ("child.py", "Child(Base)", 0),
            ("tables.py", "Table(\n    \"session\"", 0),
            ("tables.py", "ForeignKey(\"account.id\"", 0),
            ("tables.py", "ForeignKeyConstraint(\n", 0),
            ("tables.py", "Membership(Base)", 0),
            ("tables.py", "metadata = MetaData()", 0),
        ],
    )
    .await;
    snapshot("hovers.md", &report);
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_actions_offer_fixes_ignores_and_fix_all() {
    let dir = copy_workspace(&lsp_fixtures().join("workspaces/passive"));
    let root = root(&dir);
    let (parent, child) = (root.join("parent.py"), root.join("child.py"));
    let mut server = TestServer::in_folder(&root).await;
    server.open_from_disk(&parent, 3);
    server.settle().await;
    let diagnostics = server.diagnostics(&parent);
    assert_eq!(diagnostics.len(), 1);
    let at = diagnostics[0]["range"].clone();
    let actions = server.code_actions(&parent, at, &diagnostics, &[]).await;
    snapshot("code_actions_passive.json", &portable(&actions, &root));

    // The fix edits child.py, which is not open: the client applies it
    // there, and parent.py's diagnostic goes.
    let fix = &actions[0]["edit"]["documentChanges"][0];
    assert_eq!(fix["textDocument"]["uri"], uri(&child));
    assert_eq!(fix["textDocument"]["version"], Value::Null);
    let mut child_text = std::fs::read_to_string(&child).unwrap();
    apply(&mut child_text, &fix["edits"][0]);
    std::fs::write(&child, &child_text).unwrap();
    server.disk_changed(&child, FileChange::Changed);
    server.settle().await;
    assert!(server.diagnostics(&parent).is_empty());
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ignore_action_silences_the_diagnostic() {
    let dir = copy_workspace(&lsp_fixtures().join("workspaces/cascade"));
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::in_folder(&root).await;
    let mut text = server.open_from_disk(&parent, 1);
    server.settle().await;
    let diagnostics = server.diagnostics(&parent);
    let at = diagnostics[0]["range"].clone();
    let actions = server
        .code_actions(&parent, at, &diagnostics, &["quickfix"])
        .await;
    let ignore = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Ignore SA106 on this line")
        .expect("an ignore action");
    let change = &ignore["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"]["version"], 1);
    let edit = &change["edits"][0];
    assert_eq!(edit["newText"], "  # sqla: ignore[SA106]");
    apply(&mut text, edit);
    server.change(
        &parent,
        2,
        json!([{"range": edit["range"], "text": edit["newText"]}]),
    );
    server.settle().await;
    assert!(server.diagnostics(&parent).is_empty());
    assert!(text.contains(
        "back_populates=\"parent\")  # sqla: ignore[SA106]
"
    ));
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_all_applies_every_safe_fix_and_uses_changes_without_document_changes() {
    let dir = copy_workspace(&lsp_fixtures().join("workspaces/cascade"));
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::start();
    // No documentChanges support: a plain `changes` map.
    server.initialize_in(&root, json!({})).await;
    let mut text = server.open_from_disk(&parent, 1);
    let actions = server
        .code_actions(&parent, range_at(0, 0), &[], &["source.fixAll"])
        .await;
    snapshot("code_actions_fix_all.json", &portable(&actions, &root));
    let edits = actions[0]["edit"]["changes"][uri(&parent)]
        .as_array()
        .unwrap();
    let mut changes = Vec::new();
    for edit in edits.iter().rev() {
        changes.push(json!({"range": edit["range"], "text": edit["newText"]}));
        apply(&mut text, edit);
    }
    server.change(&parent, 2, Value::Array(changes));
    server.settle().await;
    assert!(
        server.rendered(&root).is_empty(),
        "{:?}",
        server.rendered(&root)
    );
    // Nothing left to fix.
    let actions = server
        .code_actions(&parent, range_at(0, 0), &[], &[FIX_ALL])
        .await;
    assert_eq!(actions, json!([]));
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fix_all_waits_for_resolve_when_the_client_resolves_edits() {
    let dir = copy_workspace(&lsp_fixtures().join("workspaces/cascade"));
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::start();
    let resolves_edits = json!({"textDocument": {"codeAction": {
        "resolveSupport": {"properties": ["edit"]}
    }}});
    server.initialize_in(&root, resolves_edits).await;
    server.open_from_disk(&parent, 1);
    // Offered without its edit in the lightbulb's list...
    let actions = server.code_actions(&parent, range_at(0, 0), &[], &[]).await;
    let deferred = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == FIX_ALL)
        .expect("the fix-all action is offered")
        .clone();
    assert_eq!(deferred.get("edit"), None, "{deferred}");
    // ...and resolved to the same edit a request for the kind gets at once.
    let resolved = server.call("codeAction/resolve", deferred).await;
    let eager = server
        .code_actions(&parent, range_at(0, 0), &[], &[FIX_ALL])
        .await;
    assert!(
        resolved["edit"]["changes"][uri(&parent)].is_array(),
        "{resolved}"
    );
    assert_eq!(resolved["edit"], eager[0]["edit"]);
    assert!(server.shutdown().await);
}

/// Applies a `TextEdit` (UTF-16 positions) to `text`.
fn apply(text: &mut String, edit: &Value) {
    let start = offset(text, &edit["range"]["start"]);
    let end = offset(text, &edit["range"]["end"]);
    text.replace_range(start..end, edit["newText"].as_str().unwrap());
}

/// The byte offset of an LSP position (UTF-16) in `text`.
fn offset(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as u32;
    let character = position["character"].as_u64().unwrap() as u32;
    (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .find(|&i| crate::support::position(text, i, "utf-16") >= (line, character))
        .unwrap_or(text.len())
}
