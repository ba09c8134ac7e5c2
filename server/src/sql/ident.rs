//! Identifier quoting and length limits, as SQLAlchemy's identifier
//! preparers apply them.

use crate::config::Dialect;

use super::words;

/// Quotes `name` when SQLAlchemy would: a reserved word, upper-case letters,
/// a character outside `[A-Za-z0-9_$]`, or a leading digit or `$`.
pub fn quote(name: &str, dialect: Dialect) -> String {
    if requires_quotes(name, dialect) {
        let (open, close) = quote_chars(dialect);
        let escaped = name.replace(close, &format!("{close}{close}"));
        format!("{open}{escaped}{close}")
    } else {
        name.to_string()
    }
}

fn quote_chars(dialect: Dialect) -> (char, char) {
    match dialect {
        Dialect::Mysql => ('`', '`'),
        Dialect::Postgresql | Dialect::Sqlite => ('"', '"'),
    }
}

pub fn requires_quotes(name: &str, dialect: Dialect) -> bool {
    let Some(first) = name.chars().next() else {
        return true;
    };
    let lower = name.to_lowercase();
    let reserved = match dialect {
        Dialect::Postgresql => words::POSTGRESQL,
        Dialect::Sqlite => words::SQLITE,
        Dialect::Mysql => words::MYSQL,
    };
    reserved.binary_search(&lower.as_str()).is_ok()
        || first.is_ascii_digit()
        || first == '$'
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        || lower != name
}

/// `schema.table`, each part quoted as needed.
pub fn qualified(schema: Option<&str>, name: &str, dialect: Dialect) -> String {
    match schema {
        Some(schema) => format!("{}.{}", quote(schema, dialect), quote(name, dialect)),
        None => quote(name, dialect),
    }
}

/// The dialect's `max_identifier_length`: SQLAlchemy raises
/// `IdentifierError` for a name written as a plain string that is longer.
pub fn max_identifier_length(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Postgresql => 63,
        Dialect::Mysql => 255,
        Dialect::Sqlite => 9999,
    }
}

/// The dialect's `max_constraint_name_length` (or `max_index_name_length`,
/// the same in every dialect here), falling back to `max_identifier_length`:
/// a name SQLAlchemy made longer than this is shortened.
pub fn max_name_length(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Mysql => 64,
        _ => max_identifier_length(dialect),
    }
}

/// A name SQLAlchemy made (a naming convention's, or one wrapped in
/// `conv()`) as it renders it: over `max` characters, the first `max - 8`
/// and `_` and the last four hex digits of the name's MD5
/// (`IdentifierPreparer._truncate_and_render_maxlen_name`).
pub fn shortened_name(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        return name.to_string();
    }
    use md5::{Digest, Md5};
    let digest = Md5::digest(name.as_bytes());
    let head: String = name.chars().take(max.saturating_sub(8)).collect();
    format!("{head}_{:02x}{:02x}", digest[14], digest[15])
}

/// A string literal in SQL.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_sqlalchemy() {
        let pg = Dialect::Postgresql;
        assert_eq!(quote("author", pg), "author");
        assert_eq!(quote("user", pg), "\"user\"");
        assert_eq!(quote("group", pg), "\"group\"");
        assert_eq!(quote("UserAccount", pg), "\"UserAccount\"");
        assert_eq!(quote("2fa", pg), "\"2fa\"");
        assert_eq!(quote("with space", pg), "\"with space\"");
        assert_eq!(quote("user", Dialect::Mysql), "user");
        assert_eq!(quote("key", Dialect::Mysql), "`key`");
        assert_eq!(quote("key", pg), "key");
        assert_eq!(qualified(Some("events"), "notes", pg), "events.notes");
    }

    #[test]
    fn long_made_names_are_shortened_as_sqlalchemy_shortens_them() {
        // Each expected value printed by SQLAlchemy 2.1: `name[0:max_ - 8] +
        // "_" + util.md5_hex(name)[-4:]`.
        let long = "fk_customer_subscription_billing_account_id_references_customer_account_id_for_invoicing_runs";
        assert_eq!(
            shortened_name(long, 63),
            "fk_customer_subscription_billing_account_id_references__86a8"
        );
        assert_eq!(shortened_name("fk_short", 63), "fk_short");
        let exactly = "x".repeat(63);
        assert_eq!(shortened_name(&exactly, 63), exactly);
        assert_eq!(
            shortened_name(&"é".repeat(70), 63),
            format!("{}_0b13", "é".repeat(55))
        );
    }

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        for list in [words::POSTGRESQL, words::SQLITE, words::MYSQL] {
            assert!(list.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
