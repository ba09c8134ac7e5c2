//! Linking again after an edit of options the linker does not read.
//!
//! Typing in `cascade="..."`, flipping `passive_deletes=True` or
//! `nullable=False`, choosing `ondelete="CASCADE"`, writing a column's
//! `server_default=`, typing a whole keyword (`cascade=`, `nullable=`,
//! `ondelete=`) into a call, or applying a quick fix that rewrites such a value
//! changes a fact, so the previous graph cannot merely be moved (see
//! `shift`). Yet every decision of the link (scopes, tables, targets,
//! directions, pairs, cycles) stays the same: the linker reads these options
//! only to derive a relationship's cascade set, a backref's inherited
//! options and a column's nullability and uniqueness. The graph is then patched instead of linked again: the edited
//! file's facts replace the old ones, the positions after the edit move,
//! and what the linker derives from those options is derived again.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use super::build::{backref_facts, effective_cascade};
use super::{FileId, Graph, Location};
use crate::facts::{
    ClassFacts, ClassTable, ColumnFacts, ColumnKind, FileFacts, ForeignKeyFacts, RawMember,
    RelationshipFacts, Setting, TableFacts, TableName,
};
use crate::shift;
use crate::syntax::expr::{Call, Keyword};
use crate::text::{TextChange, TextRange};

/// Options of `relationship()` and `backref()` whose values decide nothing
/// the linker decides. `cascade` and the options a backref inherits
/// (`post_update`, `passive_updates`) are derived again by [`patched`].
const RELATIONSHIP_OPTIONS: &[&str] = &[
    "cascade",
    "passive_deletes",
    "passive_updates",
    "post_update",
    "lazy",
    "order_by",
    "single_parent",
    "innerjoin",
    "join_depth",
    "cascade_backrefs",
    "overlaps",
    "sync_backref",
    "active_history",
    "enable_typechecks",
    "omit_join",
    "distinct_target_key",
    "doc",
    "info",
];

/// Options of `ForeignKey()` and `ForeignKeyConstraint()` the linker never
/// reads (a key's name and targets it does read).
const FOREIGN_KEY_OPTIONS: &[&str] = &[
    "ondelete",
    "onupdate",
    "deferrable",
    "initially",
    "match",
    "comment",
    "info",
];

/// Options of `Column()` and `mapped_column()` that decide nothing the
/// linker decides. A column's nullability and uniqueness are derived again
/// by [`patched`]; its name, type, key and primary key are not listed.
const COLUMN_OPTIONS: &[&str] = &[
    "nullable",
    "unique",
    "index",
    "default",
    "insert_default",
    "server_default",
    "onupdate",
    "server_onupdate",
    "autoincrement",
    "comment",
    "doc",
    "info",
    "sort_order",
];

/// What a patched edit changed, for the rules to know which of them to run
/// again (see `analysis::find_after_option_edit`).
#[derive(Debug, Clone, PartialEq)]
pub struct OptionEdit {
    pub file: FileId,
    /// The change from the old text to the new one, placed as the patch
    /// placed it.
    pub change: TextChange,
    /// The names of the options added, removed or given another value (a
    /// half-typed name too); None when a call changed otherwise (a
    /// positional argument, a `**` splat), which any rule may read.
    pub names: Option<Vec<String>>,
    /// In the old text, the relationships, columns and keys whose calls
    /// changed: a finding there may have been made from their text.
    pub calls: Vec<TextRange>,
}

