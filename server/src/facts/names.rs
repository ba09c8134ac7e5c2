//! Which SQLAlchemy construct a call stands for, from the file's imports.
//!
//! `relationship`, `sa.orm.relationship`, `orm.relationship` and
//! `db.relationship` are all the same construct; a local function that
//! happens to be called `relationship` is not.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::imports::{is_sqlalchemy_module, Import};
use crate::syntax::expr::Expr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Construct {
    Column,
    MappedColumn,
    ForeignKey,
    ForeignKeyConstraint,
    PrimaryKeyConstraint,
    UniqueConstraint,
    Index,
    CheckConstraint,
    Relationship,
    Backref,
    Table,
    MetaData,
    DeclarativeBaseFn,
    Registry,
    FlaskSqlAlchemy,
    SqlModelField,
    SqlModelRelationship,
    DeclaredAttr,
    Deferred,
    ColumnProperty,
    Synonym,
    CompositeProperty,
    AssociationProxy,
    CreateEngine,
    Delete,
    /// `registry.map_imperatively(Cls, table, properties=...)`, 1.x `mapper(...)`.
    MapImperatively,
}

impl Construct {
    fn from_name(name: &str) -> Option<Construct> {
        Some(match name {
            "Column" => Construct::Column,
            "mapped_column" => Construct::MappedColumn,
            "ForeignKey" => Construct::ForeignKey,
            "ForeignKeyConstraint" => Construct::ForeignKeyConstraint,
            "PrimaryKeyConstraint" => Construct::PrimaryKeyConstraint,
            "UniqueConstraint" => Construct::UniqueConstraint,
            "Index" => Construct::Index,
            "CheckConstraint" => Construct::CheckConstraint,
            "relationship" | "relation" => Construct::Relationship,
            "backref" => Construct::Backref,
            "Table" => Construct::Table,
            "MetaData" => Construct::MetaData,
            "declarative_base" => Construct::DeclarativeBaseFn,
            "registry" => Construct::Registry,
            "SQLAlchemy" => Construct::FlaskSqlAlchemy,
            "Field" => Construct::SqlModelField,
            "Relationship" => Construct::SqlModelRelationship,
            "declared_attr" => Construct::DeclaredAttr,
            "deferred" => Construct::Deferred,
            "column_property" => Construct::ColumnProperty,
            "synonym" => Construct::Synonym,
            "composite" => Construct::CompositeProperty,
            "association_proxy" => Construct::AssociationProxy,
            "create_engine" | "create_async_engine" => Construct::CreateEngine,
            "delete" => Construct::Delete,
            "map_imperatively" | "mapper" => Construct::MapImperatively,
            _ => return None,
        })
    }

    /// Constructs whose plain name is too common to accept from anywhere:
    /// `Field` and `Relationship` must come from SQLModel, `delete` and
    /// `registry` from SQLAlchemy itself.
    fn needs_sqlalchemy_origin(self) -> bool {
        matches!(
            self,
            Construct::SqlModelField
                | Construct::SqlModelRelationship
                | Construct::Delete
                | Construct::Registry
                | Construct::DeclaredAttr
                | Construct::CreateEngine
                | Construct::MapImperatively
                | Construct::Index
                | Construct::Table
                | Construct::MetaData
        )
    }
}

/// Where a name used in a module comes from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Origin {
    /// Imported: the absolute dotted path (`sqlalchemy.orm.relationship`).
    Imported(String),
    /// Bound at module level in this file.
    Local,
    /// Possibly from a `from m import *`; the star modules.
    Star(Vec<String>),
    Unbound,
}

/// Name resolution within one file.
pub struct Scope<'a> {
    imports: HashMap<&'a str, &'a Import>,
    stars: Vec<&'a str>,
    locals: &'a HashSet<String>,
    /// Module-level names bound once to a string literal.
    constants: HashMap<String, String>,
    /// Module-level names bound to `re.compile("literal")`: the pattern.
    patterns: HashMap<String, String>,
}

