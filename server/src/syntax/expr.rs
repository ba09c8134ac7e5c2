//! Python expressions as plain values: the arguments of `Column(...)`,
//! `relationship(...)` and friends, read once from the tree.
//!
//! Only literal structure is kept; anything computed at run time becomes
//! [`ExprKind::Unknown`], so that rules can tell "absent" from "not knowable".

use std::sync::Arc;

use tree_sitter::Node;

use crate::text::TextRange;

/// Deeper nesting than this is not model code; it becomes `Unknown` instead of
/// risking the stack on pathological input.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub range: TextRange,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ExprKind {
    /// A string literal (implicitly concatenated parts joined), decoded.
    Str(String),
    /// An f-string: only the literal text before its first interpolation.
    FormattedString(String),
    Int(i64),
    Float,
    Bool(bool),
    NoneLiteral,
    Name(String),
    Attribute(Box<Expr>, String),
    /// Shared with the facts read from it (a column's or a relationship's call).
    Call(Arc<Call>),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Set(Vec<Expr>),
    /// Entries of a dict display; `complete` is false when it has `**splat`.
    Dict {
        entries: Vec<(Expr, Expr)>,
        complete: bool,
    },
    Subscript(Box<Expr>, Vec<Expr>),
    Lambda(Box<Expr>),
    /// A binary, comparison or boolean operation with its operator text.
    Operation(Box<Expr>, String, Box<Expr>),
    /// `not x`, `-x`.
    Unary(String, Box<Expr>),
    Unknown,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Call {
    pub callee: Expr,
    pub args: Vec<Expr>,
    pub keywords: Vec<Keyword>,
    /// `*args` or `**kwargs` present: some arguments are not knowable.
    pub has_splat: bool,
    /// The range of the parenthesised argument list.
    pub arguments_range: TextRange,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Keyword {
    pub name: String,
    pub name_range: TextRange,
    pub value: Expr,
    /// The whole `name=value` argument.
    pub range: TextRange,
}

impl Expr {
    pub fn unknown(range: TextRange) -> Self {
        Self {
            kind: ExprKind::Unknown,
            range,
        }
    }

    /// `a.b.c` for a chain of names; `None` for anything else.
    pub fn dotted(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Name(name) => Some(name.clone()),
            ExprKind::Attribute(object, attribute) => {
                let mut base = object.dotted()?;
                base.push('.');
                base.push_str(attribute);
                Some(base)
            }
            _ => None,
        }
    }

    /// The last name of a dotted chain (`sa.orm.relationship` -> `relationship`).
    pub fn last_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Name(name) => Some(name),
            ExprKind::Attribute(_, attribute) => Some(attribute),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            ExprKind::Bool(value) => Some(*value),
            _ => None,
        }
    }

    pub fn as_call(&self) -> Option<&Arc<Call>> {
        match &self.kind {
            ExprKind::Call(call) => Some(call),
            _ => None,
        }
    }

    /// Elements of a list, tuple or set display.
    pub fn elements(&self) -> Option<&[Expr]> {
        match &self.kind {
            ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Set(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.kind, ExprKind::Unknown)
    }

    pub fn is_none_literal(&self) -> bool {
        matches!(self.kind, ExprKind::NoneLiteral)
    }
}

impl Call {
    pub fn keyword(&self, name: &str) -> Option<&Keyword> {
        self.keywords.iter().find(|keyword| keyword.name == name)
    }

    pub fn keyword_value(&self, name: &str) -> Option<&Expr> {
        self.keyword(name).map(|keyword| &keyword.value)
    }

    pub fn callee_name(&self) -> Option<&str> {
        self.callee.last_name()
    }
}

pub fn node_range(node: Node) -> TextRange {
    TextRange::new(node.start_byte(), node.end_byte())
}

pub fn node_text<'a>(node: Node, source: &'a str) -> &'a str {
    source.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

/// Reads an expression node into an [`Expr`].
pub fn read_expr(node: Node, source: &str) -> Expr {
    read(node, source, 0)
}

