//! Per-file model facts: pure, infallible extraction from one file's text.
//!
//! The `.scm` queries find imports, classes, module bindings, class members
//! and call sites; this module reads their captures into plain data with byte
//! ranges. Nothing here knows about other files or about rules: what depends
//! on another file (which base a class really has, what a string target names)
//! is left for the linker.

pub mod imports;
mod incremental;
mod members;
pub mod names;
pub mod types;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::ops::Range;
use std::sync::Arc;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, QueryCursor, Tree};

pub use imports::Import;
pub use incremental::extract_edited;
pub use members::*;
pub use names::{Construct, Origin, Scope};
pub use types::*;

use crate::syntax::expr::{node_range, node_text, read_expr, Expr, ExprKind, Keyword};
use crate::syntax::{self, QueryFile};
use crate::text::TextRange;

/// Everything the analyzer knows about one file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    /// Path relative to the workspace root, with `/` separators.
    pub path: String,
    /// Dotted module name derived from the path (`app/models/user.py` -> `app.models.user`).
    pub module: String,
    /// An `__init__.py`.
    pub is_package: bool,
    pub imports: Vec<Import>,
    /// Module-level `name = value` bindings, in order.
    pub bindings: Vec<Binding>,
    /// Module-level `a.b.c = value` assignments (`SQLModel.metadata.naming_convention = {...}`).
    pub attribute_assignments: Vec<Binding>,
    pub classes: Vec<Arc<ClassFacts>>,
    /// `Table(...)` calls outside class bodies.
    pub tables: Vec<TableFacts>,
    pub call_sites: Vec<CallSite>,
    /// Ranges of string literals that switch SQLite foreign keys on.
    pub foreign_key_pragmas: Vec<TextRange>,
    /// The file has syntax errors; facts cover the parts that parsed.
    pub has_syntax_errors: bool,
    /// Error recovery left a `class` statement or a `Table(...)` call in
    /// pieces, unread: what the workspace seems to lack may be defined
    /// here (an unclosed bracket swallows the rest of the file).
    pub hides_definitions: bool,
    /// Error recovery left an import in pieces too (read only where
    /// definitions are hidden): the hidden definitions may name a module
    /// the facts do not say this file imports.
    pub hides_imports: bool,
    /// `from __future__ import annotations`: every annotation is a string.
    pub future_annotations: bool,
    /// Classes mapped with `map_imperatively(Cls, table, properties=...)`.
    pub imperative_mappings: Vec<ImperativeMapping>,
}

/// `registry.map_imperatively(Cls, table, properties={...})`: a plain class
/// mapped to a Core table, its relationships given as properties.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImperativeMapping {
    pub class: Expr,
    pub table: Expr,
    /// The registry it was called on (`mapper_registry`), if any.
    pub registry: Option<Expr>,
    /// The properties read as class members (relationships, column properties).
    pub properties: ClassFacts,
    pub range: TextRange,
}

/// A module-level binding; `name` is dotted for attribute targets.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Binding {
    pub name: String,
    pub name_range: TextRange,
    pub value: Expr,
}

/// A call site a rule about deletes or engines may care about.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CallSite {
    /// The function the call is in, if any.
    pub function_range: Option<TextRange>,
    pub construct: Option<Construct>,
    /// The callee as written (`session.query(User).filter(...).delete`).
    pub callee: Expr,
    pub call: Expr,
}

impl FileFacts {
    /// Gives back the spare capacity of the file's own vectors (see
    /// [`ClassFacts::shrink_to_fit`] for the classes').
    pub fn shrink_to_fit(&mut self) {
        self.imports.shrink_to_fit();
        self.bindings.shrink_to_fit();
        self.attribute_assignments.shrink_to_fit();
        self.classes.shrink_to_fit();
        self.tables.shrink_to_fit();
        self.call_sites.shrink_to_fit();
        self.foreign_key_pragmas.shrink_to_fit();
        self.imperative_mappings.shrink_to_fit();
    }

