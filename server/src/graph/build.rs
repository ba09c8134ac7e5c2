//! Linking every file's facts into the workspace [`Graph`].

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::rc::Rc;
use std::sync::Arc;

use super::cycles::strongly_connected;
use super::resolve::{Modules, Resolver, Symbol};
use super::sets::Sets;
use super::*;
use crate::facts::{
    self, BackrefFacts, ClassTable, ColumnKind, Construct, ForeignKeyTarget, NamingScheme,
    RelationshipStyle, TableFacts, TableName, TargetRef,
};
use crate::syntax::expr::{Expr, ExprKind};

/// Settings that change how the workspace links.
#[derive(Debug, Clone, Default)]
pub struct LinkOptions {
    /// The table-naming convention a project hides in code we cannot read.
    pub table_naming: Option<NamingScheme>,
}

type ClassRef = (FileId, usize);

#[derive(Debug, Clone, Default)]
struct Lineage {
    /// The seed of the class's scope.
    scope: Option<usize>,
    is_root: bool,
    sqlmodel: bool,
    /// Workspace classes in method resolution order, without the class itself.
    ancestors: Vec<ClassRef>,
    unresolved_base: bool,
}

/// A scope under construction, before union of scopes sharing a MetaData.
#[derive(Debug, Clone)]
struct ScopeSeed {
    kind: ScopeKind,
    key: String,
    location: Option<Location>,
    closed: bool,
    /// MetaData calls whose `naming_convention` applies.
    metadata_calls: Vec<(FileId, Expr)>,
}

/// A map keyed by names, looked up with borrowed names (see [`TableKeyRef`]).
type NameMap<K, V> = hashbrown::HashMap<K, V, rustc_hash::FxBuildHasher>;

/// A table's name in a scope's MetaData.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TableKey {
    scope: ScopeId,
    schema: Option<String>,
    name: String,
}

/// A [`TableKey`] made of borrowed names, to look one up without copying
/// them: the fields hash as the owned ones do.
#[derive(Hash)]
struct TableKeyRef<'k> {
    scope: ScopeId,
    schema: Option<&'k str>,
    name: &'k str,
}

impl hashbrown::Equivalent<TableKey> for TableKeyRef<'_> {
    fn equivalent(&self, key: &TableKey) -> bool {
        self.scope == key.scope && self.schema == key.schema.as_deref() && self.name == key.name
    }
}

/// A mapped class's name in its scope, for string targets.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ClassKey {
    scope: ScopeId,
    name: String,
}

/// A [`ClassKey`] made of a borrowed name.
#[derive(Hash)]
struct ClassKeyRef<'k> {
    scope: ScopeId,
    name: &'k str,
}

impl hashbrown::Equivalent<ClassKey> for ClassKeyRef<'_> {
    fn equivalent(&self, key: &ClassKey) -> bool {
        self.scope == key.scope && self.name == key.name
    }
}

struct Linker<'a> {
    files: &'a [Arc<FileFacts>],
    resolver: Resolver<'a>,
    /// Each file's module-level names and imports, for `construct`.
    scopes: Vec<facts::Scope<'a>>,
    options: &'a LinkOptions,
    seeds: Vec<ScopeSeed>,
    seed_by_key: HashMap<String, usize>,
    /// Seeds united into one scope.
    seed_sets: Sets,
    /// Shared: every later phase reads a class's lineage while changing the linker.
    lineages: HashMap<ClassRef, Rc<Lineage>>,
    /// Module-level bindings already decided by `scope_of_symbol`.
    binding_scopes: HashMap<(FileId, usize), Option<usize>>,
    graph: Linking,
    class_by_ref: HashMap<ClassRef, ClassId>,
    /// Core tables bound to a variable: (file, binding name) -> table.
    table_by_binding: HashMap<(FileId, String), TableId>,
    /// Seed id -> final scope id, once scopes are united.
    seed_scope: Vec<ScopeId>,
    /// (scope, schema, name) -> table.
    table_by_name: NameMap<TableKey, TableId>,
    /// Scopes with a table whose name is not knowable.
    scopes_with_unknown_tables: HashSet<ScopeId>,
    /// Classes mapped imperatively: the file and index of their mapping.
    imperative: HashMap<ClassId, (FileId, usize)>,
    /// Table names defined more than once in one scope.
    duplicate_tables: NameMap<TableKey, ()>,
    /// Mapped classes by (scope, class name), for string targets.
    classes_by_name: NameMap<ClassKey, Vec<ClassId>>,
    /// Scopes a class may be missing from (a base that did not resolve, a
    /// class whose table is unknown): "not found" is not "missing" there.
    scopes_with_unknown_classes: HashSet<ScopeId>,
    /// Some class of the files linked has an unresolved base and looks like
    /// a model: it may belong to any scope (as may one of `outside`'s).
    own_unplaced_models: bool,
    /// What the rest of the workspace holds (see [`Outside`]).
    outside: Outside,
    /// Each file's unit, when the files are several (see `link_unit`).
    groups: Option<&'a [usize]>,
    /// Some file linked has syntax errors that hide a class or a table
    /// that may belong to any scope (see `LinkedUnit::wide_hidden`).
    own_wide_hidden: bool,
    /// Scopes a class or a table that some file's syntax errors hide may
    /// belong to: those of its unit.
    scopes_with_hidden_definitions: HashSet<ScopeId>,
}

/// What a unit's link needs to know of the rest of the workspace: the
/// facts that make every scope's class list uncertain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Outside {
    /// Some file of another unit hides a class or a table that may belong
    /// to any scope (see [`LinkedUnit::wide_hidden`]).
    pub wide_hidden: bool,
    /// Some class of another unit looks like a model but its base did not
    /// resolve: it may belong to any scope.
    pub unplaced_models: bool,
    /// Another unit has a scope from outside the workspace.
    pub external_scopes: bool,
}

/// A unit's entities and what its link found that concerns other units.
pub(super) struct LinkedUnit {
    /// Numbered within the unit: files by their place in the unit.
    pub linking: Linking,
    /// One of the unit's own classes looks like a model with an unresolved base.
    pub unplaced_models: bool,
    /// One of the unit's files hides a class or a table (a syntax error)
    /// that may belong to a scope of another unit: its error hides an
    /// import too, or it imports from outside the workspace where some
    /// scope comes from outside it. Other hidden definitions can only name
    /// what their file reaches: their group's scopes.
    pub wide_hidden: bool,
    /// Scopes named outside any one file (SQLModel's registry, a base from
    /// outside the workspace): files that never import each other share
    /// them, so units holding the same one must be linked together.
    pub shared_scopes: Vec<String>,
}

/// Links the facts of files that make up one or more whole units (see
/// `units`), the rest of the workspace being as `outside` says. With
/// `workspace`, the files are those files of the workspace, whose
/// modules are given: names of modules mean what they mean there.
/// `groups` gives each file's unit when the files are several units
/// (hidden definitions reach their unit's scopes); `None`: one unit.
pub(super) fn link_unit(
    files: &[Arc<FileFacts>],
    workspace: Option<(&Modules, &[FileId])>,
    groups: Option<&[usize]>,
    options: &LinkOptions,
    outside: Outside,
) -> LinkedUnit {
    let files_ref: &[Arc<FileFacts>] = files;
    let locals: Vec<HashSet<String>> = files_ref.iter().map(|f| f.local_names()).collect();
    // The linker borrows the files; the graph owns them at the end.
    let (graph, unplaced_models, wide_hidden, shared_scopes) = {
        let mut linker = Linker {
            files: files_ref,
            resolver: match workspace {
                Some((modules, part)) => Resolver::in_workspace(files_ref, modules, part),
                None => Resolver::new(files_ref),
            },
            scopes: files_ref
                .iter()
                .zip(&locals)
                .map(|(file, locals)| facts::Scope::new(&file.imports, locals))
                .collect(),
            options,
            seeds: Vec::new(),
            seed_by_key: HashMap::default(),
            seed_sets: Sets::default(),
            lineages: HashMap::default(),
            binding_scopes: HashMap::default(),
            graph: Linking::default(),
            class_by_ref: HashMap::default(),
            table_by_binding: HashMap::default(),
            seed_scope: Vec::new(),
            table_by_name: NameMap::default(),
            scopes_with_unknown_tables: HashSet::default(),
            classes_by_name: NameMap::default(),
            duplicate_tables: NameMap::default(),
            imperative: HashMap::default(),
            scopes_with_unknown_classes: HashSet::default(),
            own_unplaced_models: false,
            outside,
            groups,
            own_wide_hidden: false,
            scopes_with_hidden_definitions: HashSet::default(),
        };
        linker.run();
        let shared_scopes = (linker.seeds.iter())
            .map(|seed| &seed.key)
            .filter(|key| is_shared_scope_key(key))
            .cloned()
            .collect();
        (
            linker.graph,
            linker.own_unplaced_models,
            linker.own_wide_hidden,
            shared_scopes,
        )
    };
    LinkedUnit {
        linking: graph,
        unplaced_models,
        wide_hidden,
        shared_scopes,
    }
}

/// Keys of scopes that no file of the workspace defines.
fn is_shared_scope_key(key: &str) -> bool {
    key == SQLMODEL_SCOPE || key.starts_with(EXTERNAL_SCOPE)
}

const SQLMODEL_SCOPE: &str = "sqlmodel";
pub(super) const EXTERNAL_SCOPE: &str = "external:";

/// The graph while it is linked: the linker alone owns each entity, which
/// the graph then shares (see `Graph`).
#[derive(Default)]
pub(super) struct Linking {
    pub scopes: Vec<Scope>,
    pub classes: Vec<MappedClass>,
    pub tables: Vec<Table>,
    pub foreign_keys: Vec<ForeignKey>,
    pub relationships: Vec<Relationship>,
    pub table_cycles: Vec<Vec<TableId>>,
    pub row_cycles: Vec<Vec<ClassId>>,
}

impl Linking {
    pub fn into_graph(self, files: Vec<Arc<FileFacts>>) -> Graph {
        Graph {
            files,
            scopes: self.scopes,
            classes: self.classes.into(),
            tables: self.tables.into(),
            foreign_keys: self.foreign_keys.into(),
            relationships: self.relationships.into(),
            table_cycles: self.table_cycles,
            row_cycles: self.row_cycles,
        }
    }
}

impl<'a> Linker<'a> {
    fn run(&mut self) {
        self.collect_classes();
        self.finish_scopes();
        self.collect_core_tables();
        self.collect_class_tables();
        self.collect_imperative_mappings();
        self.mark_hidden_definitions();
        self.resolve_foreign_keys();
        self.index_classes();
        self.collect_relationships();
        self.pair_relationships();
        self.collect_attributes();
        self.find_cycles();
    }

    fn construct(&self, file: FileId, callee: &Expr) -> Option<Construct> {
        self.scopes[file].construct(callee)
    }

    // ----- scopes -------------------------------------------------------