/// The graph linked from the workspace with file `file`'s facts `old`
/// (of text `texts.0`) replaced by `new` (of text `texts.1`), when the one
/// change between the texts lies inside the value of an option listed
/// above, or when it only adds, removes or edits options the linker does
/// not read (see [`linked_part_moved`]); None when the
/// workspace must be linked again. The graph patched is the copy `copy`
/// makes, which it makes only once the change is known to be patchable (a
/// copy costs more than the check); `copy` may bring the copy's positions
/// up to date with the texts (see [`move_file`]), or give up. With the
/// graph comes what the edit changed.
pub fn patched(
    file: FileId,
    old: &FileFacts,
    new: &Arc<FileFacts>,
    texts: (&str, &str),
    copy: impl FnOnce() -> Option<Graph>,
) -> Option<(Graph, OptionEdit)> {
    let mut pairs = Pairs::default();
    pairs.file(old, new)?;
    let change = TextChange::between(texts.0, texts.1);
    let change = if is_option_edit(old, new, &pairs, &change) {
        change
    } else {
        linked_part_moved(old, new, &change, texts)?
    };
    let mut patched = copy()?;
    replace_facts(&mut patched, file, new, &pairs, |range| change.span(range))?;
    let (names, calls) = pairs.edited_options(texts);
    let edit = OptionEdit {
        file,
        change,
        names,
        calls,
    };
    Some((patched, edit))
}

/// Puts the facts `moved` of file `file` in the graph in place of those it
/// was linked from, when the file's text changed without changing a fact
/// but for positions (see `shift`), and `current` moves the graph's
/// positions in that file to the moved text. False (and `graph` partly
/// moved, to be dropped) when the facts do not pair up.
pub fn move_file(
    graph: &mut Graph,
    file: FileId,
    moved: &Arc<FileFacts>,
    current: impl Fn(TextRange) -> Option<TextRange>,
) -> bool {
    let linked = graph.files[file].clone();
    let mut pairs = Pairs::default();
    pairs
        .file(&linked, moved)
        .and_then(|()| replace_facts(graph, file, moved, &pairs, current))
        .is_some()
}

/// Whether the one change between the texts of the paired facts lies
/// inside the value of a listed option.
fn is_option_edit(old: &FileFacts, new: &FileFacts, pairs: &Pairs, change: &TextChange) -> bool {
    // Error recovery may read the text around a broken value differently.
    !old.has_syntax_errors && !new.has_syntax_errors && pairs.edit_is_inside_an_option(change)
}

/// How the change moved the facts, when what the linker reads of the new
/// facts is what it read of the old ones, moved: options listed above may
/// have been added, removed or edited, and arguments after a
/// relationship's first one written, even with a syntax error in the file
/// (typing `, cascade="all"` into a call goes through both). Everything else must be equal, position by position, so that
/// error recovery reading the text around the change differently is seen.
fn linked_part_moved(
    old: &FileFacts,
    new: &FileFacts,
    change: &TextChange,
    texts: (&str, &str),
) -> Option<TextChange> {
    if !same_outline(old, new) {
        return None;
    }
    let placements = change.placements(texts.0, texts.1);
    // Where the change may be, in each text: the classes elsewhere are
    // compared whole (the text around them is the same, so are their
    // facts), which spares copying them.
    let start = placements.iter().map(|p| p.start).min()?;
    let old_span = start..=placements.iter().map(|p| p.old_end).max()?;
    let new_span = start..=placements.iter().map(|p| p.new_end).max()?;
    let (old, new) = (
        linked_part(old, new, &old_span),
        linked_part(new, old, &new_span),
    );
    placements
        .into_iter()
        .find(|placed| shift::moved_equals(&old, &new, placed))
}