    pub fn binding(&self, name: &str) -> Option<&Binding> {
        self.bindings.iter().rev().find(|b| b.name == name)
    }

    pub fn class(&self, name: &str) -> Option<&ClassFacts> {
        self.classes
            .iter()
            .rev()
            .find(|c| c.name == name && !c.nested_in_function)
            .map(Arc::as_ref)
    }

    /// Names bound at module level (classes, assignments), for name resolution.
    pub fn local_names(&self) -> HashSet<String> {
        local_names(&self.bindings, &self.classes)
    }
}

/// The names a module binds itself: its bindings and classes.
fn local_names(bindings: &[Binding], classes: &[Arc<ClassFacts>]) -> HashSet<String> {
    let mut names: HashSet<String> =
        HashSet::with_capacity_and_hasher(bindings.len() + classes.len(), Default::default());
    names.extend(bindings.iter().map(|b| b.name.clone()));
    names.extend(classes.iter().map(|c| c.name.clone()));
    names
}

/// The dotted module name of a workspace-relative path.
pub fn module_name(path: &str) -> (String, bool) {
    let without_ext = path
        .strip_suffix(".pyi")
        .or_else(|| path.strip_suffix(".py"))
        .unwrap_or(path);
    let mut parts: Vec<&str> = without_ext
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let is_package = parts.last() == Some(&"__init__");
    if is_package {
        parts.pop();
    }
    (parts.join("."), is_package)
}

/// Extracts the facts of one file.
pub fn extract(path: &str, source: &str) -> FileFacts {
    let tree = syntax::parse(source);
    extract_from_tree(path, source, &tree)
}

pub fn extract_from_tree(path: &str, source: &str, tree: &Tree) -> FileFacts {
    let root = tree.root_node();
    let mut facts = empty_facts(path, root, source);
    let mut found = find_nodes(root, source, None);
    read_statements(&mut found, source, &mut facts);
    let imports = std::mem::take(&mut facts.imports);
    let locals = facts.local_names();
    let scope = module_scope(&imports, &facts.bindings, &locals);
    interpret(&found, source, &scope, &mut facts);
    drop(scope);
    facts.imports = imports;
    facts.shrink_to_fit();
    facts
}

/// The facts of a file before anything is read from its tree.
fn empty_facts(path: &str, root: Node, source: &str) -> FileFacts {
    let (module, is_package) = module_name(path);
    let hides_definitions = errors_hide_definitions(root, source);
    FileFacts {
        path: path.to_string(),
        module,
        is_package,
        has_syntax_errors: root.has_error(),
        hides_definitions,
        hides_imports: hides_definitions && errors_hide_an_import(root, source),
        ..FileFacts::default()
    }
}

/// Whether an error node holds the pieces of a class statement (its
/// `class` keyword outside a class definition) or a `Table(...)` call:
/// definitions no fact may be read from. Outside error nodes only the
/// subtrees that contain errors are visited, so a file without any costs
/// nothing; the visit ends at the first piece, which follows the error
/// closely when an open bracket swallows the rest of a file.
fn errors_hide_definitions(root: Node, source: &str) -> bool {
    let mut pending = vec![(root, false)];
    while let Some((node, in_error)) = pending.pop() {
        let in_error = in_error || node.is_error();
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if in_error && is_definition_piece(node, child, source) {
                return true;
            }
            if in_error || child.has_error() {
                pending.push((child, in_error));
            }
        }
    }
    false
}

