//! A workspace linked unit by unit.
//!
//! Files reach each other only through imports and through the scopes they
//! share: a class finds its base, a foreign key its table, a relationship
//! its target by following imports, or by name in its scope. A scope that
//! some file defines (`Base = declarative_base()`) is reached through that
//! file's module; only SQLModel's registry and a base from outside the
//! workspace are shared by files that need not import each other. So the
//! files fall into units, closed under imports and those shared scopes,
//! that link alone exactly as they link together; the one other thing a
//! unit needs to know of the rest is whether some class elsewhere may belong
//! to any scope ([`Outside`]).
//!
//! Linking unit by unit lets a workspace link on every core, and an edit
//! that changes what the linker reads relink its own unit alone: the graph
//! keeps the other units' entities and numbers, the edited unit's coming
//! last (see [`relink_unit`]).

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::build::{link_unit, LinkedUnit, Linking, Outside, EXTERNAL_SCOPE};
use super::resolve::Modules;
use super::sets::Sets;
use super::*;
use crate::facts::FileFacts;

/// How a graph's entities fall into units, in the order the graph holds them.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    units: Vec<Unit>,
}

#[derive(Debug, Clone)]
struct Unit {
    /// Ascending.
    files: Vec<FileId>,
    counts: Counts,
    report: Report,
    shared_scopes: Vec<String>,
}

/// How many entities of each kind a unit has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    scopes: usize,
    classes: usize,
    tables: usize,
    foreign_keys: usize,
    relationships: usize,
    table_cycles: usize,
    row_cycles: usize,
}

impl Counts {
    fn of(linking: &Linking) -> Self {
        Counts {
            scopes: linking.scopes.len(),
            classes: linking.classes.len(),
            tables: linking.tables.len(),
            foreign_keys: linking.foreign_keys.len(),
            relationships: linking.relationships.len(),
            table_cycles: linking.table_cycles.len(),
            row_cycles: linking.row_cycles.len(),
        }
    }

    fn add(self, other: Counts) -> Counts {
        Counts {
            scopes: self.scopes + other.scopes,
            classes: self.classes + other.classes,
            tables: self.tables + other.tables,
            foreign_keys: self.foreign_keys + other.foreign_keys,
            relationships: self.relationships + other.relationships,
            table_cycles: self.table_cycles + other.table_cycles,
            row_cycles: self.row_cycles + other.row_cycles,
        }
    }
}

impl Layout {
    /// How many units the workspace has.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Each file's unit (its place in the layout).
    #[cfg(test)]
    fn unit_of_each(&self, files: usize) -> Vec<usize> {
        let mut units = vec![0; files];
        for (index, unit) in self.units.iter().enumerate() {
            unit.files.iter().for_each(|&f| units[f] = index);
        }
        units
    }
}

/// Links the facts of every file of a workspace, on every core.
pub fn link(files: Vec<Arc<FileFacts>>, options: &LinkOptions) -> Graph {
    link_laid_out(files, options, None, Cores::All).0
}

/// Where the units of a link are linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cores {
    /// On every core.
    All,
    /// On the calling thread: what a link allocates stays with the thread
    /// that later frees it (the allocator keeps a thread's freed pages
    /// until that thread allocates again). The language server's choice:
    /// 4 MiB less at its peak in the benchmark's session.
    Calling,
}