/// Whether the two files declare the same things by the same names: a
/// quick test that turns most structural edits (a class pasted, a column
/// typed, a table renamed) away before the copies [`linked_part`] makes.
fn same_outline(old: &FileFacts, new: &FileFacts) -> bool {
    fn table_name(class: &ClassFacts) -> Option<&str> {
        match &class.tablename {
            Some(TableName::Literal(name, _)) => Some(name),
            _ => None,
        }
    }
    old.classes.len() == new.classes.len()
        && old.tables.len() == new.tables.len()
        && old.bindings.len() == new.bindings.len()
        && old.imports.len() == new.imports.len()
        && old.classes.iter().zip(&new.classes).all(|(old, new)| {
            Arc::ptr_eq(old, new)
                || (old.name == new.name
                    && old.columns.len() == new.columns.len()
                    && old.relationships.len() == new.relationships.len()
                    && old.other_members.len() == new.other_members.len()
                    && table_name(old) == table_name(new)
                    && old
                        .columns
                        .iter()
                        .zip(&new.columns)
                        .all(|(old, new)| old.attribute == new.attribute)
                    && old
                        .relationships
                        .iter()
                        .zip(&new.relationships)
                        .all(|(old, new)| old.attribute == new.attribute))
        })
}

/// What the linker reads of `facts`: the facts without the relationship
/// options it does not read, the arguments after a relationship's first,
/// the calls of columns and foreign keys (the linker reads what the
/// extraction made of them) with the options read from them, the raw class
/// members (read only to interpret them as columns and relationships,
/// which are compared) but the table's, and whether the file has syntax
/// errors. Only the classes the change may touch (`span`) are reduced: a
/// class shared with `other` (an incremental extraction kept it) or lying
/// apart from the change stays whole, and shared.
fn linked_part(
    facts: &FileFacts,
    other: &FileFacts,
    span: &std::ops::RangeInclusive<u32>,
) -> FileFacts {
    let mut part = facts.clone();
    part.has_syntax_errors = false;
    for (class, other) in part.classes.iter_mut().zip(&other.classes) {
        let range = class.range_with_decorators();
        let apart = range.end < *span.start() || range.start > *span.end();
        if !Arc::ptr_eq(class, other) && !apart {
            linked_class_part(Arc::make_mut(class));
        }
    }
    for mapping in &mut part.imperative_mappings {
        linked_class_part(&mut mapping.properties);
    }
    for table in &mut part.tables {
        linked_table_part(table);
    }
    part
}

fn linked_class_part(class: &mut ClassFacts) {
    // But `__table_args__` and `__table__`: SA305 reads the constraint and
    // index names written there, which no option edit names.
    class.raw_members.retain(|member| {
        matches!(member, RawMember::Attribute { name, .. } if name == "__table_args__" || name == "__table__")
    });
    for relationship in &mut class.relationships {
        let relationship = Arc::make_mut(relationship);
        relationship.keywords.retain(is_read_by_the_linker);
        linked_call_part(&mut relationship.call);
        if let Some(backref) = &mut relationship.backref {
            backref.keywords.retain(is_read_by_the_linker);
            if let Some(call) = &mut backref.call {
                linked_call_part(call);
            }
        }
    }
    class.columns.iter_mut().for_each(linked_column_part);
    if let Some(ClassTable::Inline(table)) = &mut class.table {
        linked_table_part(table);
    }
    if let Some(args) = &mut class.table_args {
        args.foreign_key_constraints
            .iter_mut()
            .for_each(linked_foreign_key_part);
    }
}

fn linked_call_part(call: &mut Arc<Call>) {
    let call = Arc::make_mut(call);
    call.keywords.retain(is_read_by_the_linker);
    // The target, or a backref's name; `relationship()` takes its other
    // arguments by keyword.
    call.args.truncate(1);
}

fn is_read_by_the_linker(keyword: &Keyword) -> bool {
    !RELATIONSHIP_OPTIONS.contains(&keyword.name.as_str())
}

fn linked_table_part(table: &mut TableFacts) {
    table.columns.iter_mut().for_each(linked_column_part);
    table
        .foreign_key_constraints
        .iter_mut()
        .for_each(linked_foreign_key_part);
}