/// Whether an error node holds an import the facts do not read: the
/// `import` keyword (or the name error recovery may make of it) inside an
/// error, and not in an import statement read whole (the queries match
/// statements inside errors). Found from the word's occurrences in the
/// text, few and near the top, rather than by visiting an error region
/// that may be the rest of the file.
fn errors_hide_an_import(root: Node, source: &str) -> bool {
    let mut from = 0;
    while let Some(found) = source[from..].find("import") {
        let start = from + found;
        from = start + "import".len();
        let Some(word) = root.descendant_for_byte_range(start, from) else {
            continue;
        };
        let is_word = word.kind() == "import"
            || (word.kind() == "identifier" && node_text(word, source) == "import");
        if !is_word {
            continue;
        }
        let mut ancestor = word.parent();
        while let Some(node) = ancestor {
            if is_import_statement(node) && !node.has_error() {
                break;
            }
            if node.is_error() {
                return true;
            }
            ancestor = node.parent();
        }
    }
    false
}

fn is_import_statement(node: Node) -> bool {
    matches!(
        node.kind(),
        "import_statement" | "import_from_statement" | "future_import_statement"
    )
}

/// A child inside an error node that begins a definition: the `class`
/// keyword of no class definition (error recovery may also read it as a
/// name), or the name `Table` (also of `sa.Table`). The parent is passed:
/// `Node::parent` searches down from the root.
fn is_definition_piece(parent: Node, child: Node, source: &str) -> bool {
    match child.kind() {
        "class" => parent.kind() != "class_definition",
        "identifier" => matches!(node_text(child, source), "class" | "Table"),
        _ => false,
    }
}

/// Reads what the found nodes say by themselves: imports, classes with
/// their raw members, module-level bindings.
fn read_statements(found: &mut FoundNodes, source: &str, facts: &mut FileFacts) {
    for node in &found.imports {
        facts.imports.extend(imports::read_import(
            *node,
            source,
            &facts.module,
            facts.is_package,
        ));
    }
    facts.future_annotations = has_future_annotations(&facts.imports);
    read_definitions(found, source, facts);
}

fn has_future_annotations(imports: &[Import]) -> bool {
    imports
        .iter()
        .any(|i| i.module == "__future__" && i.member.as_deref() == Some("annotations"))
}

/// How the module's names resolve: its imports, the names it binds, the
/// names bound once to a string literal or to `re.compile("...")`.
fn module_scope<'a>(
    imports: &'a [Import],
    bindings: &[Binding],
    locals: &'a HashSet<String>,
) -> Scope<'a> {
    let mut constants: HashMap<String, String> = HashMap::default();
    let mut rebound: HashSet<String> = HashSet::default();
    for binding in bindings {
        match binding.value.as_str() {
            Some(text)
                if !constants.contains_key(&binding.name) && !rebound.contains(&binding.name) =>
            {
                constants.insert(binding.name.clone(), text.to_string());
            }
            _ => {
                constants.remove(&binding.name);
                rebound.insert(binding.name.clone());
            }
        }
    }
    let patterns: HashMap<String, String> = bindings
        .iter()
        .filter_map(|b| Some((b.name.clone(), compiled_pattern(b)?.to_string())))
        .collect();
    Scope::new(imports, locals)
        .with_constants(constants)
        .with_patterns(patterns)
}

/// The pattern of a `name = re.compile("literal")` binding.
fn compiled_pattern(binding: &Binding) -> Option<&str> {
    let call = binding.value.as_call()?;
    if call.callee.dotted().as_deref() != Some("re.compile") {
        return None;
    }
    call.args.first()?.as_str()
}

/// Reads what depends on the module's names: what each class's members
/// are, the tables of module-level bindings, the call sites.
fn interpret(found: &FoundNodes, source: &str, scope: &Scope, facts: &mut FileFacts) {
    for class in &mut facts.classes {
        // Freshly read: the class is not shared yet, make_mut does not copy.
        let class = Arc::make_mut(class);
        members::interpret_class(class, source, scope);
        class.shrink_to_fit();
    }
    facts.tables = facts
        .bindings
        .iter()
        .filter_map(|binding| members::read_table(&binding.value, scope, Some(&binding.name)))
        .collect();
    read_calls(found, source, scope, facts);
}