/// Links a workspace unit by unit, the unit of file `last` (if any) last.
pub fn link_laid_out(
    files: Vec<Arc<FileFacts>>,
    options: &LinkOptions,
    last: Option<FileId>,
    cores: Cores,
) -> (Graph, Layout) {
    let mut groups = partition(&files);
    if let Some(last) = last {
        if let Some(at) = groups.iter().position(|g| g.contains(&last)) {
            let unit = groups.remove(at);
            groups.push(unit);
        }
    }
    let modules = Modules::new(&files);
    let link_group = |group: &Vec<FileId>, outside: Outside| {
        let facts: Vec<Arc<FileFacts>> = group.iter().map(|&f| files[f].clone()).collect();
        link_unit(&facts, Some((&modules, group)), None, options, outside)
    };
    let link_each = |work: Vec<(usize, Outside)>, groups: &[Vec<FileId>]| match cores {
        Cores::All => (work.into_par_iter())
            .map(|(index, outside)| (index, outside, link_group(&groups[index], outside)))
            .collect::<Vec<_>>(),
        Cores::Calling => (work.into_iter())
            .map(|(index, outside)| (index, outside, link_group(&groups[index], outside)))
            .collect(),
    };
    let link_all = |groups: &[Vec<FileId>]| -> Vec<(Outside, LinkedUnit)> {
        let work = (0..groups.len()).map(|i| (i, Outside::default())).collect();
        (link_each(work, groups).into_iter())
            .map(|(_, outside, unit)| (outside, unit))
            .collect()
    };
    let mut linked = link_all(&groups);
    if let Some(merged) = merge_sharing_scopes(&groups, linked.iter().map(|(_, u)| u)) {
        groups = merged;
        linked = link_all(&groups);
    }
    // What a unit's link found that may change others' (a class of any
    // scope, hidden or not placed; a scope from outside the workspace):
    // those link again, knowing it, until nothing changes (each fact can
    // only become true, once).
    loop {
        let reports: Vec<Report> = linked.iter().map(|(_, u)| Report::of(u)).collect();
        let again: Vec<(usize, Outside)> = (0..linked.len())
            .map(|index| (index, outside_of(&reports, index)))
            .filter(|&(index, outside)| linked[index].0 != outside)
            .collect();
        if again.is_empty() {
            break;
        }
        for (index, outside, unit) in link_each(again, &groups) {
            linked[index] = (outside, unit);
        }
    }
    let mut layout = Layout {
        units: Vec::with_capacity(groups.len()),
    };
    let mut all = Linking::default();
    for (group, (_, unit)) in groups.into_iter().zip(linked) {
        let report = Report::of(&unit);
        let counts = append(&mut all, unit.linking, &group);
        layout.units.push(Unit {
            files: group,
            counts,
            report,
            shared_scopes: unit.shared_scopes,
        });
    }
    (all.into_graph(files), layout)
}

/// What a unit's link found that other units' links must know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Report {
    unplaced_models: bool,
    wide_hidden: bool,
    external_scopes: bool,
}

impl Report {
    fn of(unit: &LinkedUnit) -> Self {
        Report {
            unplaced_models: unit.unplaced_models,
            wide_hidden: unit.wide_hidden,
            external_scopes: (unit.shared_scopes.iter()).any(|key| key.starts_with(EXTERNAL_SCOPE)),
        }
    }
}

/// What unit `index` must know of the others, from their reports.
fn outside_of(reports: &[Report], index: usize) -> Outside {
    let others = || (reports.iter().enumerate()).filter(move |&(i, _)| i != index);
    Outside {
        wide_hidden: others().any(|(_, r)| r.wide_hidden),
        unplaced_models: others().any(|(_, r)| r.unplaced_models),
        external_scopes: others().any(|(_, r)| r.external_scopes),
    }
}

