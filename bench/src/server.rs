//! The server benchmark (issue 7, workload 4): the real language server,
//! in this process over an in-memory pipe, on a generated workspace with a
//! 5,000-line models file open, driven through a scripted editing session
//! by `sqla_analyzer::lsp::client`.
//!
//! Measured: the initial scan (`initialize` to the end of its progress),
//! also of the main generated workspace, cold and with the facts cache an
//! earlier scan left; each edit's `didChange` → `publishDiagnostics` of
//! that document version; hovers, code actions, and the process's RSS.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqla_analyzer::lsp::client::{self, Client};

/// The server runs until `exit`: its output does not end before.
const RUNNING: &str = "the server runs until exit";

/// The first message to come that matches, the ones before it dropped.
async fn until(client: &mut Client, matches: impl Fn(&Value) -> bool) -> Value {
    client.skip_until(matches).await.expect(RUNNING)
}

async fn request(client: &mut Client, method: &str, params: Value) -> Value {
    client.request(method, params).await.expect(RUNNING)
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// One scripted change: replace `start..end` (byte offsets) with `text`.
struct Edit {
    kind: &'static str,
    start: usize,
    end: usize,
    text: String,
}

/// Line and UTF-16 column of a byte offset (the file is ASCII, but say so
/// in the protocol's terms anyway).
fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = before[line_start..].chars().map(char::len_utf16).sum();
    json!({"line": line, "character": character})
}

/// The session: typing a column line, deleting part of it and typing it
/// again, typing a cascade into a relationship, typing a comment, pasting a
/// class (and removing it), renaming tables other files point at (and back),
/// changing option values (and back).
fn push(
    current: &mut String,
    edits: &mut Vec<Edit>,
    kind: &'static str,
    start: usize,
    end: usize,
    insert: &str,
) {
    current.replace_range(start..end, insert);
    edits.push(Edit {
        kind,
        start,
        end,
        text: insert.to_string(),
    });
}

