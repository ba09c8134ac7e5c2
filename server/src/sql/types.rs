//! Column types: read from a `Column(...)`/`mapped_column(...)`/`Field(...)`
//! call or a `Mapped[...]` annotation, rendered per dialect the way
//! SQLAlchemy's type compilers render them (checked against SQLAlchemy
//! 2.1's compilers; see the tests).

use crate::config::Dialect;
use crate::syntax::expr::{Expr, ExprKind};

/// A SQLAlchemy type the renderer knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlType {
    Integer,
    BigInteger,
    SmallInteger,
    /// `String`, `Unicode`, `VARCHAR`.
    Varchar(Option<u64>),
    /// SQLModel's `AutoString`: `VARCHAR(255)` on MySQL when it has no length.
    AutoString(Option<u64>),
    Char(Option<u64>),
    NChar(Option<u64>),
    NVarchar(Option<u64>),
    /// `Text`, `UnicodeText`, `TEXT`.
    Text(Option<u64>),
    Clob,
    Boolean,
    /// The generic `DateTime`.
    DateTime {
        timezone: bool,
    },
    /// The upper-case `TIMESTAMP`.
    Timestamp {
        timezone: bool,
    },
    /// The upper-case `DATETIME`.
    DatetimeUpper,
    Date,
    Time {
        timezone: bool,
    },
    Interval,
    Numeric(Option<u64>, Option<u64>),
    Decimal(Option<u64>, Option<u64>),
    Float(Option<u64>),
    /// The generic `Double`.
    Double,
    /// The upper-case `DOUBLE`.
    DoubleUpper,
    DoublePrecision,
    Real,
    LargeBinary(Option<u64>),
    Blob,
    Binary(Option<u64>),
    Varbinary(Option<u64>),
    Bytea,
    /// The generic `Uuid`: `CHAR(32)` where the database has no UUID type.
    Uuid,
    /// The upper-case `UUID` (also `postgresql.UUID`).
    UuidUpper,
    Json,
    Jsonb,
}

