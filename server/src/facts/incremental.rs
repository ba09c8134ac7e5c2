//! Extracting again only what an edit touched.
//!
//! Every fact of a file comes from one top-level statement, read with the
//! module's scope (its imports and the names it binds). After an edit, the
//! statements tree-sitter's incremental parse left alone keep their facts:
//! those before the edit as they were, those after it moved by the change in
//! length. Only the statements the edit or the reparse touched are read
//! again, with the module's scope. When the edit changes the scope (a class
//! pasted, an import added), the statements outside it keep their facts as
//! long as none of them writes a name whose definition changed. A 5,000-line
//! models file is then re-read in a fraction of a millisecond instead of in
//! tens of milliseconds.

use std::ops::Range;
use std::sync::Arc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use tree_sitter::{Node, Tree};

use super::{
    compiled_pattern, empty_facts, find_nodes, has_future_annotations, interpret, local_names,
    module_scope, read_statements, Binding, ClassFacts, FileFacts, Import,
};
use crate::shift::Shift;
use crate::text::{TextChange, TextRange};

/// The facts of `new_text`, from the facts of `old_text` and the trees of
/// both: `old_tree` is the parse of `old_text` with the edits since applied
/// (`Tree::edit`), `new_tree` its re-parse. Equal to extracting `new_text`
/// afresh, or `None` when the file must be extracted afresh: the edit
/// changes the definition of a name that statements outside it write, or
/// the star imports.
pub fn extract_edited(
    old: &FileFacts,
    old_text: &str,
    old_tree: &Tree,
    new_text: &str,
    new_tree: &Tree,
) -> Option<FileFacts> {
    let region = touched_region(old_text, old_tree, new_text, new_tree);
    // When the reparse reaches nearly the whole file (error recovery after
    // a bracket opened), reading the region costs what reading the file
    // afresh costs, and splicing comes on top.
    if region.len() >= new_text.len() / 10 * 9 {
        return None;
    }
    let delta = new_text.len() as i64 - old_text.len() as i64;
    let old_end = usize::try_from(region.end as i64 - delta).ok()?;
    // Everything from `old_end` on in the old text follows the region.
    let past_region = TextChange {
        start: 0,
        old_end: u32::try_from(old_end.checked_sub(1)?).ok()?,
        new_end: u32::try_from(region.end.checked_sub(1)?).ok()?,
    };
    let old_region = region.start..old_end;

    let read_region = |imports: &[Import], bindings: &[Binding], locals: &HashSet<String>| {
        let root = new_tree.root_node();
        let mut read = empty_facts(&old.path, root, new_text);
        let mut found = find_nodes(root, new_text, Some(region.clone()));
        read_statements(&mut found, new_text, &mut read);
        let scope = module_scope(imports, bindings, locals);
        interpret(&found, new_text, &scope, &mut read);
        read
    };
    let mut read = read_region(&old.imports, &old.bindings, &old.local_names());
    let (mut imports, mut bindings, mut classes) =
        splice_scope(old, &mut read, &old_region, &past_region)?;
    if !same_scope(old, &imports, &bindings, &classes) {
        // The edit defines, removes or redefines a name. The statements
        // outside the region read it only where they write it: when none
        // does, only the region is read again, with the new scope.
        // A second read of a region larger than the rest costs more than
        // one read of the whole file.
        if region.len() * 2 > new_text.len() {
            return None;
        }
        let changed = changed_names(old, &imports, &bindings, &classes)?;
        if changed
            .iter()
            .any(|name| written_outside(new_text, &region, name))
        {
            return None;
        }
        read = read_region(&imports, &bindings, &local_names(&bindings, &classes));
        (imports, bindings, classes) = splice_scope(old, &mut read, &old_region, &past_region)?;
    }
    Some(FileFacts {
        future_annotations: has_future_annotations(&imports),
        imports,
        bindings,
        classes,
        attribute_assignments: splice(
            &old.attribute_assignments,
            read.attribute_assignments,
            &old_region,
            &past_region,
            binding_range,
        )?,
        tables: splice(&old.tables, read.tables, &old_region, &past_region, |t| {
            t.range
        })?,
        call_sites: splice(
            &old.call_sites,
            read.call_sites,
            &old_region,
            &past_region,
            |c| c.call.range,
        )?,
        foreign_key_pragmas: splice(
            &old.foreign_key_pragmas,
            read.foreign_key_pragmas,
            &old_region,
            &past_region,
            |r| *r,
        )?,
        imperative_mappings: splice(
            &old.imperative_mappings,
            read.imperative_mappings,
            &old_region,
            &past_region,
            |m| m.range,
        )?,
        ..read
    })
}