fn read(node: Node, source: &str, depth: usize) -> Expr {
    let range = node_range(node);
    if depth > MAX_DEPTH || node.is_error() || node.is_missing() {
        return Expr::unknown(range);
    }
    let child = |name: &str| node.child_by_field_name(name);
    let sub = |n: Node| read(n, source, depth + 1);
    let kind = match node.kind() {
        "string" => match read_string(node, source) {
            Some(text) => ExprKind::Str(text),
            None => match formatted_head(node, source) {
                Some(head) => ExprKind::FormattedString(head),
                None => ExprKind::Unknown,
            },
        },
        "concatenated_string" => {
            let mut text = String::new();
            let mut known = true;
            let mut cursor = node.walk();
            for part in node.named_children(&mut cursor) {
                match read_string(part, source) {
                    Some(piece) => text.push_str(&piece),
                    None => known = false,
                }
            }
            if known {
                ExprKind::Str(text)
            } else {
                ExprKind::Unknown
            }
        }
        "integer" => node_text(node, source)
            .replace('_', "")
            .parse::<i64>()
            .map(ExprKind::Int)
            .unwrap_or(ExprKind::Unknown),
        "float" => ExprKind::Float,
        "true" => ExprKind::Bool(true),
        "false" => ExprKind::Bool(false),
        "none" => ExprKind::NoneLiteral,
        "identifier" => ExprKind::Name(node_text(node, source).to_string()),
        "attribute" => match (child("object"), child("attribute")) {
            (Some(object), Some(attribute)) => ExprKind::Attribute(
                Box::new(sub(object)),
                node_text(attribute, source).to_string(),
            ),
            _ => ExprKind::Unknown,
        },
        "call" => match (child("function"), child("arguments")) {
            (Some(function), Some(arguments)) if arguments.kind() == "argument_list" => {
                ExprKind::Call(Arc::new(read_call(function, arguments, source, depth)))
            }
            _ => ExprKind::Unknown,
        },
        "list" | "tuple" | "set" | "expression_list" => {
            // Sized up front: the facts keep these vectors for the whole session.
            let mut items = Vec::with_capacity(node.named_child_count());
            let mut cursor = node.walk();
            let mut splat = false;
            for item in node.named_children(&mut cursor) {
                if item.kind() == "comment" {
                    continue;
                }
                if item.kind() == "list_splat" {
                    splat = true;
                }
                items.push(sub(item));
            }
            if splat {
                ExprKind::Unknown
            } else {
                match node.kind() {
                    "list" => ExprKind::List(items),
                    "set" => ExprKind::Set(items),
                    _ => ExprKind::Tuple(items),
                }
            }
        }
        "dictionary" => {
            let mut entries = Vec::with_capacity(node.named_child_count());
            let mut complete = true;
            let mut cursor = node.walk();
            for item in node.named_children(&mut cursor) {
                match item.kind() {
                    "pair" => {
                        if let (Some(key), Some(value)) = (
                            item.child_by_field_name("key"),
                            item.child_by_field_name("value"),
                        ) {
                            entries.push((sub(key), sub(value)));
                        }
                    }
                    "comment" => {}
                    _ => complete = false,
                }
            }
            ExprKind::Dict { entries, complete }
        }
        "subscript" => match child("value") {
            Some(value) => {
                // The value is a named child too: one to spare at most.
                let mut index = Vec::with_capacity(node.named_child_count());
                let mut cursor = node.walk();
                for item in node.children_by_field_name("subscript", &mut cursor) {
                    index.push(sub(item));
                }
                ExprKind::Subscript(Box::new(sub(value)), index)
            }
            None => ExprKind::Unknown,
        },
        "lambda" => match child("body") {
            Some(body) => ExprKind::Lambda(Box::new(sub(body))),
            None => ExprKind::Unknown,
        },
        "parenthesized_expression" => {
            let mut cursor = node.walk();
            let inner = node
                .named_children(&mut cursor)
                .find(|n| n.kind() != "comment");
            return match inner {
                Some(inner) => {
                    let mut expr = sub(inner);
                    expr.range = range;
                    expr
                }
                None => Expr::unknown(range),
            };
        }
        "binary_operator" | "boolean_operator" => {
            match (child("left"), child("operator"), child("right")) {
                (Some(left), Some(operator), Some(right)) => ExprKind::Operation(
                    Box::new(sub(left)),
                    node_text(operator, source).to_string(),
                    Box::new(sub(right)),
                ),
                _ => ExprKind::Unknown,
            }
        }
        "comparison_operator" => {
            // Only the two-operand form: `A.x == B.y`.
            let mut cursor = node.walk();
            let operands: Vec<Node> = node.named_children(&mut cursor).collect();
            if operands.len() == 2 {
                let operator = source
                    .get(operands[0].end_byte()..operands[1].start_byte())
                    .unwrap_or("")
                    .trim()
                    .to_string();
                ExprKind::Operation(
                    Box::new(sub(operands[0])),
                    operator,
                    Box::new(sub(operands[1])),
                )
            } else {
                ExprKind::Unknown
            }
        }
        "not_operator" => match child("argument") {
            Some(argument) => ExprKind::Unary("not".into(), Box::new(sub(argument))),
            None => ExprKind::Unknown,
        },
        "unary_operator" => match (child("operator"), child("argument")) {
            (Some(operator), Some(argument)) => ExprKind::Unary(
                node_text(operator, source).to_string(),
                Box::new(sub(argument)),
            ),
            _ => ExprKind::Unknown,
        },
        "type" => {
            let mut cursor = node.walk();
            let inner = node.named_children(&mut cursor).next();
            return match inner {
                Some(inner) => sub(inner),
                None => Expr::unknown(range),
            };
        }
        // `list[Child]` in an annotation parses as a generic type.
        "generic_type" => {
            let mut cursor = node.walk();
            let children: Vec<Node> = node.named_children(&mut cursor).collect();
            match children.as_slice() {
                [base, parameters] if parameters.kind() == "type_parameter" => {
                    let mut index = Vec::with_capacity(parameters.named_child_count());
                    let mut cursor = parameters.walk();
                    for item in parameters.named_children(&mut cursor) {
                        index.push(sub(item));
                    }
                    ExprKind::Subscript(Box::new(sub(*base)), index)
                }
                _ => ExprKind::Unknown,
            }
        }
        "union_type" => {
            let mut cursor = node.walk();
            let children: Vec<Node> = node.named_children(&mut cursor).collect();
            match children.as_slice() {
                [left, right] => {
                    ExprKind::Operation(Box::new(sub(*left)), "|".into(), Box::new(sub(*right)))
                }
                _ => ExprKind::Unknown,
            }
        }
        _ => ExprKind::Unknown,
    };
    Expr { kind, range }
}