impl SqlType {
    /// An integer type: the kind a primary key autoincrements.
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            SqlType::Integer | SqlType::BigInteger | SqlType::SmallInteger
        )
    }

    /// The type in a `CREATE TABLE`, or why SQLAlchemy refuses to render it.
    pub fn render(&self, dialect: Dialect) -> Result<String, String> {
        use Dialect::{Mysql, Postgresql, Sqlite};
        let with = |name: &str, n: &Option<u64>| match n {
            Some(n) => format!("{name}({n})"),
            None => name.to_string(),
        };
        let numeric = |name: &str, p: &Option<u64>, s: &Option<u64>| match (p, s) {
            (Some(p), Some(s)) => format!("{name}({p}, {s})"),
            (Some(p), None) => format!("{name}({p})"),
            _ => name.to_string(),
        };
        let zone = |base: &str, timezone: bool| {
            format!(
                "{base} {} TIME ZONE",
                if timezone { "WITH" } else { "WITHOUT" }
            )
        };
        let needs_length = |name: &str| {
            Err(format!(
                "SQLAlchemy refuses it: `{name} requires a length on dialect mysql` (CompileError)"
            ))
        };
        let only_postgresql = |name: &str| Err(format!("{name} is a PostgreSQL-only type"));
        Ok(match (self, dialect) {
            (SqlType::Integer, _) => "INTEGER".into(),
            (SqlType::BigInteger, _) => "BIGINT".into(),
            (SqlType::SmallInteger, _) => "SMALLINT".into(),
            (SqlType::Varchar(None), Mysql) => return needs_length("VARCHAR"),
            (SqlType::Varchar(n), _) => with("VARCHAR", n),
            (SqlType::AutoString(None), Mysql) => "VARCHAR(255)".into(),
            (SqlType::AutoString(n), _) => with("VARCHAR", n),
            (SqlType::Char(n), _) => with("CHAR", n),
            (SqlType::NChar(n), Mysql) => with("NATIONAL CHAR", n),
            (SqlType::NChar(n), _) => with("NCHAR", n),
            (SqlType::NVarchar(None), Mysql) => return needs_length("NVARCHAR"),
            (SqlType::NVarchar(n), Mysql) => with("NATIONAL VARCHAR", n),
            (SqlType::NVarchar(n), _) => with("NVARCHAR", n),
            (SqlType::Text(n), _) => with("TEXT", n),
            (SqlType::Clob, _) => "CLOB".into(),
            (SqlType::Boolean, Mysql) => "BOOL".into(),
            (SqlType::Boolean, _) => "BOOLEAN".into(),
            (SqlType::DateTime { timezone }, Postgresql) => zone("TIMESTAMP", *timezone),
            (SqlType::DateTime { .. }, _) => "DATETIME".into(),
            (SqlType::Timestamp { timezone }, Postgresql) => zone("TIMESTAMP", *timezone),
            (SqlType::Timestamp { .. }, _) => "TIMESTAMP".into(),
            (SqlType::DatetimeUpper, _) => "DATETIME".into(),
            (SqlType::Date, _) => "DATE".into(),
            (SqlType::Time { timezone }, Postgresql) => zone("TIME", *timezone),
            (SqlType::Time { .. }, _) => "TIME".into(),
            (SqlType::Interval, Postgresql) => "INTERVAL".into(),
            (SqlType::Interval, _) => "DATETIME".into(),
            (SqlType::Numeric(p, s), _) => numeric("NUMERIC", p, s),
            (SqlType::Decimal(p, s), _) => numeric("DECIMAL", p, s),
            (SqlType::Float(n), Sqlite) => {
                let _ = n;
                "FLOAT".into()
            }
            (SqlType::Float(n), _) => with("FLOAT", n),
            (SqlType::Double, Postgresql) => "DOUBLE PRECISION".into(),
            (SqlType::Double, _) => "DOUBLE".into(),
            (SqlType::DoubleUpper, _) => "DOUBLE".into(),
            (SqlType::DoublePrecision, _) => "DOUBLE PRECISION".into(),
            (SqlType::Real, _) => "REAL".into(),
            (SqlType::LargeBinary(_), Postgresql) => "BYTEA".into(),
            (SqlType::LargeBinary(n), Mysql) => with("BLOB", n),
            (SqlType::LargeBinary(_), Sqlite) => "BLOB".into(),
            (SqlType::Blob, _) => "BLOB".into(),
            (SqlType::Binary(n), _) => with("BINARY", n),
            (SqlType::Varbinary(n), _) => with("VARBINARY", n),
            (SqlType::Bytea, Postgresql) => "BYTEA".into(),
            (SqlType::Bytea, _) => return only_postgresql("BYTEA"),
            (SqlType::Uuid, Postgresql) => "UUID".into(),
            (SqlType::Uuid, _) => "CHAR(32)".into(),
            (SqlType::UuidUpper, _) => "UUID".into(),
            (SqlType::Json, _) => "JSON".into(),
            (SqlType::Jsonb, Postgresql) => "JSONB".into(),
            (SqlType::Jsonb, Sqlite) => "JSONB".into(),
            (SqlType::Jsonb, Mysql) => return only_postgresql("JSONB"),
        })
    }

    /// The cast psycopg 3's dialect appends to a bound parameter of this type
    /// (`%(id)s::INTEGER`); `None` for types rendered without one.
    pub fn bind_cast(&self) -> Option<&'static str> {
        Some(match self {
            SqlType::Integer => "INTEGER",
            SqlType::BigInteger => "BIGINT",
            SqlType::SmallInteger => "SMALLINT",
            SqlType::Varchar(_)
            | SqlType::AutoString(_)
            | SqlType::Char(_)
            | SqlType::NChar(_)
            | SqlType::NVarchar(_)
            | SqlType::Text(_)
            | SqlType::Clob => "VARCHAR",
            SqlType::DateTime { timezone: false }
            | SqlType::Timestamp { timezone: false }
            | SqlType::DatetimeUpper => "TIMESTAMP WITHOUT TIME ZONE",
            SqlType::DateTime { timezone: true } | SqlType::Timestamp { timezone: true } => {
                "TIMESTAMP WITH TIME ZONE"
            }
            SqlType::Date => "DATE",
            SqlType::Time { timezone: false } => "TIME WITHOUT TIME ZONE",
            SqlType::Time { timezone: true } => "TIME WITH TIME ZONE",
            SqlType::Uuid | SqlType::UuidUpper => "UUID",
            SqlType::Json => "JSON",
            SqlType::Jsonb => "JSONB",
            _ => return None,
        })
    }
}