/// The graph after an edit of the files `changed` (the others' facts are
/// those `previous` was linked from), linking only their unit, when that
/// gives the graph [`link`] would: the changed files are all in one unit,
/// import no module of another unit, share no scope with one, and change
/// nothing another unit's link knows ([`Outside`]). The relinked unit
/// comes last: the units after it move down (renumbered, copied), once;
/// the next relink of the same unit copies nothing of the others.
/// `None` when the workspace must be linked again.
pub fn relink_unit(
    previous: &Graph,
    layout: &Layout,
    files: Vec<Arc<FileFacts>>,
    changed: &[FileId],
    options: &LinkOptions,
) -> Option<(Graph, Layout)> {
    let first = *changed.first()?;
    let edited = (layout.units.iter()).position(|u| u.files.binary_search(&first).is_ok())?;
    let unit_files = &layout.units[edited].files;
    let others = || (layout.units.iter().enumerate()).filter(move |&(i, _)| i != edited);
    if files.len() != previous.files.len()
        || !changed.iter().all(|f| unit_files.binary_search(f).is_ok())
        || files
            .iter()
            .zip(&previous.files)
            .any(|(a, b)| a.module != b.module)
    {
        return None;
    }
    let modules = Modules::new(&files);
    let module_names = ModuleNames::new(&files);
    // Other units' files import as they did: only the changed files can
    // join this unit to another. (SQLModel's registry joins units as any
    // shared scope does, checked below.)
    let reaches_outside = changed.iter().any(|&file| {
        let mut outside = false;
        imported_modules(&files[file], &modules, &module_names, |id| {
            outside |= unit_files.binary_search(&id).is_err();
        });
        outside
    });
    if reaches_outside {
        return None;
    }
    let facts: Vec<Arc<FileFacts>> = unit_files.iter().map(|&f| files[f].clone()).collect();
    let reports: Vec<Report> = layout.units.iter().map(|u| u.report).collect();
    let outside = outside_of(&reports, edited);
    let unit = link_unit(&facts, Some((&modules, unit_files)), None, options, outside);
    let shares_a_scope =
        (unit.shared_scopes.iter()).any(|key| others().any(|(_, u)| u.shared_scopes.contains(key)));
    // What the other units know of this one must stay as it was.
    if shares_a_scope || Report::of(&unit) != reports[edited] {
        return None;
    }
    let sum = |units: &[Unit]| (units.iter()).fold(Counts::default(), |sum, u| sum.add(u.counts));
    let before = sum(&layout.units[..edited]);
    let removed = layout.units[edited].counts;
    let after = sum(&layout.units[edited + 1..]);
    // The entities of the units before the edited one stay as they are;
    // those after it move down by its counts.
    let from = before.add(removed);
    let mut moved = Linking {
        scopes: previous.scopes[from.scopes..].to_vec(),
        classes: tail(&previous.classes, from.classes),
        tables: tail(&previous.tables, from.tables),
        foreign_keys: tail(&previous.foreign_keys, from.foreign_keys),
        relationships: tail(&previous.relationships, from.relationships),
        table_cycles: previous.table_cycles[from.table_cycles..].to_vec(),
        row_cycles: previous.row_cycles[from.row_cycles..].to_vec(),
    };
    renumber_with(&mut moved, &MovedDown { by: removed });
    let mut relinked = unit.linking;
    let counts = Counts::of(&relinked);
    renumber(&mut relinked, unit_files, before.add(after));
    let mut scopes = previous.scopes[..before.scopes].to_vec();
    let mut classes = previous.classes.truncated(before.classes);
    let mut tables = previous.tables.truncated(before.tables);
    let mut foreign_keys = previous.foreign_keys.truncated(before.foreign_keys);
    let mut relationships = previous.relationships.truncated(before.relationships);
    let mut table_cycles = previous.table_cycles[..before.table_cycles].to_vec();
    let mut row_cycles = previous.row_cycles[..before.row_cycles].to_vec();
    for part in [moved, relinked] {
        scopes.extend(part.scopes);
        classes.extend(part.classes);
        tables.extend(part.tables);
        foreign_keys.extend(part.foreign_keys);
        relationships.extend(part.relationships);
        table_cycles.extend(part.table_cycles);
        row_cycles.extend(part.row_cycles);
    }
    let graph = Graph {
        files,
        scopes,
        classes,
        tables,
        foreign_keys,
        relationships,
        table_cycles,
        row_cycles,
    };
    let mut layout = layout.clone();
    let mut unit_layout = layout.units.remove(edited);
    unit_layout.counts = counts;
    unit_layout.shared_scopes = unit.shared_scopes;
    layout.units.push(unit_layout);
    Some((graph, layout))
}

