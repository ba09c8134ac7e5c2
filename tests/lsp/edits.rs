//! Edits as an editor sends them: replayed sequences in every position
//! encoding over CRLF files with tabs, emoji and other non-BMP characters,
//! and bursts of changes. The published diagnostics must equal what
//! `check` finds in the same texts, at positions the client computes.

use std::path::Path;

use serde_json::{json, Value};

use crate::support::*;

/// The editor's copy of a document: edits are made on it and sent as
/// incremental changes with positions in the session's encoding.
struct Buffer {
    text: String,
    encoding: &'static str,
}

impl Buffer {
    /// Replaces `start..end` (bytes); returns the change to send.
    fn edit(&mut self, start: usize, end: usize, new: &str) -> Value {
        let range = lsp_range(&self.text, start, end, self.encoding);
        self.text.replace_range(start..end, new);
        json!({"range": range, "text": new})
    }

    fn find(&self, needle: &str) -> usize {
        self.text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in {:?}", self.text))
    }

    fn replace(&mut self, old: &str, new: &str) -> Value {
        let start = self.find(old);
        self.edit(start, start + old.len(), new)
    }

    fn insert_before(&mut self, needle: &str, new: &str) -> Value {
        let at = self.find(needle);
        self.edit(at, at, new)
    }
}

fn models() -> String {
    [
        "# -*- coding: utf-8 -*-",
        "# Models 😀 with ünïcödé and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 in comments",
        "from sqlalchemy import Column, ForeignKey, Integer, String",
        "from sqlalchemy.orm import declarative_base, relationship",
        "",
        "Base = declarative_base()",
        "",
        "",
        "class Parent(Base):",
        "\t__tablename__ = \"parent\"",
        "\tid = Column(Integer, primary_key=True)",
        "\tlabel = Column(String(50), default=\"😀 𝔘\")",
        "\tnote = \"é\"; children = relationship(\"Child\", back_populates=\"parnet\")  # 🎉 typo",
        "",
        "",
        "class Child(Base):",
        "\t__tablename__ = \"child\"",
        "\tid = Column(Integer, primary_key=True)",
        "\tparent_id = Column(Integer, ForeignKey(\"parent.id\", ondelete=\"CASCADE\"))",
        "\tparent = relationship(\"Parent\", back_populates=\"children\")",
        "",
    ]
    .join("\r\n")
}