/// Reads a type expression: `Integer`, `String(50)`, `sa.Numeric(10, 2)`,
/// `DateTime(timezone=True)`, `postgresql.JSONB`. `Err` says why not.
pub fn parse_type_expr(expr: &Expr) -> Result<SqlType, String> {
    let (name, args, keywords): (&str, &[Expr], &[crate::syntax::expr::Keyword]) = match &expr.kind
    {
        ExprKind::Name(_) | ExprKind::Attribute(..) => (expr.last_name().unwrap_or(""), &[], &[]),
        ExprKind::Call(call) => {
            if call.has_splat {
                return Err("its type's arguments are not literal".into());
            }
            (
                call.callee.last_name().unwrap_or(""),
                &call.args,
                &call.keywords,
            )
        }
        _ => return Err("its type is not a literal type expression".into()),
    };
    let literal_int = |e: &Expr| match e.kind {
        ExprKind::Int(n) if n >= 0 => Some(n as u64),
        _ => None,
    };
    let mut positional: Vec<Option<u64>> = Vec::new();
    for arg in args {
        match literal_int(arg) {
            Some(n) => positional.push(Some(n)),
            None if arg.is_none_literal() => positional.push(None),
            None => {
                return Err(format!(
                    "the arguments of `{name}(...)` are not all literal"
                ))
            }
        }
    }
    let mut length = positional.first().copied().flatten();
    let mut scale = positional.get(1).copied().flatten();
    let mut timezone = false;
    for keyword in keywords {
        match keyword.name.as_str() {
            "length" | "precision" => match literal_int(&keyword.value) {
                Some(n) => length = Some(n),
                None if keyword.value.is_none_literal() => length = None,
                None => return Err(format!("`{name}({}=...)` is not literal", keyword.name)),
            },
            "scale" => match literal_int(&keyword.value) {
                Some(n) => scale = Some(n),
                None if keyword.value.is_none_literal() => scale = None,
                None => return Err(format!("`{name}(scale=...)` is not literal")),
            },
            "timezone" => match keyword.value.as_bool() {
                Some(flag) => timezone = flag,
                None => return Err(format!("`{name}(timezone=...)` is not literal")),
            },
            // Python-side behaviour only: the DDL is the same.
            "asdecimal"
            | "decimal_return_scale"
            | "as_uuid"
            | "none_as_null"
            | "native_uuid"
            | "create_constraint" => {}
            other => {
                return Err(format!(
                    "`{name}({other}=...)` is a type option the renderer does not know"
                ))
            }
        }
    }
    if matches!(name, "DateTime" | "TIMESTAMP" | "Time" | "TIME") && positional.len() == 1 {
        // `DateTime(True)`: the first positional argument is `timezone`.
        if let Some(ExprKind::Bool(flag)) = args.first().map(|a| &a.kind) {
            timezone = *flag;
        }
    }
    let no_args = |t: SqlType| {
        if args.is_empty() && length.is_none() {
            Ok(t)
        } else {
            Err(format!("`{name}(...)` with arguments is not rendered"))
        }
    };
    match name {
        "Integer" | "INTEGER" | "INT" => no_args(SqlType::Integer),
        "BigInteger" | "BIGINT" => no_args(SqlType::BigInteger),
        "SmallInteger" | "SMALLINT" => no_args(SqlType::SmallInteger),
        "String" | "Unicode" | "VARCHAR" => Ok(SqlType::Varchar(length)),
        "AutoString" => Ok(SqlType::AutoString(length)),
        "CHAR" => Ok(SqlType::Char(length)),
        "NCHAR" => Ok(SqlType::NChar(length)),
        "NVARCHAR" => Ok(SqlType::NVarchar(length)),
        "Text" | "UnicodeText" | "TEXT" => Ok(SqlType::Text(length)),
        "CLOB" => no_args(SqlType::Clob),
        "Boolean" | "BOOLEAN" => Ok(SqlType::Boolean),
        "DateTime" => Ok(SqlType::DateTime { timezone }),
        "TIMESTAMP" => Ok(SqlType::Timestamp { timezone }),
        "DATETIME" => no_args(SqlType::DatetimeUpper),
        "Date" | "DATE" => no_args(SqlType::Date),
        "Time" | "TIME" => Ok(SqlType::Time { timezone }),
        "Interval" => Ok(SqlType::Interval),
        "Numeric" | "NUMERIC" => Ok(SqlType::Numeric(length, scale)),
        "DECIMAL" => Ok(SqlType::Decimal(length, scale)),
        "Float" | "FLOAT" => Ok(SqlType::Float(length)),
        "Double" => no_args(SqlType::Double),
        "DOUBLE" => no_args(SqlType::DoubleUpper),
        "DOUBLE_PRECISION" => no_args(SqlType::DoublePrecision),
        "REAL" => no_args(SqlType::Real),
        "LargeBinary" => Ok(SqlType::LargeBinary(length)),
        "BLOB" => no_args(SqlType::Blob),
        "BINARY" => Ok(SqlType::Binary(length)),
        "VARBINARY" => Ok(SqlType::Varbinary(length)),
        "BYTEA" => no_args(SqlType::Bytea),
        "Uuid" => Ok(SqlType::Uuid),
        "UUID" => Ok(SqlType::UuidUpper),
        "JSON" => Ok(SqlType::Json),
        "JSONB" => Ok(SqlType::Jsonb),
        "Enum" => Err("an `Enum` (its values and type name are not read)".into()),
        "" => Err("its type is not a plain name".into()),
        other => Err(format!("`{other}` is a type the renderer does not know")),
    }
}

