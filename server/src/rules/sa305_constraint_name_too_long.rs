//! # SA305 constraint-name-too-long
//!
//! An explicit foreign-key name longer than the database allows.
//!
//! ## What it finds
//! A `name=` on a `ForeignKey` or `ForeignKeyConstraint` longer than the
//! configured dialect's identifier limit: 63 characters on PostgreSQL, 64 on
//! MySQL. (Names a naming convention produces are shortened with a hash
//! instead, and are not reported.)
//!
//! ## Why it matters
//! `create_all()` raises `IdentifierError: Identifier '...' exceeds maximum
//! length of 63 characters`.
//!
//! ## Example
//! ```python
//! ForeignKey("customer_account.id", name="fk_customer_subscription_billing_account_id_customer_account_id")
//! ```
//!
//! ## Fix
//! A shorter name.

use super::support::{diagnostic, fix, replace_string, unsafe_};
use super::{Context, Reads};
use crate::config::Dialect;
use crate::diagnostic::Diagnostic;
use crate::facts::Setting;
use crate::graph::EffectiveName;

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    let limit = match context.dialect {
        Dialect::Postgresql => 63,
        Dialect::Mysql => 64,
        Dialect::Sqlite => return,
    };
    for fk in &graph.foreign_keys {
        let Some(Setting::Known(name, _)) = &fk.facts.name else {
            continue;
        };
        // Only a name used as written (a convention rewrites and shortens its
        // own; a `conv()` name is shortened with a hash too).
        if fk.effective_name != EffectiveName::Named(name.clone()) || fk.facts.name_is_final {
            continue;
        }
        let length = name.chars().count();
        if length <= limit {
            continue;
        }
        let mut d = diagnostic(
            fk.location,
            format!(
                "constraint name \"{name}\" has {length} characters, more than {}'s limit of {limit}: create_all() raises \
                 IdentifierError (Identifier exceeds maximum length of {limit} characters)",
                context.dialect.name()
            ),
        );
        let shortened: String = name
            .chars()
            .take(limit)
            .collect::<String>()
            .trim_end_matches('_')
            .to_string();
        if let Some(call) = &fk.facts.call {
            let file = fk.location.file;
            if let Some(edit) = call
                .keyword_value("name")
                .filter(|v| v.as_str().is_some())
                .and_then(|value| replace_string(file, context.text(file), value, &shortened))
            {
                d.fixes.push(fix(
                    format!("Shorten to \"{shortened}\""),
                    unsafe_(),
                    vec![edit],
                ));
            }
        }
        diagnostics.push(d);
    }
}