    fn seed(
        &mut self,
        key: String,
        kind: ScopeKind,
        location: Option<Location>,
        closed: bool,
    ) -> usize {
        if let Some(&id) = self.seed_by_key.get(&key) {
            return id;
        }
        let id = self.seeds.len();
        self.seeds.push(ScopeSeed {
            kind,
            key: key.clone(),
            location,
            closed,
            metadata_calls: Vec::new(),
        });
        self.seed_sets.push();
        self.seed_by_key.insert(key, id);
        id
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.seed_sets.find(a), self.seed_sets.find(b));
        // Keep the ORM scope as the representative over a bare MetaData.
        if self.seeds[a].kind == ScopeKind::MetaData {
            self.seed_sets.join_under(a, b);
        } else {
            self.seed_sets.join_under(b, a);
        }
    }

    /// The scope a symbol stands for: a declarative base, a registry, a
    /// Flask `db`, SQLModel, or a MetaData; `None` when it is none of those.
    fn scope_of_symbol(&mut self, symbol: &Symbol, depth: usize) -> Option<usize> {
        // Every class of a module names the same base: its scope is decided
        // once. Only from the top, where no depth limit has cut the answer.
        if let (Symbol::Binding(file, index), 0) = (symbol, depth) {
            if let Some(&known) = self.binding_scopes.get(&(*file, *index)) {
                return known;
            }
            let scope = self.scope_of_symbol_uncached(symbol, depth);
            self.binding_scopes.insert((*file, *index), scope);
            return scope;
        }
        self.scope_of_symbol_uncached(symbol, depth)
    }

    fn scope_of_symbol_uncached(&mut self, symbol: &Symbol, depth: usize) -> Option<usize> {
        if depth > 8 {
            return None;
        }
        let files = self.files;
        match symbol {
            Symbol::Binding(file, index) => {
                let (file, index) = (*file, *index);
                let binding = &files[file].bindings[index];
                let call = binding.value.as_call()?;
                let location = Some(Location {
                    file,
                    range: binding.name_range,
                });
                // Formatted only for a binding that makes a scope.
                let key = || format!("{}:{}", files[file].path, binding.name);
                match self.construct(file, &call.callee) {
                    Some(Construct::DeclarativeBaseFn) => {
                        let id = self.seed(key(), ScopeKind::Declarative, location, true);
                        self.link_metadata_argument(
                            id,
                            file,
                            call.keyword_value("metadata"),
                            depth,
                        );
                        Some(id)
                    }
                    Some(Construct::Registry) => {
                        let id = self.seed(key(), ScopeKind::Declarative, location, true);
                        self.link_metadata_argument(
                            id,
                            file,
                            call.keyword_value("metadata"),
                            depth,
                        );
                        Some(id)
                    }
                    Some(Construct::FlaskSqlAlchemy) => {
                        let id = self.seed(key(), ScopeKind::Flask, location, true);
                        self.link_metadata_argument(
                            id,
                            file,
                            call.keyword_value("metadata"),
                            depth,
                        );
                        Some(id)
                    }
                    Some(Construct::MetaData) => {
                        let id = self.seed(key(), ScopeKind::MetaData, location, true);
                        self.seeds[id]
                            .metadata_calls
                            .push((file, binding.value.clone()));
                        Some(id)
                    }
                    _ if matches!(
                        self.resolver.resolve_expr(file, &call.callee),
                        Symbol::Class(f, i) if self.is_flask_sqlalchemy_class(f, i, 0)
                    ) =>
                    {
                        // `db = MySQLAlchemy()` with `class MySQLAlchemy(SQLAlchemy)`.
                        let id = self.seed(key(), ScopeKind::Flask, location, true);
                        self.link_metadata_argument(
                            id,
                            file,
                            call.keyword_value("metadata"),
                            depth,
                        );
                        Some(id)
                    }
                    _ => {
                        // `Base = reg.generate_base()`, `Base = as_declarative()(...)`.
                        if let ExprKind::Attribute(object, method) = &call.callee.kind {
                            if method == "generate_base" {
                                let owner = self.resolver.resolve_expr(file, object);
                                return self.scope_of_symbol(&owner, depth + 1);
                            }
                        }
                        None
                    }
                }
            }
            Symbol::Class(file, index) => {
                let lineage = self.lineage((*file, *index));
                lineage.scope
            }
            Symbol::Attribute(owner, name)
                if name == "metadata" || name == "Model" || name == "registry" =>
            {
                self.scope_of_symbol(owner, depth + 1)
            }
            Symbol::External(path) => {
                if is_sqlmodel(path) || is_sqlmodel(path.trim_end_matches(".metadata")) {
                    return Some(self.seed(SQLMODEL_SCOPE.into(), ScopeKind::SqlModel, None, true));
                }
                if facts::imports::is_sqlalchemy_module(path) {
                    return None;
                }
                let owner = path
                    .strip_suffix(".metadata")
                    .or_else(|| path.strip_suffix(".Model"))
                    .unwrap_or(path);
                let kind = if path.ends_with(".Model") {
                    ScopeKind::Flask
                } else {
                    ScopeKind::Declarative
                };
                Some(self.seed(format!("{EXTERNAL_SCOPE}{owner}"), kind, None, false))
            }
            _ => None,
        }
    }

    fn link_metadata_argument(
        &mut self,
        scope: usize,
        file: FileId,
        metadata: Option<&Expr>,
        depth: usize,
    ) {
        let Some(metadata) = metadata else { return };
        if let Some(call) = metadata.as_call() {
            if self.construct(file, &call.callee) == Some(Construct::MetaData) {
                self.seeds[scope]
                    .metadata_calls
                    .push((file, metadata.clone()));
                return;
            }
        }
        let symbol = self.resolver.resolve_expr(file, metadata);
        if let Some(other) = self.scope_of_symbol(&symbol, depth + 1) {
            self.union(scope, other);
        }
    }

    fn lineage(&mut self, class_ref: ClassRef) -> Rc<Lineage> {
        if let Some(lineage) = self.lineages.get(&class_ref) {
            return lineage.clone();
        }
        // A placeholder breaks inheritance cycles (`class A(B)`, `class B(A)`).
        self.lineages.insert(
            class_ref,
            Rc::new(Lineage {
                unresolved_base: true,
                ..Lineage::default()
            }),
        );
        let (file, index) = class_ref;
        let files = self.files;
        let class = &files[file].classes[index];
        let mut lineage = Lineage::default();
        let mut candidates: Vec<usize> = Vec::new();
        // The scope key of a class that is a declarative root itself.
        let own_key = || format!("{}:{}", files[file].path, class.name);
        let location = Some(Location {
            file,
            range: class.name_range,
        });

        for decorator in &class.decorators {
            let target = decorator.as_call().map(|c| &c.callee).unwrap_or(decorator);
            let Some(dotted) = target.dotted() else {
                continue;
            };
            let last = dotted.rsplit('.').next().unwrap_or("");
            if last == "as_declarative" {
                lineage.is_root = true;
                lineage.scope = Some(self.seed(own_key(), ScopeKind::Declarative, location, true));
            } else if matches!(last, "mapped" | "mapped_as_dataclass") {
                if let ExprKind::Attribute(owner, _) = &target.kind {
                    let symbol = self.resolver.resolve_expr(file, owner);
                    lineage.scope = self.scope_of_symbol(&symbol, 0);
                }
            }
        }

        for base in &class.bases {
            let base_expr = match &base.kind {
                ExprKind::Subscript(value, _) => value,
                _ => base,
            };
            let Some(dotted) = base_expr.dotted() else {
                lineage.unresolved_base = true;
                continue;
            };
            let symbol = self.resolver.resolve(file, &dotted);
            match &symbol {
                Symbol::Class(base_file, base_index) => {
                    let parent = self.lineage((*base_file, *base_index));
                    lineage.ancestors.push((*base_file, *base_index));
                    for &ancestor in &parent.ancestors {
                        if !lineage.ancestors.contains(&ancestor) {
                            lineage.ancestors.push(ancestor);
                        }
                    }
                    if let Some(scope) = parent.scope {
                        candidates.push(scope);
                    }
                    lineage.sqlmodel |= parent.sqlmodel;
                    lineage.unresolved_base |= parent.unresolved_base;
                }
                Symbol::External(path) if is_declarative_root(path) => {
                    lineage.is_root = true;
                    let id = self.seed(own_key(), ScopeKind::Declarative, location, true);
                    lineage.scope = Some(id);
                    let metadata = class.metadata.clone();
                    self.link_metadata_argument(id, file, metadata.as_ref(), 0);
                    // `registry = registry(metadata=MetaData(naming_convention=...))`.
                    if let Some(registry) = class.registry.clone() {
                        match registry.as_call() {
                            Some(call) => self.link_metadata_argument(
                                id,
                                file,
                                call.keyword_value("metadata"),
                                0,
                            ),
                            None => {
                                let symbol = self.resolver.resolve_expr(file, &registry);
                                if let Some(other) = self.scope_of_symbol(&symbol, 0) {
                                    self.union(id, other);
                                }
                            }
                        }
                    }
                }
                Symbol::External(path) if is_sqlmodel(path) => {
                    lineage.sqlmodel = true;
                    lineage.scope =
                        Some(self.seed(SQLMODEL_SCOPE.into(), ScopeKind::SqlModel, None, true));
                }
                Symbol::External(path) if is_ignorable_base(path) => {}
                Symbol::Unknown if is_builtin_base(&dotted) => {}
                _ => match self.scope_of_symbol(&symbol, 0) {
                    Some(scope) => {
                        candidates.push(scope);
                        // `declarative_base(cls=Mixin)`: the mixin's members apply.
                        if let Symbol::Binding(bfile, bindex) = &symbol {
                            if let Some(cls) = self.files[*bfile].bindings[*bindex]
                                .value
                                .as_call()
                                .and_then(|c| c.keyword_value("cls"))
                                .cloned()
                            {
                                if let Symbol::Class(cf, ci) =
                                    self.resolver.resolve_expr(*bfile, &cls)
                                {
                                    lineage.ancestors.push((cf, ci));
                                }
                            }
                        }
                    }
                    None => lineage.unresolved_base = true,
                },
            }
        }
        // A base defined in the workspace wins over one from outside it
        // (`class User(UserMixin, db.Model)`): an unknown library class is a
        // mixin there, which may add members.
        if lineage.scope.is_none() {
            let closed = candidates.iter().copied().find(|&c| self.seeds[c].closed);
            lineage.scope = closed.or(candidates.first().copied());
            if closed.is_some() && candidates.iter().any(|&c| !self.seeds[c].closed) {
                lineage.unresolved_base = true;
            }
        }
        let lineage = Rc::new(lineage);
        self.lineages.insert(class_ref, lineage.clone());
        lineage
    }

    /// A workspace class deriving from Flask-SQLAlchemy's `SQLAlchemy`.
    fn is_flask_sqlalchemy_class(&self, file: FileId, index: usize, depth: usize) -> bool {
        if depth > 8 {
            return false;
        }
        self.files[file].classes[index].bases.iter().any(|base| {
            match self.resolver.resolve_expr(file, base) {
                Symbol::External(path) => {
                    path.starts_with("flask_sqlalchemy") && path.ends_with("SQLAlchemy")
                }
                Symbol::Class(f, i) => self.is_flask_sqlalchemy_class(f, i, depth + 1),
                _ => false,
            }
        })
    }

    fn is_mapped(&self, class_ref: ClassRef, lineage: &Lineage) -> bool {
        let Some(scope) = self.lineage_scope(lineage) else {
            return false;
        };
        let class = &self.files[class_ref.0].classes[class_ref.1];
        if lineage.is_root || class.is_abstract == Some(true) {
            return false;
        }
        if lineage.sqlmodel {
            return class.keyword("table").and_then(|v| v.as_bool()) == Some(true);
        }
        if self.graph.scopes[scope].closed {
            return true;
        }
        // A base from outside the workspace: only classes that look like models.
        class.tablename.is_some()
            || class.table.is_some()
            || class
                .columns
                .iter()
                .any(|c| matches!(c.kind, ColumnKind::Column | ColumnKind::MappedColumn))
    }

    fn collect_classes(&mut self) {
        for file in 0..self.files.len() {
            for index in 0..self.files[file].classes.len() {
                self.lineage((file, index));
            }
        }
        // Scopes referenced only by Core tables or attribute assignments.
        for file in 0..self.files.len() {
            for index in 0..self.files[file].bindings.len() {
                let symbol = Symbol::Binding(file, index);
                self.scope_of_symbol(&symbol, 0);
            }
        }
    }

    fn finish_scopes(&mut self) {
        // Naming conventions assigned after the fact:
        // `SQLModel.metadata.naming_convention = {...}`, `metadata.naming_convention = ...`.
        for file in 0..self.files.len() {
            for assignment in self.files[file].attribute_assignments.clone() {
                let Some(owner) = assignment.name.strip_suffix(".naming_convention") else {
                    continue;
                };
                let symbol = self.resolver.resolve(file, owner);
                if let Some(scope) = self.scope_of_symbol(&symbol, 0) {
                    let call = Expr {
                        kind: ExprKind::Call(Arc::new(crate::syntax::expr::Call {
                            callee: Expr::unknown(assignment.name_range),
                            args: Vec::new(),
                            keywords: vec![crate::syntax::expr::Keyword {
                                name: "naming_convention".into(),
                                name_range: assignment.name_range,
                                value: assignment.value.clone(),
                                range: assignment.value.range,
                            }],
                            has_splat: false,
                            arguments_range: assignment.value.range,
                        })),
                        range: assignment.value.range,
                    };
                    self.seeds[scope].metadata_calls.push((file, call));
                }
            }
        }
        let mut representative_to_scope: HashMap<usize, ScopeId> = HashMap::default();
        let mut seed_scope = vec![0; self.seeds.len()];
        for (seed, slot) in seed_scope.iter_mut().enumerate() {
            let root = self.seed_sets.find(seed);
            let next = self.graph.scopes.len();
            let scope = *representative_to_scope.entry(root).or_insert_with(|| {
                let s = &self.seeds[root];
                self.graph.scopes.push(Scope {
                    kind: s.kind,
                    key: s.key.clone(),
                    location: s.location,
                    closed: true,
                    naming_convention: NamingConvention::None,
                    metadata_call: None,
                });
                next
            });
            *slot = scope;
        }
        for (seed, &scope) in seed_scope.iter().enumerate() {
            let closed = self.seeds[seed].closed;
            self.graph.scopes[scope].closed &= closed;
            for (file, call) in self.seeds[seed].metadata_calls.clone() {
                // Only a call the user wrote (not an attribute assignment).
                if let Some(written) = call.as_call().filter(|c| !c.callee.is_unknown()) {
                    if self.graph.scopes[scope].metadata_call.is_none() {
                        self.graph.scopes[scope].metadata_call = Some((file, written.clone()));
                    }
                }
                let convention = self.naming_convention(file, &call);
                let current = &mut self.graph.scopes[scope].naming_convention;
                if convention != NamingConvention::None {
                    *current = convention;
                }
            }
        }
        self.seed_scope = seed_scope;
    }

    /// The scope of a class's lineage, once scopes are finished. (A
    /// lineage keeps its seed: `scope_of_symbol` answers seeds for classes
    /// as for anything else.)
    fn lineage_scope(&self, lineage: &Lineage) -> Option<ScopeId> {
        lineage.scope.map(|seed| self.seed_scope[seed])
    }

    fn naming_convention(&self, file: FileId, metadata_call: &Expr) -> NamingConvention {
        let Some(call) = metadata_call.as_call() else {
            return NamingConvention::None;
        };
        let Some(convention) = call.keyword_value("naming_convention") else {
            return NamingConvention::None;
        };
        let dict = match &convention.kind {
            ExprKind::Dict { .. } => Some((file, convention.clone())),
            ExprKind::Name(name) => self.files[file]
                .binding(name)
                .map(|b| (file, b.value.clone()))
                .or_else(|| match self.resolver.resolve(file, name) {
                    Symbol::Binding(f, i) => Some((f, self.files[f].bindings[i].value.clone())),
                    _ => None,
                }),
            _ => None,
        };
        match dict.map(|(_, d)| d.kind) {
            Some(ExprKind::Dict { entries, complete }) => {
                let fk = entries.iter().find(|(k, _)| {
                    k.as_str() == Some("fk") || k.last_name() == Some("ForeignKeyConstraint")
                });
                match fk {
                    Some((_, value)) => match value.as_str() {
                        Some(template) => NamingConvention::ForeignKey(template.to_string()),
                        None => NamingConvention::Unknown,
                    },
                    None if complete => NamingConvention::None,
                    None => NamingConvention::Unknown,
                }
            }
            _ => NamingConvention::Unknown,
        }
    }

    fn scope_of_table_metadata(
        &mut self,
        file: FileId,
        metadata: Option<&Expr>,
    ) -> Option<ScopeId> {
        let metadata = metadata?;
        let symbol = self.resolver.resolve_expr(file, metadata);
        let seed = self.scope_of_symbol(&symbol, 0)?;
        self.seed_scope.get(seed).copied().or_else(|| {
            // A scope first seen here (an external MetaData): give it a scope.
            let s = self.seeds[seed].clone();
            let id = self.graph.scopes.len();
            self.graph.scopes.push(Scope {
                kind: s.kind,
                key: s.key,
                location: s.location,
                closed: s.closed,
                naming_convention: NamingConvention::None,
                metadata_call: None,
            });
            self.seed_scope.push(id);
            Some(id)
        })
    }
}

