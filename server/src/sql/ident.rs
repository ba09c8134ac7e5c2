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

/// The longest identifier the database accepts (SQLAlchemy raises
/// `IdentifierError` for an explicit name over it).
pub fn max_identifier_length(dialect: Dialect) -> Option<usize> {
    match dialect {
        Dialect::Postgresql => Some(63),
        Dialect::Mysql => Some(64),
        Dialect::Sqlite => None,
    }
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
    fn word_lists_are_sorted_for_binary_search() {
        for list in [words::POSTGRESQL, words::SQLITE, words::MYSQL] {
            assert!(list.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