fn script(text: &str, total: usize) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut current = text.to_string();
    // Anchors in the middle of the file, so that edits shift what follows.
    let middle = text.len() / 2;
    let class_at = text[middle..]
        .find("\nclass ")
        .map(|i| middle + i + 1)
        .expect("the models file has classes past its middle");
    let body_line_end = class_at
        + text[class_at..]
            .find("__tablename__")
            .and_then(|i| text[class_at + i..].find('\n').map(|j| i + j))
            .expect("a declarative class has a __tablename__");

    // Typing a column, one character at a time.
    let typed = "\n    note = Column(String(40), nullable=True)";
    let mut at = body_line_end;
    for ch in typed.chars() {
        push(&mut current, &mut edits, "typing", at, at, &ch.to_string());
        at += ch.len_utf8();
    }
    // Backspace over its arguments, then type them again.
    let retype = "String(40), nullable=True)";
    for _ in 0..retype.len() {
        push(&mut current, &mut edits, "deleting", at - 1, at, "");
        at -= 1;
    }
    for ch in retype.chars() {
        push(&mut current, &mut edits, "typing", at, at, &ch.to_string());
        at += 1;
    }
    // A cascade typed into the first relationship after the class.
    let relationship = current[at..]
        .find("relationship(")
        .map(|i| at + i)
        .expect("the models file has relationships");
    let close = relationship
        + current[relationship..]
            .find(")\n")
            .expect("relationship calls end their line");
    for (at, ch) in (close..).zip(", cascade=\"all, delete-orphan\"".chars()) {
        push(&mut current, &mut edits, "typing", at, at, &ch.to_string());
    }
    // Pasting a class at the end of the file and removing it again; the
    // class points at one already there.
    let target = current[class_at..]
        .strip_prefix("class ")
        .and_then(|rest| rest.split(['(', ':']).next())
        .expect("a class name")
        .to_string();
    let target_table = {
        let at = current[class_at..]
            .find("__tablename__ = \"")
            .expect("a table")
            + class_at
            + 17;
        current[at..at + current[at..].find('"').expect("closing quote")].to_string()
    };
    for paste in 0..10 {
        let pasted = format!(
            "\n\nclass PastedNote{paste}(Base):\n    __tablename__ = \"pasted_note_{paste}\"\n\n    id = Column(Integer, primary_key=True)\n    owner_id = Column(Integer, ForeignKey(\"{target_table}.id\"), nullable=False)\n    owner = relationship(\"{target}\", backref=\"pasted_notes_{paste}\")\n"
        );
        let end = current.len();
        push(
            &mut current,
            &mut edits,
            "pasting a class",
            end,
            end,
            &pasted,
        );
        let end = current.len();
        push(
            &mut current,
            &mut edits,
            "removing the pasted class",
            end - pasted.len(),
            end,
            "",
        );
    }
    // Renaming tables (that other classes' foreign keys name) and back.
    let mut from = 0;
    let mut renamed = 0;
    while renamed < 10 {
        let Some(found) = current[from..].find("__tablename__ = \"") else {
            from = 0;
            continue;
        };
        let name_start = from + found + 17;
        let name_end = name_start + current[name_start..].find('"').expect("closing quote");
        let name = current[name_start..name_end].to_string();
        let new_name = format!("{name}_renamed");
        push(
            &mut current,
            &mut edits,
            "renaming a table",
            name_start,
            name_end,
            &new_name,
        );
        let end = name_start + new_name.len();
        push(
            &mut current,
            &mut edits,
            "renaming a table",
            name_start,
            end,
            &name,
        );
        from = name_end + text.len() / 23 % 997;
        renamed += 1;
        if from >= current.len() {
            from = 0;
        }
    }
    // Option values changed and changed back, as when choosing a value or
    // applying a quick fix: foreign-key actions and relationship cascades.
    for (option, value, other) in [
        ("ondelete=\"", "CASCADE", "SET NULL"),
        ("cascade=\"", "all, delete-orphan", "save-update, merge"),
    ] {
        let mut from = 0;
        for _ in 0..5 {
            let Some(found) = current[from..].find(&format!("{option}{value}\"")) else {
                break;
            };
            let start = from + found + option.len();
            push(
                &mut current,
                &mut edits,
                "changing an option value",
                start,
                start + value.len(),
                other,
            );
            push(
                &mut current,
                &mut edits,
                "changing an option value",
                start,
                start + other.len(),
                value,
            );
            from = start + value.len() + text.len() / 17 % 1009;
            if from >= current.len() {
                break;
            }
        }
    }
    // A comment typed above the class until the session has its length.
    let mut at = class_at;
    push(&mut current, &mut edits, "typing a comment", at, at, "#");
    at += 1;
    let words = " the rows below are kept for audits and are never deleted by hand";
    for ch in words.chars().cycle() {
        if edits.len() >= total {
            break;
        }
        push(
            &mut current,
            &mut edits,
            "typing a comment",
            at,
            at,
            &ch.to_string(),
        );
        at += 1;
    }
    edits.truncate(total);
    edits
}

