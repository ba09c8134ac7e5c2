//! # SA114 invalid-referential-action
//!
//! An `ondelete`/`onupdate` that is not a referential action.
//!
//! ## What it finds
//! `ondelete` or `onupdate` values other than CASCADE, SET NULL, SET DEFAULT,
//! RESTRICT and NO ACTION (in any case). On PostgreSQL, an `ondelete` SET
//! NULL or SET DEFAULT may name the key's columns to set:
//! `ondelete="SET NULL (team_id)"`.
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
use crate::config::Dialect;
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

/// PostgreSQL 15 and later accept, after an ON DELETE SET NULL or SET
/// DEFAULT, the list of the key's columns to set (`SET NULL (team_id)`), and
/// SQLAlchemy's PostgreSQL dialect lets it through. A column outside the key
/// fails at CREATE TABLE.
fn is_postgresql_column_list(action: &str, columns: &[String]) -> bool {
    let Some((head, list)) = action.split_once('(') else {
        return false;
    };
    let head = head.trim_end();
    let Some(list) = list.trim_end().strip_suffix(')') else {
        return false;
    };
    if action.trim() != action
        || !is_valid(head)
        || !head
            .get(..3)
            .is_some_and(|set| set.eq_ignore_ascii_case("SET"))
    {
        return false;
    }
    if list.contains('"') {
        // Quoted names (which may hold commas) are not read: silent.
        return true;
    }
    // Unquoted names fold to lower case.
    list.split(',').all(|name| {
        let name = name.trim().to_lowercase();
        columns.contains(&name)
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
            if is_valid(action)
                || (context.dialect == Dialect::Postgresql
                    && which == "ondelete"
                    && is_postgresql_column_list(action, &fk.columns))
            {
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
    use super::{is_postgresql_column_list, is_valid};

    #[test]
    fn postgresql_reads_the_columns_set_null_sets() {
        let columns = ["team_id".to_string(), "season".to_string()];
        for valid in [
            "SET NULL (team_id)",
            "set null(team_id, season)",
            "SET DEFAULT ( Team_Id )",
            "SET NULL (\"team_id\")",
        ] {
            assert!(is_postgresql_column_list(valid, &columns), "{valid:?}");
        }
        for invalid in [
            "SET NULL",
            "CASCADE (team_id)",
            "SET NULL (id)",
            "SET NULL (team_id",
            "SET NULL ()",
            " SET NULL (team_id)",
            "SET NOTHING (team_id)",
            "SET NULL (team_id) NOW",
        ] {
            assert!(!is_postgresql_column_list(invalid, &columns), "{invalid:?}");
        }
    }

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