/// Copies of the entities from `from` on.
fn tail<T: Clone>(entities: &Entities<T>, from: usize) -> Vec<T> {
    entities.iter().skip(from).cloned().collect()
}

/// The numbering of units moved down over a unit taken out before them:
/// their ids all point into themselves, so each goes down by its kind's
/// count in the unit taken out.
struct MovedDown {
    by: Counts,
}

impl Numbering for MovedDown {
    fn file(&self, id: FileId) -> FileId {
        id
    }
    fn scope(&self, id: ScopeId) -> ScopeId {
        id - self.by.scopes
    }
    fn class(&self, id: ClassId) -> ClassId {
        id - self.by.classes
    }
    fn table(&self, id: TableId) -> TableId {
        id - self.by.tables
    }
    fn foreign_key(&self, id: ForeignKeyId) -> ForeignKeyId {
        id - self.by.foreign_keys
    }
    fn relationship(&self, id: RelationshipId) -> RelationshipId {
        id - self.by.relationships
    }
}

/// Appends a unit's entities to the workspace's, numbered after those
/// already there; returns how many of each it had.
fn append(all: &mut Linking, mut unit: Linking, files: &[FileId]) -> Counts {
    let counts = Counts::of(&unit);
    renumber(&mut unit, files, Counts::of(all));
    all.scopes.append(&mut unit.scopes);
    all.classes.append(&mut unit.classes);
    all.tables.append(&mut unit.tables);
    all.foreign_keys.append(&mut unit.foreign_keys);
    all.relationships.append(&mut unit.relationships);
    all.table_cycles.append(&mut unit.table_cycles);
    all.row_cycles.append(&mut unit.row_cycles);
    counts
}

/// A new numbering of a graph's entities.
pub(super) trait Numbering {
    fn file(&self, id: FileId) -> FileId;
    fn scope(&self, id: ScopeId) -> ScopeId;
    fn class(&self, id: ClassId) -> ClassId;
    fn table(&self, id: TableId) -> TableId;
    fn foreign_key(&self, id: ForeignKeyId) -> ForeignKeyId;
    fn relationship(&self, id: RelationshipId) -> RelationshipId;
}

/// A unit's numbering in the workspace: its files by their workspace ids,
/// each other id after those of the units before it.
struct InWorkspace<'a> {
    files: &'a [FileId],
    base: Counts,
}

impl Numbering for InWorkspace<'_> {
    fn file(&self, id: FileId) -> FileId {
        self.files[id]
    }
    fn scope(&self, id: ScopeId) -> ScopeId {
        id + self.base.scopes
    }
    fn class(&self, id: ClassId) -> ClassId {
        id + self.base.classes
    }
    fn table(&self, id: TableId) -> TableId {
        id + self.base.tables
    }
    fn foreign_key(&self, id: ForeignKeyId) -> ForeignKeyId {
        id + self.base.foreign_keys
    }
    fn relationship(&self, id: RelationshipId) -> RelationshipId {
        id + self.base.relationships
    }
}

/// Numbers a unit's entities as the workspace does (see [`InWorkspace`]).
fn renumber(linking: &mut Linking, files: &[FileId], base: Counts) {
    renumber_with(linking, &InWorkspace { files, base });
}

