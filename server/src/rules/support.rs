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
    let escaped = string_body(new_value, quote.chars().next()?, prefix)?;
    Some(Edit {
        file,
        range: literal.range,
        new_text: format!("{prefix}{quote}{escaped}{quote}"),
    })
}

/// A Python string literal of `value` in the given quote character.
/// Values come from the user's code (table and column names are any text):
/// backslashes, quotes and control characters are escaped, so that the
/// literal always reads back as `value` and never breaks the line.
pub fn string_literal(value: &str, quote: char) -> String {
    format!("{quote}{}{quote}", escape(value, quote))
}

/// The text between the quotes of a literal with `prefix` that reads as
/// `value`; `None` when no such literal exists (a raw string cannot hold
/// a backslash, its quote or a control character; bytes hold only ASCII).
fn string_body(value: &str, quote: char, prefix: &str) -> Option<String> {
    if prefix.contains(['r', 'R']) {
        // A raw literal holds its text as written: it has no escapes.
        let plain = !value.contains(|c: char| c == '\\' || c == quote || c.is_control());
        return plain.then(|| value.to_string());
    }
    if prefix.contains(['b', 'B']) && !value.is_ascii() {
        return None;
    }
    let escaped = escape(value, quote);
    Some(if prefix.contains(['f', 'F']) {
        escaped.replace('{', "{{").replace('}', "}}")
    } else {
        escaped
    })
}

fn escape(value: &str, quote: char) -> String {
    let mut body = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => body.push_str("\\\\"),
            '\n' => body.push_str("\\n"),
            '\r' => body.push_str("\\r"),
            '\t' => body.push_str("\\t"),
            _ if c == quote => {
                body.push('\\');
                body.push(c);
            }
            // Every control character is below U+0100.
            _ if c.is_control() => body.push_str(&format!("\\x{:02x}", u32::from(c))),
            _ => body.push(c),
        }
    }
    body
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
pub fn add_keyword(file: usize, call: &Call, keyword: &str, value: &str) -> Edit {
    add_arguments(file, call, &[format!("{keyword}={value}")])
}

/// Adds arguments to a call in one insertion: two separate insertions at the
/// same place (an empty `relationship()`) would run together without a comma.
fn add_arguments(file: usize, call: &Call, arguments: &[String]) -> Edit {
    let joined = arguments.join(", ");
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
            new_text: format!(", {joined}"),
        },
        // `relationship()`: right after the opening parenthesis.
        None => Edit {
            file,
            range: TextRange::empty_at(call.arguments_range.start() + 1),
            new_text: joined,
        },
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