fn is_declarative_root(path: &str) -> bool {
    facts::imports::is_sqlalchemy_module(path)
        && matches!(
            path.rsplit('.').next(),
            Some("DeclarativeBase" | "DeclarativeBaseNoMeta")
        )
}

fn is_sqlmodel(path: &str) -> bool {
    path == "sqlmodel.SQLModel" || path == "sqlmodel.main.SQLModel"
}

/// Bases that say nothing about mapping: `typing.Generic`, SQLAlchemy's own
/// mixins (`MappedAsDataclass`, `AsyncAttrs`), `abc.ABC`, pydantic.
fn is_ignorable_base(path: &str) -> bool {
    let root = path.split('.').next().unwrap_or("");
    facts::imports::is_sqlalchemy_module(path)
        || matches!(
            root,
            "typing"
                | "typing_extensions"
                | "abc"
                | "enum"
                | "dataclasses"
                | "collections"
                | "pydantic"
                // Flask-Login's UserMixin adds only authentication methods.
                | "flask_login"
        )
}

fn is_builtin_base(name: &str) -> bool {
    matches!(
        name,
        "object" | "Exception" | "dict" | "list" | "str" | "int" | "tuple" | "type"
    )
}

// ----- tables, columns and foreign keys ---------------------------------

impl<'a> Linker<'a> {
    fn add_table(
        &mut self,
        scope: ScopeId,
        facts: &TableFacts,
        file: FileId,
        class: Option<ClassId>,
    ) -> Option<TableId> {
        self.add_table_with(scope, facts, file, class, true)
    }

    /// Adds a table, with its `ForeignKeyConstraint`s unless `constraints`
    /// is false (a class's table gets them from its `__table_args__`).
    fn add_table_with(
        &mut self,
        scope: ScopeId,
        facts: &TableFacts,
        file: FileId,
        class: Option<ClassId>,
        constraints: bool,
    ) -> Option<TableId> {
        let Some(name) = facts.name.clone() else {
            self.scopes_with_unknown_tables.insert(scope);
            return None;
        };
        let schema = match &facts.schema {
            Some(Setting::Known(schema, _)) => Some(schema.clone()),
            Some(Setting::Unknown(_)) => {
                self.scopes_with_unknown_tables.insert(scope);
                None
            }
            None => None,
        };
        let id = self.graph.tables.len();
        let mut table = Table {
            name: name.clone(),
            schema: schema.clone(),
            scope,
            class,
            columns: Vec::with_capacity(facts.columns.len()),
            foreign_keys: Vec::new(),
            unique_sets: facts.unique_constraints.clone(),
            binding: facts.binding.clone(),
            incomplete: facts.incomplete,
            location: Location {
                file,
                range: facts.range,
            },
        };
        for column in &facts.columns {
            table.columns.push(make_column(column, file, false));
        }
        if let Some(pk) = &facts.primary_key_constraint {
            mark_primary_key(&mut table.columns, pk);
        }
        self.graph.tables.push(table);
        let key = TableKey {
            scope,
            schema,
            name,
        };
        match self.table_by_name.entry(key) {
            // Two tables of one name in one MetaData (separate scripts
            // sharing SQLModel's registry): which one a string means is unknown.
            hashbrown::hash_map::Entry::Occupied(entry) => {
                self.duplicate_tables.insert(entry.key().clone(), ());
            }
            hashbrown::hash_map::Entry::Vacant(entry) => {
                entry.insert(id);
            }
        }
        for column in &facts.columns {
            for fk in &column.foreign_keys {
                let columns = column
                    .column_name()
                    .map(|c| vec![c.to_string()])
                    .unwrap_or_default();
                self.add_foreign_key(id, fk.clone(), columns, file);
            }
        }
        if constraints {
            for fk in &facts.foreign_key_constraints {
                self.add_foreign_key(id, fk.clone(), fk.columns.clone(), file);
            }
        }
        Some(id)
    }

    /// Adds a foreign key on `columns`: a constraint's own, or the column a
    /// `ForeignKey(...)` is written in.
    fn add_foreign_key(
        &mut self,
        table: TableId,
        facts: Arc<crate::facts::ForeignKeyFacts>,
        columns: Vec<String>,
        file: FileId,
    ) {
        let id = self.graph.foreign_keys.len();
        self.graph.foreign_keys.push(ForeignKey {
            table,
            columns,
            resolution: ForeignKeyResolution::Unknown,
            effective_name: EffectiveName::Unnamed,
            location: Location {
                file,
                range: facts.range,
            },
            facts,
        });
        self.graph.tables[table].foreign_keys.push(id);
    }

    fn collect_core_tables(&mut self) {
        let files = self.files;
        // At most a table per Core table and per class, and a key per
        // column or table key written: sized once, not grown by copying.
        let (mut tables, mut keys) = (self.lineages.len(), 0);
        for facts in files.iter() {
            tables += facts.tables.len();
            for table in &facts.tables {
                keys += table.foreign_key_constraints.len()
                    + table
                        .columns
                        .iter()
                        .map(|c| c.foreign_keys.len())
                        .sum::<usize>();
            }
            for class in &facts.classes {
                keys += class
                    .columns
                    .iter()
                    .map(|c| c.foreign_keys.len())
                    .sum::<usize>()
                    + class
                        .table_args
                        .as_ref()
                        .map_or(0, |a| a.foreign_key_constraints.len());
            }
        }
        self.graph.tables.reserve(tables);
        self.graph.foreign_keys.reserve(keys);
        for (file, facts) in files.iter().enumerate() {
            for table in &facts.tables {
                let Some(scope) = self.scope_of_table_metadata(file, table.metadata.as_ref())
                else {
                    continue;
                };
                if let Some(id) = self.add_table(scope, table, file, None) {
                    if let Some(binding) = &table.binding {
                        self.table_by_binding.insert((file, binding.clone()), id);
                    }
                }
            }
        }
    }

    fn collect_class_tables(&mut self) {
        let mut refs: Vec<ClassRef> = self.lineages.keys().copied().collect();
        refs.sort();
        // Mapped classes first, parents before children (ancestor count order).
        let mut mapped: Vec<(ClassRef, Rc<Lineage>)> = refs
            .into_iter()
            .filter_map(|r| {
                let lineage = self.lineages[&r].clone();
                self.is_mapped(r, &lineage).then_some((r, lineage))
            })
            .collect();
        mapped.sort_by_key(|(r, l)| (l.ancestors.len(), *r));
        self.graph.classes.reserve(mapped.len());
        for (class_ref, lineage) in &mapped {
            let (file, index) = *class_ref;
            let class = &self.files[file].classes[index];
            let id = self.graph.classes.len();
            let module = &self.files[file].module;
            self.graph.classes.push(MappedClass {
                name: class.name.clone(),
                qualname: if module.is_empty() {
                    class.name.clone()
                } else {
                    [module.as_str(), ".", class.name.as_str()].concat()
                },
                file,
                index,
                scope: self.lineage_scope(lineage).unwrap_or(0),
                table: None,
                tables: Vec::new(),
                superclass: None,
                inheritance: None,
                relationships: Vec::with_capacity(class.relationships.len()),
                attributes: Attributes::default(),
                // A base from outside the workspace may bring columns and
                // relationships of its own.
                incomplete: lineage.unresolved_base
                    || class.dynamic
                    || self
                        .lineage_scope(lineage)
                        .is_some_and(|s| !self.graph.scopes[s].closed),
                imperative: false,
                location: Location {
                    file,
                    range: class.name_range,
                },
            });
            self.class_by_ref.insert(*class_ref, id);
        }
        for (class_ref, lineage) in &mapped {
            let id = self.class_by_ref[class_ref];
            // Inheritance cycles (`class A(B)`, `class B(A)`, possibly
            // across files) are broken here: every walk up the superclasses
            // relies on reaching a root.
            let superclass = lineage
                .ancestors
                .iter()
                .find_map(|a| self.class_by_ref.get(a).copied())
                .filter(|&parent| !self.is_same_or_below(parent, id));
            self.graph.classes[id].superclass = superclass;
            self.build_class_table(id, *class_ref, lineage, superclass);
        }
    }

    /// Whether `class` is `ancestor` or one of its subclasses, by the
    /// superclasses set so far (which never form a cycle).
    fn is_same_or_below(&self, class: ClassId, ancestor: ClassId) -> bool {
        let mut current = Some(class);
        while let Some(c) = current {
            if c == ancestor {
                return true;
            }
            current = self.graph.classes[c].superclass;
        }
        false
    }