/// The floor of an edit: tree-sitter's incremental reparse of the open
/// file alone, for each edit of the script, in milliseconds.
fn reparse_floor(text: &str, script: &[Edit]) -> Vec<f64> {
    let mut text = text.to_string();
    let mut tree = sqla_analyzer::syntax::parse(&text);
    let point = |text: &str, offset: usize| {
        let before = &text[..offset];
        let row = before.matches('\n').count();
        let column = offset - before.rfind('\n').map_or(0, |i| i + 1);
        tree_sitter::Point { row, column }
    };
    let mut times = Vec::with_capacity(script.len());
    for edit in script {
        let start_position = point(&text, edit.start);
        let old_end_position = point(&text, edit.end);
        text.replace_range(edit.start..edit.end, &edit.text);
        let new_end_byte = edit.start + edit.text.len();
        let new_end_position = point(&text, new_end_byte);
        let started = Instant::now();
        tree.edit(&tree_sitter::InputEdit {
            start_byte: edit.start,
            old_end_byte: edit.end,
            new_end_byte,
            start_position,
            old_end_position,
            new_end_position,
        });
        tree = sqla_analyzer::syntax::reparse(&text, &tree);
        times.push(ms(started.elapsed()));
    }
    times
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(mut values: Vec<f64>) -> Value {
    values.sort_by(|a, b| a.total_cmp(b));
    json!({
        "count": values.len(),
        "median_ms": percentile(&values, 0.5),
        "p90_ms": percentile(&values, 0.9),
        "p99_ms": percentile(&values, 0.99),
        "max_ms": values.last().copied().unwrap_or(f64::NAN),
    })
}

fn rss_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Runs `future` to its end on a runtime of its own.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// Runs the session on `root` with `open` as the open document; JSON out.
pub fn run(root: &Path, open: &Path, edits: usize) -> Value {
    block_on(session(root, open, edits))
}

/// A server started on `root` (`cold`: without the facts cache an earlier
/// scan left), once its initial scan is done, until the work-done progress
/// ends, and it has written the facts cache, which it does while it
/// analyses (so that writing it does not overlap what is measured next).
/// The client, the scan's time in milliseconds and the RSS after it.
async fn started(root: &Path, cold: bool) -> (Client, f64, u64) {
    let cache = root.join(sqla_analyzer::cache::DIRECTORY);
    if cold {
        let _ = std::fs::remove_dir_all(&cache);
    }
    let (mut client, _) = client::connect(Default::default(), 1 << 22);
    let started = Instant::now();
    request(
        &mut client,
        "initialize",
        json!({
            "capabilities": {
                "window": {"workDoneProgress": true},
                "textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}}
            },
            "workspaceFolders": [{"uri": uri(root), "name": "bench"}]
        }),
    )
    .await;
    client.notify("initialized", json!({}));
    until(&mut client, |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    })
    .await;
    let initial_scan_ms = ms(started.elapsed());
    let rss_after_scan_kb = rss_kb("VmRSS:");
    let written = cache.join("facts.bin");
    for _ in 0..600 {
        if written.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (client, initial_scan_ms, rss_after_scan_kb)
}

async fn shut_down(mut client: Client) {
    request(&mut client, "shutdown", Value::Null).await;
    client.notify("exit", Value::Null);
}

/// The initial scan of `root`, with or without the facts cache an earlier
/// scan left (`cold` removes it first); JSON out.
pub fn scan(root: &Path, cold: bool) -> Value {
    block_on(async {
        let (client, initial_scan_ms, rss_after_scan_kb) = started(root, cold).await;
        shut_down(client).await;
        json!({
            "initial_scan_ms": initial_scan_ms,
            "rss_after_scan_kb": rss_after_scan_kb,
            "peak_rss_kb": rss_kb("VmHWM:"),
        })
    })
}

async fn session(root: &Path, open: &Path, edit_count: usize) -> Value {
    // A cold start, as the server had before it read the facts cache.
    let (mut client, initial_scan_ms, rss_after_scan_kb) = started(root, true).await;

    let open_uri = uri(open);
    let mut text = std::fs::read_to_string(open).expect("the open file is readable");
    let started = Instant::now();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {
            "uri": open_uri, "languageId": "python", "version": 1, "text": text
        }}),
    );
    until(&mut client, |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == open_uri
            && m["params"]["version"] == 1
    })
    .await;
    let open_ms = ms(started.elapsed());

    let script = script(&text, edit_count);
    let floor = reparse_floor(&text, &script);
    let mut latencies = Vec::with_capacity(script.len());
    let mut by_kind: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    let mut last_diagnostics = Value::Null;
    for (index, edit) in script.iter().enumerate() {
        let version = index as i64 + 2;
        let change = json!({
            "range": {"start": position(&text, edit.start), "end": position(&text, edit.end)},
            "text": edit.text,
        });
        text.replace_range(edit.start..edit.end, &edit.text);
        let started = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": open_uri, "version": version},
                "contentChanges": [change]
            }),
        );
        let published = until(&mut client, |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == open_uri
                && m["params"]["version"] == version
        })
        .await;
        let latency = ms(started.elapsed());
        latencies.push(latency);
        by_kind.entry(edit.kind).or_default().push(latency);
        last_diagnostics = published["params"]["diagnostics"].clone();
    }

    // Hovers over relationship( and ForeignKey( calls of the open file.
    let mut hover_ms = Vec::new();
    let mut hovers_with_content = 0;
    let mut hover_points: Vec<usize> = text
        .match_indices("relationship(")
        .map(|(i, _)| i)
        .chain(text.match_indices("ForeignKey(").map(|(i, _)| i))
        .collect();
    hover_points.sort();
    let step = (hover_points.len() / 50).max(1);
    for &offset in hover_points.iter().step_by(step).take(50) {
        let started = Instant::now();
        let answer = request(
            &mut client,
            "textDocument/hover",
            json!({"textDocument": {"uri": open_uri}, "position": position(&text, offset + 2)}),
        )
        .await;
        hover_ms.push(ms(started.elapsed()));
        if answer["result"]["contents"].is_object() {
            hovers_with_content += 1;
        }
    }

    // Code actions: on the open file's diagnostics, else on relationship lines.
    let mut action_ms = Vec::new();
    let mut ranges: Vec<Value> = last_diagnostics
        .as_array()
        .map(|d| d.iter().map(|d| d["range"].clone()).collect())
        .unwrap_or_default();
    for &offset in hover_points.iter().step_by(step) {
        if ranges.len() >= 50 {
            break;
        }
        let at = position(&text, offset);
        ranges.push(json!({"start": at, "end": at}));
    }
    let mut deferred_fix_all = None;
    for range in ranges.iter().take(50) {
        let context_diagnostics: Vec<Value> = last_diagnostics
            .as_array()
            .map(|d| d.iter().filter(|d| &d["range"] == range).cloned().collect())
            .unwrap_or_default();
        let started = Instant::now();
        let answer = request(
            &mut client,
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": open_uri},
                "range": range,
                "context": {"diagnostics": context_diagnostics}
            }),
        )
        .await;
        action_ms.push(ms(started.elapsed()));
        if let Some(actions) = answer["result"].as_array() {
            deferred_fix_all = deferred_fix_all.or_else(|| {
                actions
                    .iter()
                    .find(|a| a["kind"] == "source.fixAll.sqla-analyzer")
                    .cloned()
            });
        }
    }
    // Choosing "fix all": the edit is computed then (codeAction/resolve).
    let mut resolve_ms = Vec::new();
    if let Some(action) = deferred_fix_all {
        for _ in 0..5 {
            let started = Instant::now();
            request(&mut client, "codeAction/resolve", action.clone()).await;
            resolve_ms.push(ms(started.elapsed()));
        }
    }

    let rss_end_kb = rss_kb("VmRSS:");
    // And once the server has rested (it gives freed memory back then).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_rest_kb = rss_kb("VmRSS:");
    shut_down(client).await;

    let kinds: serde_json::Map<String, Value> = by_kind
        .into_iter()
        .map(|(kind, values)| (kind.to_string(), summary(values)))
        .collect();
    json!({
        "open_file_lines": text.lines().count(),
        "initial_scan_ms": initial_scan_ms,
        "open_ms": open_ms,
        "edits": summary(latencies.clone()),
        "reparse_floor": summary(floor.clone()),
        "reparse_floor_each_ms": floor,
        "edit_latencies_ms": latencies,
        "edits_by_kind": kinds,
        "hover": summary(hover_ms),
        "hovers_with_content": hovers_with_content,
        "code_action": summary(action_ms),
        "fix_all_resolve": summary(resolve_ms),
        "rss_after_scan_kb": rss_after_scan_kb,
        "rss_end_kb": rss_end_kb,
        "rss_rest_kb": rss_rest_kb,
        "peak_rss_kb": rss_kb("VmHWM:"),
    })
}