/// Levenshtein distance (a case change costs one), the plain definition
/// [`closest`] computes in bounded form.
#[cfg(test)]
fn edit_distance(a: &str, b: &str) -> usize {
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
///
/// Candidates are every class or table of a registry (thousands in a large
/// workspace, on every keystroke in the editor), so the distance is only
/// computed for those whose length allows it, and each computation stops
/// once it cannot come within the limit.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let name_chars: Vec<char> = name.chars().collect();
    let limit = (name_chars.len() / 3).max(2);
    let mut best: Option<(usize, &str)> = None;
    let mut candidate_chars = Vec::new();
    let mut rows = (Vec::new(), Vec::new());
    let name_histogram = histogram(&name_chars);
    for candidate in candidates {
        // A distance is at least the difference of the lengths: compare the
        // byte lengths first (each char is 1 to 4 bytes), then the chars.
        if candidate.len() + 4 * limit < name_chars.len()
            || candidate.len() > 4 * (name_chars.len() + limit)
        {
            continue;
        }
        candidate_chars.clear();
        candidate_chars.extend(candidate.chars());
        if candidate_chars.len().abs_diff(name_chars.len()) > limit {
            continue;
        }
        // Ties keep the alphabetically first candidate, so a candidate
        // only needs to beat or equal the best distance so far.
        let bound = best.map_or(limit, |(d, _)| d.min(limit));
        if bag_distance(&name_histogram, &candidate_chars) > bound {
            continue;
        }
        let Some(distance) = bounded_distance(&name_chars, &candidate_chars, bound, &mut rows)
        else {
            continue;
        };
        if best.is_none_or(|(d, c)| distance < d || (distance == d && candidate < c)) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// How often each char occurs, with chars folded into 64 buckets.
fn histogram(chars: &[char]) -> [i32; 64] {
    let mut counts = [0; 64];
    for &c in chars {
        counts[c as usize % 64] += 1;
    }
    counts
}

/// A lower bound of the edit distance, in one pass over the candidate: each
/// edit adds, removes or replaces one char, so it changes the counts of the
/// chars (of the buckets, which can only hide differences) by one each way.
fn bag_distance(name: &[i32; 64], candidate: &[char]) -> usize {
    let mut difference = *name;
    for &c in candidate {
        difference[c as usize % 64] -= 1;
    }
    let (surplus, deficit) = difference.iter().fold((0, 0), |(s, d), &n| {
        if n > 0 {
            (s + n as usize, d)
        } else {
            (s, d + n.unsigned_abs() as usize)
        }
    });
    surplus.max(deficit)
}

/// [`edit_distance`] over chars, or `None` as soon as it must exceed `bound`
/// (every cell of a row past it: later rows only grow).
fn bounded_distance(
    a: &[char],
    b: &[char],
    bound: usize,
    (previous, current): &mut (Vec<usize>, Vec<usize>),
) -> Option<usize> {
    previous.clear();
    previous.extend(0..=b.len());
    current.clear();
    current.resize(b.len() + 1, 0);
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = current[0];
        for j in 1..=b.len() {
            let cost = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
            let case_cost = usize::from(a[i - 1] != b[j - 1] && cost == 0);
            current[j] = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost + case_cost);
            row_min = row_min.min(current[j]);
        }
        if row_min > bound {
            return None;
        }
        std::mem::swap(previous, current);
    }
    let distance = previous[b.len()];
    (distance <= bound).then_some(distance)
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

/// Can `name` be written as an attribute name in Python source (an
/// identifier that is not a keyword)? Names from string literals
/// (`back_populates="line-items"`) need not be.
pub fn is_python_identifier(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
        "try", "while", "with", "yield",
    ];
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&name)
}

pub fn safe() -> Applicability {
    Applicability::Safe
}

pub fn unsafe_() -> Applicability {
    Applicability::Unsafe
}

/// Where cascade findings anchor: the `cascade=` keyword (inside a
/// `backref(...)` for a backref-created relationship), or SQLModel's
/// `Relationship(` call.
pub fn cascade_anchor(relationship: &crate::graph::Relationship) -> Location {
    let file = relationship.location.file;
    if relationship.facts.style == crate::facts::RelationshipStyle::SqlModel {
        return Location {
            file,
            range: relationship.facts.callee_range,
        };
    }
    match relationship.facts.keyword("cascade") {
        Some(keyword) => Location {
            file,
            range: keyword.range,
        },
        None => relationship.location,
    }
}

/// The `ondelete` of a foreign key: `Some(Some(action))` when literal,
/// `Some(None)` when absent, `None` when not knowable.
pub fn ondelete(graph: &Graph, fk: usize) -> Option<Option<String>> {
    match graph.foreign_keys[fk].facts.ondelete.as_ref() {
        None => Some(None),
        Some(crate::facts::Setting::Known(action, _)) => Some(Some(action.to_ascii_uppercase())),
        Some(crate::facts::Setting::Unknown(_)) => None,
    }
}

/// `passive_deletes`: `Some(false)` absent or False, `Some(true)` True or
/// "all", `None` not knowable.
pub fn passive_deletes(relationship: &crate::graph::Relationship) -> Option<bool> {
    match relationship.facts.option("passive_deletes") {
        None => Some(false),
        Some(value) => match (&value.kind, value.as_str()) {
            (_, Some("all")) => Some(true),
            (crate::syntax::expr::ExprKind::Bool(b), _) => Some(*b),
            _ => None,
        },
    }
}

/// A relationship whose options are all literal and whose shape is known.
pub fn is_readable(relationship: &crate::graph::Relationship) -> bool {
    !relationship.facts.has_splat
        && !relationship.cascade.unknown
        && relationship.direction.is_some()
}

/// The quote a relationship's call already uses.
pub fn quote_in(context: &super::Context, relationship: &crate::graph::Relationship) -> char {
    let text = context.text(relationship.location.file);
    let literal = relationship
        .facts
        .keywords
        .iter()
        .map(|k| &k.value)
        .chain(relationship.facts.call.args.iter())
        .find(|v| v.as_str().is_some());
    quote_of(text, literal)
}