    /// Members of the class and of its unmapped ancestors (mixins, abstract
    /// bases), own first: the order in which declarative finds them.
    fn member_sources(&self, class_ref: ClassRef, lineage: &Lineage) -> Vec<ClassRef> {
        let mut sources = vec![class_ref];
        for ancestor in &lineage.ancestors {
            if self.class_by_ref.contains_key(ancestor) {
                // Members of mapped parents live on the parent's mapper.
                continue;
            }
            sources.push(*ancestor);
        }
        sources
    }

    fn build_class_table(
        &mut self,
        id: ClassId,
        class_ref: ClassRef,
        lineage: &Lineage,
        superclass: Option<ClassId>,
    ) {
        let (file, index) = class_ref;
        let scope = self.graph.classes[id].scope;
        // The facts outlive the linker: read them in place while it changes.
        let files = self.files;
        let class = &files[file].classes[index];
        let sources = self.member_sources(class_ref, lineage);
        let scope_kind = self.graph.scopes[scope].kind;

        // Columns: own and from mixins, the first definition of a name wins.
        // A mixin's member that a mapped parent already maps was applied to
        // the parent: declarative sees the parent's attribute first.
        let parent_attributes: HashSet<String> = superclass
            .map(|s| self.mapped_attribute_names(s))
            .unwrap_or_default();
        // Sized for every member it may hold: growing it cost more than the inserts.
        let members: usize = sources
            .iter()
            .map(|&(f, i)| {
                files[f].classes[i].columns.len() + files[f].classes[i].relationships.len()
            })
            .sum();
        let mut seen: HashSet<&str> =
            HashSet::with_capacity_and_hasher(members, Default::default());
        let mut columns = Vec::with_capacity(members);
        let mut incomplete = false;
        for (position, &(sfile, sindex)) in sources.iter().enumerate() {
            let source_class = &files[sfile].classes[sindex];
            // A member built by an unknown call may be a column.
            incomplete |= source_class.dynamic
                || source_class
                    .other_members
                    .iter()
                    .any(|m| m.kind == crate::facts::OtherMemberKind::Computed)
                || source_class
                    .table_args
                    .as_ref()
                    .is_some_and(|a| a.incomplete);
            for column in &source_class.columns {
                let accept = match column.kind {
                    ColumnKind::SqlModelPlain => lineage.sqlmodel && column.type_name.is_some(),
                    ColumnKind::SqlModelField => lineage.sqlmodel,
                    _ => true,
                };
                if lineage.sqlmodel
                    && column.kind == ColumnKind::SqlModelPlain
                    && column.type_name.is_none()
                {
                    incomplete = true;
                }
                let Some(attribute) = column.attribute.as_deref() else {
                    continue;
                };
                let shadowed = position > 0 && parent_attributes.contains(attribute);
                if accept && !shadowed && seen.insert(attribute) {
                    columns.push((column, sfile));
                }
            }
            // A relationship or other member named like a column hides it.
            for relationship in &source_class.relationships {
                seen.insert(relationship.attribute.as_str());
            }
        }

        // The table name, as declarative (and Flask-SQLAlchemy, SQLModel) decide it.
        let own_tablename = class.tablename.clone();
        let tablename = sources
            .iter()
            .find_map(|&(f, i)| files[f].classes[i].tablename.clone().map(|t| (t, f)))
            .map(|(name, source_file)| self.resolve_imported_pattern(name, source_file));
        let has_own_pk = columns.iter().any(|(c, _)| c.is_primary_key());
        enum Decision {
            Own(String),
            Shared,
            Single,
            Undetermined,
            Absent,
        }
        use Decision::{Absent, Own, Shared, Single, Undetermined};
        let decision = if let Some(table) = &class.table {
            match table {
                ClassTable::Inline(facts) => match facts.name.clone() {
                    Some(name) => Own(name),
                    None => Undetermined,
                },
                ClassTable::Reference(_) => Shared,
            }
        } else {
            match tablename {
                Some(TableName::Literal(name, _)) => {
                    if own_tablename.is_none()
                        && scope_kind == ScopeKind::Flask
                        && superclass.is_some()
                        && !has_own_pk
                    {
                        Single
                    } else {
                        Own(name)
                    }
                }
                Some(TableName::NoTable) => {
                    if superclass.is_some() {
                        Single
                    } else {
                        Absent
                    }
                }
                Some(TableName::Derived {
                    scheme,
                    none_when_inherited,
                }) => {
                    if superclass.is_some() && none_when_inherited {
                        Single
                    } else {
                        scheme.apply(&class.name).map_or(Undetermined, Own)
                    }
                }
                Some(TableName::Unknown(_) | TableName::ImportedPattern { .. }) => {
                    match self.options.table_naming {
                        Some(scheme) => scheme.apply(&class.name).map_or(Undetermined, Own),
                        None => Undetermined,
                    }
                }
                None => match scope_kind {
                    ScopeKind::Flask => {
                        if superclass.is_some() && !has_own_pk {
                            Single
                        } else {
                            Own(facts::camel_to_snake(&class.name))
                        }
                    }
                    ScopeKind::SqlModel => Own(class.name.to_lowercase()),
                    _ if superclass.is_some() => Single,
                    _ => match self.options.table_naming {
                        Some(scheme) => scheme.apply(&class.name).map_or(Undetermined, Own),
                        None => Absent,
                    },
                },
            }
        };

        let schema = sources.iter().find_map(|&(f, i)| {
            files[f].classes[i]
                .table_args
                .as_ref()
                .map(|a| a.schema.clone())
        });
        let table_args = sources
            .iter()
            .find_map(|&(f, i)| files[f].classes[i].table_args.as_ref().map(|a| (a, f)));

        let table_id = match decision {
            Own(name) => {
                // An inline `__table__ = Table(...)`, or one declarative builds
                // from the class; its constraints are added after its columns.
                let synthesized;
                let (facts, constraints) = match &class.table {
                    Some(ClassTable::Inline(facts)) => (facts, &facts.foreign_key_constraints),
                    _ => {
                        synthesized = TableFacts {
                            name: Some(name),
                            name_range: class.name_range,
                            range: class.name_range,
                            binding: None,
                            metadata: None,
                            schema: schema.flatten(),
                            columns: Vec::new(),
                            foreign_key_constraints: Vec::new(),
                            unique_constraints: table_args
                                .as_ref()
                                .map(|(a, _)| a.unique_constraints.clone())
                                .unwrap_or_default(),
                            primary_key_constraint: table_args
                                .as_ref()
                                .and_then(|(a, _)| a.primary_key_constraint.clone()),
                            incomplete,
                        };
                        let constraints = match &table_args {
                            Some((a, _)) => &a.foreign_key_constraints,
                            None => &synthesized.foreign_key_constraints,
                        };
                        (&synthesized, constraints)
                    }
                };
                let constraint_file = table_args.as_ref().map(|(_, f)| *f).unwrap_or(file);
                let table = self.add_table_with(scope, facts, file, Some(id), false);
                if let Some(table) = table {
                    for fk in constraints {
                        self.add_foreign_key(
                            table,
                            fk.clone(),
                            fk.columns.clone(),
                            constraint_file,
                        );
                    }
                    self.graph.tables[table].location = Location {
                        file,
                        range: class.name_range,
                    };
                }
                if superclass.is_some() {
                    self.graph.classes[id].inheritance = Some(if is_concrete(class) {
                        Inheritance::Concrete
                    } else {
                        Inheritance::Joined
                    });
                }
                table
            }
            Shared => {
                let reference = match &class.table {
                    Some(ClassTable::Reference(expr)) => Some(expr.clone()),
                    _ => None,
                };
                let table = reference.and_then(|expr| self.table_of_expr(file, &expr));
                if let Some(table) = table {
                    self.graph.tables[table].class.get_or_insert(id);
                }
                table
            }
            Single => {
                self.graph.classes[id].inheritance = Some(Inheritance::Single);
                superclass.and_then(|s| self.graph.classes[s].table)
            }
            // The table name is unknown, but the class's members are not:
            // rules about attributes still apply.
            Undetermined => {
                self.scopes_with_unknown_tables.insert(scope);
                None
            }
            Absent => None,
        };
        self.graph.classes[id].table = table_id;
        let mut tables: Vec<TableId> = table_id.into_iter().collect();
        let concrete = self.graph.classes[id].inheritance == Some(Inheritance::Concrete);
        if let (Some(superclass), false) = (superclass, concrete) {
            for parent_table in self.graph.classes[superclass].tables.clone() {
                if !tables.contains(&parent_table) {
                    tables.push(parent_table);
                }
            }
        }
        self.graph.classes[id].tables = tables;

        // Columns go to the class's table (the parent's for single-table inheritance).
        if let (Some(table), false) = (table_id, class.table.is_some()) {
            self.graph.tables[table].columns.reserve(columns.len());
            for (column_facts, cfile) in columns {
                let mut graph_column = make_column(column_facts, cfile, lineage.sqlmodel);
                graph_column.declared_by = Some(id);
                // The facts outlive the linker: the name is read in place.
                let name = column_facts.column_name().unwrap_or_default();
                if self.graph.tables[table].column(name).is_none() {
                    self.graph.tables[table].columns.push(graph_column);
                }
                for fk in &column_facts.foreign_keys {
                    self.add_foreign_key(table, fk.clone(), vec![name.to_string()], cfile);
                }
            }
            if incomplete {
                self.graph.tables[table].incomplete = true;
            }
            let primary_key = table_args
                .as_ref()
                .and_then(|(a, _)| a.primary_key_constraint.as_ref());
            if let Some(primary_key) = primary_key {
                mark_primary_key(&mut self.graph.tables[table].columns, primary_key);
            }
        }
        if table_id.is_none() && !decision_kind_is_none(class) {
            self.graph.classes[id].incomplete = true;
        }
    }

    /// `PATTERN.sub("_", cls.__name__).lower()` with `PATTERN` imported from
    /// another module: the scheme, once the pattern is found there.
    fn resolve_imported_pattern(&self, name: TableName, file: FileId) -> TableName {
        let TableName::ImportedPattern {
            pattern,
            replacement,
            none_when_inherited,
            range,
        } = name
        else {
            return name;
        };
        let scheme = match self.resolver.resolve(file, &pattern) {
            Symbol::Binding(f, i) => self.files[f].bindings[i]
                .value
                .as_call()
                .filter(|call| call.callee.dotted().as_deref() == Some("re.compile"))
                .and_then(|call| call.args.first()?.as_str().map(str::to_string))
                .and_then(|p| facts::scheme_for_pattern(&p, &replacement)),
            _ => None,
        };
        match scheme {
            Some(scheme) => TableName::Derived {
                scheme,
                none_when_inherited,
            },
            None => TableName::Unknown(range),
        }
    }

    /// Column and relationship attributes a mapped class and its mapped
    /// parents map (for shadowing mixin members in subclasses).
    fn mapped_attribute_names(&self, class: ClassId) -> HashSet<String> {
        let mut names = HashSet::default();
        let mut current = Some(class);
        while let Some(c) = current {
            let mapped = &self.graph.classes[c];
            if let Some(table) = mapped.table {
                names.extend(
                    self.graph.tables[table]
                        .columns
                        .iter()
                        .filter_map(|col| col.attribute().map(str::to_string)),
                );
            }
            let facts = &self.files[mapped.file].classes[mapped.index];
            names.extend(facts.relationships.iter().map(|r| r.attribute.clone()));
            names.extend(facts.columns.iter().filter_map(|col| col.attribute.clone()));
            current = mapped.superclass;
        }
        names
    }

    /// A table referred to by a variable or attribute (`__table__ = user_table`,
    /// `secondary=association`).
    fn table_of_expr(&self, file: FileId, expr: &Expr) -> Option<TableId> {
        let expr = match &expr.kind {
            ExprKind::Lambda(body) => body,
            _ => expr,
        };
        match self.resolver.resolve_expr(file, expr) {
            Symbol::Binding(f, i) => {
                let name = &self.files[f].bindings[i].name;
                self.table_by_binding.get(&(f, name.clone())).copied()
            }
            Symbol::Attribute(owner, name) if name == "__table__" => match *owner {
                Symbol::Class(f, i) => self
                    .class_by_ref
                    .get(&(f, i))
                    .and_then(|&c| self.graph.classes[c].table),
                _ => None,
            },
            Symbol::Class(f, i) => self
                .class_by_ref
                .get(&(f, i))
                .and_then(|&c| self.graph.classes[c].table),
            _ => None,
        }
    }