impl<'a> Scope<'a> {
    pub fn new(imports: &'a [Import], locals: &'a HashSet<String>) -> Self {
        let mut map = HashMap::with_capacity_and_hasher(imports.len(), Default::default());
        let mut stars = Vec::new();
        for import in imports {
            if import.star {
                stars.push(import.module.as_str());
            } else {
                // Later imports win, as at run time.
                map.insert(import.local.as_str(), import);
            }
        }
        Self {
            imports: map,
            stars,
            locals,
            constants: HashMap::default(),
            patterns: HashMap::default(),
        }
    }

    pub fn with_patterns(mut self, patterns: HashMap<String, String>) -> Self {
        self.patterns = patterns;
        self
    }

    /// The pattern of a module-level compiled regular expression.
    pub fn pattern(&self, name: &str) -> Option<&str> {
        self.patterns.get(name).map(String::as_str)
    }

    pub fn with_constants(mut self, constants: HashMap<String, String>) -> Self {
        self.constants = constants;
        self
    }

    /// The value of a module-level string constant.
    pub fn constant(&self, name: &str) -> Option<&str> {
        self.constants.get(name).map(String::as_str)
    }

    /// The absolute path of a dotted name used in this file, when imported.
    pub fn origin(&self, dotted: &str) -> Origin {
        let (first, rest) = match dotted.split_once('.') {
            Some((first, rest)) => (first, Some(rest)),
            None => (dotted, None),
        };
        if let Some(import) = self.imports.get(first) {
            let mut path = import.module.clone();
            if let Some(member) = &import.member {
                path.push('.');
                path.push_str(member);
            }
            if let Some(rest) = rest {
                path.push('.');
                path.push_str(rest);
            }
            return Origin::Imported(path);
        }
        if self.locals.contains(first) {
            return Origin::Local;
        }
        if !self.stars.is_empty() {
            return Origin::Star(self.stars.iter().map(|s| s.to_string()).collect());
        }
        Origin::Unbound
    }

    /// The construct a call's callee stands for, if any.
    pub fn construct(&self, callee: &Expr) -> Option<Construct> {
        // Most calls are no construct: known by their last name, before the
        // dotted name is built.
        let last = callee.last_name()?;
        let construct = Construct::from_name(last)?;
        let dotted = callee.dotted()?;
        let is_attribute = dotted.contains('.');
        // `reg.map_imperatively(...)`: only a registry has that method.
        if last == "map_imperatively" && is_attribute {
            return Some(construct);
        }
        let accepted = match self.origin(&dotted) {
            Origin::Imported(path) => {
                is_sqlalchemy_module(&path)
                    // `db.relationship` on an imported `db`, or a project module
                    // re-exporting `Column` under its own name.
                    || (!construct.needs_sqlalchemy_origin() && (is_attribute || path.ends_with(last)))
                    || (is_attribute && flask_db_method(last))
            }
            Origin::Local => {
                is_attribute && (flask_db_method(last) || !construct.needs_sqlalchemy_origin())
            }
            Origin::Star(modules) => {
                modules.iter().any(|m| is_sqlalchemy_module(m))
                    || !construct.needs_sqlalchemy_origin()
            }
            Origin::Unbound => false,
        };
        accepted.then_some(construct)
    }
}

/// Names Flask-SQLAlchemy's `SQLAlchemy` object exposes (`db.Table`, `db.Column`, ...).
fn flask_db_method(name: &str) -> bool {
    matches!(
        name,
        "Column"
            | "relationship"
            | "backref"
            | "ForeignKey"
            | "ForeignKeyConstraint"
            | "PrimaryKeyConstraint"
            | "UniqueConstraint"
            | "Index"
            | "CheckConstraint"
            | "Table"
            | "MetaData"
            | "mapped_column"
            | "deferred"
            | "column_property"
            | "synonym"
            | "relation"
    )
}