/// Sets `keyword=value` on a relationship: replaces the value when present,
/// adds the keyword otherwise.
pub fn set_keyword(
    context: &super::Context,
    relationship: &crate::graph::Relationship,
    keyword: &str,
    value: &str,
) -> Option<Edit> {
    let mut edits = set_keywords(context, relationship, &[(keyword, value)])?;
    debug_assert_eq!(edits.len(), 1);
    edits.pop()
}

/// Sets several keywords on one relationship: replaces the values present and
/// adds the others, all added ones in one insertion (one new
/// `sa_relationship_kwargs` entry list for SQLModel), so that the edits never
/// collide. None when a keyword cannot be written (a backref given as a bare
/// string has no call; an `sa_relationship_kwargs` that is not a dict literal).
pub fn set_keywords(
    context: &super::Context,
    relationship: &crate::graph::Relationship,
    keywords: &[(&str, &str)],
) -> Option<Vec<Edit>> {
    let file = relationship.location.file;
    let text = context.text(file);
    let call = &relationship.facts.call;
    let sqlmodel = relationship.facts.style == crate::facts::RelationshipStyle::SqlModel;
    let mut edits = Vec::new();
    let mut arguments = Vec::new();
    let mut kwargs_entries = Vec::new();
    for &(keyword, value) in keywords {
        if let Some(existing) = relationship.facts.keyword(keyword) {
            edits.push(replace_range(file, existing.value.range, value));
            continue;
        }
        // A backref written as a bare string has no call to add to.
        if relationship.backref_of.is_some() && call.arguments_range.is_empty() {
            return None;
        }
        if !sqlmodel {
            arguments.push(format!("{keyword}={value}"));
        } else if keyword == "cascade" && value.trim_matches(['"', '\'']) == "all, delete-orphan" {
            arguments.push("cascade_delete=True".to_string());
        } else if matches!(
            keyword,
            "back_populates" | "cascade_delete" | "passive_deletes" | "link_model"
        ) {
            arguments.push(format!("{keyword}={value}"));
        } else {
            // SQLModel's Relationship() takes only its own keywords; the
            // others go through `sa_relationship_kwargs`.
            let quote = quote_of(text, call.args.first());
            kwargs_entries.push(format!("{quote}{keyword}{quote}: {value}"));
        }
    }
    if !kwargs_entries.is_empty() {
        let entries_text = kwargs_entries.join(", ");
        match call.keyword_value("sa_relationship_kwargs") {
            Some(dict) => match &dict.kind {
                crate::syntax::expr::ExprKind::Dict {
                    entries,
                    complete: true,
                } => edits.push(match entries.last() {
                    Some((_, last)) => Edit {
                        file,
                        range: TextRange::empty_at(last.range.end()),
                        new_text: format!(", {entries_text}"),
                    },
                    None => Edit {
                        file,
                        range: TextRange::empty_at(dict.range.start() + 1),
                        new_text: entries_text,
                    },
                }),
                _ => return None,
            },
            None => arguments.push(format!("sa_relationship_kwargs={{{entries_text}}}")),
        }
    }
    if !arguments.is_empty() {
        edits.push(add_arguments(file, call, &arguments));
    }
    Some(edits)
}

/// Removes a keyword argument with its separating comma.
pub fn remove_keyword(file: usize, call: &Call, name: &str) -> Option<Edit> {
    let keyword = call.keywords.iter().find(|k| k.name == name)?;
    let mut ends: Vec<(u32, u32)> = call
        .args
        .iter()
        .map(|a| (a.range.start, a.range.end))
        .chain(call.keywords.iter().map(|k| (k.range.start, k.range.end)))
        .collect();
    ends.sort();
    let position = ends
        .iter()
        .position(|&(start, _)| start == keyword.range.start)?;
    let range = if position > 0 {
        TextRange::new(ends[position - 1].1 as usize, keyword.range.end())
    } else if let Some(next) = ends.get(position + 1) {
        TextRange::new(keyword.range.start(), next.0 as usize)
    } else {
        keyword.range
    };
    Some(Edit {
        file,
        range,
        new_text: String::new(),
    })
}