    fn table_in_scope(&self, scope: ScopeId, schema: Option<&str>, name: &str) -> Option<TableId> {
        let key = TableKeyRef {
            scope,
            schema,
            name,
        };
        if self.duplicate_tables.contains_key(&key) {
            return None;
        }
        self.table_by_name.get(&key).copied()
    }

    fn table_is_duplicated(&self, scope: ScopeId, schema: Option<&str>, name: &str) -> bool {
        self.duplicate_tables.contains_key(&TableKeyRef {
            scope,
            schema,
            name,
        })
    }

    /// Which scopes the definitions that syntax errors hide may belong to:
    /// any, when a file's may name what another unit defines (see
    /// `LinkedUnit::wide_hidden`); else the scopes of the hiding files'
    /// units, those of their classes and tables.
    fn mark_hidden_definitions(&mut self) {
        let hiding: Vec<FileId> = (0..self.files.len())
            .filter(|&f| self.files[f].hides_definitions)
            .collect();
        if hiding.is_empty() {
            return;
        }
        let external_scopes = self.outside.external_scopes
            || (self.seeds.iter()).any(|seed| seed.key.starts_with(EXTERNAL_SCOPE));
        let imports_from_outside = |file: FileId| {
            self.files[file].imports.iter().any(|import| {
                self.resolver.module(&import.module).is_none()
                    && !facts::imports::is_sqlalchemy_module(&import.module)
                    && import.module != "__future__"
            })
        };
        self.own_wide_hidden = hiding.iter().any(|&file| {
            self.files[file].hides_imports || (external_scopes && imports_from_outside(file))
        });
        if self.all_scopes_may_hide_definitions() {
            return;
        }
        let group = |file: FileId| self.groups.map_or(0, |groups| groups[file]);
        let hidden_groups: HashSet<usize> = hiding.iter().map(|&file| group(file)).collect();
        let classes = (self.graph.classes.iter()).map(|c| (c.file, c.scope));
        let tables = (self.graph.tables.iter()).map(|t| (t.location.file, t.scope));
        self.scopes_with_hidden_definitions = classes
            .chain(tables)
            .filter(|&(file, _)| hidden_groups.contains(&group(file)))
            .map(|(_, scope)| scope)
            .collect();
    }

    /// A class or a table of the scope may be hidden by a syntax error.
    fn may_hide_definitions(&self, scope: ScopeId) -> bool {
        self.all_scopes_may_hide_definitions()
            || self.scopes_with_hidden_definitions.contains(&scope)
    }

    /// A syntax error somewhere hides a class or a table of any scope.
    fn all_scopes_may_hide_definitions(&self) -> bool {
        self.outside.wide_hidden || self.own_wide_hidden
    }

    /// Every table of the scope has a knowable name: a missing one is missing.
    fn scope_fully_known(&self, scope: ScopeId) -> bool {
        self.graph.scopes[scope].closed
            && !self.may_hide_definitions(scope)
            && !self.scopes_with_unknown_tables.contains(&scope)
    }

    fn resolve_foreign_keys(&mut self) {
        for id in 0..self.graph.foreign_keys.len() {
            let fk = &self.graph.foreign_keys[id];
            let table = &self.graph.tables[fk.table];
            let scope = table.scope;
            let file = fk.location.file;
            let mut referred_table = None;
            let mut referred_columns = Vec::new();
            let mut resolution = None;
            // The facts are shared: only the referred column names are copied.
            let facts = fk.facts.clone();
            for target in &facts.targets {
                let (table_id, column) = match target {
                    ForeignKeyTarget::Path {
                        schema,
                        table,
                        column,
                    } => match self.table_in_scope(scope, schema.as_deref(), table) {
                        Some(t) => (Some(t), column.clone()),
                        None => {
                            let certain = self.scope_fully_known(scope)
                                && !self.table_is_duplicated(scope, schema.as_deref(), table);
                            resolution.get_or_insert(if certain {
                                ForeignKeyResolution::MissingTable
                            } else {
                                ForeignKeyResolution::Unknown
                            });
                            continue;
                        }
                    },
                    ForeignKeyTarget::ClassAttribute { class, attribute } => {
                        let found = match self.resolver.resolve(file, class) {
                            Symbol::Class(f, i) => self.class_by_ref.get(&(f, i)).copied(),
                            _ => None,
                        };
                        match found.and_then(|c| self.column_of_attribute(c, attribute)) {
                            Some((t, c)) => (Some(t), c),
                            None => {
                                resolution.get_or_insert(ForeignKeyResolution::Unknown);
                                continue;
                            }
                        }
                    }
                    ForeignKeyTarget::TableColumn { table, column } => {
                        let expr = Expr {
                            kind: ExprKind::Name(table.clone()),
                            range: fk.location.range,
                        };
                        let expr = if table.contains('.') {
                            let mut parts = table.split('.');
                            let mut e = Expr {
                                kind: ExprKind::Name(parts.next().unwrap().to_string()),
                                range: fk.location.range,
                            };
                            for p in parts {
                                e = Expr {
                                    kind: ExprKind::Attribute(Box::new(e), p.to_string()),
                                    range: fk.location.range,
                                };
                            }
                            e
                        } else {
                            expr
                        };
                        match self.table_of_expr(file, &expr) {
                            Some(t) => (Some(t), column.clone()),
                            None => {
                                resolution.get_or_insert(ForeignKeyResolution::Unknown);
                                continue;
                            }
                        }
                    }
                    ForeignKeyTarget::Unknown => {
                        resolution.get_or_insert(ForeignKeyResolution::Unknown);
                        continue;
                    }
                };
                let Some(table_id) = table_id else { continue };
                let target_table = &self.graph.tables[table_id];
                // A column the analyzer cannot see in an incomplete table (a
                // helper-built `id`, an external base) is trusted as written:
                // the table it refers to is what directions need.
                let unseen = target_table.incomplete || self.table_has_unknown_columns(table_id);
                if target_table.column(&column).is_none() && !unseen {
                    resolution.get_or_insert(ForeignKeyResolution::MissingColumn {
                        table: table_id,
                        column: column.clone(),
                    });
                }
                if referred_table.is_some_and(|t| t != table_id) {
                    resolution.get_or_insert(ForeignKeyResolution::Unknown);
                }
                referred_table = Some(table_id);
                referred_columns.push(column);
            }
            let resolution = resolution.unwrap_or(match referred_table {
                Some(table) => ForeignKeyResolution::Resolved {
                    table,
                    columns: referred_columns,
                },
                None => ForeignKeyResolution::Unknown,
            });
            let effective_name = self.effective_name(id, &resolution);
            let fk = &mut self.graph.foreign_keys[id];
            fk.resolution = resolution;
            fk.effective_name = effective_name;
        }
    }

    fn table_has_unknown_columns(&self, table: TableId) -> bool {
        let table = &self.graph.tables[table];
        table.incomplete
            || table
                .class
                .is_some_and(|c| self.graph.classes[c].incomplete)
    }

    fn column_of_attribute(&self, class: ClassId, attribute: &str) -> Option<(TableId, String)> {
        let mut current = Some(class);
        while let Some(c) = current {
            if let Some(table) = self.graph.classes[c].table {
                if let Some(column) = self.graph.tables[table]
                    .columns
                    .iter()
                    .find(|col| col.is_mapped_as(attribute))
                {
                    return Some((table, column.name().to_string()));
                }
            }
            current = self.graph.classes[c].superclass;
        }
        None
    }

    fn effective_name(&self, id: ForeignKeyId, resolution: &ForeignKeyResolution) -> EffectiveName {
        let fk = &self.graph.foreign_keys[id];
        let table = &self.graph.tables[fk.table];
        let convention = &self.graph.scopes[table.scope].naming_convention;
        // A convention with `%(constraint_name)s` renames explicit names and
        // cannot name the others; one without it names only unnamed keys.
        let explicit = match &fk.facts.name {
            Some(Setting::Known(name, _)) => Some(name.clone()),
            Some(Setting::Unknown(_)) => return EffectiveName::NamedUnknown,
            None => None,
        };
        if let Some(name) = &explicit {
            let applies =
                matches!(convention, NamingConvention::ForeignKey(t) if uses_constraint_name(t));
            if fk.facts.name_is_final || !applies {
                return EffectiveName::Named(name.clone());
            }
        }
        // A MetaData from outside the workspace may carry a convention.
        if !self.graph.scopes[table.scope].closed && explicit.is_none() {
            return EffectiveName::NamedUnknown;
        }
        match convention {
            NamingConvention::None => EffectiveName::Unnamed,
            NamingConvention::Unknown => EffectiveName::NamedUnknown,
            NamingConvention::ForeignKey(template)
                if explicit.is_none() && uses_constraint_name(template) =>
            {
                EffectiveName::Unnamed
            }
            NamingConvention::ForeignKey(template) => {
                let (referred_table, referred_columns) = match resolution {
                    ForeignKeyResolution::Resolved { table, columns } => (
                        Some(self.graph.tables[*table].name.clone()),
                        columns.clone(),
                    ),
                    _ => (None, Vec::new()),
                };
                match render_convention(
                    template,
                    &ConventionInput {
                        table: &table.name,
                        schema: table.schema.as_deref(),
                        columns: &fk.columns,
                        referred_table: referred_table.as_deref(),
                        referred_columns: &referred_columns,
                        constraint_name: explicit.as_deref(),
                    },
                ) {
                    Some(name) => EffectiveName::Named(name),
                    None => EffectiveName::NamedUnknown,
                }
            }
        }
    }
}

/// `__mapper_args__ = {"concrete": True}`.
fn is_concrete(class: &crate::facts::ClassFacts) -> bool {
    let Some(ExprKind::Dict { entries, .. }) = class.mapper_args.as_ref().map(|a| &a.kind) else {
        return false;
    };
    entries
        .iter()
        .any(|(k, v)| k.as_str() == Some("concrete") && v.as_bool() == Some(true))
}

fn decision_kind_is_none(class: &crate::facts::ClassFacts) -> bool {
    // A mapped class with neither a table name nor a parent is a SQLAlchemy
    // error of its own; nothing more is known about it.
    class.tablename.is_none() && class.table.is_none()
}

/// What a naming convention's tokens are filled from.
pub struct ConventionInput<'a> {
    pub table: &'a str,
    pub schema: Option<&'a str>,
    /// The constraint's (or index's) columns, by name.
    pub columns: &'a [String],
    /// A foreign key's referred table and columns.
    pub referred_table: Option<&'a str>,
    pub referred_columns: &'a [String],
    /// The name written with `name=`, for `%(constraint_name)s`.
    pub constraint_name: Option<&'a str>,
}

/// Whether a naming-convention template uses the constraint's own name
/// (`%(constraint_name)s`): SQLAlchemy then renames a constraint written
/// with a plain-string name (and shortens the result), and cannot name one
/// written without; a template without it leaves a written name as it is.
pub fn uses_constraint_name(template: &str) -> bool {
    template.contains("%(constraint_name)s")
}

/// A naming-convention template filled in as SQLAlchemy's `ConventionDict`
/// fills it: `table_name`, `constraint_name`, `referred_table_name`, and the
/// column tokens `column_<i>_name` / `_key` / `_label` (`<table>_<name>`,
/// with the schema before it) and `referred_column_<i>_name`, for one column
/// (`""` past the last) or, with `0N` / `0_N`, all of them joined. `None` for
/// a token it does not fill (a callable convention's, a missing name).
/// Column keys are taken to be their names.
pub fn render_convention(template: &str, input: &ConventionInput) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("%(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find(")s")?;
        out.push_str(&convention_token(&after[..end], input)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Some(out)
}

