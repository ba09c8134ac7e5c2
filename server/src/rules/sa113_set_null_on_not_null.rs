//! # SA113 set-null-on-not-null
//!
//! `ondelete="SET NULL"` (or `onupdate`) on a column that cannot be NULL.
//!
//! ## What it finds
//! A foreign key whose `ondelete` or `onupdate` is `SET NULL` while one of its
//! columns is NOT NULL or part of the primary key.
//!
//! ## Why it matters
//! Once children exist, deleting (or re-keying) the parent makes the database
//! set a NOT NULL column to NULL: the statement fails with a NOT NULL
//! violation. SQLModel refuses the class outright.
//!
//! ## Example
//! ```python
//! parent_id = Column(ForeignKey("parent.id", ondelete="SET NULL"), nullable=False)
//! ```
//!
//! ## Fix
//! Make the column nullable, or cascade instead:
//! ```python
//! parent_id = Column(ForeignKey("parent.id", ondelete="CASCADE"), nullable=False)
//! ```

use super::support::{diagnostic, fix, replace_string, safe, unsafe_};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::facts::Setting;

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (fk_id, fk) in graph.foreign_keys.iter().enumerate() {
        for (which, setting) in [
            ("ondelete", &fk.facts.ondelete),
            ("onupdate", &fk.facts.onupdate),
        ] {
            let Some(Setting::Known(action, _)) = setting else {
                continue;
            };
            if !action.trim().eq_ignore_ascii_case("SET NULL") {
                continue;
            }
            if graph.fk_not_null(fk_id) != Some(true) {
                continue;
            }
            let table = &graph.tables[fk.table];
            let columns = fk.columns.join(", ");
            let why = if fk
                .columns
                .iter()
                .any(|c| table.column(c).is_some_and(|col| col.primary_key))
            {
                "part of the primary key"
            } else {
                "NOT NULL"
            };
            let event = if which == "ondelete" {
                "deleting"
            } else {
                "changing the key of"
            };
            let mut d = diagnostic(
                fk.location,
                format!(
                    "{which}=\"{action}\" on {}.{columns}, which is {why}: {event} a referenced row fails with a NOT NULL \
                     violation once rows refer to it",
                    table.full_name()
                ),
            );
            let file = fk.location.file;
            let text = context.text(file);
            if let Some(call) = &fk.facts.call {
                if let Some(value) = call.keyword_value(which) {
                    if let Some(edit) = replace_string(file, text, value, "CASCADE") {
                        d.fixes.push(fix(
                            format!("Use {which}=\"CASCADE\""),
                            unsafe_(),
                            vec![edit],
                        ));
                    }
                }
            }
            // A single NOT NULL (not key) column declared with nullable=False: allow NULL.
            if let [name] = fk.columns.as_slice() {
                if let Some(column) = table.column(name).filter(|c| !c.primary_key) {
                    if let (Some(Setting::Known(false, range)), Some(_)) =
                        (&column.facts.nullable, &column.facts.call)
                    {
                        d.fixes.push(fix(
                            format!("Make {}.{name} nullable", table.full_name()),
                            safe(),
                            vec![super::support::replace_range(
                                column.location.file,
                                *range,
                                "True",
                            )],
                        ));
                    }
                }
            }
            diagnostics.push(d);
        }
    }
}
