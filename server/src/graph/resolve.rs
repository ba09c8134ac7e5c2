//! What a name used in one module refers to, across the workspace's modules.

use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::sync::Arc;

use super::FileId;
use crate::facts::FileFacts;
use crate::syntax::expr::{Expr, ExprKind};

const MAX_DEPTH: usize = 24;

#[derive(Debug, Clone, PartialEq)]
pub enum Symbol {
    /// A class of the workspace: file and index into `FileFacts::classes`.
    Class(FileId, usize),
    /// A module-level binding whose value is not a plain alias.
    Binding(FileId, usize),
    Module(FileId),
    /// A dotted path outside the workspace (`sqlalchemy.orm.DeclarativeBase`).
    External(String),
    /// An attribute of something that is not a module.
    Attribute(Box<Symbol>, String),
    Unknown,
}

pub struct Resolver<'a> {
    files: &'a [Arc<FileFacts>],
    /// Per file: each module-level name's last class, binding and import
    /// (indices into the file's facts), so a lookup does not scan them.
    names: Vec<HashMap<&'a str, Definitions>>,
    /// Per file: dotted names already resolved there. Every class of a
    /// module names the same few bases and targets.
    resolved: Vec<RefCell<HashMap<Box<str>, Symbol>>>,
    modules: ModuleSource<'a>,
}

/// Where a resolver finds modules by name.
enum ModuleSource<'a> {
    /// Among the files it resolves in.
    Own(Modules<'a>),
    /// Among a whole workspace's modules, of which it resolves in a part
    /// (a unit, see `units`): a name means the module it means in the
    /// workspace (`app.models` is not found by its suffix when two
    /// packages have one), numbered as in the part.
    Workspace {
        modules: &'a Modules<'a>,
        /// Workspace id -> id in the part.
        part: HashMap<FileId, FileId>,
    },
}

impl ModuleSource<'_> {
    fn module(&self, name: &str) -> Option<FileId> {
        match self {
            ModuleSource::Own(modules) => modules.module(name),
            ModuleSource::Workspace { modules, part } => {
                modules.module(name).and_then(|id| part.get(&id).copied())
            }
        }
    }

    fn exact(&self, name: &str) -> Option<FileId> {
        match self {
            ModuleSource::Own(modules) => modules.exact(name),
            ModuleSource::Workspace { modules, part } => {
                modules.exact(name).and_then(|id| part.get(&id).copied())
            }
        }
    }
}

/// The workspace's modules by dotted name.
pub struct Modules<'a> {
    files: &'a [Arc<FileFacts>],
    exact: HashMap<&'a str, FileId>,
    /// Last dotted component -> modules, for `src/` layouts where the path
    /// gives `src.app.models` but imports say `app.models`.
    by_suffix: HashMap<&'a str, Vec<FileId>>,
}

impl<'a> Modules<'a> {
    pub fn new(files: &'a [Arc<FileFacts>]) -> Self {
        let mut exact = HashMap::default();
        let mut by_suffix: HashMap<&str, Vec<FileId>> = HashMap::default();
        for (id, file) in files.iter().enumerate() {
            exact.entry(file.module.as_str()).or_insert(id);
            let last = file.module.rsplit('.').next().unwrap_or("");
            by_suffix.entry(last).or_default().push(id);
        }
        Modules {
            files,
            exact,
            by_suffix,
        }
    }

    /// The dotted name of module `id`.
    pub fn name(&self, id: FileId) -> &'a str {
        &self.files[id].module
    }

    /// The module of exactly this dotted name.
    pub fn exact(&self, name: &str) -> Option<FileId> {
        self.exact.get(name).copied()
    }

    /// The workspace file of a dotted module name: exact, or the one module
    /// whose name ends with `.name`.
    pub fn module(&self, name: &str) -> Option<FileId> {
        if let Some(&id) = self.exact.get(name) {
            return Some(id);
        }
        let last = name.rsplit('.').next().unwrap_or(name);
        // Ends with `.{name}`, tested without building that string.
        let ends_with_suffix = |module: &str| {
            module
                .strip_suffix(name)
                .is_some_and(|head| head.ends_with('.'))
        };
        let mut found = self
            .by_suffix
            .get(last)?
            .iter()
            .filter(|&&id| ends_with_suffix(&self.files[id].module));
        let first = *found.next()?;
        found.next().is_none().then_some(first)
    }
}

/// The last definitions of one name in a module, by kind.
#[derive(Debug, Clone, Copy, Default)]
struct Definitions {
    class: Option<usize>,
    binding: Option<usize>,
    import: Option<usize>,
}

fn definitions(facts: &FileFacts) -> HashMap<&str, Definitions> {
    let mut names: HashMap<&str, Definitions> = HashMap::with_capacity_and_hasher(
        facts.classes.len() + facts.bindings.len() + facts.imports.len(),
        Default::default(),
    );
    // Later definitions overwrite earlier ones: the facts are in source order.
    for (index, class) in facts.classes.iter().enumerate() {
        if !class.nested_in_function {
            names.entry(class.name.as_str()).or_default().class = Some(index);
        }
    }
    for (index, binding) in facts.bindings.iter().enumerate() {
        names.entry(binding.name.as_str()).or_default().binding = Some(index);
    }
    for (index, import) in facts.imports.iter().enumerate() {
        if !import.star {
            names.entry(import.local.as_str()).or_default().import = Some(index);
        }
    }
    names
}

impl<'a> Resolver<'a> {
    pub fn new(files: &'a [Arc<FileFacts>]) -> Self {
        Self::with_modules(files, ModuleSource::Own(Modules::new(files)))
    }