/// Gives every id in the entities its new number. Each entity is taken
/// apart field by field, so that a field added to one must be seen here.
pub(super) fn renumber_with(linking: &mut Linking, new: &impl Numbering) {
    let location = |l: &mut Location| l.file = new.file(l.file);
    for scope in &mut linking.scopes {
        let Scope {
            kind: _,
            key: _,
            location: scope_location,
            closed: _,
            naming_convention: _,
            metadata_call,
        } = scope;
        if let Some(l) = scope_location {
            location(l);
        }
        if let Some((f, _)) = metadata_call {
            *f = new.file(*f);
        }
    }
    for class in &mut linking.classes {
        let MappedClass {
            name: _,
            qualname: _,
            file: class_file,
            index: _,
            scope,
            table,
            tables,
            superclass,
            inheritance: _,
            relationships,
            attributes,
            incomplete: _,
            imperative: _,
            location: class_location,
        } = class;
        *class_file = new.file(*class_file);
        *scope = new.scope(*scope);
        if let Some(t) = table {
            *t = new.table(*t);
        }
        tables.iter_mut().for_each(|t| *t = new.table(*t));
        if let Some(c) = superclass {
            *c = new.class(*c);
        }
        relationships
            .iter_mut()
            .for_each(|r| *r = new.relationship(*r));
        attributes.renumber_relationships(|r| new.relationship(r));
        location(class_location);
    }
    for table in &mut linking.tables {
        let Table {
            name: _,
            schema: _,
            scope,
            class,
            columns,
            foreign_keys,
            unique_sets: _,
            binding: _,
            incomplete: _,
            location: table_location,
        } = table;
        *scope = new.scope(*scope);
        if let Some(c) = class {
            *c = new.class(*c);
        }
        for column in columns {
            let Column {
                declared_by,
                nullable: _,
                primary_key: _,
                unique: _,
                location: column_location,
                facts: _,
            } = column;
            if let Some(c) = declared_by {
                *c = new.class(*c);
            }
            location(column_location);
        }
        foreign_keys
            .iter_mut()
            .for_each(|fk| *fk = new.foreign_key(*fk));
        location(table_location);
    }
    for fk in &mut linking.foreign_keys {
        let ForeignKey {
            table,
            columns: _,
            resolution,
            effective_name: _,
            location: fk_location,
            facts: _,
        } = fk;
        *table = new.table(*table);
        match resolution {
            ForeignKeyResolution::Resolved { table, columns: _ }
            | ForeignKeyResolution::MissingColumn { table, column: _ } => {
                *table = new.table(*table)
            }
            ForeignKeyResolution::MissingTable | ForeignKeyResolution::Unknown => {}
        }
        location(fk_location);
    }
    for relationship in &mut linking.relationships {
        let Relationship {
            class,
            target,
            direction: _,
            join_problem,
            foreign_keys,
            fk_columns,
            secondary,
            pair,
            backref_of,
            cascade: _,
            location: relationship_location,
            facts: _,
        } = relationship;
        *class = new.class(*class);
        match target {
            TargetResolution::Resolved(c) => *c = new.class(*c),
            TargetResolution::Missing(_) | TargetResolution::Unknown => {}
        }
        match join_problem {
            Some(JoinProblem::Ambiguous(fks)) => {
                fks.iter_mut().for_each(|fk| *fk = new.foreign_key(*fk))
            }
            Some(JoinProblem::NoPath) | None => {}
        }
        foreign_keys
            .iter_mut()
            .for_each(|fk| *fk = new.foreign_key(*fk));
        fk_columns.iter_mut().for_each(|(t, _)| *t = new.table(*t));
        if let Some(t) = secondary {
            *t = new.table(*t);
        }
        for r in [pair, backref_of].into_iter().flatten() {
            *r = new.relationship(*r);
        }
        location(relationship_location);
    }
    for cycle in &mut linking.table_cycles {
        cycle.iter_mut().for_each(|t| *t = new.table(*t));
    }
    for cycle in &mut linking.row_cycles {
        cycle.iter_mut().for_each(|c| *c = new.class(*c));
    }
}

