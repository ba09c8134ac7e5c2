//! Published diagnostics: the initial scan, edits across files, closing,
//! files changing on disk, settings and configuration files.

use serde_json::{json, Value};

use crate::support::*;

const SA203_MESSAGE: &str = "12:15-12:27 SA203 error [sqla-analyzer]: `Parent.children` has back_populates=\"parent\", but Child has no attribute \"parent\": configure_mappers() raises InvalidRequestError (Mapper 'Child' has no property 'parent')\n  related child.py:5:6-5:11: the target class Child\n";

/// A change replacing the first `old` in `text` with `new`, in UTF-16.
fn replace(text: &mut String, old: &str, new: &str) -> Value {
    let start = text
        .find(old)
        .unwrap_or_else(|| panic!("{old:?} not in text"));
    let range = lsp_range(text, start, start + old.len(), "utf-16");
    text.replace_range(start..start + old.len(), new);
    json!([{"range": range, "text": new}])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_reports_progress_and_publishes_files_with_findings() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let mut server = TestServer::start();
    let result = server.initialize_folder(&root, None).await;
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(result["capabilities"]["textDocumentSync"]["change"], 2);
    server.settle().await;
    // Only the file with findings is published, though none is open.
    assert_eq!(
        render(&server.diagnostics(&root.join("parent.py")), &root),
        SA203_MESSAGE
    );
    assert_eq!(server.published.len(), 1, "{:?}", server.published);
    assert_eq!(server.published_version(&root.join("parent.py")), None);

    let create = server
        .wait_for("workDoneProgress/create", |m| {
            m["method"] == "window/workDoneProgress/create"
        })
        .await;
    let token = create["params"]["token"].clone();
    let progress: Vec<Value> = server
        .take("$/progress")
        .into_iter()
        .filter(|m| m["params"]["token"] == token)
        .map(|m| m["params"]["value"].clone())
        .collect();
    assert_eq!(progress.first().unwrap()["kind"], "begin", "{progress:?}");
    let end = progress.last().unwrap();
    assert_eq!(end["kind"], "end", "{progress:?}");
    assert_eq!(end["message"], "3 model files in 3 Python files");

    let registration = server
        .wait_for("registerCapability", |m| {
            m["method"] == "client/registerCapability"
        })
        .await;
    let registration = &registration["params"]["registrations"][0];
    assert_eq!(registration["method"], "workspace/didChangeWatchedFiles");
    let globs: Vec<&str> = registration["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["globPattern"].as_str().unwrap())
        .collect();
    assert_eq!(
        globs,
        [
            "**/*.py",
            "**/*.pyi",
            "**/pyproject.toml",
            "**/sqla-analyzer.toml"
        ]
    );
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_childs_foreign_key_republishes_the_parent() {
    let dir = copy_workspace(&lsp_fixtures().join("workspaces/cascade"));
    let root = root(&dir);
    let (parent, child) = (root.join("parent.py"), root.join("child.py"));
    let mut server = TestServer::in_folder(&root).await;
    server.settle().await;
    let before = server.diagnostics(&parent);
    assert_eq!(before.len(), 1);
    assert_eq!(before[0]["code"], "SA106");

    let mut text = server.open_from_disk(&child, 1);
    let change = replace(&mut text, ", ondelete=\"CASCADE\"", "");
    server.change(&child, 2, change);
    server.settle().await;
    // parent.py is not open: its diagnostics are cleared all the same.
    assert_eq!(server.published.get(&uri(&parent)), Some(&(None, vec![])));
    assert!(server.diagnostics(&child).is_empty());

    let change = replace(
        &mut text,
        "ForeignKey(\"parent.id\")",
        "ForeignKey(\"parent.id\", ondelete=\"CASCADE\")",
    );
    server.change(&child, 3, change);
    server.settle().await;
    assert_eq!(server.diagnostics(&parent), before);
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_unsaved_buffer_falls_back_to_the_file_on_disk() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::in_folder(&root).await;
    let mut text = server.open_from_disk(&parent, 1);
    server.settle().await;
    assert_eq!(render(&server.diagnostics(&parent), &root), SA203_MESSAGE);
    // Open, the document's version goes with its diagnostics.
    assert_eq!(server.published_version(&parent), Some(1));

    let change = replace(&mut text, ", back_populates=\"parent\"", "");
    server.change(&parent, 2, change);
    server.settle().await;
    assert_eq!(
        server.published.get(&uri(&parent)),
        Some(&(Some(2), vec![]))
    );

    server.close(&parent);
    server.settle().await;
    assert_eq!(render(&server.diagnostics(&parent), &root), SA203_MESSAGE);
    assert_eq!(server.published_version(&parent), None);
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_changing_on_disk_are_reloaded() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let (parent, child) = (root.join("parent.py"), root.join("child.py"));
    let mut server = TestServer::in_folder(&root).await;
    server.settle().await;
    assert_eq!(server.diagnostics(&parent).len(), 1);

    // child.py gains the counterpart: parent.py's finding goes.
    let text = std::fs::read_to_string(&child).unwrap().replace(
        "from base import Base",
        "from sqlalchemy.orm import relationship\n\nfrom base import Base",
    ) + "    parent = relationship(\"Parent\", back_populates=\"children\")\n";
    std::fs::write(&child, text).unwrap();
    server.disk_changed(&child, FileChange::Changed);
    server.settle().await;
    assert!(server.diagnostics(&parent).is_empty());

    // A new file with a finding.
    let extra = root.join("pkg/extra.py");
    std::fs::create_dir_all(extra.parent().unwrap()).unwrap();
    std::fs::write(
        &extra,
        "from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import relationship\n\nfrom base import Base\n\n\nclass Extra(Base):\n    __tablename__ = \"extra\"\n    id = Column(Integer, primary_key=True)\n    things = relationship(\"Thing\")\n",
    )
    .unwrap();
    server.disk_changed(&extra, FileChange::Created);
    server.settle().await;
    let found = server.diagnostics(&extra);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "SA201");

    // Deleted: its diagnostics are cleared.
    std::fs::remove_file(&extra).unwrap();
    server.disk_changed(&extra, FileChange::Deleted);
    server.settle().await;
    assert_eq!(server.published.get(&uri(&extra)), Some(&(None, vec![])));
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_document_deleted_from_disk_is_cleared_when_closed() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::in_folder(&root).await;
    server.open_from_disk(&parent, 1);
    std::fs::remove_file(&parent).unwrap();
    server.disk_changed(&parent, FileChange::Deleted);
    server.settle().await;
    // Still open: the buffer is what counts.
    assert_eq!(server.diagnostics(&parent).len(), 1);
    server.close(&parent);
    server.settle().await;
    assert_eq!(server.published.get(&uri(&parent)), Some(&(None, vec![])));
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_override_select_ignore_and_dialect() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::start();
    server
        .initialize(json!({
            "capabilities": {"workspace": {"configuration": true}},
            "workspaceFolders": [{"uri": uri(&root), "name": "w"}],
            "initializationOptions": {"sqla-analyzer": {"ignore": ["SA203"]}}
        }))
        .await;
    server.settle().await;
    assert!(server.diagnostics(&parent).is_empty());
    assert!(server.published.is_empty());

    // The flat shape; the new settings replace the old ones.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"select": ["SA2"]}}),
    );
    server.settle().await;
    assert_eq!(render(&server.diagnostics(&parent), &root), SA203_MESSAGE);

    // Invalid settings: an error, and the previous settings stay.
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"sqla-analyzer": {"dialect": "oracle"}}}),
    );
    let message = server.notification("window/showMessage").await;
    assert_eq!(message["params"]["type"], 1);
    let text = message["params"]["message"].as_str().unwrap();
    assert!(
        text.contains("`dialect`") && text.contains("oracle"),
        "{text}"
    );
    server.settle().await;
    assert_eq!(server.diagnostics(&parent).len(), 1);

    // No settings in the notification: the server asks for them.
    server.set_configuration(json!({"ignore": ["SA2"]}));
    server.take("textDocument/publishDiagnostics");
    server.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    let request = server
        .wait_for("workspace/configuration", |m| {
            m["method"] == "workspace/configuration"
        })
        .await;
    assert_eq!(request["params"]["items"][0]["section"], "sqla-analyzer");
    // The settings arrive with the client's answer, which a hover does not
    // wait for: wait for the publication itself.
    let parent_uri = uri(&parent);
    server
        .wait_for("the parent's diagnostics cleared", |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == parent_uri.as_str()
                && m["params"]["diagnostics"] == json!([])
        })
        .await;
    assert!(server.diagnostics(&parent).is_empty());
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_files_reload_and_errors_keep_the_last_valid_settings() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let parent = root.join("parent.py");
    let config = root.join("sqla-analyzer.toml");
    std::fs::write(&config, "ignore = [\"SA203\"]\n").unwrap();
    let mut server = TestServer::in_folder(&root).await;
    server.settle().await;
    assert!(server.diagnostics(&parent).is_empty());

    // An unknown key: the error names the file and the key.
    std::fs::write(&config, "ignore = [\"SA203\"]\nselekt = [\"SA2\"]\n").unwrap();
    server.disk_changed(&config, FileChange::Changed);
    let message = server.notification("window/showMessage").await;
    assert_eq!(message["params"]["type"], 1);
    let text = message["params"]["message"].as_str().unwrap();
    assert!(
        text.contains("sqla-analyzer.toml") && text.contains("selekt"),
        "{text}"
    );
    server.settle().await;
    assert!(server.diagnostics(&parent).is_empty());

    // Not TOML at all.
    std::fs::write(&config, "this is [ not toml =\n").unwrap();
    server.disk_changed(&config, FileChange::Changed);
    let message = server.notification("window/showMessage").await;
    let text = message["params"]["message"].as_str().unwrap();
    assert!(text.contains("sqla-analyzer.toml"), "{text}");
    server.settle().await;
    assert!(server.diagnostics(&parent).is_empty());

    // Valid again: its settings apply.
    std::fs::write(&config, "select = [\"SA2\"]\n").unwrap();
    server.disk_changed(&config, FileChange::Changed);
    server.settle().await;
    assert_eq!(render(&server.diagnostics(&parent), &root), SA203_MESSAGE);
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excluded_files_are_neither_scanned_nor_checked_when_open() {
    let dir = sa203_workspace();
    let root = root(&dir);
    let parent = root.join("parent.py");
    std::fs::write(
        root.join("pyproject.toml"),
        "[tool.sqla-analyzer]\nexclude = [\"parent.py\"]\n",
    )
    .unwrap();
    let mut server = TestServer::in_folder(&root).await;
    server.open_from_disk(&parent, 1);
    server.settle().await;
    assert!(!server.published.contains_key(&uri(&parent)));
    // As `check` sees it: without parent.py, child.py's foreign key dangles.
    let child = server.diagnostics(&root.join("child.py"));
    assert_eq!(child.len(), 1, "{child:?}");
    assert_eq!(child[0]["code"], "SA202");
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_outside_every_folder_are_checked_alone() {
    let dir = workspace(&[(
        "loose.py",
        "from sqlalchemy import Column, Integer\nfrom sqlalchemy.orm import declarative_base, relationship\n\nBase = declarative_base()\n\n\nclass A(Base):\n    __tablename__ = \"a\"\n    id = Column(Integer, primary_key=True)\n    bs = relationship(\"B\")\n",
    )]);
    let root = root(&dir);
    let loose = root.join("loose.py");
    let mut server = TestServer::start();
    server.initialize(json!({"capabilities": {}})).await;
    server.open(&loose, &std::fs::read_to_string(&loose).unwrap(), 7);
    server.settle().await;
    assert_eq!(
        render(&server.diagnostics(&loose), &root),
        "9:9-9:21 SA201 error [sqla-analyzer]: relationship `A.bs` targets \"B\", which is not a mapped class of this registry (loose.py:Base): the first query or configure_mappers() raises InvalidRequestError (expression 'B' failed to locate a name); did you mean \"A\"?\n  related loose.py:3:0-3:4: the declarative base whose registry was searched\n"
    );
    assert_eq!(server.published_version(&loose), Some(7));
    server.close(&loose);
    server.settle().await;
    assert_eq!(server.published.get(&uri(&loose)), Some(&(None, vec![])));
    assert!(server.shutdown().await);
}

/// A call being typed leaves its bracket open, and error recovery reads the
/// rest of its file in pieces: the classes and tables there are not reported
/// missing from the other files meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_bracket_reports_nothing_missing_in_other_files() {
    let dir = copy_workspace(
        &fixtures().join("regressions/sa201_sa202_definitions_behind_an_open_bracket"),
    );
    let root = root(&dir);
    let (orders, payments) = (root.join("orders.py"), root.join("payments.py"));
    let mut server = TestServer::in_folder(&root).await;
    server.settle().await;
    let codes = |server: &TestServer, path| -> Vec<String> {
        let diagnostics = server.diagnostics(path);
        diagnostics
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes(&server, &payments), ["SA104"]);
    assert!(codes(&server, &orders).is_empty());

    let mut text = server.open_from_disk(&orders, 1);
    let change = replace(&mut text, "nul\n", "nullable=True)\n");
    server.change(&orders, 2, change);
    server.settle().await;
    assert_eq!(codes(&server, &payments), ["SA104"]);
    assert!(codes(&server, &orders).is_empty());

    // Open again, as the next keystroke of a retyped argument leaves it.
    let change = replace(&mut text, "nullable=True)\n", "nullable=Tr\n");
    server.change(&orders, 3, change);
    server.settle().await;
    assert_eq!(codes(&server, &payments), ["SA104"]);
    assert!(codes(&server, &orders).is_empty());

    // Without the classes after it, the payments would name nothing.
    let change = replace(&mut text, "nullable=Tr\n", "nullable=True)\n");
    server.change(&orders, 4, change);
    let cut = text.find("\nclass Invoice").unwrap();
    let range = lsp_range(&text, cut, text.len(), "utf-16");
    text.truncate(cut);
    server.change(&orders, 5, json!([{"range": range, "text": ""}]));
    server.settle().await;
    let mut missing = codes(&server, &payments);
    missing.sort();
    assert_eq!(missing, ["SA104", "SA201", "SA202", "SA202"]);
    assert!(server.shutdown().await);
}

