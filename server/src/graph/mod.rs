//! The workspace relationship graph: every file's facts linked into scopes,
//! mapped classes, tables, foreign keys and relationships, with directions
//! decided the way SQLAlchemy decides them and cycles found.
//!
//! Linking is pure and never fails. What it cannot know (an unresolved
//! import, a computed table name) is recorded as unknown so that rules can
//! stay silent instead of guessing.

mod build;
mod cycles;
mod entities;
pub mod json;
mod patch;
pub mod resolve;
mod sets;
mod units;

use std::sync::Arc;

use crate::facts::{
    ClassFacts, ColumnFacts, FileFacts, ForeignKeyFacts, RelationshipFacts, Setting,
};
use crate::text::TextRange;

pub use build::{render_convention, uses_constraint_name, ConventionInput, LinkOptions};
pub use entities::Entities;
pub use patch::{move_file, patched, OptionEdit, POSITIONAL};
pub use resolve::Symbol;
pub use units::{link, link_laid_out, relink_unit, Cores, Layout};

/// Strongly connected components of two or more nodes.
pub fn cycles_of(node_count: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    cycles::strongly_connected(node_count, edges)
}

/// For each node, the component holding it (an index into `cycles`) and
/// its place there. Components are disjoint, as [`cycles_of`] returns them,
/// so an edge lies in one when both its ends have the same component.
pub fn cycle_places(node_count: usize, cycles: &[Vec<usize>]) -> Vec<Option<(usize, usize)>> {
    let mut places = vec![None; node_count];
    for (index, cycle) in cycles.iter().enumerate() {
        for (place, &node) in cycle.iter().enumerate() {
            places[node] = Some((index, place));
        }
    }
    places
}

pub type FileId = usize;
pub type ScopeId = usize;
pub type ClassId = usize;
pub type TableId = usize;
pub type ForeignKeyId = usize;
pub type RelationshipId = usize;

/// A place in the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: FileId,
    pub range: TextRange,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// `declarative_base()`, `registry().generate_base()`, a `DeclarativeBase` subclass.
    Declarative,
    /// Flask-SQLAlchemy's `db.Model`.
    Flask,
    /// SQLModel's one shared registry.
    SqlModel,
    /// A bare `MetaData()` used by Core tables.
    MetaData,
}

/// One declarative registry with its MetaData: the namespace in which string
/// targets and table names resolve.
#[derive(Debug, Clone)]
pub struct Scope {
    pub kind: ScopeKind,
    /// A stable, readable identity (`app/models/base.py:Base`).
    pub key: String,
    pub location: Option<Location>,
    /// Defined in the workspace, so every class and table of it is seen.
    pub closed: bool,
    pub naming_convention: NamingConvention,
    /// A `MetaData(...)` call written for this scope, where a naming
    /// convention could be added.
    pub metadata_call: Option<(FileId, Arc<crate::syntax::expr::Call>)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum NamingConvention {
    #[default]
    None,
    /// The `fk` template, when it is a literal string.
    ForeignKey(String),
    /// A convention whose `fk` entry cannot be read (a callable, a variable).
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inheritance {
    Joined,
    Single,
    /// `__mapper_args__ = {"concrete": True}`: its own complete table.
    Concrete,
}

#[derive(Debug, Clone)]
pub struct MappedClass {
    pub name: String,
    /// `module.ClassName`.
    pub qualname: String,
    pub file: FileId,
    /// Index into `FileFacts::classes`.
    pub index: usize,
    pub scope: ScopeId,
    pub table: Option<TableId>,
    /// Every table the mapper spans (its own and its joined-inheritance parents').
    pub tables: Vec<TableId>,
    pub superclass: Option<ClassId>,
    pub inheritance: Option<Inheritance>,
    pub relationships: Vec<RelationshipId>,
    /// Attribute names mapped or defined on the class (own, mixins, parents).
    pub attributes: Attributes,
    /// Some base, mixin or member could not be read: attribute lookups may miss.
    pub incomplete: bool,
    /// Mapped with `map_imperatively`: its members are not in its class body.
    pub imperative: bool,
    pub location: Location,
}

/// A class's attributes: one entry per name and kind (a backref clashing
/// with a column shows as both), in the order they were found.
///
/// The names share one buffer. A workspace's classes have tens of
/// thousands of attributes, listed again on each link: one string each
/// was a third of the graph's allocations.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    names: String,
    /// (end of the name in `names`, kind); a name starts where the previous ends.
    entries: Vec<(u32, AttributeKind)>,
}

/// One attribute of a class, borrowed from its [`Attributes`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attribute<'a> {
    pub name: &'a str,
    pub kind: AttributeKind,
}

