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
//! On PostgreSQL, `create_all()` raises `IdentifierError: Identifier '...'
//! exceeds maximum length of 63 characters`. On MySQL SQLAlchemy lets a name
//! through up to 255 characters, and the database refuses the `CREATE TABLE`
//! (error 1059, "Identifier name ... is too long").
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
        // SQLAlchemy checks plain names against the dialect's
        // max_identifier_length: 63 on PostgreSQL, but 255 on MySQL, whose
        // constraint names stop at 64: there the database refuses them.
        let consequence = match context.dialect {
            Dialect::Mysql => "SQLAlchemy renders it and MySQL refuses the CREATE TABLE (error 1059: Identifier name is too long)".to_string(),
            _ => format!(
                "create_all() raises IdentifierError (Identifier exceeds maximum length of {limit} characters)"
            ),
        };
        let mut d = diagnostic(
            fk.location,
            format!(
                "constraint name \"{name}\" has {length} characters, more than {}'s limit of {limit}: {consequence}",
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

#[cfg(test)]
mod tests {
    use super::check;
    use crate::config::Dialect;
    use crate::rules::findings;

    const MODELS: &str = r#"
from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Account(Base):
    __tablename__ = "account"
    id = Column(Integer, primary_key=True)


class Invoice(Base):
    __tablename__ = "invoice"
    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("account.id", name="fk_invoice_account_id_account_id_for_the_monthly_billing_runs_xy"))
"#;

    fn messages(source: &str, dialect: Dialect) -> Vec<String> {
        findings(check, source, dialect)
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn the_consequence_is_the_dialects() {
        // 64 characters: over PostgreSQL's 63, at MySQL's 64.
        assert_eq!(messages(MODELS, Dialect::Mysql), Vec::<String>::new());
        let postgresql = messages(MODELS, Dialect::Postgresql);
        assert_eq!(postgresql.len(), 1);
        assert!(postgresql[0].ends_with("create_all() raises IdentifierError (Identifier exceeds maximum length of 63 characters)"));
        assert_eq!(messages(MODELS, Dialect::Sqlite), Vec::<String>::new());
    }

    #[test]
    fn on_mysql_the_database_refuses_the_name() {
        let longer = MODELS.replace("runs_xy", "runs_xyz");
        let found = messages(&longer, Dialect::Mysql);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].ends_with(
                "more than mysql's limit of 64: SQLAlchemy renders it and MySQL refuses the CREATE TABLE (error 1059: Identifier name is too long)"
            ),
            "{}",
            found[0]
        );
    }
}