fn convention_token(token: &str, input: &ConventionInput) -> Option<String> {
    match token {
        "table_name" => return Some(input.table.to_string()),
        "constraint_name" => return input.constraint_name.map(str::to_string),
        "referred_table_name" => return input.referred_table.map(str::to_string),
        _ => {}
    }
    let (referred, rest) = match token.strip_prefix("referred_column_") {
        Some(rest) => (true, rest),
        None => (false, token.strip_prefix("column_")?),
    };
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (index, rest) = rest.split_at(digits);
    let index: usize = index.parse().ok()?;
    let (separator, attribute) = if let Some(attribute) = rest.strip_prefix("_N_") {
        (Some("_"), attribute)
    } else if let Some(attribute) = rest.strip_prefix("N_") {
        (Some(""), attribute)
    } else {
        (None, rest.strip_prefix('_')?)
    };
    let label = match (referred, attribute) {
        (false, "name" | "key") | (true, "name") => false,
        (false, "label") => true,
        _ => return None,
    };
    let schema_prefix = input
        .schema
        .map(|schema| format!("{}_", schema.replace('.', "_")))
        .unwrap_or_default();
    let value = |name: &String| {
        if label {
            format!("{schema_prefix}{}_{name}", input.table)
        } else {
            name.clone()
        }
    };
    let columns = if referred {
        input.referred_columns
    } else {
        input.columns
    };
    match separator {
        // `0N` and `0_N` only: SQLAlchemy reads `column_1N_name` as no token.
        Some(separator) if index == 0 => Some(
            columns
                .iter()
                .map(value)
                .collect::<Vec<_>>()
                .join(separator),
        ),
        Some(_) => None,
        None => match columns.get(index) {
            Some(name) => Some(value(name)),
            // A referred column past the last raises in SQLAlchemy; a
            // column past the last is empty.
            None if referred => None,
            None => Some(String::new()),
        },
    }
}

/// A `PrimaryKeyConstraint(...)`'s columns are primary keys, so NOT NULL
/// unless written otherwise.
fn mark_primary_key(columns: &mut [Column], primary_key: &[String]) {
    for column in columns {
        if primary_key.iter().any(|n| n == column.name()) {
            column.primary_key = true;
            if column.facts.nullable.is_none() {
                column.nullable = Some(false);
            }
        }
    }
}

fn make_column(facts: &Arc<crate::facts::ColumnFacts>, file: FileId, sqlmodel: bool) -> Column {
    let primary_key = facts.is_primary_key();
    let nullable = match &facts.nullable {
        Some(Setting::Known(value, _)) => Some(*value),
        Some(Setting::Unknown(_)) => None,
        None if primary_key => Some(false),
        None => match (&facts.annotation, facts.kind) {
            (Some(annotation), ColumnKind::MappedColumn | ColumnKind::AnnotationOnly)
                if annotation.wrapper.as_deref() == Some("Mapped") =>
            {
                Some(annotation.optional)
            }
            (Some(annotation), ColumnKind::SqlModelField | ColumnKind::SqlModelPlain)
                if sqlmodel =>
            {
                Some(annotation.optional)
            }
            (None, ColumnKind::SqlModelField) => None,
            _ => Some(true),
        },
    };
    let unique = matches!(facts.unique, Some(Setting::Known(true, _)));
    Column {
        declared_by: None,
        nullable,
        primary_key,
        unique,
        location: Location {
            file,
            range: facts.range,
        },
        facts: facts.clone(),
    }
}

// ----- relationships ------------------------------------------------------

/// A column written in `foreign_keys=`, `remote_side=` or a `primaryjoin`.
type ColumnRef = (TableId, String);

impl<'a> Linker<'a> {
    /// `registry.map_imperatively(Cls, table, properties=...)`: a plain class
    /// mapped to a Core table.
    fn collect_imperative_mappings(&mut self) {
        for file in 0..self.files.len() {
            for (index, mapping) in self.files[file].imperative_mappings.iter().enumerate() {
                let Symbol::Class(class_file, class_index) =
                    self.resolver.resolve_expr(file, &mapping.class)
                else {
                    continue;
                };
                if self.class_by_ref.contains_key(&(class_file, class_index)) {
                    continue;
                }
                let Some(table) = self.table_of_expr(file, &mapping.table) else {
                    continue;
                };
                let class = &self.files[class_file].classes[class_index];
                let id = self.graph.classes.len();
                let module = &self.files[class_file].module;
                self.graph.classes.push(MappedClass {
                    name: class.name.clone(),
                    qualname: if module.is_empty() {
                        class.name.clone()
                    } else {
                        format!("{module}.{}", class.name)
                    },
                    file: class_file,
                    index: class_index,
                    scope: self.graph.tables[table].scope,
                    table: Some(table),
                    tables: vec![table],
                    superclass: None,
                    inheritance: None,
                    relationships: Vec::new(),
                    attributes: Attributes::default(),
                    incomplete: mapping.properties.dynamic || class.dynamic,
                    imperative: true,
                    location: Location {
                        file: class_file,
                        range: class.name_range,
                    },
                });
                self.class_by_ref.insert((class_file, class_index), id);
                self.lineages.entry((class_file, class_index)).or_default();
                self.graph.tables[table].class.get_or_insert(id);
                self.imperative.insert(id, (file, index));
            }
        }
    }

    fn collect_relationships(&mut self) {
        let written: usize = (self.files.iter())
            .flat_map(|f| &f.classes)
            .map(|c| c.relationships.len())
            .sum();
        self.graph.relationships.reserve(written);
        for class in 0..self.graph.classes.len() {
            let files = self.files;
            if let Some(&(file, index)) = self.imperative.get(&class) {
                for facts in &files[file].imperative_mappings[index]
                    .properties
                    .relationships
                {
                    self.add_relationship(class, file, facts.clone(), None);
                }
                continue;
            }
            let class_ref = (
                self.graph.classes[class].file,
                self.graph.classes[class].index,
            );
            let lineage = self.lineages[&class_ref].clone();
            let sources = self.member_sources(class_ref, &lineage);
            let parent_attributes: HashSet<String> = match self.graph.classes[class].superclass {
                Some(superclass) => self.mapped_attribute_names(superclass),
                None => HashSet::default(),
            };
            let files = self.files;
            let relationships: usize = sources
                .iter()
                .map(|&(f, i)| files[f].classes[i].relationships.len())
                .sum();
            let mut seen: HashSet<&str> =
                HashSet::with_capacity_and_hasher(relationships, Default::default());
            for (position, (sfile, sindex)) in sources.into_iter().enumerate() {
                for facts in &files[sfile].classes[sindex].relationships {
                    let shadowed = position > 0 && parent_attributes.contains(&facts.attribute);
                    if shadowed || !seen.insert(&facts.attribute) {
                        continue;
                    }
                    self.add_relationship(class, sfile, facts.clone(), None);
                }
            }
        }
    }

    fn add_relationship(
        &mut self,
        class: ClassId,
        file: FileId,
        facts: Arc<crate::facts::RelationshipFacts>,
        backref_of: Option<RelationshipId>,
    ) -> RelationshipId {
        let target = match backref_of {
            Some(origin) => TargetResolution::Resolved(self.graph.relationships[origin].class),
            None => self.resolve_target(class, file, &facts),
        };
        let cascade = effective_cascade(&facts);
        let id = self.graph.relationships.len();
        let location = Location {
            file,
            range: facts.callee_range,
        };
        let mut relationship = Relationship {
            class,
            target,
            direction: None,
            join_problem: None,
            foreign_keys: Vec::new(),
            fk_columns: Vec::new(),
            secondary: None,
            pair: None,
            backref_of,
            cascade,
            location,
            facts,
        };
        match backref_of {
            Some(origin) => {
                let original = &self.graph.relationships[origin];
                relationship.direction = original.direction.map(Direction::reversed);
                relationship.foreign_keys = original.foreign_keys.clone();
                relationship.fk_columns = original.fk_columns.clone();
                relationship.secondary = original.secondary;
                relationship.pair = Some(origin);
            }
            None => self.decide_direction(&mut relationship, file),
        }
        self.graph.relationships.push(relationship);
        self.graph.classes[class].relationships.push(id);
        id
    }

    fn resolve_target(
        &self,
        class: ClassId,
        file: FileId,
        facts: &crate::facts::RelationshipFacts,
    ) -> TargetResolution {
        let scope = self.graph.classes[class].scope;
        let Some(TargetRef::Class(name, _)) = &facts.target else {
            return TargetResolution::Unknown;
        };
        // A class object (`relationship(Child)`, `lambda: Child`) resolves as Python does.
        // From the first argument; else from the annotation, where a bare
        // class (`Mapped[Team]`) is a Python object unless the module has
        // `from __future__ import annotations`.
        let written_as_string = match facts
            .call
            .args
            .first()
            .or_else(|| facts.call.keyword_value("argument"))
        {
            Some(argument) => match &argument.kind {
                ExprKind::Str(_) => true,
                ExprKind::Lambda(body) => matches!(body.kind, ExprKind::Str(_)),
                _ => false,
            },
            None => {
                facts.annotation.as_ref().is_none_or(|a| a.inner_quoted)
                    || self.files[file].future_annotations
            }
        };
        if !written_as_string {
            // `relationship(cls.Event)`, `relationship(assoc_cls)`: Python
            // decides, not the registry; what we cannot follow is unknown.
            return match self.resolver.resolve(file, name) {
                Symbol::Class(f, i) => match self.class_by_ref.get(&(f, i)) {
                    Some(&id) => TargetResolution::Resolved(id),
                    None => TargetResolution::Unknown,
                },
                _ => TargetResolution::Unknown,
            };
        }
        let simple = name.rsplit('.').next().unwrap_or(name);
        let candidates: Vec<ClassId> = self
            .classes_named(scope, simple)
            .iter()
            .copied()
            .filter(|&c| {
                let candidate = &self.graph.classes[c];
                !name.contains('.')
                    || candidate.qualname == *name
                    || candidate.qualname.ends_with(&format!(".{name}"))
            })
            .collect();
        match candidates.as_slice() {
            [only] => TargetResolution::Resolved(*only),
            [] => {
                // Python-side resolution of a name imported into the module.
                if let Symbol::Class(f, i) = self.resolver.resolve(file, name) {
                    if let Some(&id) = self.class_by_ref.get(&(f, i)) {
                        return TargetResolution::Resolved(id);
                    }
                }
                if self.scope_fully_known(scope) && !self.scope_has_incomplete_classes(scope) {
                    TargetResolution::Missing(name.clone())
                } else {
                    TargetResolution::Unknown
                }
            }
            _ => TargetResolution::Unknown,
        }
    }

    fn index_classes(&mut self) {
        for (id, class) in self.graph.classes.iter().enumerate() {
            self.classes_by_name
                .entry(ClassKey {
                    scope: class.scope,
                    name: class.name.clone(),
                })
                .or_default()
                .push(id);
            if class.incomplete && class.table.is_none() {
                self.scopes_with_unknown_classes.insert(class.scope);
            }
        }
        self.own_unplaced_models = self.lineages.iter().any(|(r, l)| {
            l.unresolved_base && !self.class_by_ref.contains_key(r) && {
                let class = &self.files[r.0].classes[r.1];
                class.tablename.is_some() || !class.relationships.is_empty()
            }
        });
    }

    fn scope_has_incomplete_classes(&self, scope: ScopeId) -> bool {
        self.outside.unplaced_models
            || self.own_unplaced_models
            || self.may_hide_definitions(scope)
            || self.scopes_with_unknown_classes.contains(&scope)
    }