fn linked_column_part(column: &mut Arc<ColumnFacts>) {
    let column = Arc::make_mut(column);
    column.call = None;
    // Whether `nullable=` is written decides the column's nullability with
    // its primary key and annotation; what is written, [`replace_facts`]
    // derives again. Uniqueness it derives from the value alone.
    if let Some(nullable) = &mut column.nullable {
        *nullable = Setting::Unknown(TextRange::default());
    }
    column.unique = None;
    column.autoincrement = None;
    column
        .foreign_keys
        .iter_mut()
        .for_each(linked_foreign_key_part);
}

fn linked_foreign_key_part(key: &mut Arc<ForeignKeyFacts>) {
    let key = Arc::make_mut(key);
    // The call's range is a leaf (fixes copy its text), which no change
    // inside may move; the key's location, [`replace_facts`] takes anew.
    key.range = TextRange::default();
    key.call = None;
    key.ondelete = None;
    key.onupdate = None;
}

/// Replaces file `file`'s facts in the graph by `new`, paired with the old
/// ones by `pairs`: the facts' own positions come from `new`, the graph's
/// other positions in the file are moved by `moved`, and what the linker
/// derives from option values is derived again. Only the chunks holding
/// entities of file `file` are copied (see [`super::Entities`]); the others
/// stay shared with the graph copied from.
fn replace_facts(
    graph: &mut Graph,
    file: FileId,
    new: &Arc<FileFacts>,
    pairs: &Pairs,
    moved: impl Fn(TextRange) -> Option<TextRange>,
) -> Option<()> {
    graph.files[file] = new.clone();
    let moved = |location: &mut Location| -> Option<()> {
        if location.file == file {
            location.range = moved(location.range)?;
        }
        Some(())
    };
    for scope in &mut graph.scopes {
        // A MetaData call of the edited file holds positions of its own.
        if scope
            .metadata_call
            .as_ref()
            .is_some_and(|(f, _)| *f == file)
        {
            return None;
        }
        if let Some(location) = &mut scope.location {
            moved(location)?;
        }
    }
    for id in 0..graph.classes.len() {
        if graph.classes[id].location.file == file {
            moved(&mut graph.classes.make_mut(id).location)?;
        }
    }
    for id in 0..graph.tables.len() {
        let in_file = |location: &Location| location.file == file;
        let table = &graph.tables[id];
        if !in_file(&table.location) && !table.columns.iter().any(|c| in_file(&c.location)) {
            continue;
        }
        let table = graph.tables.make_mut(id);
        moved(&mut table.location)?;
        for column in &mut table.columns {
            if column.location.file == file {
                column.facts = pairs.columns.get(&Arc::as_ptr(&column.facts))?.clone();
                column.location.range = column.facts.range;
                // As `make_column` derives them from a written keyword (an
                // edit inside a value leaves the keyword written).
                if let Some(nullable) = &column.facts.nullable {
                    column.nullable = nullable.known().copied();
                }
                column.unique = matches!(column.facts.unique, Some(Setting::Known(true, _)));
            }
        }
    }
    for id in 0..graph.foreign_keys.len() {
        if graph.foreign_keys[id].location.file == file {
            let key = graph.foreign_keys.make_mut(id);
            key.facts = pairs.foreign_keys.get(&Arc::as_ptr(&key.facts))?.clone();
            key.location.range = key.facts.range;
        }
    }
    // Origins come before the relationships their backrefs create.
    for id in 0..graph.relationships.len() {
        if graph.relationships[id].location.file != file {
            continue;
        }
        let facts = match graph.relationships[id].backref_of {
            None => {
                let old_facts = Arc::as_ptr(&graph.relationships[id].facts);
                pairs.relationships.get(&old_facts)?.clone()
            }
            Some(origin) => {
                let origin = &graph.relationships[origin].facts;
                let backref = origin.backref.as_ref()?;
                let name = backref.name.as_deref()?;
                Arc::new(backref_facts(origin, backref, name))
            }
        };
        let relationship = graph.relationships.make_mut(id);
        relationship.cascade = effective_cascade(&facts);
        relationship.location.range = facts.callee_range;
        relationship.facts = facts;
    }
    Some(())
}