/// The top-level statements of the new tree that the edit or the reparse
/// touched, as one byte range of the new text (whole statements, so that
/// every fact lies wholly inside or outside it).
fn touched_region(
    old_text: &str,
    old_tree: &Tree,
    new_text: &str,
    new_tree: &Tree,
) -> Range<usize> {
    let change = TextChange::between(old_text, new_text);
    let (mut low, mut high) = (change.start as usize, change.new_end as usize);
    // Text may be the same where the tree is not (a quote typed earlier
    // turns what follows into a string), and the other way round.
    for changed in old_tree.changed_ranges(new_tree) {
        low = low.min(changed.start_byte);
        high = high.max(changed.end_byte);
    }
    // Statements are the module's children; while the text does not
    // parse (a bracket left open while typing), tree-sitter may hang them
    // all under one ERROR node: its children are the statements then.
    let mut parent = new_tree.root_node();
    loop {
        let touched = touched_children(parent, low, high);
        match touched.as_slice() {
            [only] if only.is_error() && only.child_count() > 0 => parent = *only,
            _ => {
                let start = touched.first().map_or(low, |n| n.start_byte().min(low));
                let end = touched.last().map_or(high, |n| n.end_byte().max(high));
                return start..end;
            }
        }
    }
}

/// The children of `parent` that overlap or touch `low..=high`.
fn touched_children(parent: Node, low: usize, high: usize) -> Vec<Node> {
    let mut cursor = parent.walk();
    parent
        .children(&mut cursor)
        .skip_while(|child| child.end_byte() < low)
        .take_while(|child| child.start_byte() <= high)
        .collect()
}

/// The new list of one kind of fact: the old facts before the region, those
/// read in it, the old facts after it moved. `None` when an old fact
/// straddles the region's edge (the statements there changed shape).
fn splice<T: Clone + Shift>(
    old: &[T],
    read: Vec<T>,
    old_region: &Range<usize>,
    past_region: &TextChange,
    range: impl Fn(&T) -> TextRange,
) -> Option<Vec<T>> {
    #[derive(PartialEq, PartialOrd)]
    enum Place {
        Before,
        Inside,
        After,
    }
    let mut spliced = Vec::with_capacity(old.len() + read.len());
    let mut read = Some(read);
    let mut place = Place::Before;
    for fact in old {
        let (start, end) = (range(fact).start(), range(fact).end());
        let fact_place = if start == end && (start == old_region.start || start == old_region.end) {
            // Empty (a node tree-sitter made up) at the edge: either side.
            return None;
        } else if end <= old_region.start {
            Place::Before
        } else if start >= old_region.end {
            Place::After
        } else if old_region.start <= start && end <= old_region.end {
            Place::Inside
        } else {
            return None;
        };
        // Facts come in source order, a statement's at a time.
        if fact_place < place {
            return None;
        }
        place = fact_place;
        match place {
            Place::Before => spliced.push(fact.clone()),
            Place::Inside => {}
            Place::After => {
                spliced.extend(read.take().into_iter().flatten());
                let mut moved = fact.clone();
                if !moved.shift(past_region) {
                    return None;
                }
                spliced.push(moved);
            }
        }
    }
    spliced.extend(read.into_iter().flatten());
    Some(spliced)
}

fn binding_range(binding: &Binding) -> TextRange {
    TextRange {
        start: binding.name_range.start,
        end: binding.value.range.end.max(binding.name_range.end),
    }
}

type ScopeFacts = (Vec<Import>, Vec<Binding>, Vec<Arc<ClassFacts>>);

/// The new file's imports, bindings and classes: the old ones with the
/// region's read ones (taken out of `read`) in place of the region's old ones.
fn splice_scope(
    old: &FileFacts,
    read: &mut FileFacts,
    old_region: &Range<usize>,
    past_region: &TextChange,
) -> Option<ScopeFacts> {
    let imports = splice(
        &old.imports,
        std::mem::take(&mut read.imports),
        old_region,
        past_region,
        |i| i.range,
    )?;
    let bindings = splice(
        &old.bindings,
        std::mem::take(&mut read.bindings),
        old_region,
        past_region,
        binding_range,
    )?;
    let classes = splice(
        &old.classes,
        std::mem::take(&mut read.classes),
        old_region,
        past_region,
        |class| class.range_with_decorators(),
    )?;
    Some((imports, bindings, classes))
}

