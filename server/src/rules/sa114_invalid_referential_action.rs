//! # SA114 invalid-referential-action
//!
//! An `ondelete`/`onupdate` that is not a referential action.
//!
//! ## What it finds
//! `ondelete` or `onupdate` values other than CASCADE, SET NULL, SET DEFAULT,
//! RESTRICT and NO ACTION (in any case).
//!
//! ## Why it matters
//! SQLAlchemy writes the value into the DDL: a misspelling such as `CASCASE`
//! makes `CREATE TABLE` fail with a syntax error from the database, and
//! punctuation such as `SET-NULL` or `CASCADE;` raises `CompileError:
//! Unexpected SQL phrase` when the DDL compiles.
//!
//! ## Example
//! ```python
//! parent_id = Column(ForeignKey("parent.id", ondelete="CASCASE"))
//! ```
//!
//! ## Fix
//! ```python
//! parent_id = Column(ForeignKey("parent.id", ondelete="CASCADE"))
//! ```

use super::support::{closest, diagnostic, fix, replace_string, safe};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::facts::Setting;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

const ACTIONS: &[&str] = &[
    "CASCADE",
    "SET NULL",
    "SET DEFAULT",
    "RESTRICT",
    "NO ACTION",
];

fn is_valid(action: &str) -> bool {
    // Word by word, in any case: every key with an action passes here.
    action.trim() == action
        && ACTIONS.iter().any(|valid| {
            let mut written = action.split_whitespace();
            valid
                .split(' ')
                .all(|word| written.next().is_some_and(|w| w.eq_ignore_ascii_case(word)))
                && written.next().is_none()
        })
}

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for fk in &graph.foreign_keys {
        for (which, setting) in [
            ("ondelete", &fk.facts.ondelete),
            ("onupdate", &fk.facts.onupdate),
        ] {
            let Some(Setting::Known(action, _)) = setting else {
                continue;
            };
            if is_valid(action) {
                continue;
            }
            let normalized: String = action
                .to_ascii_uppercase()
                .chars()
                .map(|c| if c.is_ascii_alphabetic() { c } else { ' ' })
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let suggestion = if ACTIONS.contains(&normalized.as_str()) {
                Some(normalized.as_str())
            } else {
                closest(&normalized, ACTIONS.iter().copied())
            };
            let table = &graph.tables[fk.table];
            let mut message = format!(
                "{which}=\"{action}\" on {}.{} is not a referential action (CASCADE, SET NULL, SET DEFAULT, RESTRICT, \
                 NO ACTION): CREATE TABLE fails (a syntax error from the database, or CompileError: Unexpected SQL phrase)",
                table.full_name(),
                fk.columns.join(", ")
            );
            if let Some(suggestion) = suggestion {
                message.push_str(&format!("; did you mean \"{suggestion}\"?"));
            }
            let mut d = diagnostic(fk.location, message);
            if let (Some(suggestion), Some(call)) = (suggestion, &fk.facts.call) {
                let file = fk.location.file;
                if let Some(edit) = call
                    .keyword_value(which)
                    .and_then(|value| replace_string(file, context.text(file), value, suggestion))
                {
                    d.fixes.push(fix(
                        format!("Use {which}=\"{suggestion}\""),
                        safe(),
                        vec![edit],
                    ));
                }
            }
            diagnostics.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn actions_are_read_word_by_word_in_any_case() {
        for valid in [
            "CASCADE",
            "cascade",
            "Set Null",
            "SET  NULL",
            "no\taction",
            "RESTRICT",
        ] {
            assert!(is_valid(valid), "{valid:?}");
        }
        for invalid in [
            "",
            " CASCADE",
            "CASCADE ",
            "SETNULL",
            "SET",
            "SET NULL NOW",
            "DELETE",
            "CASCADÉ",
        ] {
            assert!(!is_valid(invalid), "{invalid:?}");
        }
    }
}