/// The nodes the model query found in one file, sorted by what they are,
/// each list in the order the query reported them.
struct FoundNodes<'tree> {
    /// The module node the query ran on.
    root: Node<'tree>,
    imports: Vec<Node<'tree>>,
    /// A class and, when decorated, its `decorated_definition`.
    classes: Vec<(Node<'tree>, Option<Node<'tree>>)>,
    /// Assignment target and value, at any depth.
    bindings: Vec<(Node<'tree>, Node<'tree>)>,
    /// Module-level `a.b = value`: target and value.
    attribute_assignments: Vec<(Node<'tree>, Node<'tree>)>,
    /// Members of every block that looks like a class body, by the block's id.
    members: HashMap<usize, Vec<MemberMatch<'tree>>>,
    /// Call and callee.
    calls: Vec<(Node<'tree>, Node<'tree>)>,
    pragmas: Vec<Node<'tree>>,
}

enum MemberMatch<'tree> {
    Attribute {
        member: Node<'tree>,
        name: Node<'tree>,
        annotation: Option<Node<'tree>>,
        value: Option<Node<'tree>>,
    },
    /// One match per decorator of a decorated method.
    Method {
        method: Node<'tree>,
        name: Node<'tree>,
        decorator: Option<Node<'tree>>,
        return_type: Option<Node<'tree>>,
        body: Option<Node<'tree>>,
    },
    PlainMethod {
        method: Node<'tree>,
        name: Node<'tree>,
    },
}

/// Runs the model query over the whole tree once, or over the top-level
/// statements within `range` (the matches wholly inside it).
fn find_nodes<'tree>(
    root: Node<'tree>,
    source: &str,
    range: Option<Range<usize>>,
) -> FoundNodes<'tree> {
    let model = syntax::model_query();
    let c = &model.captures;
    let mut found = FoundNodes {
        root,
        imports: Vec::new(),
        classes: Vec::new(),
        bindings: Vec::new(),
        attribute_assignments: Vec::new(),
        members: HashMap::default(),
        calls: Vec::new(),
        pragmas: Vec::new(),
    };
    let mut cursor = QueryCursor::new();
    if let Some(range) = &range {
        cursor.set_byte_range(range.clone());
    }
    let mut matches = cursor.matches(&model.query, root, source.as_bytes());
    while let Some(m) = matches.next() {
        // A match may reach outside the range it intersects.
        if let Some(range) = &range {
            let inside =
                |node: Node| range.start <= node.start_byte() && node.end_byte() <= range.end;
            if !m.captures.iter().all(|capture| inside(capture.node)) {
                continue;
            }
        }
        let capture = |index: u32| m.captures.iter().find(|x| x.index == index).map(|x| x.node);
        match model.file_of_pattern(m.pattern_index) {
            QueryFile::Imports => found.imports.extend(m.captures.iter().map(|x| x.node)),
            QueryFile::Definitions => {
                if let Some(class) = capture(c.class) {
                    found.classes.push((class, capture(c.decorated)));
                } else if let (Some(target), Some(value)) = (capture(c.target), capture(c.value)) {
                    found.bindings.push((target, value));
                } else if let (Some(target), Some(value)) =
                    (capture(c.attribute_target), capture(c.attribute_value))
                {
                    found.attribute_assignments.push((target, value));
                }
            }
            QueryFile::ClassBody => {
                let Some(body) = capture(c.body) else {
                    continue;
                };
                let member = if let (Some(member), Some(name)) =
                    (capture(c.member), capture(c.member_name))
                {
                    MemberMatch::Attribute {
                        member,
                        name,
                        annotation: capture(c.member_annotation),
                        value: capture(c.member_value),
                    }
                } else if let (Some(method), Some(name)) =
                    (capture(c.method), capture(c.method_name))
                {
                    MemberMatch::Method {
                        method,
                        name,
                        decorator: capture(c.method_decorator),
                        return_type: capture(c.method_return_type),
                        body: capture(c.method_body),
                    }
                } else if let (Some(method), Some(name)) =
                    (capture(c.plain_method), capture(c.plain_method_name))
                {
                    MemberMatch::PlainMethod { method, name }
                } else {
                    continue;
                };
                found.members.entry(body.id()).or_default().push(member);
            }
            QueryFile::Calls => {
                if let Some(pragma) = capture(c.pragma) {
                    found.pragmas.push(pragma);
                } else if let (Some(call), Some(callee)) = (capture(c.call), capture(c.callee)) {
                    found.calls.push((call, callee));
                }
            }
        }
    }
    found
}