/// Moves a relationship's `cascade=` to its one-to-many partner: removes it
/// here, sets it there. `None` when either side cannot be edited.
pub fn move_cascade_to_partner(
    context: &super::Context,
    relationship: &crate::graph::Relationship,
    partner: &crate::graph::Relationship,
    cascade: &str,
) -> Option<Vec<Edit>> {
    if relationship.facts.style == crate::facts::RelationshipStyle::SqlModel {
        return None;
    }
    let keyword = relationship.facts.keyword("cascade")?;
    // The keyword must be written in this relationship's own call.
    if !relationship
        .facts
        .call
        .keywords
        .iter()
        .any(|k| k.range == keyword.range)
    {
        return None;
    }
    let remove = remove_keyword(
        relationship.location.file,
        &relationship.facts.call,
        "cascade",
    )?;
    let quote = quote_in(context, partner);
    let add = set_keyword(context, partner, "cascade", &string_literal(cascade, quote))?;
    if add.file == remove.file
        && add.range.start < remove.range.end
        && remove.range.start < add.range.end
    {
        return None;
    }
    Some(vec![remove, add])
}

/// The one-to-many relationships whose delete behaviour a rule judges:
/// readable, not view-only, with the foreign keys they write known.
pub fn one_to_many(graph: &Graph) -> impl Iterator<Item = (usize, &crate::graph::Relationship)> {
    graph.relationships.iter().enumerate().filter(|(_, r)| {
        r.direction == Some(crate::graph::Direction::OneToMany)
            && is_readable(r)
            && !r.foreign_keys.is_empty()
            && r.facts
                .flag("viewonly")
                .is_none_or(|f| f.known() == Some(&false))
            && !loads_nothing_on_delete(r)
    })
}

/// Write-only and `noload` collections are not loaded when the parent is
/// deleted: the ORM does not null or delete children it never sees (a
/// write-only collection refuses the delete unless `passive_deletes`).
pub fn loads_nothing_on_delete(relationship: &crate::graph::Relationship) -> bool {
    if let Some(lazy) = relationship.facts.option("lazy") {
        match &lazy.kind {
            crate::syntax::expr::ExprKind::Str(strategy) => {
                if matches!(strategy.as_str(), "write_only" | "noload" | "dynamic") {
                    return true;
                }
            }
            // Legacy spellings: True is "select", False is "joined", None is "noload".
            crate::syntax::expr::ExprKind::Bool(_) => {}
            _ => return true,
        }
    }
    relationship
        .facts
        .annotation
        .as_ref()
        .and_then(|a| a.wrapper.as_deref())
        .is_some_and(|w| w == "WriteOnlyMapped" || w == "DynamicMapped")
}

