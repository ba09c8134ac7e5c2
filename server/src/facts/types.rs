//! The model facts of one file: classes, columns, foreign keys, relationships
//! and tables, as written.

use std::sync::Arc;

use crate::syntax::expr::{Call, Expr, Keyword};
use crate::text::TextRange;

/// A keyword setting as written: a literal value, or present but not knowable.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Setting<T> {
    Known(T, TextRange),
    Unknown(TextRange),
}

impl<T> Setting<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Setting::Known(value, _) => Some(value),
            Setting::Unknown(_) => None,
        }
    }

    pub fn range(&self) -> TextRange {
        match self {
            Setting::Known(_, range) | Setting::Unknown(range) => *range,
        }
    }
}

/// A class member before interpretation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum RawMember {
    Attribute {
        name: String,
        name_range: TextRange,
        annotation: Option<Expr>,
        value: Option<Expr>,
        range: TextRange,
    },
    Method {
        name: String,
        name_range: TextRange,
        decorators: Vec<Expr>,
        /// `-> Mapped[int]`: a `declared_attr`'s type, as an annotation.
        return_type: Option<Expr>,
        returns: Vec<Expr>,
        range: TextRange,
    },
}

impl RawMember {
    pub fn range(&self) -> TextRange {
        match self {
            RawMember::Attribute { range, .. } | RawMember::Method { range, .. } => *range,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            RawMember::Attribute { name, .. } | RawMember::Method { name, .. } => name,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassFacts {
    pub name: String,
    pub name_range: TextRange,
    pub range: TextRange,
    pub body_range: TextRange,
    pub bases: Vec<Expr>,
    /// Class keywords: `table=True` (SQLModel), `metaclass=...`.
    pub keywords: Vec<Keyword>,
    pub decorators: Vec<Expr>,
    pub nested_in_function: bool,
    pub raw_members: Vec<RawMember>,

    pub tablename: Option<TableName>,
    pub is_abstract: Option<bool>,
    pub table_args: Option<TableArgs>,
    /// `__table__ = Table(...)` or `__table__ = some_table`.
    pub table: Option<ClassTable>,
    /// `metadata = MetaData(...)` on a declarative base class.
    pub metadata: Option<Expr>,
    /// `registry = registry(...)` on a declarative base class.
    pub registry: Option<Expr>,
    pub mapper_args: Option<Expr>,
    pub columns: Vec<Arc<ColumnFacts>>,
    pub relationships: Vec<Arc<RelationshipFacts>>,
    /// Every other member name: methods, properties, `column_property`, plain
    /// attributes. SA203/SA204 look these up.
    pub other_members: Vec<OtherMember>,
    /// `*bases`, a syntax error in the class or similar: the class is not
    /// fully knowable.
    pub dynamic: bool,
}

impl ClassFacts {
    /// The class's text with its decorators.
    pub fn range_with_decorators(&self) -> TextRange {
        let start = self
            .decorators
            .iter()
            .map(|d| d.range.start)
            .fold(self.range.start, u32::min);
        TextRange {
            start,
            end: self.range.end,
        }
    }

    /// The values assigned to a class attribute `name = ...`, in order.
    pub fn attribute_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Expr> + 'a {
        self.raw_members
            .iter()
            .filter_map(move |member| match member {
                RawMember::Attribute {
                    name: member_name,
                    value: Some(value),
                    ..
                } if member_name == name => Some(value),
                _ => None,
            })
    }

    /// Gives back what the vectors grown while reading the class keep
    /// spare: facts live as long as the session.
    pub fn shrink_to_fit(&mut self) {
        self.bases.shrink_to_fit();
        self.keywords.shrink_to_fit();
        self.decorators.shrink_to_fit();
        self.raw_members.shrink_to_fit();
        self.columns.shrink_to_fit();
        self.relationships.shrink_to_fit();
        self.other_members.shrink_to_fit();
    }

    pub fn keyword(&self, name: &str) -> Option<&Expr> {
        self.keywords
            .iter()
            .find(|k| k.name == name)
            .map(|k| &k.value)
    }

    pub fn column(&self, attribute: &str) -> Option<&ColumnFacts> {
        self.columns
            .iter()
            .find(|c| c.attribute.as_deref() == Some(attribute))
            .map(|c| &**c)
    }

    pub fn relationship(&self, attribute: &str) -> Option<&RelationshipFacts> {
        self.relationships
            .iter()
            .find(|r| r.attribute == attribute)
            .map(|r| &**r)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OtherMember {
    pub name: String,
    pub range: TextRange,
    pub kind: OtherMemberKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OtherMemberKind {
    Method,
    /// `column_property`, `synonym`, `composite`, `association_proxy`, hybrids.
    MapperProperty,
    Attribute,
    /// Assigned from a call we cannot read: possibly a column or a relationship.
    Computed,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TableName {
    Literal(String, TextRange),
    /// `__tablename__ = None`: single-table inheritance.
    NoTable,
    /// A `declared_attr` that derives the name from the class name; with
    /// `none_when_inherited`, subclasses of mapped classes get no table of
    /// their own (the `if has_inherited_table(cls): return None` idiom).
    Derived {
        scheme: NamingScheme,
        none_when_inherited: bool,
    },
    Unknown(TextRange),
    /// `PATTERN.sub(REPLACEMENT, cls.__name__).lower()` with `PATTERN`
    /// imported: the linker looks the pattern up in its module.
    ImportedPattern {
        pattern: String,
        replacement: String,
        none_when_inherited: bool,
        range: TextRange,
    },
}

/// How a computed `__tablename__` turns a class name into a table name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NamingScheme {
    /// `cls.__name__.lower()` (and SQLModel's default).
    Lower,
    /// CamelCase to snake_case as Flask-SQLAlchemy 3 does it.
    Snake,
    /// `cls.__name__`.
    Same,
    /// An underscore before every capital but the first:
    /// `re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()`.
    EveryCapital,
    /// An underscore between a lower-case letter (or digit) and a capital:
    /// `re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()`.
    LowerUpper,
    /// A project helper named like a snake_case converter: right for plain
    /// CamelCase, unknown for names with acronyms or digits.
    SnakeGuess,
}

impl NamingScheme {
    /// The table name for a class, when the scheme determines it.
    pub fn apply(self, class_name: &str) -> Option<String> {
        Some(match self {
            NamingScheme::Lower => class_name.to_lowercase(),
            NamingScheme::Same => class_name.to_string(),
            NamingScheme::Snake => camel_to_snake(class_name),
            NamingScheme::EveryCapital => {
                let mut out = String::new();
                for (i, c) in class_name.chars().enumerate() {
                    if i > 0 && c.is_ascii_uppercase() {
                        out.push('_');
                    }
                    out.extend(c.to_lowercase());
                }
                out
            }
            NamingScheme::LowerUpper => {
                let chars: Vec<char> = class_name.chars().collect();
                let mut out = String::new();
                for (i, &c) in chars.iter().enumerate() {
                    if i > 0
                        && c.is_ascii_uppercase()
                        && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit())
                    {
                        out.push('_');
                    }
                    out.extend(c.to_lowercase());
                }
                out
            }
            NamingScheme::SnakeGuess => {
                let chars: Vec<char> = class_name.chars().collect();
                let ambiguous = chars.iter().any(|c| c.is_ascii_digit())
                    || chars
                        .windows(2)
                        .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase());
                if ambiguous {
                    return None;
                }
                camel_to_snake(class_name)
            }
        })
    }
}

/// Flask-SQLAlchemy 3's `camel_to_snake_case`:
/// `re.sub(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", r"_\1", name).lower().lstrip("_")`.
pub fn camel_to_snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let after_lower_or_digit =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let before_lower = i > 0 && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if after_lower_or_digit || before_lower {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out.trim_start_matches('_').to_string()
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ClassTable {
    Inline(TableFacts),
    /// A table bound elsewhere: the expression (`user_table`, `tables.user`).
    Reference(Expr),
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableArgs {
    pub foreign_key_constraints: Vec<Arc<ForeignKeyFacts>>,
    pub unique_constraints: Vec<Vec<String>>,
    pub primary_key_constraint: Option<Vec<String>>,
    pub schema: Option<Setting<String>>,
    pub range: TextRange,
    /// Parts that could not be read (a computed tuple, a splat).
    pub incomplete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ColumnKind {
    /// `Column(...)`, `db.Column(...)`.
    Column,
    /// `mapped_column(...)`.
    MappedColumn,
    /// `name: Mapped[int]` with no value.
    AnnotationOnly,
    /// SQLModel `name: int = Field(...)`.
    SqlModelField,
    /// SQLModel `name: int` or `name: int | None = None`.
    SqlModelPlain,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnFacts {
    /// The Python attribute; `None` inside `Table(...)`.
    pub attribute: Option<String>,
    pub attribute_range: TextRange,
    /// An explicit database name: `Column("user_id", ...)`.
    pub name: Option<String>,
    /// The `Column(`/`mapped_column(`/`Field(` call, or the annotated member.
    pub range: TextRange,
    pub kind: ColumnKind,
    /// `Integer`, `String`, ... from the type argument or the annotation.
    pub type_name: Option<String>,
    pub annotation: Option<Annotation>,
    pub nullable: Option<Setting<bool>>,
    pub primary_key: Option<Setting<bool>>,
    pub unique: Option<Setting<bool>>,
    pub autoincrement: Option<Keyword>,
    pub foreign_keys: Vec<Arc<ForeignKeyFacts>>,
    pub from_declared_attr: bool,
    /// The call, for fixes that add keywords.
    pub call: Option<Arc<Call>>,
}

impl ColumnFacts {
    /// The database column name.
    pub fn column_name(&self) -> Option<&str> {
        self.name.as_deref().or(self.attribute.as_deref())
    }

    pub fn is_primary_key(&self) -> bool {
        matches!(self.primary_key, Some(Setting::Known(true, _)))
    }
}

/// What a `Mapped[...]`-style annotation says.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Annotation {
    /// `Mapped`, `WriteOnlyMapped`, `DynamicMapped`, or `None` for plain types.
    pub wrapper: Option<String>,
    /// `List`, `list`, `Set`, `set`, ...: a collection of the inner type.
    pub collection: Option<String>,
    /// `Optional[...]`, `X | None`, `Union[X, None]`.
    pub optional: bool,
    /// The innermost type or class name (`int`, `Child`, `app.models.Child`).
    pub inner: Option<String>,
    /// The inner name was written inside a string (`Mapped["Child"]`).
    pub inner_quoted: bool,
    pub range: TextRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RelationshipStyle {
    /// `relationship(...)`, `db.relationship(...)`.
    Orm,
    /// SQLModel's `Relationship(...)`.
    SqlModel,
    /// Created on the target by another relationship's `backref`.
    Backref,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TargetRef {
    /// A class name, possibly module-qualified (`"app.models.Child"`).
    Class(String, TextRange),
    /// A table name: `relationship("child_table")` is not valid, but
    /// `secondary="assoc"` is.
    Unknown(TextRange),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RelationshipFacts {
    pub attribute: String,
    pub attribute_range: TextRange,
    /// The whole call (`relationship(...)`).
    pub range: TextRange,
    /// The callee (`relationship`, `db.relationship`): diagnostics anchor here.
    pub callee_range: TextRange,
    pub style: RelationshipStyle,
    /// From the first argument or `argument=`; else from the annotation.
    pub target: Option<TargetRef>,
    pub annotation: Option<Annotation>,
    /// The keywords, SQLModel's `sa_relationship_kwargs` entries merged in.
    pub keywords: Vec<Keyword>,
    /// `**kwargs` or a computed `sa_relationship_kwargs`: options unknowable.
    pub has_splat: bool,
    pub backref: Option<BackrefFacts>,
    pub from_declared_attr: bool,
    pub call: Arc<Call>,
}

impl RelationshipFacts {
    pub fn option(&self, name: &str) -> Option<&Expr> {
        self.keywords
            .iter()
            .rev()
            .find(|k| k.name == name)
            .map(|k| &k.value)
    }

    pub fn keyword(&self, name: &str) -> Option<&Keyword> {
        self.keywords.iter().rev().find(|k| k.name == name)
    }

    /// A boolean option: `Some(Known)` when literal, `Some(Unknown)` when
    /// computed, `None` when absent.
    pub fn flag(&self, name: &str) -> Option<Setting<bool>> {
        self.option(name).map(|value| match value.as_bool() {
            Some(flag) => Setting::Known(flag, value.range),
            None => Setting::Unknown(value.range),
        })
    }

    pub fn string_option(&self, name: &str) -> Option<Setting<&str>> {
        self.option(name).map(|value| match value.as_str() {
            Some(text) => Setting::Known(text, value.range),
            None => Setting::Unknown(value.range),
        })
    }
}

/// `backref="children"` or `backref=backref("children", cascade=...)`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BackrefFacts {
    pub name: Option<String>,
    pub range: TextRange,
    pub keywords: Vec<Keyword>,
    pub has_splat: bool,
    /// The `backref(...)` call when written as one.
    pub call: Option<Arc<Call>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ForeignKeyKind {
    /// `ForeignKey(...)` inside a column.
    Column,
    /// `ForeignKeyConstraint([...], [...])`.
    Constraint,
    /// SQLModel `Field(foreign_key=...)`.
    SqlModelField,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ForeignKeyTarget {
    /// `"schema.table.column"` / `"table.column"`.
    Path {
        schema: Option<String>,
        table: String,
        column: String,
    },
    /// `Parent.id`: a mapped attribute.
    ClassAttribute {
        class: String,
        attribute: String,
    },
    /// `parent_table.c.id`.
    TableColumn {
        table: String,
        column: String,
    },
    Unknown,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ForeignKeyFacts {
    pub kind: ForeignKeyKind,
    /// The `ForeignKey(`/`ForeignKeyConstraint(`/`Field(` call.
    pub range: TextRange,
    /// Local column names for a constraint; empty for a `ForeignKey(...)`,
    /// whose column the linked graph's key names.
    pub columns: Vec<String>,
    pub targets: Vec<ForeignKeyTarget>,
    /// The range of each target argument (the string or expression).
    pub target_ranges: Vec<TextRange>,
    pub name: Option<Setting<String>>,
    /// The name is wrapped in `conv()`: naming conventions leave it alone.
    pub name_is_final: bool,
    pub ondelete: Option<Setting<String>>,
    pub onupdate: Option<Setting<String>>,
    pub use_alter: Option<Setting<bool>>,
    pub call: Option<Arc<Call>>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TableFacts {
    pub name: Option<String>,
    pub name_range: TextRange,
    pub range: TextRange,
    /// The variable bound to it, for `Table` calls at module level.
    pub binding: Option<String>,
    /// The MetaData argument as written.
    pub metadata: Option<Expr>,
    pub schema: Option<Setting<String>>,
    pub columns: Vec<Arc<ColumnFacts>>,
    pub foreign_key_constraints: Vec<Arc<ForeignKeyFacts>>,
    pub unique_constraints: Vec<Vec<String>>,
    pub primary_key_constraint: Option<Vec<String>>,
    pub incomplete: bool,
}