fn read_definitions(found: &mut FoundNodes, source: &str, facts: &mut FileFacts) {
    let mut seen_classes: HashMap<usize, usize> = HashMap::default();
    for &(class_node, decorated) in &found.classes {
        match seen_classes.get(&class_node.id()) {
            Some(&at) => {
                if let Some(decorated) = decorated {
                    Arc::make_mut(&mut facts.classes[at]).decorators =
                        read_decorators(decorated, source);
                }
            }
            None => {
                let mut class = read_class(found.root, class_node, source, &mut found.members);
                if let Some(decorated) = decorated {
                    class.decorators = read_decorators(decorated, source);
                }
                seen_classes.insert(class_node.id(), facts.classes.len());
                facts.classes.push(Arc::new(class));
            }
        }
    }
    for &(target, value) in &found.bindings {
        if !at_module_level(found.root, target) {
            continue;
        }
        // `a = b = value` and tuple targets: bind every plain name.
        if target.kind() == "identifier" {
            facts.bindings.push(Binding {
                name: node_text(target, source).to_string(),
                name_range: node_range(target),
                value: read_expr(value, source),
            });
        }
    }
    for &(target, value) in &found.attribute_assignments {
        if let Some(name) = read_expr(target, source).dotted() {
            facts.attribute_assignments.push(Binding {
                name,
                name_range: node_range(target),
                value: read_expr(value, source),
            });
        }
    }
    // Classes in source order (the query may report a decorated class first).
    facts.classes.sort_by_key(|c| c.range.start);
}

fn read_decorators(decorated: Node, source: &str) -> Vec<Expr> {
    let mut decorators = Vec::new();
    let mut cursor = decorated.walk();
    for child in decorated.named_children(&mut cursor) {
        if child.kind() == "decorator" {
            let mut inner = child.walk();
            let expr = child
                .named_children(&mut inner)
                .find(|n| n.kind() != "comment");
            if let Some(expr) = expr {
                decorators.push(read_expr(expr, source));
            }
        }
    }
    decorators
}

fn read_class(
    root: Node,
    node: Node,
    source: &str,
    members: &mut HashMap<usize, Vec<MemberMatch>>,
) -> ClassFacts {
    let name_node = node.child_by_field_name("name");
    let mut class = ClassFacts {
        name: name_node
            .map(|n| node_text(n, source).to_string())
            .unwrap_or_default(),
        name_range: name_node.map(node_range).unwrap_or_default(),
        range: node_range(node),
        nested_in_function: inside_function(root, node),
        dynamic: members_hidden(node),
        ..ClassFacts::default()
    };
    if let Some(superclasses) = node.child_by_field_name("superclasses") {
        let mut cursor = superclasses.walk();
        for argument in superclasses.named_children(&mut cursor) {
            match argument.kind() {
                "keyword_argument" => {
                    if let (Some(name), Some(value)) = (
                        argument.child_by_field_name("name"),
                        argument.child_by_field_name("value"),
                    ) {
                        class.keywords.push(Keyword {
                            name: node_text(name, source).to_string(),
                            name_range: node_range(name),
                            value: read_expr(value, source),
                            range: node_range(argument),
                        });
                    }
                }
                "comment" => {}
                "list_splat" | "dictionary_splat" => class.dynamic = true,
                _ => class.bases.push(read_expr(argument, source)),
            }
        }
    }
    if let Some(body) = node.child_by_field_name("body") {
        class.body_range = node_range(body);
        let matches = members.remove(&body.id()).unwrap_or_default();
        read_class_body(matches, source, &mut class);
    }
    class
}