/// Which option list applies to a keyword.
#[derive(Clone, Copy)]
enum Holder {
    Relationship,
    ForeignKey,
    Column,
}

/// The facts of the old file paired with those of the new one, by place:
/// an edit inside an option value keeps every list the same length.
#[derive(Default)]
struct Pairs<'a> {
    relationships: HashMap<*const RelationshipFacts, Arc<RelationshipFacts>>,
    columns: HashMap<*const ColumnFacts, Arc<ColumnFacts>>,
    foreign_keys: HashMap<*const ForeignKeyFacts, Arc<ForeignKeyFacts>>,
    /// Every call holding options, old and new.
    calls: Vec<CallPair<'a>>,
}

/// A relationship, backref, column or key call, old and new, with where
/// it is in the old text.
struct CallPair<'a> {
    range: TextRange,
    /// Which list of options applies; None for SQLModel's `Field()`, which
    /// reads its keywords its own way. A relationship's or backref's
    /// arguments after the first count as one option, [`POSITIONAL`].
    holder: Option<Holder>,
    /// A relationship's options as the rules read them (also from SQLModel's
    /// `sa_relationship_kwargs`); the other calls' are their keywords.
    keywords: (&'a [Keyword], &'a [Keyword]),
    calls: (Option<&'a Call>, Option<&'a Call>),
    splats: (bool, bool),
    /// Old ranges of arguments paired on their own: a column's keys.
    paired_arguments: Vec<TextRange>,
}

impl<'a> CallPair<'a> {
    fn is_relationship(&self) -> bool {
        matches!(self.holder, Some(Holder::Relationship))
    }

    /// The keyword lists holding listed options, old and new.
    fn options(&self) -> Option<(Holder, &'a [Keyword], &'a [Keyword])> {
        match (self.holder?, self.calls) {
            (Holder::Relationship, _) => {
                Some((Holder::Relationship, self.keywords.0, self.keywords.1))
            }
            (holder, (Some(old), Some(new))) => Some((holder, &old.keywords, &new.keywords)),
            _ => None,
        }
    }
}

/// The name standing for a relationship's arguments after its first (a
/// keyword's name while it is typed): only the rules that read any option,
/// and fixes of the call itself, read them.
pub const POSITIONAL: &str = "(positional)";

fn same_length<T>(old: &[T], new: &[T]) -> Option<()> {
    (old.len() == new.len()).then_some(())
}

impl<'a> Pairs<'a> {
    fn file(&mut self, old: &'a FileFacts, new: &'a FileFacts) -> Option<()> {
        same_length(&old.classes, &new.classes)?;
        for (old, new) in old.classes.iter().zip(&new.classes) {
            self.class(old, new)?;
        }
        same_length(&old.tables, &new.tables)?;
        for (old, new) in old.tables.iter().zip(&new.tables) {
            self.table(old, new)?;
        }
        same_length(&old.imperative_mappings, &new.imperative_mappings)?;
        for (old, new) in old.imperative_mappings.iter().zip(&new.imperative_mappings) {
            self.class(&old.properties, &new.properties)?;
        }
        Some(())
    }