impl Attributes {
    pub fn with_capacity(entries: usize) -> Self {
        Attributes {
            // Attribute names are short: a guess that saves most regrowing.
            names: String::with_capacity(entries * 12),
            entries: Vec::with_capacity(entries),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Attribute<'_>> + '_ {
        let mut start = 0;
        self.entries.iter().map(move |&(end, kind)| {
            let name = &self.names[start..end as usize];
            start = end as usize;
            Attribute { name, kind }
        })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds an attribute unless one of that name and kind is listed.
    pub fn add(&mut self, name: &str, kind: AttributeKind) {
        let names = self.names.as_bytes();
        let mut start = 0;
        for &(end, listed) in &self.entries {
            let end = end as usize;
            if listed == kind && &names[start..end] == name.as_bytes() {
                return;
            }
            start = end;
        }
        self.names.push_str(name);
        self.entries.push((self.names.len() as u32, kind));
    }

    /// The kind of the attribute called `name`, a relationship's before
    /// any other's (the first of [`Graph::attributes_named`]).
    pub fn first_named(&self, name: &str) -> Option<AttributeKind> {
        let mut named = self.iter().filter(|a| a.name == name).map(|a| a.kind);
        let first = named.next()?;
        if matches!(first, AttributeKind::Relationship(_)) {
            return Some(first);
        }
        Some(
            named
                .find(|kind| matches!(kind, AttributeKind::Relationship(_)))
                .unwrap_or(first),
        )
    }

    pub fn shrink_to_fit(&mut self) {
        self.names.shrink_to_fit();
        self.entries.shrink_to_fit();
    }

    /// Renumbers the relationships the attributes name.
    pub(crate) fn renumber_relationships(
        &mut self,
        new: impl Fn(RelationshipId) -> RelationshipId,
    ) {
        for (_, kind) in &mut self.entries {
            if let AttributeKind::Relationship(id) = kind {
                *id = new(*id);
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeKind {
    Column,
    Relationship(RelationshipId),
    /// `column_property`, `synonym`, hybrids.
    MapperProperty,
    Method,
    Plain,
    /// Assigned from an unknown call: it may be anything.
    Computed,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub schema: Option<String>,
    pub scope: ScopeId,
    pub class: Option<ClassId>,
    pub columns: Vec<Column>,
    pub foreign_keys: Vec<ForeignKeyId>,
    pub unique_sets: Vec<Vec<String>>,
    /// The module-level variable of a Core table (`users = Table(...)`).
    pub binding: Option<String>,
    /// Some columns or constraints could not be read.
    pub incomplete: bool,
    pub location: Location,
}

impl Table {
    pub fn full_name(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The variable a Core table is bound to, when known.
    pub fn location_binding(&self) -> Option<&str> {
        self.binding.as_deref()
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name() == name)
    }

    pub fn primary_key(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.primary_key)
            .map(|c| c.name())
            .collect()
    }
}

/// A column of a table. Its name, attribute and type are read from its
/// facts, which the graph shares with the files rather than copying: a
/// workspace has tens of thousands of columns, linked again on each change.
#[derive(Debug, Clone)]
pub struct Column {
    /// The mapped class that declared it (a single-table subclass adds
    /// columns to its parent's table); `None` for Core tables.
    pub declared_by: Option<ClassId>,
    /// Effective nullability; `None` when not knowable.
    pub nullable: Option<bool>,
    pub primary_key: bool,
    pub unique: bool,
    pub location: Location,
    pub facts: Arc<ColumnFacts>,
}

impl Column {
    /// The column's name in the database.
    pub fn name(&self) -> &str {
        self.facts.column_name().unwrap_or_default()
    }

    /// The mapped attribute, for a column declared in a class.
    pub fn attribute(&self) -> Option<&str> {
        self.facts.attribute.as_deref()
    }

    /// The type as written (`Integer`, `String(40)` reads `String`).
    pub fn type_name(&self) -> Option<&str> {
        self.facts.type_name.as_deref()
    }

    /// Whether `attribute` names this column on a mapped class: its
    /// attribute, or its name when it has none (a Core table's column).
    pub fn is_mapped_as(&self, attribute: &str) -> bool {
        match self.attribute() {
            Some(own) => own == attribute,
            None => self.name() == attribute,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ForeignKeyResolution {
    Resolved {
        table: TableId,
        columns: Vec<String>,
    },
    /// The referred table does not exist in the scope (which is fully known).
    MissingTable,
    /// The table exists (and is fully known) but lacks the column.
    MissingColumn {
        table: TableId,
        column: String,
    },
    Unknown,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub table: TableId,
    pub columns: Vec<String>,
    pub resolution: ForeignKeyResolution,
    /// The name after the naming convention; `Some(None)` when a convention
    /// names it but the text is not knowable.
    pub effective_name: EffectiveName,
    pub location: Location,
    pub facts: Arc<ForeignKeyFacts>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EffectiveName {
    Unnamed,
    Named(String),
    /// Named, by a convention or a value we cannot read.
    NamedUnknown,
}

impl EffectiveName {
    pub fn is_named(&self) -> bool {
        !matches!(self, EffectiveName::Unnamed)
    }
}

impl ForeignKey {
    pub fn referred_table(&self) -> Option<TableId> {
        match &self.resolution {
            ForeignKeyResolution::Resolved { table, .. } => Some(*table),
            _ => None,
        }
    }

    pub fn ondelete(&self) -> Option<&Setting<String>> {
        self.facts.ondelete.as_ref()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    OneToMany,
    ManyToOne,
    ManyToMany,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::OneToMany => "one-to-many",
            Direction::ManyToOne => "many-to-one",
            Direction::ManyToMany => "many-to-many",
        }
    }

    pub fn reversed(self) -> Self {
        match self {
            Direction::OneToMany => Direction::ManyToOne,
            Direction::ManyToOne => Direction::OneToMany,
            Direction::ManyToMany => Direction::ManyToMany,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TargetResolution {
    Resolved(ClassId),
    /// No class of that name in the (fully known) scope.
    Missing(String),
    Unknown,
}

/// Why a relationship's direction is not known.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinProblem {
    /// Several FK paths and neither `foreign_keys` nor `primaryjoin`.
    Ambiguous(Vec<ForeignKeyId>),
    /// No FK joins the two tables.
    NoPath,
}

#[derive(Debug, Clone)]
pub struct Relationship {
    pub class: ClassId,
    pub target: TargetResolution,
    pub direction: Option<Direction>,
    pub join_problem: Option<JoinProblem>,
    /// The FKs whose columns this relationship writes.
    pub foreign_keys: Vec<ForeignKeyId>,
    /// `(table, column)` pairs written, as SQLAlchemy's `_calculated_foreign_keys`.
    pub fk_columns: Vec<(TableId, String)>,
    pub secondary: Option<TableId>,
    pub pair: Option<RelationshipId>,
    /// Created on this class by another relationship's `backref`.
    pub backref_of: Option<RelationshipId>,
    pub cascade: Cascade,
    pub location: Location,
    /// The facts as written; for a backref-created relationship, the
    /// originating relationship's facts with the backref's keywords.
    pub facts: Arc<RelationshipFacts>,
}

impl Relationship {
    /// The attribute it is mapped to on its class (a backref's name for a
    /// backref-created one), read from its facts rather than copied.
    pub fn attribute(&self) -> &str {
        &self.facts.attribute
    }

    pub fn target_class(&self) -> Option<ClassId> {
        match self.target {
            TargetResolution::Resolved(id) => Some(id),
            _ => None,
        }
    }

    pub fn flag(&self, name: &str) -> Option<bool> {
        self.facts.flag(name).and_then(|s| s.known().copied())
    }

    pub fn is_viewonly(&self) -> bool {
        self.flag("viewonly") == Some(true)
    }
}

/// The effective cascade set of a relationship.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cascade {
    pub save_update: bool,
    pub merge: bool,
    pub expunge: bool,
    pub delete: bool,
    pub delete_orphan: bool,
    pub refresh_expire: bool,
    /// The option could not be read (a variable), or holds invalid tokens.
    pub unknown: bool,
}

impl Cascade {
    pub fn default_set() -> Self {
        Cascade {
            save_update: true,
            merge: true,
            ..Cascade::default()
        }
    }

    /// Parses a `cascade=` string the way SQLAlchemy does: split on
    /// `\s*,\s*`, each token exact. Invalid tokens make the set unknown
    /// (SA101 names them).
    pub fn parse(text: &str) -> Cascade {
        let mut cascade = Cascade::default();
        for token in cascade_tokens(text) {
            match token {
                "all" => {
                    cascade.save_update = true;
                    cascade.merge = true;
                    cascade.refresh_expire = true;
                    cascade.expunge = true;
                    cascade.delete = true;
                }
                "none" => {}
                "save-update" => cascade.save_update = true,
                "merge" => cascade.merge = true,
                "expunge" => cascade.expunge = true,
                "delete" => cascade.delete = true,
                "delete-orphan" => cascade.delete_orphan = true,
                "refresh-expire" => cascade.refresh_expire = true,
                _ => cascade.unknown = true,
            }
        }
        cascade
    }

    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.delete {
            names.push("delete");
        }
        if self.delete_orphan {
            names.push("delete-orphan");
        }
        if self.expunge {
            names.push("expunge");
        }
        if self.merge {
            names.push("merge");
        }
        if self.refresh_expire {
            names.push("refresh-expire");
        }
        if self.save_update {
            names.push("save-update");
        }
        names
    }
}

/// `re.split(r"\s*,\s*", text)` without empty tokens.
pub fn split_cascade(text: &str) -> Vec<&str> {
    cascade_tokens(text).collect()
}

/// The tokens of [`split_cascade`], borrowed and one at a time: linking
/// reads every relationship's cascade and needs no list of them.
fn cascade_tokens(text: &str) -> impl Iterator<Item = &str> {
    let last = text.matches(',').count();
    text.split(',')
        .enumerate()
        .map(move |(i, piece)| {
            // Only the whitespace next to a comma is a separator.
            let piece = if i > 0 { piece.trim_start() } else { piece };
            if i < last {
                piece.trim_end()
            } else {
                piece
            }
        })
        .filter(|t| !t.is_empty())
}

/// The linked workspace.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub files: Vec<Arc<FileFacts>>,
    pub scopes: Vec<Scope>,
    pub classes: Entities<MappedClass>,
    pub tables: Entities<Table>,
    pub foreign_keys: Entities<ForeignKey>,
    pub relationships: Entities<Relationship>,
    /// Strongly connected components of two or more tables in the FK graph.
    pub table_cycles: Vec<Vec<TableId>>,
    /// Cycles of two or more mapped classes in the row-dependency graph.
    pub row_cycles: Vec<Vec<ClassId>>,
}

impl Graph {
    pub fn class_facts(&self, id: ClassId) -> &ClassFacts {
        let class = &self.classes[id];
        &self.files[class.file].classes[class.index]
    }

    pub fn file(&self, id: FileId) -> &FileFacts {
        &self.files[id]
    }

    pub fn table_label(&self, id: TableId) -> String {
        self.tables[id].full_name()
    }

    pub fn relationship_label(&self, id: RelationshipId) -> String {
        let relationship = &self.relationships[id];
        format!(
            "{}.{}",
            self.classes[relationship.class].name,
            relationship.attribute()
        )
    }

    /// The attributes of a class called `name`, relationships first.
    pub fn attributes_named(&self, class: ClassId, name: &str) -> Vec<AttributeKind> {
        let mut kinds: Vec<AttributeKind> = self.classes[class]
            .attributes
            .iter()
            .filter(|a| a.name == name)
            .map(|a| a.kind)
            .collect();
        kinds.sort_by_key(|k| !matches!(k, AttributeKind::Relationship(_)));
        kinds
    }

    /// The mapped class declared by class `index` of file `file`, if mapped.
    pub fn class_at(&self, file: FileId, index: usize) -> Option<ClassId> {
        self.classes
            .iter()
            .position(|c| c.file == file && c.index == index)
    }

    /// Is any column of the foreign key NOT NULL (or part of the primary key)?
    pub fn fk_not_null(&self, fk: ForeignKeyId) -> Option<bool> {
        let fk = &self.foreign_keys[fk];
        let table = &self.tables[fk.table];
        let mut any_unknown = false;
        for name in &fk.columns {
            match table.column(name).map(|c| (c.nullable, c.primary_key)) {
                Some((_, true)) | Some((Some(false), _)) => return Some(true),
                Some((Some(true), false)) => {}
                _ => any_unknown = true,
            }
        }
        if any_unknown || fk.columns.is_empty() {
            None
        } else {
            Some(false)
        }
    }

    /// Classes whose mapper spans the table.
    pub fn class_of_table(&self, table: TableId) -> Option<ClassId> {
        self.tables[table].class
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cascade_splits_as_python_re_split_does() {
        // Expected values printed by `[t for t in re.split(r"\s*,\s*", text) if t]`.
        let cases: &[(&str, &[&str])] = &[
            ("all, delete-orphan", &["all", "delete-orphan"]),
            (" all", &[" all"]),
            ("all ,", &["all"]),
            ("save-update , merge", &["save-update", "merge"]),
            ("a,,b", &["a", "b"]),
            ("all delete", &["all delete"]),
            ("delete-orphan ", &["delete-orphan "]),
            (", all", &["all"]),
            ("  ,  ", &[]),
            ("all,\tdelete", &["all", "delete"]),
        ];
        for (text, tokens) in cases {
            assert_eq!(split_cascade(text), *tokens, "{text:?}");
        }
    }

    #[test]
    fn attributes_keep_one_entry_per_name_and_kind_in_order() {
        let mut attributes = Attributes::with_capacity(2);
        attributes.add("children", AttributeKind::Relationship(3));
        attributes.add("id", AttributeKind::Column);
        attributes.add("children", AttributeKind::Column);
        attributes.add("id", AttributeKind::Column);
        attributes.add("children", AttributeKind::Relationship(3));
        attributes.add("", AttributeKind::Plain);
        attributes.add("ünïcode", AttributeKind::Method);
        let listed: Vec<(&str, AttributeKind)> =
            attributes.iter().map(|a| (a.name, a.kind)).collect();
        assert_eq!(
            listed,
            [
                ("children", AttributeKind::Relationship(3)),
                ("id", AttributeKind::Column),
                ("children", AttributeKind::Column),
                ("", AttributeKind::Plain),
                ("ünïcode", AttributeKind::Method),
            ]
        );
        assert_eq!(attributes.len(), 5);
    }

    #[test]
    fn the_first_attribute_named_is_a_relationship_when_one_is() {
        let mut attributes = Attributes::default();
        attributes.add("id", AttributeKind::Column);
        attributes.add("parent", AttributeKind::Column);
        attributes.add("parent", AttributeKind::Relationship(7));
        attributes.add("parent", AttributeKind::Relationship(8));
        attributes.add("name", AttributeKind::Plain);
        attributes.add("name", AttributeKind::Method);
        assert_eq!(
            attributes.first_named("parent"),
            Some(AttributeKind::Relationship(7))
        );
        assert_eq!(attributes.first_named("id"), Some(AttributeKind::Column));
        assert_eq!(attributes.first_named("name"), Some(AttributeKind::Plain));
        assert_eq!(attributes.first_named("missing"), None);
    }

    #[test]
    fn cascade_sets_expand_all_and_flag_invalid_tokens() {
        let all = Cascade::parse("all, delete-orphan");
        assert!(all.save_update && all.merge && all.expunge && all.delete);
        assert!(all.refresh_expire && all.delete_orphan && !all.unknown);
        assert_eq!(Cascade::parse("none"), Cascade::default());
        let invalid = Cascade::parse("save-update, delete_orphan");
        assert!(invalid.save_update && !invalid.delete_orphan && invalid.unknown);
        assert!(Cascade::parse(" delete").unknown);
    }
}