fn read_call(function: Node, arguments: Node, source: &str, depth: usize) -> Call {
    let callee = read(function, source, depth + 1);
    // Sized up front: the facts keep every call for the whole session, and
    // vectors grown by pushing would keep up to four times their length.
    let mut cursor = arguments.walk();
    let keyword_count = arguments
        .named_children(&mut cursor)
        .filter(|a| a.kind() == "keyword_argument")
        .count();
    let mut args = Vec::with_capacity(arguments.named_child_count() - keyword_count);
    let mut keywords = Vec::with_capacity(keyword_count);
    let mut has_splat = false;
    for argument in arguments.named_children(&mut cursor) {
        match argument.kind() {
            "keyword_argument" => {
                let name = argument.child_by_field_name("name");
                let value = argument.child_by_field_name("value");
                if let (Some(name), Some(value)) = (name, value) {
                    keywords.push(Keyword {
                        name: node_text(name, source).to_string(),
                        name_range: node_range(name),
                        value: read(value, source, depth + 1),
                        range: node_range(argument),
                    });
                }
            }
            "list_splat" | "dictionary_splat" => has_splat = true,
            "comment" => {}
            _ => args.push(read(argument, source, depth + 1)),
        }
    }
    Call {
        callee,
        args,
        keywords,
        has_splat,
        arguments_range: node_range(arguments),
    }
}