/// For a relationship created by a string `backref="children"`: an edit that
/// turns the string into `backref("children", <keywords>)`, using the
/// `backref` the module can already call (`backref`, `orm.backref`,
/// `db.backref`).
pub fn backref_with_keywords(
    context: &super::Context,
    relationship: &crate::graph::Relationship,
    keywords: &str,
) -> Option<Edit> {
    let origin = &context.graph.relationships[relationship.backref_of?];
    let keyword = origin.facts.keyword("backref")?;
    let name = keyword.value.as_str()?;
    let file = origin.location.file;
    let text = context.text(file);
    let facts = context.graph.file(file);
    let callee = text.get(origin.facts.callee_range.start()..origin.facts.callee_range.end())?;
    let backref_callee = if facts.imports.iter().any(|i| i.local == "backref") {
        "backref".to_string()
    } else if let Some((owner, _)) = callee.rsplit_once('.') {
        format!("{owner}.backref")
    } else {
        return None;
    };
    let quote = quote_of(text, Some(&keyword.value));
    Some(replace_range(
        file,
        keyword.value.range,
        format!("{backref_callee}({quote}{name}{quote}, {keywords})"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value a one-line Python literal reads as, by the analyzer's own
    /// reading of string literals; `None` when it does not parse as one.
    fn read_back(literal: &str) -> Option<String> {
        let tree = crate::syntax::parse(literal);
        let root = tree.root_node();
        if root.has_error() || literal.contains(['\n', '\r']) {
            return None;
        }
        let node = root.named_child(0)?.named_child(0)?;
        crate::syntax::expr::read_expr(node, literal)
            .as_str()
            .map(str::to_string)
    }

    #[test]
    fn string_literals_read_back_as_their_value() {
        let values = [
            "plain",
            "product_\rversion",
            "two\nlines",
            "tab\there",
            "quote \" and ' both",
            "back\\slash\\",
            "bell\u{7}del\u{7f}nul\u{0}",
            "é, ∑ and 🦀",
        ];
        for value in values {
            for quote in ['"', '\''] {
                let literal = string_literal(value, quote);
                assert_eq!(read_back(&literal).as_deref(), Some(value), "{literal}");
            }
        }
    }

    #[test]
    fn literals_that_cannot_hold_a_value_are_not_rewritten() {
        let text = "x = r\"a\\b\"\ny = b\"x\"\nz = f\"{{a}}\"\n";
        let tree = crate::syntax::parse(text);
        let literal = |line: usize| {
            let statement = tree.root_node().named_child(line).unwrap();
            let value = statement
                .named_child(0)
                .unwrap()
                .child_by_field_name("right")
                .unwrap();
            crate::syntax::expr::read_expr(value, text)
        };
        // A raw string has no escapes: a backslash or its quote cannot go in.
        assert!(replace_string(0, text, &literal(0), "c\\d").is_none());
        assert!(replace_string(0, text, &literal(0), "say \"hi\"").is_none());
        assert_eq!(
            replace_string(0, text, &literal(0), "c_d").map(|e| e.new_text),
            Some("r\"c_d\"".to_string())
        );
        // Bytes hold ASCII only.
        assert!(replace_string(0, text, &literal(1), "é").is_none());
        // An f-string doubles its braces.
        assert_eq!(
            replace_string(0, text, &literal(2), "{b}").map(|e| e.new_text),
            Some("f\"{{b}}\"".to_string())
        );
    }

    #[test]
    fn suggestions_stay_close() {
        assert_eq!(closest("Chlid", ["Child", "Parent"]), Some("Child"));
        assert_eq!(closest("Order", ["Child", "Parent"]), None);
        // Ties go to the alphabetically first; a closer one wins.
        assert_eq!(closest("Chil", ["Chilx", "Chila"]), Some("Chila"));
        assert_eq!(closest("Chil", ["Chilxy", "Chila"]), Some("Chila"));
        assert_eq!(
            closest("user_account", ["user_acount", "users"]),
            Some("user_acount")
        );
        // Case alone costs one: "user" and "User" are at distance 1.
        assert_eq!(closest("user", ["User", "Users"]), Some("User"));
        assert_eq!(closest("ab", ["abcdefgh"]), None);
    }

    #[test]
    fn closest_equals_the_plain_search() {
        fn plain<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
            let limit = (name.chars().count() / 3).max(2);
            let mut best: Option<(usize, &str)> = None;
            for &candidate in candidates {
                let distance = edit_distance(name, candidate);
                if distance <= limit
                    && best.is_none_or(|(d, c)| distance < d || (distance == d && candidate < c))
                {
                    best = Some((distance, candidate));
                }
            }
            best.map(|(_, c)| c)
        }
        let words = [
            "",
            "a",
            "ab",
            "user",
            "User",
            "users",
            "user_account",
            "useraccount",
            "account",
            "parent",
            "Parent",
            "parents",
            "child",
            "Chlid",
            "children",
            "émile",
            "emile",
            "naïve_table",
            "naive_table",
            "order_item",
            "orderitem",
            "order",
            "x",
        ];
        for name in words {
            for start in 0..words.len() {
                let candidates: Vec<&str> = words[start..]
                    .iter()
                    .copied()
                    .filter(|w| *w != name)
                    .collect();
                assert_eq!(
                    closest(name, candidates.iter().copied()),
                    plain(name, &candidates),
                    "{name} among {candidates:?}"
                );
            }
        }
        assert_eq!(edit_distance("user", "User"), 1);

        // Short words over a few chars (some sharing a histogram bucket:
        // 'a' and '!' fold together): many near misses, anagrams and ties.
        let alphabet: Vec<char> = "abcA!_é".chars().collect();
        let mut state: u64 = 0x5eed;
        let mut next = |bound: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % bound
        };
        let generated: Vec<String> = (0..300)
            .map(|_| {
                let length = next(9);
                (0..length)
                    .map(|_| alphabet[next(alphabet.len())])
                    .collect()
            })
            .collect();
        let candidates: Vec<&str> = generated.iter().map(String::as_str).collect();
        for name in &candidates {
            assert_eq!(
                closest(name, candidates.iter().copied()),
                plain(name, &candidates),
                "{name}"
            );
        }
    }
}