/// The names whose definitions differ between the old facts and the new
/// imports, bindings and classes: imported from elsewhere, bound to another
/// literal or pattern, defined as a class more or fewer times. `None` when
/// the star imports differ (they may bring any name).
fn changed_names<'a>(
    old: &'a FileFacts,
    imports: &'a [Import],
    bindings: &'a [Binding],
    classes: &'a [Arc<ClassFacts>],
) -> Option<HashSet<&'a str>> {
    /// (kind, module or literal, member or pattern).
    type Definition<'a> = (u8, Option<&'a str>, Option<&'a str>);
    fn definitions<'a>(
        imports: &'a [Import],
        bindings: &'a [Binding],
        classes: &'a [Arc<ClassFacts>],
    ) -> (Vec<&'a str>, HashMap<&'a str, Vec<Definition<'a>>>) {
        let mut stars = Vec::new();
        let mut by_name: HashMap<&str, Vec<Definition>> = HashMap::default();
        for import in imports {
            if import.star {
                stars.push(import.module.as_str());
            } else {
                by_name.entry(&import.local).or_default().push((
                    0,
                    Some(&import.module),
                    import.member.as_deref(),
                ));
            }
        }
        for binding in bindings {
            by_name.entry(&binding.name).or_default().push((
                1,
                binding.value.as_str(),
                compiled_pattern(binding),
            ));
        }
        for class in classes {
            by_name
                .entry(&class.name)
                .or_default()
                .push((2, None, None));
        }
        (stars, by_name)
    }
    let (old_stars, old_names) = definitions(&old.imports, &old.bindings, &old.classes);
    let (new_stars, new_names) = definitions(imports, bindings, classes);
    if old_stars != new_stars {
        return None;
    }
    let mut changed: HashSet<&str> = HashSet::default();
    for (name, definitions) in &old_names {
        if new_names.get(name) != Some(definitions) {
            changed.insert(name);
        }
    }
    for name in new_names.keys() {
        if !old_names.contains_key(name) {
            changed.insert(name);
        }
    }
    Some(changed)
}