/// Decodes a plain string literal; f-strings with interpolations and bytes
/// literals are not knowable text.
fn read_string(node: Node, source: &str) -> Option<String> {
    if node.kind() != "string" {
        return None;
    }
    let mut prefix = "";
    let mut text = String::new();
    let mut cursor = node.walk();
    for part in node.children(&mut cursor) {
        match part.kind() {
            "string_start" => {
                let start = node_text(part, source);
                prefix = start.trim_end_matches(['"', '\'']);
            }
            "string_content" => {
                // Escapes are children of the content node; raw strings keep them as written.
                let raw = prefix.contains(['r', 'R']);
                let mut at = part.start_byte();
                let mut escapes = part.walk();
                for escape in part.children(&mut escapes) {
                    if escape.kind() != "escape_sequence" || raw {
                        continue;
                    }
                    text.push_str(source.get(at..escape.start_byte()).unwrap_or(""));
                    text.push_str(&decode_escape(node_text(escape, source)));
                    at = escape.end_byte();
                }
                text.push_str(source.get(at..part.end_byte()).unwrap_or(""));
            }
            "escape_sequence" if !prefix.contains(['r', 'R']) => {
                text.push_str(&decode_escape(node_text(part, source)))
            }
            "escape_sequence" => text.push_str(node_text(part, source)),
            "interpolation" => return None,
            _ => {}
        }
    }
    if prefix.contains(['b', 'B']) {
        return None;
    }
    Some(text)
}

/// The literal text of an f-string before its first interpolation.
fn formatted_head(node: Node, source: &str) -> Option<String> {
    let mut head = String::new();
    let mut cursor = node.walk();
    let mut formatted = false;
    for part in node.children(&mut cursor) {
        match part.kind() {
            "string_start" => formatted = node_text(part, source).contains(['f', 'F']),
            "string_content" => head.push_str(node_text(part, source)),
            "interpolation" => break,
            _ => {}
        }
    }
    formatted.then_some(head)
}

fn decode_escape(escape: &str) -> String {
    match escape {
        "\\n" => "\n".into(),
        "\\t" => "\t".into(),
        "\\r" => "\r".into(),
        "\\\\" => "\\".into(),
        "\\'" => "'".into(),
        "\\\"" => "\"".into(),
        "\\\n" => String::new(),
        other => {
            if let Some(hex) = other
                .strip_prefix("\\x")
                .or_else(|| other.strip_prefix("\\u"))
                .or_else(|| other.strip_prefix("\\U"))
            {
                if let Some(c) = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                    return c.to_string();
                }
            }
            other.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn expr(source: &str) -> Expr {
        let tree = parse(source);
        let statement = tree.root_node().named_child(0).unwrap();
        let node = statement.named_child(0).unwrap();
        read_expr(node, source)
    }

    #[test]
    fn reads_calls_with_keywords_and_strings() {
        let e = expr("relationship('Child', back_populates=\"parent\", cascade='all, ' 'delete')");
        let call = e.as_call().unwrap();
        assert_eq!(call.callee_name(), Some("relationship"));
        assert_eq!(call.args[0].as_str(), Some("Child"));
        assert_eq!(
            call.keyword_value("back_populates").unwrap().as_str(),
            Some("parent")
        );
        assert_eq!(
            call.keyword_value("cascade").unwrap().as_str(),
            Some("all, delete")
        );
    }

    #[test]
    fn interpolated_strings_and_splats_are_unknown() {
        let e = expr("f(f'{x}_id', **kw)");
        let call = e.as_call().unwrap();
        assert!(call.args[0].as_str().is_none());
        assert_eq!(call.args[0].kind, ExprKind::FormattedString(String::new()));
        assert!(call.has_splat);
    }

    #[test]
    fn dotted_names() {
        assert_eq!(
            expr("sa.orm.relationship").dotted().as_deref(),
            Some("sa.orm.relationship")
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let source = format!("x = {}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let tree = parse(&source);
        let _ = read_expr(tree.root_node(), &source);
    }
}