    fn class(&mut self, old: &'a ClassFacts, new: &'a ClassFacts) -> Option<()> {
        self.columns(&old.columns, &new.columns)?;
        same_length(&old.relationships, &new.relationships)?;
        for (old, new) in old.relationships.iter().zip(&new.relationships) {
            self.calls.push(CallPair {
                range: old.range,
                holder: Some(Holder::Relationship),
                keywords: (&old.keywords, &new.keywords),
                calls: (Some(&old.call), Some(&new.call)),
                splats: (old.has_splat, new.has_splat),
                paired_arguments: Vec::new(),
            });
            match (&old.backref, &new.backref) {
                (Some(old_backref), Some(new_backref)) => {
                    self.calls.push(CallPair {
                        // Within the relationship's call.
                        range: old.range,
                        holder: Some(Holder::Relationship),
                        keywords: (&old_backref.keywords, &new_backref.keywords),
                        calls: (old_backref.call.as_deref(), new_backref.call.as_deref()),
                        splats: (old_backref.has_splat, new_backref.has_splat),
                        paired_arguments: Vec::new(),
                    });
                }
                (None, None) => {}
                _ => return None,
            }
            self.relationships.insert(Arc::as_ptr(old), new.clone());
        }
        match (&old.table, &new.table) {
            (Some(ClassTable::Inline(old)), Some(ClassTable::Inline(new))) => {
                self.table(old, new)?
            }
            (Some(ClassTable::Reference(_)), Some(ClassTable::Reference(_))) | (None, None) => {}
            _ => return None,
        }
        match (&old.table_args, &new.table_args) {
            (Some(old), Some(new)) => {
                self.foreign_keys(&old.foreign_key_constraints, &new.foreign_key_constraints)
            }
            (None, None) => Some(()),
            _ => None,
        }
    }

    fn table(&mut self, old: &'a TableFacts, new: &'a TableFacts) -> Option<()> {
        self.columns(&old.columns, &new.columns)?;
        self.foreign_keys(&old.foreign_key_constraints, &new.foreign_key_constraints)
    }

    fn columns(&mut self, old: &'a [Arc<ColumnFacts>], new: &'a [Arc<ColumnFacts>]) -> Option<()> {
        same_length(old, new)?;
        for (old, new) in old.iter().zip(new) {
            self.column(old, new)?;
        }
        Some(())
    }

    fn column(&mut self, old: &'a Arc<ColumnFacts>, new: &'a Arc<ColumnFacts>) -> Option<()> {
        let plain = |kind| matches!(kind, ColumnKind::Column | ColumnKind::MappedColumn);
        self.calls.push(CallPair {
            range: old.range,
            holder: (plain(old.kind) && plain(new.kind)).then_some(Holder::Column),
            keywords: (&[], &[]),
            calls: (old.call.as_deref(), new.call.as_deref()),
            splats: (false, false),
            paired_arguments: old.foreign_keys.iter().map(|key| key.range).collect(),
        });
        self.columns.insert(Arc::as_ptr(old), new.clone());
        self.foreign_keys(&old.foreign_keys, &new.foreign_keys)
    }

    fn foreign_keys(
        &mut self,
        old: &'a [Arc<ForeignKeyFacts>],
        new: &'a [Arc<ForeignKeyFacts>],
    ) -> Option<()> {
        same_length(old, new)?;
        for (old, new) in old.iter().zip(new) {
            if old.call.is_some() != new.call.is_some() {
                return None;
            }
            self.calls.push(CallPair {
                range: old.range,
                holder: Some(Holder::ForeignKey),
                keywords: (&[], &[]),
                calls: (old.call.as_deref(), new.call.as_deref()),
                splats: (false, false),
                paired_arguments: Vec::new(),
            });
            self.foreign_keys.insert(Arc::as_ptr(old), new.clone());
        }
        Some(())
    }

