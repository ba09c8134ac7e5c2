//! # SA111 sqlite-foreign-keys-off
//!
//! A SQLite engine, foreign-key actions in the models, and nothing that switches SQLite's foreign keys on.
//!
//! ## What it finds
//! `create_engine("sqlite...")` in a workspace whose foreign keys use
//! `ondelete` or `onupdate`, where no code runs `PRAGMA foreign_keys=ON`.
//!
//! ## Why it matters
//! SQLite ignores foreign keys unless each connection enables them: no
//! `ON DELETE CASCADE` runs, no `SET NULL`, and nothing is refused. The same
//! models delete differently on SQLite and on PostgreSQL.
//!
//! ## Example
//! ```python
//! engine = create_engine("sqlite:///app.db")
//! ```
//!
//! ## Fix
//! Enable them on every connection:
//! ```python
//! engine = create_engine("sqlite:///app.db")
//!
//! @event.listens_for(engine, "connect")
//! def _enable_sqlite_foreign_keys(dbapi_connection, connection_record):
//!     cursor = dbapi_connection.cursor()
//!     cursor.execute("PRAGMA foreign_keys=ON")
//!     cursor.close()
//! ```

use super::support::{diagnostic, fix, related, safe};
use super::{Context, Reads};
use crate::diagnostic::{Diagnostic, Edit};
use crate::facts::{Construct, Setting};
use crate::graph::Location;
use crate::text::TextRange;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    if graph
        .files
        .iter()
        .any(|f| !f.foreign_key_pragmas.is_empty())
    {
        return;
    }
    let Some(action_fk) = graph.foreign_keys.iter().find(|fk| {
        matches!(fk.facts.ondelete, Some(Setting::Known(..)))
            || matches!(fk.facts.onupdate, Some(Setting::Known(..)))
    }) else {
        return;
    };
    for (file, facts) in graph.files.iter().enumerate() {
        for site in &facts.call_sites {
            if site.construct != Some(Construct::CreateEngine) {
                continue;
            }
            let Some(call) = site.call.as_call() else {
                continue;
            };
            let Some(url) = call.args.first().or_else(|| call.keyword_value("url")) else {
                continue;
            };
            let Some(url) = url_text(facts, url) else {
                continue;
            };
            if !url.to_ascii_lowercase().starts_with("sqlite") {
                continue;
            }
            let mut d = diagnostic(
                Location { file, range: site.callee.range },
                format!(
                    "this SQLite engine never runs PRAGMA foreign_keys=ON, so SQLite ignores every foreign key: \
                     the models' ondelete/onupdate actions (e.g. on {}) do nothing and nothing is refused",
                    graph.tables[action_fk.table].full_name()
                ),
            );
            d.related.push(related(
                action_fk.location,
                "a foreign key with an ondelete/onupdate action",
            ));
            if let Some(edits) = listener_fix(context, file, site.call.range) {
                d.fixes.push(fix(
                    "Add a connect listener that runs PRAGMA foreign_keys=ON",
                    safe(),
                    edits,
                ));
            }
            diagnostics.push(d);
        }
    }
}

/// The start of an engine URL: a literal, an f-string's head, or a module
/// constant holding either (`sqlite_url = f"sqlite:///{name}"`).
fn url_text(facts: &crate::facts::FileFacts, url: &crate::syntax::expr::Expr) -> Option<String> {
    use crate::syntax::expr::ExprKind;
    match &url.kind {
        ExprKind::Str(text) | ExprKind::FormattedString(text) => Some(text.clone()),
        ExprKind::Name(name) => match &facts.binding(name)?.value.kind {
            ExprKind::Str(text) | ExprKind::FormattedString(text) => Some(text.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// After `engine = create_engine(...)` at module level: a listener, and the
/// `event` import when the module lacks it.
fn listener_fix(context: &Context, file: usize, call_range: TextRange) -> Option<Vec<Edit>> {
    let facts = context.graph.file(file);
    let text = context.text(file);
    let binding = facts
        .bindings
        .iter()
        .find(|b| b.value.range == call_range)?;
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let line_end = text[call_range.end()..]
        .find(['\n', '\r'])
        .map(|i| call_range.end() + i)
        .unwrap_or(text.len());
    let event = if facts.imports.iter().any(|i| i.local == "event") {
        "event"
    } else {
        "sqlalchemy.event"
    };
    let mut edits = Vec::new();
    let listener = [
        String::new(),
        String::new(),
        format!("@{event}.listens_for({}, \"connect\")", binding.name),
        "def _enable_sqlite_foreign_keys(dbapi_connection, connection_record):".to_string(),
        "    cursor = dbapi_connection.cursor()".to_string(),
        "    cursor.execute(\"PRAGMA foreign_keys=ON\")".to_string(),
        "    cursor.close()".to_string(),
    ]
    .join(newline);
    if event == "sqlalchemy.event" {
        let bound = facts
            .imports
            .iter()
            .any(|i| i.local == "sqlalchemy" && i.member.is_none());
        if !bound {
            // Import it after the module's last top-level import.
            let last_import = facts.imports.iter().map(|i| i.range.end()).max()?;
            edits.push(Edit {
                file,
                range: TextRange::empty_at(last_import),
                new_text: format!("{newline}import sqlalchemy.event"),
            });
        }
    }
    edits.push(Edit {
        file,
        range: TextRange::empty_at(line_end),
        new_text: listener,
    });
    Some(edits)
}