async fn assert_matches_check(
    server: &mut TestServer,
    root: &Path,
    file: &Path,
    buffer: &Buffer,
    step: &str,
) {
    server.settle().await;
    let expected = expected(root, &[(file, &buffer.text)], buffer.encoding);
    pretty_assertions::assert_eq!(
        server.rendered(root),
        expected,
        "{} after {step}",
        buffer.encoding
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_edits_keep_positions_exact_in_every_encoding() {
    for encoding in ["utf-8", "utf-16", "utf-32"] {
        let dir = workspace(&[("models.py", &models())]);
        let root = root(&dir);
        let file = root.join("models.py");
        let mut server = TestServer::start();
        let result = server.initialize_folder(&root, Some(encoding)).await;
        assert_eq!(result["capabilities"]["positionEncoding"], encoding);
        let mut buffer = Buffer {
            text: models(),
            encoding,
        };
        server.open(&file, &buffer.text, 1);
        assert_matches_check(&mut server, &root, &file, &buffer, "opening").await;
        let found = server.diagnostics(&file);
        assert_eq!(found.len(), 2, "{found:?}");

        let mut version = 1;
        let mut send = |server: &mut TestServer, changes: Vec<Value>| {
            version += 1;
            server.change(&file, version, Value::Array(changes));
            version
        };
        // Non-BMP characters before the diagnostic on its own line.
        let change = buffer.insert_before("é\"; children", "😀𝔘 ");
        send(&mut server, vec![change]);
        assert_matches_check(&mut server, &root, &file, &buffer, "inserting emoji").await;

        // A new line above, with a tab and non-BMP characters.
        let change = buffer.insert_before("class Parent", "\t# 𝔘𝔫𝔦 ✓ note\r\n");
        send(&mut server, vec![change]);
        assert_matches_check(&mut server, &root, &file, &buffer, "inserting a line").await;

        // Fixing the typo, then breaking it with a non-ASCII name.
        let change = buffer.replace("\"parnet\"", "\"parent\"");
        send(&mut server, vec![change]);
        assert_matches_check(&mut server, &root, &file, &buffer, "fixing the typo").await;
        let change = buffer.replace(
            "back_populates=\"parent\")  #",
            "back_populates=\"pärent\")  #",
        );
        send(&mut server, vec![change]);
        assert_matches_check(&mut server, &root, &file, &buffer, "a non-ASCII name").await;

        // Deleting a range that spans surrogate pairs.
        let start = buffer.find("😀𝔘 é");
        let change = buffer.edit(start, start + "😀𝔘 ".len(), "");
        send(&mut server, vec![change]);
        assert_matches_check(&mut server, &root, &file, &buffer, "deleting emoji").await;

        // Two changes in one notification, the second relative to the first;
        // and line endings changing: a lone \r in a comment, a bare \n.
        let first = buffer.replace("# Models 😀 with", "# Models 😀\rwith");
        let second = buffer.replace("\"child\"\r\n", "\"child\"\n");
        send(&mut server, vec![first, second]);
        assert_matches_check(&mut server, &root, &file, &buffer, "changing line endings").await;

        // A diagnostic inside the Child class, after all of that.
        let change = buffer.replace("ondelete=\"CASCADE\"", "ondelete=\"CASCASE\"");
        let last = send(&mut server, vec![change]);
        assert_matches_check(&mut server, &root, &file, &buffer, "a misspelt action").await;
        assert_eq!(server.published_version(&file), Some(last));

        // Hover positions convert the same way.
        let at = buffer.find("relationship(\"Child\"") + 2;
        let (line, character) = position(&buffer.text, at, encoding);
        let hover = server.hover(&file, line, character).await;
        let value = hover["result"]["contents"]["value"].as_str().unwrap_or("");
        assert!(
            value.starts_with("**`Parent.children`**"),
            "{encoding}: {hover}"
        );
        let expected_range = lsp_range(
            &buffer.text,
            buffer.find("relationship(\"Child\""),
            buffer.find("relationship(\"Child\"") + "relationship(".len(),
            encoding,
        );
        assert_eq!(hover["result"]["range"], expected_range, "{encoding}");
        assert!(server.shutdown().await);
    }
}

/// A small deterministic generator for edit bursts.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % bound
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_changes_ends_where_check_does() {
    let dir = copy_workspace(&lsp_fixtures().join("workspaces/cascade"));
    let root = root(&dir);
    let child = root.join("child.py");
    let mut server = TestServer::start();
    server.initialize_folder(&root, Some("utf-16")).await;
    let mut buffer = Buffer {
        text: std::fs::read_to_string(&child).unwrap(),
        encoding: "utf-16",
    };
    server.open(&child, &buffer.text, 1);
    let actions = ["CASCADE", "SET NULL", "CASCASE", "RESTRICT", "set null"];
    let mut random = Lcg(7);
    for version in 2..=101 {
        let change = match random.next(4) {
            // A comment line at the start of some line.
            0 => {
                let starts: Vec<usize> = std::iter::once(0)
                    .chain(buffer.text.match_indices('\n').map(|(i, _)| i + 1))
                    .filter(|&i| i < buffer.text.len())
                    .collect();
                let at = starts[random.next(starts.len())];
                buffer.edit(at, at, &format!("# edit {version} 😀\n"))
            }
            // Remove an earlier comment line.
            1 if buffer.text.contains("# edit ") => {
                let start = buffer.find("# edit ");
                let end = start + buffer.text[start..].find('\n').unwrap() + 1;
                buffer.edit(start, end, "")
            }
            // Another referential action.
            2 => {
                let start = buffer.find("ondelete=\"") + "ondelete=\"".len();
                let end = start + buffer.text[start..].find('"').unwrap();
                buffer.edit(start, end, actions[random.next(actions.len())])
            }
            // Characters typed one at a time into the class name's line.
            _ => {
                let at = buffer.find("class Child(Base):") + "class Child(Base):".len();
                buffer.edit(at, at, "  #𝔘")
            }
        };
        server.change(&child, version, json!([change]));
    }
    // The action settles on one with a finding in child.py itself.
    let start = buffer.find("ondelete=\"") + "ondelete=\"".len();
    let end = start + buffer.text[start..].find('"').unwrap();
    let change = buffer.edit(start, end, "CASCASE");
    server.change(&child, 102, json!([change]));
    // A stale change arriving late is dropped.
    server.change(&child, 60, json!([{"text": "broken = ("}]));
    server.settle().await;
    let expected = expected(&root, &[(&child, &buffer.text)], "utf-16");
    assert!(expected.contains_key(&uri(&child)), "{expected:?}");
    pretty_assertions::assert_eq!(server.rendered(&root), expected);
    assert_eq!(server.published_version(&child), Some(102));
    let warnings: Vec<Value> = server.take("window/logMessage");
    assert!(
        warnings.iter().any(|w| w["params"]["message"]
            .as_str()
            .unwrap()
            .contains("version 60 after version 102")),
        "{warnings:?}"
    );
    assert!(server.shutdown().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_text_changes_replace_the_document() {
    let dir = copy_workspace(&lsp_fixtures().join("workspaces/cascade"));
    let root = root(&dir);
    let parent = root.join("parent.py");
    let mut server = TestServer::in_folder(&root).await;
    let original = server.open_from_disk(&parent, 1);
    let fixed = original.replace(
        "back_populates=\"parent\")",
        "back_populates=\"parent\", cascade=\"all, delete-orphan\", passive_deletes=True)",
    );
    // Whole-document changes, the last one wins.
    server.change(&parent, 2, json!([{"text": "x = (\n"}, {"text": fixed}]));
    server.settle().await;
    pretty_assertions::assert_eq!(
        server.rendered(&root),
        expected(&root, &[(&parent, &fixed)], "utf-16")
    );
    assert!(server.rendered(&root).is_empty());
    assert!(server.shutdown().await);
}
