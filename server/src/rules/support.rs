//! Helpers shared by rules: building diagnostics and edits that keep the
//! user's formatting.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Related, Severity};
use crate::graph::{ClassId, Graph, Location};
use crate::syntax::expr::{Call, Expr};
use crate::text::TextRange;

/// A diagnostic whose code, name and severity the registry fills in.
pub fn diagnostic(location: Location, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        code: "",
        name: "",
        severity: Severity::Error,
        message: message.into(),
        location,
        related: Vec::new(),
        fixes: Vec::new(),
    }
}

pub fn related(location: Location, message: impl Into<String>) -> Related {
    Related {
        location,
        message: message.into(),
    }
}

pub fn fix(title: impl Into<String>, applicability: Applicability, edits: Vec<Edit>) -> Fix {
    Fix {
        title: title.into(),
        applicability,
        edits,
    }
}

/// Replaces the text of a string literal, keeping its prefix and quotes.
pub fn replace_string(file: usize, text: &str, literal: &Expr, new_value: &str) -> Option<Edit> {
    let source = text.get(literal.range.start()..literal.range.end())?;
    let quote_at = source.find(['"', '\''])?;
    let prefix = &source[..quote_at];
    if !prefix.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let rest = &source[quote_at..];
    let quote = if rest.starts_with("\"\"\"") {
        "\"\"\""
    } else if rest.starts_with("'''") {
        "'''"
    } else {
        &rest[..1]
    };
    let escaped = new_value
        .replace('\\', "\\\\")
        .replace(quote, &format!("\\{quote}"));
    Some(Edit {
        file,
        range: literal.range,
        new_text: format!("{prefix}{quote}{escaped}{quote}"),
    })
}

/// The quote character a file prefers, from the literal given.
pub fn quote_of(text: &str, literal: Option<&Expr>) -> char {
    literal
        .and_then(|l| text.get(l.range.start()..l.range.end()))
        .and_then(|s| s.chars().find(|c| *c == '"' || *c == '\''))
        .unwrap_or('"')
}

/// Adds `keyword=value` to a call, after its last argument (so a trailing
/// comma and the user's line breaks stay where they are).
pub fn add_keyword(file: usize, text: &str, call: &Call, keyword: &str, value: &str) -> Edit {
    let last_end = call
        .args
        .iter()
        .map(|a| a.range.end)
        .chain(call.keywords.iter().map(|k| k.range.end))
        .max();
    match last_end {
        Some(end) => Edit {
            file,
            range: TextRange::empty_at(end as usize),
            new_text: format!(", {keyword}={value}"),
        },
        None => {
            // `relationship()`: right after the opening parenthesis.
            let open = call.arguments_range.start() + 1;
            let _ = text;
            Edit {
                file,
                range: TextRange::empty_at(open),
                new_text: format!("{keyword}={value}"),
            }
        }
    }
}

/// Replaces a keyword's value.
pub fn replace_range(file: usize, range: TextRange, new_text: impl Into<String>) -> Edit {
    Edit {
        file,
        range,
        new_text: new_text.into(),
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
            let case_cost = usize::from(a[i - 1] != b[j - 1] && cost == 0);
            current[j] = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost + case_cost);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The closest candidate within a distance that still reads as a typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(name, candidate);
        if distance <= limit
            && best.is_none_or(|(d, c)| distance < d || (distance == d && candidate < c))
        {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Does `class` inherit from (or equal) `ancestor` among mapped classes?
pub fn is_same_or_subclass(graph: &Graph, class: ClassId, ancestor: ClassId) -> bool {
    let mut current = Some(class);
    while let Some(c) = current {
        if c == ancestor {
            return true;
        }
        current = graph.classes[c].superclass;
    }
    false
}

/// Classes related by inheritance either way.
pub fn in_same_hierarchy(graph: &Graph, a: ClassId, b: ClassId) -> bool {
    is_same_or_subclass(graph, a, b) || is_same_or_subclass(graph, b, a)
}

pub fn safe() -> Applicability {
    Applicability::Safe
}

pub fn unsafe_() -> Applicability {
    Applicability::Unsafe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_stay_close() {
        assert_eq!(closest("Chlid", ["Child", "Parent"]), Some("Child"));
        assert_eq!(closest("Order", ["Child", "Parent"]), None);
        assert_eq!(edit_distance("user", "User"), 1);
    }
}