/// Whether `name` is written in `text` outside `region` as a word of its
/// own (in code, a string or a comment alike: any may refer to it).
fn written_outside(text: &str, region: &Range<usize>, name: &str) -> bool {
    // Only ASCII counts as part of a word: a non-ASCII neighbour makes a
    // match count, which at worst extracts the file afresh.
    let is_word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    let bytes = text.as_bytes();
    text.match_indices(name).any(|(start, _)| {
        let end = start + name.len();
        let inside = start < region.end && end > region.start;
        let before = start.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(end).copied();
        !inside && !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// Whether the module's scope is unchanged: the same imports, the same
/// names bound (to the same literals and patterns), the same classes.
fn same_scope(
    old: &FileFacts,
    imports: &[Import],
    bindings: &[Binding],
    classes: &[Arc<ClassFacts>],
) -> bool {
    fn import_key(i: &Import) -> (&str, &str, Option<&str>, bool) {
        (&i.local, &i.module, i.member.as_deref(), i.star)
    }
    fn binding_key(b: &Binding) -> (&str, Option<&str>, Option<&str>) {
        (&b.name, b.value.as_str(), compiled_pattern(b))
    }
    old.imports
        .iter()
        .map(import_key)
        .eq(imports.iter().map(import_key))
        && old
            .bindings
            .iter()
            .map(binding_key)
            .eq(bindings.iter().map(binding_key))
        && old
            .classes
            .iter()
            .map(|c| &c.name)
            .eq(classes.iter().map(|c| &c.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::extract_from_tree;
    use crate::syntax;
    use crate::syntax::edit;
    use crate::test_support::{python_files, workspaces};
    use rayon::prelude::*;

    /// Edits of one line, chosen to reshape the code around them: comments,
    /// blank lines, indentation, brackets and quotes left open, names and
    /// keywords typed, statements deleted, classes pasted.
    fn edits(text: &str) -> Vec<(usize, usize, &'static str)> {
        let mut edits = Vec::new();
        let mut line_start = 0;
        for (number, line) in text.split_inclusive('\n').enumerate() {
            let content_end = line_start + line.trim_end_matches(['\n', '\r']).len();
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let code = line_start + indent;
            let kinds = [
                (line_start, line_start, "# a comment\n"),
                (content_end, content_end, "\n"),
                (line_start, line_start, " "),
                (code, code, "x"),
                (line_start, line_start + line.len(), ""),
                (content_end, content_end, "("),
                (code, code, "\"\"\""),
                (code, code, "'"),
                (line_start, code, ""),
                (code, (code + 1).min(content_end), ""),
                (content_end, content_end, ":"),
                (
                    line_start,
                    line_start,
                    "class Pasted(Base):\n    id = Column(Integer)\n",
                ),
                (content_end, content_end, ", ForeignKey('user.id')"),
                (code, code, "import os\n"),
                (line_start, line_start, "    "),
                (content_end, content_end, " \\"),
                // Names defined anew: unused, or shadowing what other
                // statements write (a base, a type, a string target).
                (line_start, line_start, "TABLE_NAME = 'unused_table'\n"),
                (line_start, line_start, "Base = object\n"),
                (
                    line_start,
                    line_start,
                    "from sqlalchemy import Text as String\n",
                ),
                (line_start, line_start, "from sqlalchemy.orm import *\n"),
                (line_start, line_start, "class Parent:\n    pass\n"),
                (line_start, line_start, "Child = 'child'\n"),
            ];
            for step in [0, 5, 11] {
                edits.push(kinds[(number + step) % kinds.len()]);
            }
            line_start += line.len();
        }
        edits
    }

    /// Extracts every edit of a file both ways, then a second edit on top
    /// of the first; how many times the edit was read incrementally.
    fn compare_both_ways(path: &str, text: &str) -> (usize, usize) {
        let (mut incremental, mut afresh) = (0, 0);
        let tree = syntax::parse(text);
        let facts = extract_from_tree(path, text, &tree);
        let mut check = |old: &FileFacts,
                         old_text: &str,
                         old_tree: &Tree,
                         new_text: &str,
                         new_tree: &Tree,
                         case: &str| {
            let expected = extract_from_tree(path, new_text, new_tree);
            match extract_edited(old, old_text, old_tree, new_text, new_tree) {
                Some(facts) => {
                    assert_eq!(facts, expected, "{case}");
                    incremental += 1;
                }
                None => afresh += 1,
            }
            expected
        };
        let all = edits(text);
        for (number, &first) in all.iter().enumerate() {
            let case = format!("{path}: {first:?}");
            let (new_text, old_tree, new_tree) = edit(text, &tree, first);
            let new_facts = check(&facts, text, &old_tree, &new_text, &new_tree, &case);
            // A second edit, at another line, on top of the first.
            let (start, end, inserted) = all[(number * 7 + 3) % all.len()];
            let shift = |at: usize| {
                if at >= first.1 {
                    at + first.0 + first.2.len() - first.1
                } else {
                    at.min(first.0)
                }
            };
            let second = (shift(start), shift(end).max(shift(start)), inserted);
            if !new_text.is_char_boundary(second.0) || !new_text.is_char_boundary(second.1) {
                continue;
            }
            let (newer_text, edited_tree, newer_tree) = edit(&new_text, &new_tree, second);
            let case = format!("{case}, then {second:?}");
            check(
                &new_facts,
                &new_text,
                &edited_tree,
                &newer_text,
                &newer_tree,
                &case,
            );
        }
        (incremental, afresh)
    }

    #[test]
    fn extracting_an_edit_equals_extracting_afresh() {
        let files: Vec<(String, String)> = workspaces()
            .iter()
            .flat_map(|root| python_files(root))
            .collect();
        let counts: Vec<(usize, usize)> = files
            .par_iter()
            .map(|(path, text)| compare_both_ways(path, text))
            .collect();
        let incremental: usize = counts.iter().map(|c| c.0).sum();
        let afresh: usize = counts.iter().map(|c| c.1).sum();
        println!("read incrementally {incremental} times, afresh {afresh} times");
        // Both ways are taken, often.
        assert!(
            incremental > 20_000,
            "read incrementally {incremental} times"
        );
        assert!(afresh > 1_000, "extracted afresh {afresh} times");
    }
}