    /// The names of the options the edit changed, or None when a call
    /// changed otherwise; and where the changed calls are in the old text.
    /// Values compare by their text.
    fn edited_options(&self, texts: (&str, &str)) -> (Option<Vec<String>>, Vec<TextRange>) {
        let mut names = Some(Vec::new());
        let mut ranges = Vec::new();
        for pair in &self.calls {
            let mut changed = differing_options(pair.keywords, texts);
            let mut other_change = pair.splats.0 != pair.splats.1;
            // A key changed inside a column's call: the key's own pair
            // names its options; the column's call changed all the same.
            let mut paired_argument_changed = false;
            match pair.calls {
                (Some(old), Some(new)) => {
                    changed.extend(differing_options((&old.keywords, &new.keywords), texts));
                    // A relationship's first argument is its target, which
                    // the linker reads: it never changes in a patch.
                    let positional_only = pair.is_relationship() && !old.args.is_empty();
                    other_change |= old.has_splat != new.has_splat
                        || (old.args.len() != new.args.len() && !positional_only);
                    if old.args.len() != new.args.len() && positional_only {
                        changed.push(POSITIONAL.to_string());
                    }
                    for (index, (old, new)) in old.args.iter().zip(&new.args).enumerate() {
                        if text_of(texts.0, old.range) == text_of(texts.1, new.range) {
                            continue;
                        }
                        if pair.paired_arguments.contains(&old.range) {
                            paired_argument_changed = true;
                        } else if positional_only && index > 0 {
                            changed.push(POSITIONAL.to_string());
                        } else {
                            other_change = true;
                        }
                    }
                }
                (None, None) => {}
                _ => other_change = true,
            }
            if changed.is_empty() && !other_change && !paired_argument_changed {
                continue;
            }
            ranges.push(pair.range);
            match (&mut names, other_change) {
                (_, true) => names = None,
                (Some(names), false) => names.extend(changed),
                (None, false) => {}
            }
        }
        if let Some(names) = &mut names {
            names.sort_unstable();
            names.dedup();
        }
        // A backref's call lies in its relationship's.
        ranges.dedup();
        (names, ranges)
    }

    /// Whether the innermost option holding the changed text, in the old
    /// text and in the new one, is the same option, one of those listed.
    fn edit_is_inside_an_option(&self, change: &TextChange) -> bool {
        let old_span = TextRange {
            start: change.start,
            end: change.old_end,
        };
        let new_span = TextRange {
            start: change.start,
            end: change.new_end,
        };
        let mut innermost: Option<(usize, Holder, &Keyword, &Keyword)> = None;
        for (holder, old, new) in self.calls.iter().filter_map(CallPair::options) {
            if old.len() != new.len() {
                continue;
            }
            for (old, new) in old.iter().zip(new) {
                let length = old.value.range.len();
                if old.value.range.contains_range(old_span)
                    && innermost.is_none_or(|(shortest, ..)| length < shortest)
                {
                    innermost = Some((length, holder, old, new));
                }
            }
        }
        let Some((_, holder, old, new)) = innermost else {
            return false;
        };
        let options = match holder {
            Holder::Relationship => RELATIONSHIP_OPTIONS,
            Holder::ForeignKey => FOREIGN_KEY_OPTIONS,
            Holder::Column => COLUMN_OPTIONS,
        };
        options.contains(&old.name.as_str())
            && old.name == new.name
            && old.name_range == new.name_range
            && new.value.range.contains_range(new_span)
    }
}

fn text_of(text: &str, range: TextRange) -> &str {
    text.get(range.start()..range.end()).unwrap_or_default()
}

/// The names of the options written in one list and not the other, or
/// with another value (by text).
fn differing_options(keywords: (&[Keyword], &[Keyword]), texts: (&str, &str)) -> Vec<String> {
    fn written<'a>(keywords: &'a [Keyword], text: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut written: Vec<(&str, &str)> = keywords
            .iter()
            .map(|k| (k.name.as_str(), text_of(text, k.value.range)))
            .collect();
        written.sort_unstable();
        written
    }
    let (old, new) = (written(keywords.0, texts.0), written(keywords.1, texts.1));
    let mut names: Vec<String> = old
        .iter()
        .filter(|k| !new.contains(k))
        .chain(new.iter().filter(|k| !old.contains(k)))
        .map(|(name, _)| name.to_string())
        .collect();
    // The same option written twice with the same value, once more or less.
    if old.len() != new.len() && names.is_empty() {
        names.extend(old.iter().chain(&new).map(|(name, _)| name.to_string()));
    }
    names
}

#[cfg(test)]
mod tests;
