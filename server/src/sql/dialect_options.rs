//! Dialect options (`<dialect>_<option>=` keywords) of schema constructs.
//!
//! SQLAlchemy checks each such keyword against the named dialect's
//! `construct_arguments` when the construct is made: an option that dialect
//! does not take for that construct raises `ArgumentError` (the model does
//! not load), one it takes is kept and read only by that dialect's compiler.
//! So an option of another dialect leaves the DDL unchanged, and one of the
//! rendered dialect changes it in ways the hover does not render.

use crate::config::Dialect;

/// The schema constructs that take dialect options; a `ForeignKey(...)`'s
/// options go to its `ForeignKeyConstraint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Construct {
    Table,
    Column,
    Index,
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
}

/// The options each built-in dialect takes, as SQLAlchemy 2.0 and 2.1 both
/// list them in `construct_arguments` (2.1's additions, such as
/// `postgresql_with` on a table, raise in 2.0 and are left out). `*` takes
/// any option. The sqlite dialect's `on_conflict` is listed for
/// `Constraint`, which every constraint inherits.
const ACCEPTED: &[(&str, Construct, &[&str])] = &[
    (
        "postgresql",
        Construct::Index,
        &[
            "concurrently",
            "include",
            "nulls_not_distinct",
            "ops",
            "tablespace",
            "using",
            "where",
            "with",
        ],
    ),
    (
        "postgresql",
        Construct::Table,
        &[
            "ignore_search_path",
            "inherits",
            "on_commit",
            "partition_by",
            "tablespace",
            "using",
            "with_oids",
        ],
    ),
    ("postgresql", Construct::Check, &["not_valid"]),
    ("postgresql", Construct::ForeignKey, &["not_valid"]),
    ("postgresql", Construct::PrimaryKey, &["include"]),
    (
        "postgresql",
        Construct::Unique,
        &["include", "nulls_not_distinct"],
    ),
    ("mysql", Construct::Table, &["*"]),
    ("mysql", Construct::PrimaryKey, &["using"]),
    (
        "mysql",
        Construct::Index,
        &["length", "prefix", "using", "with_parser"],
    ),
    ("mariadb", Construct::Table, &["*"]),
    ("mariadb", Construct::PrimaryKey, &["using"]),
    (
        "mariadb",
        Construct::Index,
        &["length", "prefix", "using", "with_parser"],
    ),
    (
        "sqlite",
        Construct::Table,
        &["autoincrement", "strict", "with_rowid"],
    ),
    ("sqlite", Construct::Index, &["where"]),
    (
        "sqlite",
        Construct::Column,
        &[
            "on_conflict_not_null",
            "on_conflict_primary_key",
            "on_conflict_unique",
        ],
    ),
    ("sqlite", Construct::PrimaryKey, &["on_conflict"]),
    ("sqlite", Construct::Unique, &["on_conflict"]),
    ("sqlite", Construct::Check, &["on_conflict"]),
    ("sqlite", Construct::ForeignKey, &["on_conflict"]),
    ("mssql", Construct::PrimaryKey, &["clustered"]),
    ("mssql", Construct::Unique, &["clustered"]),
    (
        "mssql",
        Construct::Index,
        &["clustered", "columnstore", "include", "where"],
    ),
    (
        "mssql",
        Construct::Column,
        &["identity_increment", "identity_start"],
    ),
    (
        "oracle",
        Construct::Table,
        &["compress", "on_commit", "resolve_synonyms", "tablespace"],
    ),
    (
        "oracle",
        Construct::Index,
        &["bitmap", "compress", "vector"],
    ),
];

/// The dialect whose option `keyword` is, when that dialect takes it on
/// `construct`; `None` for any other keyword (no dialect's, or one SQLAlchemy
/// refuses).
pub fn accepted_by(construct: Construct, keyword: &str) -> Option<&'static str> {
    ACCEPTED.iter().find_map(|&(dialect, on, options)| {
        let option = keyword.strip_prefix(dialect)?.strip_prefix('_')?;
        (on == construct && options.iter().any(|&o| o == "*" || o == option)).then_some(dialect)
    })
}

/// Whether the compiler of `rendered` reads the options of `dialect` (the
/// mysql compiler reads only `mysql_` options; a `mariadb_` one is counted
/// too, since the same models often run on MariaDB).
pub fn read_by(dialect: &str, rendered: Dialect) -> bool {
    match rendered {
        Dialect::Postgresql => dialect == "postgresql",
        Dialect::Mysql => dialect == "mysql" || dialect == "mariadb",
        Dialect::Sqlite => dialect == "sqlite",
    }
}

/// A dialect option a table's DDL carries, and where it is written (for
/// the reason given when the rendered dialect reads it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenOption {
    pub dialect: &'static str,
    pub description: String,
    /// A table option's name without its dialect (`engine`) and its value;
    /// `None` for other constructs' options.
    pub table_option: Option<(String, OptionValue)>,
}

/// A table option's value, as far as the DDL needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionValue {
    String(String),
    Bool(bool),
    /// Anything else: a number, a name, an expression.
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_accepted_per_construct_as_sqlalchemy_lists_them() {
        assert_eq!(
            accepted_by(Construct::Table, "oracle_tablespace"),
            Some("oracle")
        );
        assert_eq!(
            accepted_by(Construct::Index, "mssql_clustered"),
            Some("mssql")
        );
        assert_eq!(accepted_by(Construct::Table, "mysql_engine"), Some("mysql"));
        assert_eq!(
            accepted_by(Construct::Check, "sqlite_on_conflict"),
            Some("sqlite")
        );
        // Refused by SQLAlchemy: the model does not load.
        assert_eq!(accepted_by(Construct::Table, "mssql_clustered"), None);
        assert_eq!(accepted_by(Construct::ForeignKey, "mysql_x"), None);
        assert_eq!(accepted_by(Construct::Column, "postgresql_x"), None);
        // 2.1 only.
        assert_eq!(accepted_by(Construct::Table, "postgresql_with"), None);
        // Not a dialect option.
        assert_eq!(accepted_by(Construct::Table, "comment"), None);
        assert_eq!(accepted_by(Construct::Index, "postgresqlusing"), None);
    }

    #[test]
    fn the_mysql_compiler_is_counted_as_reading_mariadb_options() {
        assert!(read_by("mariadb", Dialect::Mysql));
        assert!(read_by("postgresql", Dialect::Postgresql));
        assert!(!read_by("oracle", Dialect::Postgresql));
        assert!(!read_by("mysql", Dialect::Sqlite));
    }
}