/// Whether error recovery hid some of a class's statements: its body is
/// gone, or the class or its body holds statements in pieces. An error
/// inside one statement (a string still open in a call) hides nothing:
/// the statement is read.
fn members_hidden(class: Node) -> bool {
    if !class.has_error() {
        return false;
    }
    let Some(body) = class.child_by_field_name("body") else {
        return true;
    };
    let in_pieces = |parent: Node| {
        let mut cursor = parent.walk();
        let found = parent
            .children(&mut cursor)
            .any(|child| child.is_error() && child.named_child_count() > 0);
        found
    };
    body.is_error() || in_pieces(class) || in_pieces(body)
}

/// The ancestors of `node` below the module, outermost first.
///
/// Walked down from the root: `Node::parent` searches down from the root
/// on every call, scanning every top-level statement, so walking up costs
/// that scan once per level.
fn ancestors<'tree>(root: Node<'tree>, node: Node<'tree>) -> impl Iterator<Item = Node<'tree>> {
    let mut current = root;
    std::iter::from_fn(move || {
        let child = current.child_with_descendant(node).filter(|&c| c != node)?;
        current = child;
        Some(child)
    })
}

/// Not inside a function, class or lambda: a binding of the module itself
/// (possibly under `if`, `try` or `with`).
fn at_module_level(root: Node, node: Node) -> bool {
    !ancestors(root, node).any(|a| {
        matches!(
            a.kind(),
            "function_definition" | "class_definition" | "lambda"
        )
    })
}

/// The innermost function around `node`.
fn enclosing_function<'tree>(root: Node<'tree>, node: Node<'tree>) -> Option<Node<'tree>> {
    ancestors(root, node)
        .filter(|a| a.kind() == "function_definition")
        .last()
}

fn inside_function(root: Node, node: Node) -> bool {
    ancestors(root, node).any(|a| a.kind() == "function_definition")
}

/// Reads the members the query found in the class's own body (nested
/// classes' bodies have their own entries).
fn read_class_body(matches: Vec<MemberMatch>, source: &str, class: &mut ClassFacts) {
    let mut methods: HashMap<usize, usize> = HashMap::default();
    for found in matches {
        match found {
            MemberMatch::Attribute {
                member,
                name,
                annotation,
                value,
            } => class.raw_members.push(RawMember::Attribute {
                name: node_text(name, source).to_string(),
                name_range: node_range(name),
                annotation: annotation.map(|a| read_expr(a, source)),
                value: value.map(|v| read_expr(v, source)),
                range: node_range(member),
            }),
            MemberMatch::Method {
                method,
                name,
                decorator,
                return_type,
                body,
            } => {
                let decorator = decorator.and_then(|d| {
                    let mut inner = d.walk();
                    let expr = d.named_children(&mut inner).find(|n| n.kind() != "comment");
                    expr.map(|e| read_expr(e, source))
                });
                // One match per decorator: collect them on one method.
                let at = *methods.entry(method.id()).or_insert_with(|| {
                    class.raw_members.push(RawMember::Method {
                        name: node_text(name, source).to_string(),
                        name_range: node_range(name),
                        decorators: Vec::new(),
                        return_type: return_type.map(|t| read_expr(t, source)),
                        returns: body.map(|b| read_returns(b, source)).unwrap_or_default(),
                        range: node_range(method),
                    });
                    class.raw_members.len() - 1
                });
                if let (Some(decorator), RawMember::Method { decorators, .. }) =
                    (decorator, &mut class.raw_members[at])
                {
                    decorators.push(decorator);
                }
            }
            MemberMatch::PlainMethod { method, name } => {
                class.raw_members.push(RawMember::Method {
                    name: node_text(name, source).to_string(),
                    name_range: node_range(name),
                    decorators: Vec::new(),
                    return_type: None,
                    returns: Vec::new(),
                    range: node_range(method),
                })
            }
        }
    }
    class.raw_members.sort_by_key(|m| m.range().start);
}