/// Units that share a scope no file defines, joined; `None` when none do.
fn merge_sharing_scopes<'u>(
    groups: &[Vec<FileId>],
    linked: impl Iterator<Item = &'u LinkedUnit>,
) -> Option<Vec<Vec<FileId>>> {
    let mut sets = Sets::new(groups.len());
    let mut holder: HashMap<&str, usize> = HashMap::default();
    let mut joined = false;
    for (index, unit) in linked.enumerate() {
        for key in &unit.shared_scopes {
            if let Some(&other) = holder.get(key.as_str()) {
                joined |= sets.union(index, other);
            } else {
                holder.insert(key, index);
            }
        }
    }
    if !joined {
        return None;
    }
    let mut merged: Vec<Vec<FileId>> = vec![Vec::new(); groups.len()];
    for (index, group) in groups.iter().enumerate() {
        merged[sets.find(index)].extend(group);
    }
    // In the order of their first unit, as the groups were.
    let mut merged: Vec<Vec<FileId>> = (0..groups.len())
        .filter(|&index| sets.find(index) == index)
        .map(|index| std::mem::take(&mut merged[index]))
        .collect();
    merged.iter_mut().for_each(|group| group.sort_unstable());
    Some(merged)
}

/// The workspace's files grouped into units (see the module's doc): by
/// imports, and SQLModel's files together (they share its registry). Each group ascending, the
/// groups in the order of their first file.
fn partition(files: &[Arc<FileFacts>]) -> Vec<Vec<FileId>> {
    let modules = Modules::new(files);
    let module_names = ModuleNames::new(files);
    let mut sets = Sets::new(files.len());
    let mut sqlmodel: Option<FileId> = None;
    for (file, facts) in files.iter().enumerate() {
        imported_modules(facts, &modules, &module_names, |id| {
            sets.union(file, id);
        });
        if uses_sqlmodel(facts) {
            match sqlmodel {
                Some(first) => {
                    sets.union(file, first);
                }
                None => sqlmodel = Some(file),
            }
        }
    }
    let mut groups: Vec<Vec<FileId>> = Vec::new();
    let mut group_of_root: HashMap<usize, usize> = HashMap::default();
    for file in 0..files.len() {
        let root = sets.find(file);
        let group = *group_of_root.entry(root).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[group].push(file);
    }
    groups
}

fn uses_sqlmodel(facts: &FileFacts) -> bool {
    facts
        .imports
        .iter()
        .any(|i| i.module == "sqlmodel" || i.module.starts_with("sqlmodel."))
}

/// The workspace's module names in order, to find a package's modules.
struct ModuleNames<'a> {
    sorted: Vec<(&'a str, FileId)>,
}

impl<'a> ModuleNames<'a> {
    fn new(files: &'a [Arc<FileFacts>]) -> Self {
        let mut sorted: Vec<(&str, FileId)> = (files.iter().enumerate())
            .map(|(id, f)| (f.module.as_str(), id))
            .collect();
        sorted.sort_unstable();
        ModuleNames { sorted }
    }

    /// The modules inside package `module` (`pkg.a`, `pkg.a.b` for `pkg`).
    fn inside(&self, module: &str) -> impl Iterator<Item = FileId> + '_ {
        let prefix = format!("{module}.");
        let start = self
            .sorted
            .partition_point(|(name, _)| *name < prefix.as_str());
        self.sorted[start..]
            .iter()
            .take_while(move |(name, _)| name.starts_with(&prefix))
            .map(|&(_, id)| id)
    }
}

/// Every workspace module a file's imports may lead the resolver to: the
/// module imported, the submodule a `from` import may name, and, where a
/// module itself is imported, the modules inside it (`pkg.sub.Thing` after
/// `import pkg`). What those modules import is theirs to report.
fn imported_modules(
    facts: &FileFacts,
    modules: &Modules,
    names: &ModuleNames,
    mut reached: impl FnMut(FileId),
) {
    let module_reached = |id: FileId, reached: &mut dyn FnMut(FileId)| {
        reached(id);
        for inside in names.inside(modules.name(id)) {
            reached(inside);
        }
    };
    for import in &facts.imports {
        if let Some(member) = &import.member {
            if let Some(id) = modules.module(&format!("{}.{member}", import.module)) {
                module_reached(id, &mut reached);
            }
        }
        match modules.module(&import.module) {
            Some(id) if import.member.is_none() && !import.star => module_reached(id, &mut reached),
            Some(id) => reached(id),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests;