/// The scan takes a file's facts from the project's facts cache when its
/// content is the one they were cached for, and leaves the cache its own
/// facts for the next start (or `check`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scan_reads_and_writes_the_facts_cache() {
    use sqla_analyzer::cache::{content_hash, FactsCache};
    use sqla_analyzer::facts;
    use std::sync::Arc;

    let dir = sa203_workspace();
    let root = root(&dir);
    let parent = std::fs::read_to_string(root.join("parent.py")).unwrap();
    // Cached for parent.py's exact bytes: the facts of a parent whose
    // relationship names no back_populates. Only a scan that takes the
    // cached facts instead of parsing the file loses the SA203.
    let fixed = parent.replace(", back_populates=\"parent\"", "");
    let cached = Arc::new(facts::extract("parent.py", &fixed));
    let parent_hash = content_hash(parent.as_bytes());
    FactsCache::open(&root).store(&[("parent.py".into(), parent_hash, cached.clone())]);

    let mut server = TestServer::in_folder(&root).await;
    server.settle().await;
    assert_eq!(
        render(&server.diagnostics(&root.join("parent.py")), &root),
        ""
    );

    // The scan's own cache: every file it read, with the facts it used.
    let child = std::fs::read_to_string(root.join("child.py")).unwrap();
    let child_hash = content_hash(child.as_bytes());
    let mut written = None;
    for _ in 0..200 {
        let cache = FactsCache::open(&root);
        if let Some(facts) = cache.get("child.py", child_hash) {
            written = Some((facts, cache.get("parent.py", parent_hash)));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (child_facts, parent_facts) = written.expect("the scan writes the facts cache");
    assert_eq!(*child_facts, facts::extract("child.py", &child));
    assert_eq!(parent_facts.as_deref(), Some(&*cached));

    // Once the file changes on disk, its content no longer matches.
    std::fs::write(root.join("parent.py"), format!("{parent}\n")).unwrap();
    server.disk_changed(&root.join("parent.py"), FileChange::Changed);
    server.settle().await;
    assert_eq!(
        render(&server.diagnostics(&root.join("parent.py")), &root),
        SA203_MESSAGE
    );
    assert!(server.shutdown().await);
}