    fn classes_named(&self, scope: ScopeId, name: &str) -> &[ClassId] {
        self.classes_by_name
            .get(&ClassKeyRef { scope, name })
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Decides direction and the FKs written, the way SQLAlchemy's
    /// `RelationshipProperty` does for the common forms.
    fn decide_direction(&self, relationship: &mut Relationship, file: FileId) {
        let Some(target) = relationship.target_class() else {
            return;
        };
        let facts = &relationship.facts;
        if facts.has_splat {
            return;
        }
        let local_tables: &[TableId] = &self.graph.classes[relationship.class].tables;
        let target_tables: &[TableId] = &self.graph.classes[target].tables;
        if local_tables.is_empty() || target_tables.is_empty() {
            return;
        }
        let context = ColumnContext {
            file,
            class: relationship.class,
            target,
        };

        if let Some(secondary) = facts.option("secondary") {
            relationship.direction = Some(Direction::ManyToMany);
            let Some(table) = self.secondary_table(file, relationship.class, secondary) else {
                return;
            };
            relationship.secondary = Some(table);
            for &fk in &self.graph.tables[table].foreign_keys {
                if let Some(referred) = self.graph.foreign_keys[fk].referred_table() {
                    if local_tables.contains(&referred) || target_tables.contains(&referred) {
                        relationship.foreign_keys.push(fk);
                        for column in &self.graph.foreign_keys[fk].columns {
                            relationship.fk_columns.push((table, column.clone()));
                        }
                    }
                }
            }
            return;
        }

        let foreign_keys = match facts.option("foreign_keys") {
            Some(expr) => match self.column_list(&context, expr) {
                Some(columns) => Some(columns),
                None => return,
            },
            None => None,
        };
        let remote_side = match facts.option("remote_side") {
            Some(expr) => match self.column_list(&context, expr) {
                Some(columns) => Some(columns),
                None => return,
            },
            None => None,
        };
        let self_referential = local_tables.iter().any(|t| target_tables.contains(t));

        if let Some(primaryjoin) = facts.option("primaryjoin") {
            // Only simple equalities are read; anything else stays unknown.
            let Some(pairs) = self.join_pairs(&context, primaryjoin) else {
                return;
            };
            if pairs.is_empty() {
                return;
            }
            let mut fk_columns: Vec<ColumnRef> = Vec::new();
            for (left, right) in &pairs {
                let chosen = if let Some(declared) = &foreign_keys {
                    if declared.contains(&left.column) {
                        Some(left.column.clone())
                    } else if declared.contains(&right.column) {
                        Some(right.column.clone())
                    } else {
                        None
                    }
                } else if left.foreign {
                    Some(left.column.clone())
                } else if right.foreign {
                    Some(right.column.clone())
                } else if self.column_refers_to(&left.column, &right.column) {
                    Some(left.column.clone())
                } else if self.column_refers_to(&right.column, &left.column) {
                    Some(right.column.clone())
                } else {
                    None
                };
                match chosen {
                    Some(column) => fk_columns.push(column),
                    None => return,
                }
            }
            if self_referential {
                let remote: Vec<ColumnRef> = match &remote_side {
                    Some(columns) => columns.clone(),
                    None => pairs
                        .iter()
                        .flat_map(|(l, r)| [l, r])
                        .filter(|c| c.remote)
                        .map(|c| c.column.clone())
                        .collect(),
                };
                // No remote side, or the FK columns themselves remote: one-to-many.
                if remote.is_empty() || remote.iter().all(|c| fk_columns.contains(c)) {
                    relationship.direction = Some(Direction::OneToMany);
                } else {
                    relationship.direction = Some(Direction::ManyToOne);
                }
            } else if fk_columns.iter().all(|(t, _)| target_tables.contains(t)) {
                relationship.direction = Some(Direction::OneToMany);
            } else if fk_columns.iter().all(|(t, _)| local_tables.contains(t)) {
                relationship.direction = Some(Direction::ManyToOne);
            } else {
                return;
            }
            relationship.fk_columns = fk_columns.clone();
            relationship.foreign_keys = self.fks_of_columns(&fk_columns);
            return;
        }

        // No join condition: the foreign keys between the two mappers' tables.
        let mut candidates: Vec<ForeignKeyId> = Vec::new();
        let mut uncertain = false;
        for &table in local_tables.iter().chain(target_tables.iter()) {
            let other_side = if local_tables.contains(&table) {
                target_tables
            } else {
                local_tables
            };
            for &fk in &self.graph.tables[table].foreign_keys {
                let fk_facts = &self.graph.foreign_keys[fk];
                match fk_facts.referred_table() {
                    Some(referred) if other_side.contains(&referred) => {
                        // Inheritance FKs (child.id -> parent.id) join a mapper to itself.
                        if local_tables.contains(&table)
                            && local_tables.contains(&referred)
                            && !self_referential
                        {
                            continue;
                        }
                        if let Some(declared) = &foreign_keys {
                            if !fk_facts
                                .columns
                                .iter()
                                .any(|c| declared.contains(&(table, c.clone())))
                            {
                                continue;
                            }
                        }
                        if !candidates.contains(&fk) {
                            candidates.push(fk);
                        }
                    }
                    Some(_) => {}
                    // An FK that does not resolve (SA202 reports it) may be the
                    // path this relationship needs.
                    None => uncertain = true,
                }
            }
            uncertain |= self.table_has_unknown_columns(table);
        }
        match candidates.len() {
            0 => {
                if let Some(declared) = &foreign_keys {
                    // `foreign_keys` naming columns without constraints needs a
                    // primaryjoin; SQLAlchemy says so itself. Not ours to judge.
                    let _ = declared;
                    return;
                }
                if !uncertain {
                    relationship.join_problem = Some(JoinProblem::NoPath);
                }
            }
            1 => {
                let fk = candidates[0];
                let holder = self.graph.foreign_keys[fk].table;
                relationship.direction = Some(if self_referential {
                    match &remote_side {
                        Some(remote) => {
                            let fk_cols: Vec<ColumnRef> = self.graph.foreign_keys[fk]
                                .columns
                                .iter()
                                .map(|c| (holder, c.clone()))
                                .collect();
                            if remote.iter().all(|c| fk_cols.contains(c)) {
                                Direction::OneToMany
                            } else {
                                Direction::ManyToOne
                            }
                        }
                        None => Direction::OneToMany,
                    }
                } else if target_tables.contains(&holder) {
                    Direction::OneToMany
                } else {
                    Direction::ManyToOne
                });
                relationship.foreign_keys = vec![fk];
                relationship.fk_columns = self.graph.foreign_keys[fk]
                    .columns
                    .iter()
                    .map(|c| (holder, c.clone()))
                    .collect();
            }
            _ => {
                // Several paths: SQLAlchemy cannot choose without being told,
                // and `foreign_keys` naming several separate constraints does
                // not tell it either.
                relationship.join_problem = Some(JoinProblem::Ambiguous(candidates));
            }
        }
    }

    fn fks_of_columns(&self, columns: &[ColumnRef]) -> Vec<ForeignKeyId> {
        let mut fks = Vec::new();
        for (table, column) in columns {
            for &fk in &self.graph.tables[*table].foreign_keys {
                if self.graph.foreign_keys[fk].columns.contains(column) && !fks.contains(&fk) {
                    fks.push(fk);
                }
            }
        }
        fks
    }

    /// Does `column` hold a foreign key to `referred`?
    fn column_refers_to(&self, column: &ColumnRef, referred: &ColumnRef) -> bool {
        self.graph.tables[column.0].foreign_keys.iter().any(|&fk| {
            let fk = &self.graph.foreign_keys[fk];
            match &fk.resolution {
                ForeignKeyResolution::Resolved { table, columns } => {
                    *table == referred.0
                        && fk
                            .columns
                            .iter()
                            .zip(columns)
                            .any(|(local, remote)| *local == column.1 && *remote == referred.1)
                }
                _ => false,
            }
        })
    }

    fn secondary_table(&self, file: FileId, class: ClassId, expr: &Expr) -> Option<TableId> {
        let scope = self.graph.classes[class].scope;
        let expr = match &expr.kind {
            ExprKind::Lambda(body) => body,
            _ => expr,
        };
        match &expr.kind {
            ExprKind::Str(name) => {
                let (schema, table) = match name.rsplit_once('.') {
                    Some((schema, table)) => (Some(schema), table),
                    None => (None, name.as_str()),
                };
                self.table_in_scope(scope, schema, table)
            }
            _ => self.table_of_expr(file, expr),
        }
    }

    /// Reads `foreign_keys=`/`remote_side=`: a column, a list of them, or a
    /// string holding either.
    fn column_list(&self, context: &ColumnContext, expr: &Expr) -> Option<Vec<ColumnRef>> {
        let parsed;
        let expr = match &expr.kind {
            ExprKind::Str(text) => {
                parsed = parse_expression(text)?;
                &*parsed
            }
            ExprKind::Lambda(body) => body,
            _ => expr,
        };
        match expr.elements() {
            Some(items) => items
                .iter()
                .map(|item| self.column_ref(context, item))
                .collect(),
            None => self.column_ref(context, expr).map(|c| vec![c]),
        }
    }

    /// A column written as `Class.attr`, `table.c.col`, or a bare name in the
    /// class body.
    fn column_ref(&self, context: &ColumnContext, expr: &Expr) -> Option<ColumnRef> {
        let expr = match &expr.kind {
            ExprKind::Call(call)
                if matches!(call.callee.last_name(), Some("foreign" | "remote"))
                    && call.args.len() == 1 =>
            {
                &call.args[0]
            }
            _ => expr,
        };
        match &expr.kind {
            ExprKind::Name(name) => self.column_of_attribute(context.class, name),
            ExprKind::Attribute(object, attribute) => {
                if let ExprKind::Attribute(table, c) = &object.kind {
                    if c == "c" || c == "columns" {
                        let table = self.table_of_expr(context.file, table)?;
                        return self.graph.tables[table]
                            .column(attribute)
                            .map(|_| (table, attribute.clone()));
                    }
                }
                let class_name = object.dotted()?;
                let class = self.class_named(context, &class_name)?;
                self.column_of_attribute(class, attribute)
            }
            _ => None,
        }
    }

    fn class_named(&self, context: &ColumnContext, name: &str) -> Option<ClassId> {
        let scope = self.graph.classes[context.class].scope;
        if let Symbol::Class(f, i) = self.resolver.resolve(context.file, name) {
            if let Some(&id) = self.class_by_ref.get(&(f, i)) {
                return Some(id);
            }
        }
        for candidate in [context.class, context.target] {
            if self.graph.classes[candidate].name == name {
                return Some(candidate);
            }
        }
        match self.classes_named(scope, name) {
            [only] => Some(*only),
            _ => None,
        }
    }

    /// The column pairs of `A.x == B.y` (possibly inside `and_(...)` or `&`).
    fn join_pairs(
        &self,
        context: &ColumnContext,
        expr: &Expr,
    ) -> Option<Vec<(JoinSide, JoinSide)>> {
        let parsed;
        let expr = match &expr.kind {
            ExprKind::Str(text) => {
                parsed = parse_expression(text)?;
                &*parsed
            }
            ExprKind::Lambda(body) => body,
            _ => expr,
        };
        match &expr.kind {
            ExprKind::Operation(left, op, right) if op == "==" => {
                // `Book.published == True` filters; it joins nothing.
                if is_literal(left) || is_literal(right) {
                    return Some(Vec::new());
                }
                Some(vec![(
                    self.join_side(context, left)?,
                    self.join_side(context, right)?,
                )])
            }
            ExprKind::Operation(_, op, _)
                if matches!(
                    op.as_str(),
                    "!=" | "<" | ">" | "<=" | ">=" | "is" | "is not" | "in" | "not in"
                ) =>
            {
                Some(Vec::new())
            }
            // `Book.deleted_at.is_(None)`, `Book.kind.in_([...])`: filters.
            ExprKind::Call(call)
                if matches!(
                    call.callee.last_name(),
                    Some(
                        "is_"
                            | "isnot"
                            | "is_not"
                            | "in_"
                            | "not_in"
                            | "like"
                            | "ilike"
                            | "startswith"
                            | "contains"
                    )
                ) =>
            {
                Some(Vec::new())
            }
            ExprKind::Operation(left, op, right) if op == "&" || op == "and" => {
                let mut pairs = self.join_pairs(context, left)?;
                pairs.extend(self.join_pairs(context, right)?);
                Some(pairs)
            }
            ExprKind::Call(call) if call.callee.last_name() == Some("and_") && !call.has_splat => {
                let mut pairs = Vec::new();
                for arg in &call.args {
                    pairs.extend(self.join_pairs(context, arg)?);
                }
                Some(pairs)
            }
            _ => None,
        }
    }

    fn join_side(&self, context: &ColumnContext, expr: &Expr) -> Option<JoinSide> {
        let mut side = JoinSide {
            column: (0, String::new()),
            foreign: false,
            remote: false,
        };
        let mut current = expr;
        while let ExprKind::Call(call) = &current.kind {
            match call.callee.last_name() {
                Some("foreign") if call.args.len() == 1 => side.foreign = true,
                Some("remote") if call.args.len() == 1 => side.remote = true,
                _ => return None,
            }
            current = &call.args[0];
        }
        side.column = self.column_ref(context, current)?;
        Some(side)
    }

    fn pair_relationships(&mut self) {
        // Backrefs create the reverse relationship on the target, unless an
        // attribute of that name exists (SQLAlchemy refuses: SA204).
        let count = self.graph.relationships.len();
        // Growing the list while creating them would copy it several times.
        let created = (self.graph.relationships.iter())
            .filter(|r| r.facts.backref.as_ref().is_some_and(|b| b.name.is_some()))
            .count();
        self.graph.relationships.reserve(created);
        for id in 0..count {
            let relationship = &self.graph.relationships[id];
            let Some(backref) = &relationship.facts.backref else {
                continue;
            };
            let (Some(name), Some(target)) = (&backref.name, relationship.target_class()) else {
                continue;
            };
            if self.relationship_on(target, name).is_some()
                || self.column_of_attribute(target, name).is_some()
            {
                continue;
            }
            let facts = Arc::new(backref_facts(&relationship.facts, backref, name));
            let file = relationship.location.file;
            let created = self.add_relationship(target, file, facts, Some(id));
            self.graph.relationships[id].pair = Some(created);
        }
        // back_populates pairs, which may name a backref-created relationship.
        for id in 0..count {
            let relationship = &self.graph.relationships[id];
            let Some(Setting::Known(name, _)) = relationship.facts.string_option("back_populates")
            else {
                continue;
            };
            let Some(target) = relationship.target_class() else {
                continue;
            };
            if let Some(other) = self.relationship_on(target, name) {
                self.graph.relationships[id].pair = Some(other);
            }
        }
    }

    /// A relationship by attribute on a class or its mapped parents.
    fn relationship_on(&self, class: ClassId, attribute: &str) -> Option<RelationshipId> {
        let mut current = Some(class);
        while let Some(c) = current {
            if let Some(&id) = self.graph.classes[c]
                .relationships
                .iter()
                .find(|&&r| self.graph.relationships[r].attribute() == attribute)
            {
                return Some(id);
            }
            current = self.graph.classes[c].superclass;
        }
        None
    }

    fn collect_attributes(&mut self) {
        for class in 0..self.graph.classes.len() {
            let class_ref = (
                self.graph.classes[class].file,
                self.graph.classes[class].index,
            );
            let lineage = self.lineages[&class_ref].clone();
            let members: usize = std::iter::once(&class_ref)
                .chain(&lineage.ancestors)
                .map(|&(f, i)| {
                    let source = &self.files[f].classes[i];
                    source.columns.len() + source.other_members.len() + source.relationships.len()
                })
                .sum();
            let mut attributes =
                Attributes::with_capacity(members + self.graph.classes[class].relationships.len());
            // An imperatively mapped class maps every column of its table.
            if self.imperative.contains_key(&class) {
                if let Some(table) = self.graph.classes[class].table {
                    for column in &self.graph.tables[table].columns {
                        attributes.add(column.name(), AttributeKind::Column);
                    }
                }
                if let Some(&(file, index)) = self.imperative.get(&class) {
                    for member in &self.files[file].imperative_mappings[index]
                        .properties
                        .other_members
                    {
                        attributes.add(&member.name, AttributeKind::MapperProperty);
                    }
                }
            }
            for &relationship in &self.graph.classes[class].relationships {
                let name = self.graph.relationships[relationship].attribute();
                attributes.add(name, AttributeKind::Relationship(relationship));
            }
            let mut sources = vec![class_ref];
            sources.extend(lineage.ancestors.iter().copied());
            for (f, i) in sources {
                let source = &self.files[f].classes[i];
                for column in &source.columns {
                    // A bare annotation maps a column only in SQLModel, and
                    // nothing in an imperatively mapped class.
                    let mapped = match column.kind {
                        ColumnKind::SqlModelPlain | ColumnKind::SqlModelField => lineage.sqlmodel,
                        _ => true,
                    } && !self.graph.classes[class].imperative;
                    if let (Some(attribute), true) = (&column.attribute, mapped) {
                        attributes.add(attribute, AttributeKind::Column);
                    }
                }
                for member in &source.other_members {
                    let kind = match member.kind {
                        crate::facts::OtherMemberKind::Method => AttributeKind::Method,
                        crate::facts::OtherMemberKind::MapperProperty => {
                            AttributeKind::MapperProperty
                        }
                        crate::facts::OtherMemberKind::Attribute => AttributeKind::Plain,
                        crate::facts::OtherMemberKind::Computed => AttributeKind::Computed,
                    };
                    attributes.add(&member.name, kind);
                }
                if let Some(&mapped) = self.class_by_ref.get(&(f, i)) {
                    for &relationship in &self.graph.classes[mapped].relationships {
                        let name = self.graph.relationships[relationship].attribute();
                        attributes.add(name, AttributeKind::Relationship(relationship));
                    }
                }
            }
            self.graph.classes[class].attributes = attributes;
        }
    }

    fn find_cycles(&mut self) {
        let table_edges: Vec<(usize, usize)> = self
            .graph
            .foreign_keys
            .iter()
            .filter_map(|fk| fk.referred_table().map(|referred| (fk.table, referred)))
            .collect();
        self.graph.table_cycles = strongly_connected(self.graph.tables.len(), &table_edges);
        let mut row_edges = Vec::new();
        for relationship in &self.graph.relationships {
            if relationship.is_viewonly() {
                continue;
            }
            let Some(target) = relationship.target_class() else {
                continue;
            };
            match relationship.direction {
                Some(Direction::OneToMany) => row_edges.push((target, relationship.class)),
                Some(Direction::ManyToOne) => row_edges.push((relationship.class, target)),
                _ => {}
            }
        }
        self.graph.row_cycles = strongly_connected(self.graph.classes.len(), &row_edges);
    }
}

struct ColumnContext {
    file: FileId,
    class: ClassId,
    target: ClassId,
}

struct JoinSide {
    column: ColumnRef,
    foreign: bool,
    remote: bool,
}

fn is_literal(expr: &Expr) -> bool {
    matches!(
        expr.kind,
        ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float
            | ExprKind::Str(_)
            | ExprKind::NoneLiteral
    )
}

/// An expression written in a string (`primaryjoin="..."`). The same strings
/// come back on every link while the user edits elsewhere, and parsing them
/// is most of what reading them costs, so each text is parsed once.
fn parse_expression(text: &str) -> Option<Arc<Expr>> {
    use std::sync::{Mutex, OnceLock};
    /// Enough for every string of a large workspace; cleared when full so
    /// that a long session's abandoned texts do not accumulate.
    const CAPACITY: usize = 1 << 16;
    type Parsed = HashMap<Box<str>, Option<Arc<Expr>>>;
    static PARSED: OnceLock<Mutex<Parsed>> = OnceLock::new();

    let text = text.trim();
    if text.is_empty() || text.len() > 4096 {
        return None;
    }
    let parsed = PARSED.get_or_init(|| Mutex::new(HashMap::default()));
    if let Some(expr) = parsed.lock().ok()?.get(text) {
        return expr.clone();
    }
    let expr = parse_expression_uncached(text).map(Arc::new);
    let mut parsed = parsed.lock().ok()?;
    if parsed.len() >= CAPACITY {
        parsed.clear();
    }
    parsed.insert(text.into(), expr.clone());
    expr
}

fn parse_expression_uncached(text: &str) -> Option<Expr> {
    let tree = crate::syntax::parse(text);
    let root = tree.root_node();
    if root.has_error() {
        return None;
    }
    let node = root.named_child(0)?.named_child(0)?;
    Some(crate::syntax::expr::read_expr(node, text))
}

pub(super) fn effective_cascade(facts: &crate::facts::RelationshipFacts) -> Cascade {
    if facts.flag("viewonly").and_then(|f| f.known().copied()) == Some(true) {
        // SQLAlchemy keeps only "merge" on a viewonly relationship.
        return Cascade {
            merge: true,
            ..Cascade::default()
        };
    }
    match facts.string_option("cascade") {
        Some(Setting::Known(text, _)) => Cascade::parse(text),
        Some(Setting::Unknown(_)) => Cascade {
            unknown: true,
            ..Cascade::default_set()
        },
        None if facts.has_splat => Cascade {
            unknown: true,
            ..Cascade::default_set()
        },
        None => Cascade::default_set(),
    }
}

/// The relationship a backref creates: the backref's own keywords, with
/// `post_update` and `viewonly` carried over from the originating side as
/// SQLAlchemy does.
pub(super) fn backref_facts(
    origin: &crate::facts::RelationshipFacts,
    backref: &BackrefFacts,
    name: &str,
) -> crate::facts::RelationshipFacts {
    let mut keywords = backref.keywords.clone();
    for inherited in ["post_update", "viewonly", "passive_updates"] {
        if !keywords.iter().any(|k| k.name == inherited) {
            if let Some(keyword) = origin.keyword(inherited) {
                keywords.push(keyword.clone());
            }
        }
    }
    crate::facts::RelationshipFacts {
        attribute: name.to_string(),
        attribute_range: backref.range,
        range: backref.range,
        callee_range: backref.range,
        style: RelationshipStyle::Backref,
        target: None,
        annotation: None,
        keywords,
        has_splat: backref.has_splat,
        backref: None,
        from_declared_attr: origin.from_declared_attr,
        // A backref written as a bare string has no call of its own.
        call: backref.call.clone().unwrap_or_else(|| {
            Arc::new(crate::syntax::expr::Call {
                callee: Expr::unknown(backref.range),
                args: Vec::new(),
                keywords: Vec::new(),
                has_splat: false,
                arguments_range: crate::text::TextRange::default(),
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventions_fill_tokens_as_sqlalchemy_does() {
        // Expected names printed by SQLAlchemy 2.1 for tables `shop.line`
        // (a key (vendor_code, sku) to `shop.item`) and `item`.
        let columns = ["vendor_code".to_string(), "sku".to_string()];
        let line = |template: &str, referred: bool| {
            render_convention(
                template,
                &ConventionInput {
                    table: "line",
                    schema: Some("shop"),
                    columns: &columns,
                    referred_table: referred.then_some("item"),
                    referred_columns: if referred { &columns } else { &[] },
                    constraint_name: None,
                },
            )
        };
        assert_eq!(
            line(
                "fk_%(column_0_label)s_%(referred_column_0_N_name)s_%(column_1_name)s",
                true
            )
            .as_deref(),
            Some("fk_shop_line_vendor_code_vendor_code_sku_sku")
        );
        assert_eq!(
            line(
                "uq_%(column_0N_label)s_%(column_1_key)s_%(column_2_name)s",
                false
            )
            .as_deref(),
            Some("uq_shop_line_vendor_codeshop_line_sku_sku_")
        );
        assert_eq!(
            line("pk_%(table_name)s_%(column_0_N_name)s", false).as_deref(),
            Some("pk_line_vendor_code_sku")
        );
        assert_eq!(
            line("%(referred_table_name)s", true).as_deref(),
            Some("item")
        );
        // Not filled: a callable's token, a name never written, a referred
        // column past the last, `1N`.
        assert_eq!(line("fk_%(fk_guid)s", true), None);
        assert_eq!(line("ck_%(constraint_name)s", false), None);
        assert_eq!(line("%(referred_column_2_name)s", true), None);
        assert_eq!(line("%(column_1N_name)s", false), None);
    }

    /// A lookup with borrowed names finds exactly the owned key it equals:
    /// the two key types must hash alike, or lookups silently miss.
    #[test]
    fn borrowed_keys_find_owned_ones() {
        let mut tables: NameMap<TableKey, TableId> = NameMap::default();
        let owned = |scope, schema: Option<&str>, name: &str| TableKey {
            scope,
            schema: schema.map(str::to_string),
            name: name.to_string(),
        };
        tables.insert(owned(0, None, "users"), 1);
        tables.insert(owned(0, Some("audit"), "users"), 2);
        tables.insert(owned(1, None, "users"), 3);
        tables.insert(owned(0, Some(""), "users"), 4);
        let find = |scope, schema, name| {
            tables
                .get(&TableKeyRef {
                    scope,
                    schema,
                    name,
                })
                .copied()
        };
        assert_eq!(find(0, None, "users"), Some(1));
        assert_eq!(find(0, Some("audit"), "users"), Some(2));
        assert_eq!(find(1, None, "users"), Some(3));
        assert_eq!(find(0, Some(""), "users"), Some(4));
        assert_eq!(find(0, Some("audit"), "user"), None);
        assert_eq!(find(2, None, "users"), None);

        let mut classes: NameMap<ClassKey, Vec<ClassId>> = NameMap::default();
        for (id, (scope, name)) in [(0, "User"), (0, "Address"), (1, "User")]
            .into_iter()
            .enumerate()
        {
            classes
                .entry(ClassKey {
                    scope,
                    name: name.to_string(),
                })
                .or_default()
                .push(id);
        }
        let named = |scope, name| classes.get(&ClassKeyRef { scope, name }).cloned();
        assert_eq!(named(0, "User"), Some(vec![0]));
        assert_eq!(named(1, "User"), Some(vec![2]));
        assert_eq!(named(0, "Address"), Some(vec![1]));
        assert_eq!(named(1, "Address"), None);
    }
}