/// The type declarative derives from a `Mapped[...]` annotation with the
/// default `type_annotation_map` (SQLAlchemy 2.1: `float` is `Double`;
/// 2.0 made it `Float`).
pub fn from_declarative_annotation(inner: &str) -> Result<SqlType, String> {
    Ok(match inner.rsplit('.').next().unwrap_or(inner) {
        "int" => SqlType::Integer,
        "str" => SqlType::Varchar(None),
        "bool" => SqlType::Boolean,
        "float" => SqlType::Double,
        "Decimal" => SqlType::Numeric(None, None),
        "datetime" => SqlType::DateTime { timezone: false },
        "date" => SqlType::Date,
        "time" => SqlType::Time { timezone: false },
        "timedelta" => SqlType::Interval,
        "bytes" => SqlType::LargeBinary(None),
        "UUID" => SqlType::Uuid,
        other => {
            return Err(format!(
                "`Mapped[{other}]` has no type in the default type_annotation_map"
            ))
        }
    })
}

/// The type SQLModel derives from a field's annotation (`sqlmodel.main.get_sqlalchemy_type`).
pub fn from_sqlmodel_annotation(
    inner: &str,
    max_length: Option<u64>,
    max_digits: Option<u64>,
    decimal_places: Option<u64>,
) -> Result<SqlType, String> {
    Ok(match inner.rsplit('.').next().unwrap_or(inner) {
        "str" | "EmailStr" | "AnyUrl" | "HttpUrl" | "Path" | "IPv4Address" | "IPv6Address" => {
            SqlType::AutoString(max_length)
        }
        "float" => SqlType::Float(None),
        "bool" => SqlType::Boolean,
        "int" => SqlType::Integer,
        "datetime" => SqlType::DateTime { timezone: false },
        "date" => SqlType::Date,
        "timedelta" => SqlType::Interval,
        "time" => SqlType::Time { timezone: false },
        "bytes" => SqlType::LargeBinary(None),
        "Decimal" => SqlType::Numeric(max_digits, decimal_places),
        "UUID" => SqlType::Uuid,
        other => return Err(format!("SQLModel's type for `{other}` is not rendered")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SqlType, String> {
        let tree = crate::syntax::parse(text);
        let node = tree
            .root_node()
            .named_child(0)
            .unwrap()
            .named_child(0)
            .unwrap();
        parse_type_expr(&crate::syntax::expr::read_expr(node, text))
    }

    fn all(text: &str) -> String {
        let t = parse(text).unwrap();
        [Dialect::Postgresql, Dialect::Sqlite, Dialect::Mysql]
            .iter()
            .map(|d| t.render(*d).unwrap_or_else(|e| format!("ERR {e}")))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// Expected values: SQLAlchemy 2.1's `dialect.type_compiler_instance.process(type)`
    /// for postgresql+psycopg, sqlite and mysql.
    #[test]
    fn renders_like_the_type_compilers() {
        let cases = [
            ("Integer", "INTEGER | INTEGER | INTEGER"),
            ("sa.BigInteger()", "BIGINT | BIGINT | BIGINT"),
            ("String(50)", "VARCHAR(50) | VARCHAR(50) | VARCHAR(50)"),
            (
                "String(length=50)",
                "VARCHAR(50) | VARCHAR(50) | VARCHAR(50)",
            ),
            ("Unicode(20)", "VARCHAR(20) | VARCHAR(20) | VARCHAR(20)"),
            ("Text", "TEXT | TEXT | TEXT"),
            ("Boolean", "BOOLEAN | BOOLEAN | BOOL"),
            (
                "DateTime",
                "TIMESTAMP WITHOUT TIME ZONE | DATETIME | DATETIME",
            ),
            (
                "DateTime(timezone=True)",
                "TIMESTAMP WITH TIME ZONE | DATETIME | DATETIME",
            ),
            ("Time", "TIME WITHOUT TIME ZONE | TIME | TIME"),
            ("Interval", "INTERVAL | DATETIME | DATETIME"),
            (
                "Numeric(10, 2)",
                "NUMERIC(10, 2) | NUMERIC(10, 2) | NUMERIC(10, 2)",
            ),
            (
                "Numeric(precision=12, scale=3)",
                "NUMERIC(12, 3) | NUMERIC(12, 3) | NUMERIC(12, 3)",
            ),
            ("Float(53)", "FLOAT(53) | FLOAT | FLOAT(53)"),
            ("Double", "DOUBLE PRECISION | DOUBLE | DOUBLE"),
            ("LargeBinary(100)", "BYTEA | BLOB | BLOB(100)"),
            ("Uuid", "UUID | CHAR(32) | CHAR(32)"),
            (
                "NVARCHAR(5)",
                "NVARCHAR(5) | NVARCHAR(5) | NATIONAL VARCHAR(5)",
            ),
            (
                "TIMESTAMP",
                "TIMESTAMP WITHOUT TIME ZONE | TIMESTAMP | TIMESTAMP",
            ),
            (
                "postgresql.JSONB",
                "JSONB | JSONB | ERR JSONB is a PostgreSQL-only type",
            ),
            ("AutoString", "VARCHAR | VARCHAR | VARCHAR(255)"),
        ];
        for (text, expected) in cases {
            assert_eq!(all(text), expected, "{text}");
        }
        assert!(all("String").ends_with("ERR SQLAlchemy refuses it: `VARCHAR requires a length on dialect mysql` (CompileError)"));
    }

    #[test]
    fn unknown_types_say_why() {
        assert!(parse("Enum(Color)").unwrap_err().contains("Enum"));
        assert!(parse("MyType()").unwrap_err().contains("MyType"));
        assert!(parse("String(LENGTH)")
            .unwrap_err()
            .contains("not all literal"));
        assert!(parse("String(50, collation='C')")
            .unwrap_err()
            .contains("collation"));
    }

    #[test]
    fn psycopg_bind_casts() {
        assert_eq!(parse("String(50)").unwrap().bind_cast(), Some("VARCHAR"));
        assert_eq!(parse("Integer").unwrap().bind_cast(), Some("INTEGER"));
        assert_eq!(parse("Numeric(10, 2)").unwrap().bind_cast(), None);
        assert_eq!(parse("Boolean").unwrap().bind_cast(), None);
    }
}