    /// A resolver over part of a workspace: `files` are the workspace's
    /// files `part` (in that order), whose modules are `modules`.
    pub fn in_workspace(
        files: &'a [Arc<FileFacts>],
        modules: &'a Modules<'a>,
        part: &[FileId],
    ) -> Self {
        let part = (part.iter().enumerate())
            .map(|(local, &id)| (id, local))
            .collect();
        Self::with_modules(files, ModuleSource::Workspace { modules, part })
    }

    fn with_modules(files: &'a [Arc<FileFacts>], modules: ModuleSource<'a>) -> Self {
        Self {
            files,
            resolved: files.iter().map(|_| RefCell::default()).collect(),
            names: files.iter().map(|file| definitions(file)).collect(),
            modules,
        }
    }

    /// The workspace file of a dotted module name (see [`Modules::module`]).
    pub fn module(&self, name: &str) -> Option<FileId> {
        self.modules.module(name)
    }

    /// Resolves a dotted name as used in `file`.
    pub fn resolve(&self, file: FileId, dotted: &str) -> Symbol {
        if let Some(symbol) = self.resolved[file].borrow().get(dotted) {
            return symbol.clone();
        }
        let symbol = self.resolve_at(file, dotted, 0);
        self.resolved[file]
            .borrow_mut()
            .insert(dotted.into(), symbol.clone());
        symbol
    }

    /// Resolves a name or attribute expression as used in `file`.
    pub fn resolve_expr(&self, file: FileId, expr: &Expr) -> Symbol {
        match expr.dotted() {
            Some(dotted) => self.resolve(file, &dotted),
            None => Symbol::Unknown,
        }
    }

    fn resolve_at(&self, file: FileId, dotted: &str, depth: usize) -> Symbol {
        if depth > MAX_DEPTH {
            return Symbol::Unknown;
        }
        let mut parts = dotted.split('.');
        let first = parts.next().unwrap_or("");
        let mut symbol = self.lookup(file, first, depth + 1);
        for part in parts {
            symbol = self.attribute(symbol, part, depth + 1);
        }
        symbol
    }

    fn attribute(&self, symbol: Symbol, name: &str, depth: usize) -> Symbol {
        match symbol {
            Symbol::Module(module) => {
                let child = format!("{}.{name}", self.files[module].module);
                if let Some(id) = self.modules.exact(&child) {
                    return Symbol::Module(id);
                }
                self.member(module, name, depth + 1)
            }
            Symbol::External(path) => Symbol::External(format!("{path}.{name}")),
            Symbol::Unknown => Symbol::Unknown,
            other => Symbol::Attribute(Box::new(other), name.to_string()),
        }
    }

    /// A name looked up in a module's global namespace.
    fn lookup(&self, file: FileId, name: &str, depth: usize) -> Symbol {
        if depth > MAX_DEPTH {
            return Symbol::Unknown;
        }
        let facts = &self.files[file];
        // The last definition in source order wins, as at import time.
        let found = self.names[file].get(name).copied().unwrap_or_default();
        let class = found.class.map(|index| (index, &facts.classes[index]));
        let binding = found.binding.map(|index| (index, &facts.bindings[index]));
        let import = found.import.map(|index| &facts.imports[index]);
        let class_at = class.map(|(_, c)| c.range.start);
        let binding_at = binding.map(|(_, b)| b.name_range.start);
        let import_at = import.map(|i| i.range.start);
        let latest = [class_at, binding_at, import_at]
            .into_iter()
            .flatten()
            .max();
        match latest {
            Some(at) if Some(at) == class_at => {
                return Symbol::Class(file, class.unwrap().0);
            }
            Some(at) if Some(at) == binding_at => {
                let (index, binding) = binding.unwrap();
                // Follow plain aliases: `Base = db.Model`, `metadata = Base.metadata`.
                return match &binding.value.kind {
                    ExprKind::Name(_) | ExprKind::Attribute(..)
                        if binding.value.dotted().as_deref() != Some(name) =>
                    {
                        match binding.value.dotted() {
                            Some(alias) => self.resolve_at(file, &alias, depth + 1),
                            None => Symbol::Binding(file, index),
                        }
                    }
                    _ => Symbol::Binding(file, index),
                };
            }
            Some(_) => {
                let import = import.unwrap();
                return match &import.member {
                    Some(member) => {
                        let submodule = format!("{}.{member}", import.module);
                        if let Some(id) = self.module(&submodule) {
                            Symbol::Module(id)
                        } else if let Some(id) = self.module(&import.module) {
                            if id == file {
                                Symbol::Unknown
                            } else {
                                self.member(id, member, depth + 1)
                            }
                        } else {
                            Symbol::External(submodule)
                        }
                    }
                    None => match self.module(&import.module) {
                        Some(id) => Symbol::Module(id),
                        None => Symbol::External(import.module.clone()),
                    },
                };
            }
            None => {}
        }
        for star in facts.imports.iter().filter(|i| i.star) {
            match self.module(&star.module) {
                Some(id) if id != file => {
                    let found = self.member(id, name, depth + 1);
                    if found != Symbol::Unknown {
                        return found;
                    }
                }
                Some(_) => {}
                None => {
                    if crate::facts::imports::is_sqlalchemy_module(&star.module) {
                        return Symbol::External(format!("{}.{name}", star.module));
                    }
                }
            }
        }
        Symbol::Unknown
    }

    /// A member of a module: its own definitions, then what it imports.
    fn member(&self, module: FileId, name: &str, depth: usize) -> Symbol {
        self.lookup(module, name, depth + 1)
    }
}
