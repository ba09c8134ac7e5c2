//! Import statements, and what a name used in a file refers to.

use tree_sitter::Node;

use crate::syntax::expr::{node_range, node_text};
use crate::text::TextRange;

/// One name bound by an import.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Import {
    /// The name bound in the importing module.
    pub local: String,
    /// The absolute module the name comes from (`from .base import Base` in
    /// `app.models.user` gives `app.models.base`).
    pub module: String,
    /// The imported member; `None` for `import a.b` / `import a.b as c`.
    pub member: Option<String>,
    /// `from module import *`.
    pub star: bool,
    pub range: TextRange,
}

/// Reads an `import_statement` or `import_from_statement` node.
pub fn read_import(node: Node, source: &str, module: &str, is_package: bool) -> Vec<Import> {
    let range = node_range(node);
    let mut imports = Vec::new();
    match node.kind() {
        "import_statement" => {
            let mut cursor = node.walk();
            for name in node.children_by_field_name("name", &mut cursor) {
                match name.kind() {
                    "dotted_name" => {
                        let path = node_text(name, source).to_string();
                        // `import a.b.c` binds `a`; attribute access walks the rest.
                        let first = path.split('.').next().unwrap_or("").to_string();
                        imports.push(Import {
                            local: first.clone(),
                            module: first,
                            member: None,
                            star: false,
                            range,
                        });
                    }
                    "aliased_import" => {
                        let path = name.child_by_field_name("name");
                        let alias = name.child_by_field_name("alias");
                        if let (Some(path), Some(alias)) = (path, alias) {
                            imports.push(Import {
                                local: node_text(alias, source).to_string(),
                                module: node_text(path, source).to_string(),
                                member: None,
                                star: false,
                                range,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        "import_from_statement" => {
            let Some(module_node) = node.child_by_field_name("module_name") else {
                return imports;
            };
            let Some(from) = absolute_module(module_node, source, module, is_package) else {
                return imports;
            };
            let mut cursor = node.walk();
            let has_wildcard = node
                .named_children(&mut cursor)
                .any(|child| child.kind() == "wildcard_import");
            if has_wildcard {
                imports.push(Import {
                    local: "*".into(),
                    module: from.clone(),
                    member: None,
                    star: true,
                    range,
                });
            }
            let mut cursor = node.walk();
            for name in node.children_by_field_name("name", &mut cursor) {
                let (member, local) = match name.kind() {
                    "dotted_name" => {
                        let text = node_text(name, source).to_string();
                        (text.clone(), text)
                    }
                    "aliased_import" => {
                        let path = name.child_by_field_name("name");
                        let alias = name.child_by_field_name("alias");
                        match (path, alias) {
                            (Some(path), Some(alias)) => (
                                node_text(path, source).to_string(),
                                node_text(alias, source).to_string(),
                            ),
                            _ => continue,
                        }
                    }
                    _ => continue,
                };
                imports.push(Import {
                    local,
                    module: from.clone(),
                    member: Some(member),
                    star: false,
                    range,
                });
            }
        }
        _ => {}
    }
    imports
}

fn absolute_module(node: Node, source: &str, module: &str, is_package: bool) -> Option<String> {
    if node.kind() != "relative_import" {
        return Some(node_text(node, source).to_string());
    }
    let text = node_text(node, source);
    let level = text.chars().take_while(|c| *c == '.').count();
    let rest = text[level..].trim();
    let mut parts: Vec<&str> = module.split('.').filter(|p| !p.is_empty()).collect();
    // A module's own package is one level up; a package's `__init__` is itself.
    let drop = if is_package { level - 1 } else { level };
    if drop > parts.len() {
        return None;
    }
    parts.truncate(parts.len() - drop);
    let mut absolute = parts.join(".");
    if !rest.is_empty() {
        if !absolute.is_empty() {
            absolute.push('.');
        }
        absolute.push_str(rest);
    }
    Some(absolute)
}

/// The family a fully qualified name belongs to, for recognising calls.
pub fn is_sqlalchemy_module(module: &str) -> bool {
    let root = module.split('.').next().unwrap_or("");
    matches!(
        root,
        "sqlalchemy" | "sqlmodel" | "flask_sqlalchemy" | "sqlalchemy_utils"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn imports(source: &str, module: &str, is_package: bool) -> Vec<Import> {
        let tree = parse(source);
        let mut out = Vec::new();
        let mut cursor = tree.root_node().walk();
        for node in tree.root_node().named_children(&mut cursor) {
            out.extend(read_import(node, source, module, is_package));
        }
        out
    }

    #[test]
    fn relative_imports_resolve_against_the_module() {
        let found = imports(
            "from .base import Base as B\nfrom .. import db\n",
            "app.models.user",
            false,
        );
        assert_eq!(found[0].local, "B");
        assert_eq!(found[0].module, "app.models.base");
        assert_eq!(found[0].member.as_deref(), Some("Base"));
        assert_eq!(found[1].module, "app");
        let in_package = imports("from .user import User\n", "app.models", true);
        assert_eq!(in_package[0].module, "app.models.user");
    }

    #[test]
    fn plain_and_aliased_imports() {
        let found = imports(
            "import sqlalchemy as sa\nimport sqlalchemy.orm\nfrom sqlalchemy import *\n",
            "m",
            false,
        );
        assert_eq!(found[0].local, "sa");
        assert_eq!(found[0].module, "sqlalchemy");
        assert_eq!(found[1].local, "sqlalchemy");
        assert!(found[2].star);
    }
}