/// The `return` expressions at the top level of a function body (and inside
/// its top-level `if` blocks), in order.
fn read_returns(body: Node, source: &str) -> Vec<Expr> {
    let mut returns = Vec::new();
    collect_returns(body, source, &mut returns, 0);
    returns
}

fn collect_returns(block: Node, source: &str, returns: &mut Vec<Expr>, depth: usize) {
    if depth > 4 {
        return;
    }
    let mut cursor = block.walk();
    for statement in block.named_children(&mut cursor) {
        match statement.kind() {
            "return_statement" => {
                let mut inner = statement.walk();
                let value = statement
                    .named_children(&mut inner)
                    .find(|n| n.kind() != "comment");
                returns.push(match value {
                    Some(value) => read_expr(value, source),
                    None => Expr {
                        kind: ExprKind::NoneLiteral,
                        range: node_range(statement),
                    },
                });
            }
            "if_statement" | "else_clause" | "elif_clause" | "block" | "with_statement"
            | "try_statement" => {
                let mut inner = statement.walk();
                for child in statement.named_children(&mut inner) {
                    if matches!(child.kind(), "block" | "else_clause" | "elif_clause") {
                        collect_returns(child, source, returns, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

fn read_imperative_mapping(
    call_expr: &Expr,
    callee: &Expr,
    scope: &Scope,
) -> Option<ImperativeMapping> {
    let call = call_expr.as_call()?;
    let class = call
        .args
        .first()
        .or_else(|| call.keyword_value("class_"))?
        .clone();
    let table = call
        .args
        .get(1)
        .or_else(|| call.keyword_value("local_table"))?
        .clone();
    let mut properties = ClassFacts {
        name: class.dotted().unwrap_or_default(),
        range: call_expr.range,
        ..ClassFacts::default()
    };
    if let Some(value) = call.keyword_value("properties") {
        match &value.kind {
            ExprKind::Dict { entries, complete } => {
                properties.dynamic |= !complete;
                for (key, value) in entries {
                    match key.as_str() {
                        Some(name) => properties.raw_members.push(RawMember::Attribute {
                            name: name.to_string(),
                            name_range: key.range,
                            annotation: None,
                            value: Some(value.clone()),
                            range: value.range,
                        }),
                        None => properties.dynamic = true,
                    }
                }
            }
            _ => properties.dynamic = true,
        }
    }
    properties.dynamic |= call.has_splat;
    members::interpret_class(&mut properties, "", scope);
    let registry = match &callee.kind {
        ExprKind::Attribute(owner, _) => Some((**owner).clone()),
        _ => None,
    };
    Some(ImperativeMapping {
        class,
        table,
        registry,
        properties,
        range: call_expr.range,
    })
}

fn read_calls(found: &FoundNodes, source: &str, scope: &Scope, facts: &mut FileFacts) {
    facts
        .foreign_key_pragmas
        .extend(found.pragmas.iter().map(|&pragma| node_range(pragma)));
    for &(call, callee) in &found.calls {
        let callee = read_expr(callee, source);
        let construct = scope.construct(&callee);
        if construct == Some(Construct::MapImperatively) {
            if let Some(mapping) = read_imperative_mapping(&read_expr(call, source), &callee, scope)
            {
                facts.imperative_mappings.push(mapping);
            }
            continue;
        }
        facts.call_sites.push(CallSite {
            function_range: enclosing_function(found.root, call).map(node_range),
            construct,
            callee,
            call: read_expr(call, source),
        });
    }
}

#[cfg(test)]
mod tests;
