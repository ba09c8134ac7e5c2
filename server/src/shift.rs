//! Moving what was derived from a file's text past an edit of that text.
//!
//! Most keystrokes in a models file change no model fact: a comment, a blank
//! line, a statement the extraction does not record. Then the facts of the
//! new text are those of the old one with their positions moved, and so are
//! the graph and the findings derived from them: the language server moves
//! them instead of linking and checking the workspace again. [`Shift`] does
//! the moving; whether it was allowed is decided by comparing the moved old
//! facts with the new ones, field by field.
//!
//! Ranges of code whose text the rules read (names, literals, expressions)
//! are leaves: a change touching one refuses to move it, because its text
//! may differ even where its facts do not (a quote swapped, a callee
//! respelled). Ranges that only enclose code (a class, a statement) move
//! around and grow with a change inside them.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::facts::{
    Annotation, BackrefFacts, Binding, CallSite, ClassFacts, ClassTable, ColumnFacts, FileFacts,
    ForeignKeyFacts, ImperativeMapping, Import, OtherMember, RawMember, RelationshipFacts, Setting,
    TableArgs, TableFacts, TableName, TargetRef,
};
use crate::graph::FileId;
use crate::syntax::expr::{Call, Expr, ExprKind, Keyword};
use crate::text::{TextChange, TextRange};

/// Moves the byte positions a value holds past a change of its file's text.
pub trait Shift {
    /// False when a position cannot be moved (the value is then partly
    /// moved and must be dropped).
    fn shift(&mut self, change: &TextChange) -> bool;
}

impl Shift for TextRange {
    fn shift(&mut self, change: &TextChange) -> bool {
        move_to(self, change.leaf(*self))
    }
}

/// An enclosing range: see [`TextChange::span`].
fn span(range: &mut TextRange, change: &TextChange) -> bool {
    move_to(range, change.span(*range))
}

fn move_to(range: &mut TextRange, moved: Option<TextRange>) -> bool {
    match moved {
        Some(moved) => {
            *range = moved;
            true
        }
        None => false,
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, change: &TextChange) -> bool {
        self.as_mut().is_none_or(|value| value.shift(change))
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, change: &TextChange) -> bool {
        self.iter_mut().all(|value| value.shift(change))
    }
}

impl<T: Shift> Shift for Box<T> {
    fn shift(&mut self, change: &TextChange) -> bool {
        (**self).shift(change)
    }
}

/// Shared facts are copied before they move: the old analysis keeps its own.
impl<T: Shift + Clone> Shift for Arc<T> {
    fn shift(&mut self, change: &TextChange) -> bool {
        Arc::make_mut(self).shift(change)
    }
}

impl<A: Shift, B: Shift> Shift for (A, B) {
    fn shift(&mut self, change: &TextChange) -> bool {
        self.0.shift(change) && self.1.shift(change)
    }
}

/// Whether a value moved past a change equals another: [`Shift::shift`]
/// on a copy, then `==`, without the copy. A class's facts hold hundreds of
/// strings and expressions, and after an edit the server asks this of
/// every class that follows it.
pub trait MovedEq {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool;
}

impl MovedEq for TextRange {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        change.leaf(*self) == Some(*moved)
    }
}

/// [`MovedEq`] of an enclosing range (see [`span`]).
fn span_eq(range: &TextRange, moved: &TextRange, change: &TextChange) -> bool {
    change.span(*range) == Some(*moved)
}

impl<T: MovedEq> MovedEq for Option<T> {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        match (self, moved) {
            (None, None) => true,
            (Some(value), Some(moved)) => value.moved_eq(moved, change),
            _ => false,
        }
    }
}

impl<T: MovedEq> MovedEq for Vec<T> {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        self.len() == moved.len()
            && self
                .iter()
                .zip(moved)
                .all(|(value, moved)| value.moved_eq(moved, change))
    }
}

impl<T: MovedEq> MovedEq for Box<T> {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        (**self).moved_eq(moved, change)
    }
}

impl<T: MovedEq> MovedEq for Arc<T> {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        (**self).moved_eq(moved, change)
    }
}

impl<A: MovedEq, B: MovedEq> MovedEq for (A, B) {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        self.0.moved_eq(&moved.0, change) && self.1.moved_eq(&moved.1, change)
    }
}

/// Implements [`Shift`] for a struct by destructuring it, so that a field
/// added later and not listed here is a compile error: `leaves` are moved
/// with their own `Shift`, `spans` as enclosing ranges, `fixed` hold no
/// position.
macro_rules! shift_struct {
    ($type:ty { leaves: [$($leaf:ident),*], spans: [$($span:ident),*], fixed: [$($fixed:ident),*] }) => {
        impl Shift for $type {
            fn shift(&mut self, change: &TextChange) -> bool {
                let Self { $($leaf,)* $($span,)* $($fixed: _,)* } = self;
                $( $leaf.shift(change) && )* $( span($span, change) && )* true
            }
        }

        impl MovedEq for $type {
            fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
                let Self { $($leaf,)* $($span,)* $($fixed,)* } = self;
                $( $leaf.moved_eq(&moved.$leaf, change) && )*
                $( span_eq($span, &moved.$span, change) && )*
                $( *$fixed == moved.$fixed && )* true
            }
        }
    };
}

shift_struct!(FileFacts {
    leaves: [
        imports,
        bindings,
        attribute_assignments,
        classes,
        tables,
        call_sites,
        foreign_key_pragmas,
        imperative_mappings
    ],
    spans: [],
    fixed: [
        path,
        module,
        is_package,
        has_syntax_errors,
        hides_definitions,
        hides_imports,
        future_annotations
    ]
});

shift_struct!(Import {
    leaves: [],
    spans: [range],
    fixed: [local, module, member, star]
});

shift_struct!(Binding {
    leaves: [name_range, value],
    spans: [],
    fixed: [name]
});

shift_struct!(ImperativeMapping {
    leaves: [class, table, registry, properties],
    spans: [range],
    fixed: []
});

impl Shift for CallSite {
    fn shift(&mut self, change: &TextChange) -> bool {
        let CallSite {
            function_range,
            construct: _,
            callee,
            call,
        } = self;
        // The enclosing function only encloses the call.
        function_range
            .as_mut()
            .is_none_or(|range| span(range, change))
            && callee.shift(change)
            && call.shift(change)
    }
}

impl MovedEq for CallSite {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        let CallSite {
            function_range,
            construct,
            callee,
            call,
        } = self;
        let function_moved = match (function_range, &moved.function_range) {
            (None, None) => true,
            (Some(range), Some(moved)) => span_eq(range, moved, change),
            _ => false,
        };
        function_moved
            && *construct == moved.construct
            && callee.moved_eq(&moved.callee, change)
            && call.moved_eq(&moved.call, change)
    }
}

shift_struct!(ClassFacts {
    leaves: [
        name_range,
        bases,
        keywords,
        decorators,
        raw_members,
        tablename,
        table_args,
        table,
        metadata,
        registry,
        mapper_args,
        columns,
        relationships,
        other_members
    ],
    spans: [range, body_range],
    fixed: [name, nested_in_function, is_abstract, dynamic]
});

impl Shift for RawMember {
    fn shift(&mut self, change: &TextChange) -> bool {
        match self {
            RawMember::Attribute {
                name: _,
                name_range,
                annotation,
                value,
                range,
            } => {
                name_range.shift(change)
                    && annotation.shift(change)
                    && value.shift(change)
                    && span(range, change)
            }
            RawMember::Method {
                name: _,
                name_range,
                decorators,
                return_type,
                returns,
                range,
            } => {
                name_range.shift(change)
                    && decorators.shift(change)
                    && return_type.shift(change)
                    && returns.shift(change)
                    && span(range, change)
            }
        }
    }
}

impl MovedEq for RawMember {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        match (self, moved) {
            (
                RawMember::Attribute {
                    name,
                    name_range,
                    annotation,
                    value,
                    range,
                },
                RawMember::Attribute {
                    name: moved_name,
                    name_range: moved_name_range,
                    annotation: moved_annotation,
                    value: moved_value,
                    range: moved_range,
                },
            ) => {
                name == moved_name
                    && name_range.moved_eq(moved_name_range, change)
                    && annotation.moved_eq(moved_annotation, change)
                    && value.moved_eq(moved_value, change)
                    && span_eq(range, moved_range, change)
            }
            (
                RawMember::Method {
                    name,
                    name_range,
                    decorators,
                    return_type,
                    returns,
                    range,
                },
                RawMember::Method {
                    name: moved_name,
                    name_range: moved_name_range,
                    decorators: moved_decorators,
                    return_type: moved_return_type,
                    returns: moved_returns,
                    range: moved_range,
                },
            ) => {
                name == moved_name
                    && name_range.moved_eq(moved_name_range, change)
                    && decorators.moved_eq(moved_decorators, change)
                    && return_type.moved_eq(moved_return_type, change)
                    && returns.moved_eq(moved_returns, change)
                    && span_eq(range, moved_range, change)
            }
            _ => false,
        }
    }
}

shift_struct!(OtherMember {
    leaves: [],
    spans: [range],
    fixed: [name, kind]
});

impl Shift for TableName {
    fn shift(&mut self, change: &TextChange) -> bool {
        match self {
            TableName::Literal(_, range) | TableName::Unknown(range) => range.shift(change),
            TableName::ImportedPattern { range, .. } => range.shift(change),
            TableName::NoTable | TableName::Derived { .. } => true,
        }
    }
}

impl Shift for ClassTable {
    fn shift(&mut self, change: &TextChange) -> bool {
        match self {
            ClassTable::Inline(table) => table.shift(change),
            ClassTable::Reference(expr) => expr.shift(change),
        }
    }
}

impl MovedEq for TableName {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        match (self, moved) {
            (TableName::Literal(name, range), TableName::Literal(moved_name, moved_range)) => {
                name == moved_name && range.moved_eq(moved_range, change)
            }
            (TableName::Unknown(range), TableName::Unknown(moved_range)) => {
                range.moved_eq(moved_range, change)
            }
            (
                TableName::ImportedPattern {
                    pattern,
                    replacement,
                    none_when_inherited,
                    range,
                },
                TableName::ImportedPattern {
                    pattern: moved_pattern,
                    replacement: moved_replacement,
                    none_when_inherited: moved_none_when_inherited,
                    range: moved_range,
                },
            ) => {
                pattern == moved_pattern
                    && replacement == moved_replacement
                    && none_when_inherited == moved_none_when_inherited
                    && range.moved_eq(moved_range, change)
            }
            // No position: equal as they are.
            (TableName::NoTable, _) | (TableName::Derived { .. }, _) => self == moved,
            _ => false,
        }
    }
}

impl MovedEq for ClassTable {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        match (self, moved) {
            (ClassTable::Inline(table), ClassTable::Inline(moved)) => table.moved_eq(moved, change),
            (ClassTable::Reference(expr), ClassTable::Reference(moved)) => {
                expr.moved_eq(moved, change)
            }
            _ => false,
        }
    }
}

shift_struct!(TableArgs {
    leaves: [foreign_key_constraints, schema],
    spans: [range],
    fixed: [unique_constraints, primary_key_constraint, incomplete]
});

shift_struct!(ColumnFacts {
    leaves: [
        attribute_range,
        annotation,
        nullable,
        primary_key,
        unique,
        autoincrement,
        foreign_keys,
        call
    ],
    spans: [range],
    fixed: [attribute, name, kind, type_name, from_declared_attr]
});

shift_struct!(Annotation {
    leaves: [range],
    spans: [],
    fixed: [wrapper, collection, optional, inner, inner_quoted]
});

impl Shift for TargetRef {
    fn shift(&mut self, change: &TextChange) -> bool {
        match self {
            TargetRef::Class(_, range) | TargetRef::Unknown(range) => range.shift(change),
        }
    }
}

impl MovedEq for TargetRef {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        fn parts(target: &TargetRef) -> (Option<&str>, TextRange) {
            match target {
                TargetRef::Class(name, range) => (Some(name), *range),
                TargetRef::Unknown(range) => (None, *range),
            }
        }
        let ((name, range), (moved_name, moved_range)) = (parts(self), parts(moved));
        name == moved_name && range.moved_eq(&moved_range, change)
    }
}

shift_struct!(RelationshipFacts {
    leaves: [
        attribute_range,
        callee_range,
        target,
        annotation,
        keywords,
        backref,
        call
    ],
    spans: [range],
    fixed: [attribute, style, has_splat, from_declared_attr]
});

shift_struct!(BackrefFacts {
    leaves: [range, keywords, call],
    spans: [],
    fixed: [name, has_splat]
});

shift_struct!(ForeignKeyFacts {
    leaves: [
        range,
        target_ranges,
        name,
        ondelete,
        onupdate,
        use_alter,
        call
    ],
    spans: [],
    fixed: [kind, columns, targets, name_is_final]
});

shift_struct!(TableFacts {
    leaves: [
        name_range,
        metadata,
        schema,
        columns,
        foreign_key_constraints
    ],
    spans: [range],
    fixed: [
        name,
        binding,
        unique_constraints,
        primary_key_constraint,
        incomplete
    ]
});

impl<T> Shift for Setting<T> {
    fn shift(&mut self, change: &TextChange) -> bool {
        match self {
            Setting::Known(_, range) | Setting::Unknown(range) => range.shift(change),
        }
    }
}

impl<T: PartialEq> MovedEq for Setting<T> {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        self.known() == moved.known() && self.range().moved_eq(&moved.range(), change)
    }
}

/// A call or a collection only encloses its parts (a comment may sit
/// between its arguments); the rules read no text of it.
fn encloses(kind: &ExprKind) -> bool {
    matches!(
        kind,
        ExprKind::Call(_)
            | ExprKind::List(_)
            | ExprKind::Tuple(_)
            | ExprKind::Set(_)
            | ExprKind::Dict { .. }
    )
}

impl Shift for Expr {
    fn shift(&mut self, change: &TextChange) -> bool {
        let Expr { kind, range } = self;
        let encloses = encloses(kind);
        kind.shift(change)
            && if encloses {
                span(range, change)
            } else {
                range.shift(change)
            }
    }
}

impl MovedEq for Expr {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        let Expr { kind, range } = self;
        kind.moved_eq(&moved.kind, change)
            && if encloses(kind) {
                span_eq(range, &moved.range, change)
            } else {
                range.moved_eq(&moved.range, change)
            }
    }
}

impl Shift for ExprKind {
    fn shift(&mut self, change: &TextChange) -> bool {
        match self {
            ExprKind::Attribute(value, _) | ExprKind::Lambda(value) | ExprKind::Unary(_, value) => {
                value.shift(change)
            }
            ExprKind::Call(call) => call.shift(change),
            ExprKind::List(items) | ExprKind::Tuple(items) | ExprKind::Set(items) => {
                items.shift(change)
            }
            ExprKind::Dict {
                entries,
                complete: _,
            } => entries.shift(change),
            ExprKind::Subscript(value, indexes) => value.shift(change) && indexes.shift(change),
            ExprKind::Operation(left, _, right) => left.shift(change) && right.shift(change),
            ExprKind::Str(_)
            | ExprKind::FormattedString(_)
            | ExprKind::Int(_)
            | ExprKind::Float
            | ExprKind::Bool(_)
            | ExprKind::NoneLiteral
            | ExprKind::Name(_)
            | ExprKind::Unknown => true,
        }
    }
}

impl MovedEq for ExprKind {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        match (self, moved) {
            (ExprKind::Attribute(value, name), ExprKind::Attribute(moved_value, moved_name)) => {
                name == moved_name && value.moved_eq(moved_value, change)
            }
            (ExprKind::Lambda(value), ExprKind::Lambda(moved_value)) => {
                value.moved_eq(moved_value, change)
            }
            (ExprKind::Unary(operator, value), ExprKind::Unary(moved_operator, moved_value)) => {
                operator == moved_operator && value.moved_eq(moved_value, change)
            }
            (ExprKind::Call(call), ExprKind::Call(moved_call)) => call.moved_eq(moved_call, change),
            (ExprKind::List(items), ExprKind::List(moved_items))
            | (ExprKind::Tuple(items), ExprKind::Tuple(moved_items))
            | (ExprKind::Set(items), ExprKind::Set(moved_items)) => {
                items.moved_eq(moved_items, change)
            }
            (
                ExprKind::Dict { entries, complete },
                ExprKind::Dict {
                    entries: moved_entries,
                    complete: moved_complete,
                },
            ) => complete == moved_complete && entries.moved_eq(moved_entries, change),
            (
                ExprKind::Subscript(value, indexes),
                ExprKind::Subscript(moved_value, moved_indexes),
            ) => value.moved_eq(moved_value, change) && indexes.moved_eq(moved_indexes, change),
            (
                ExprKind::Operation(left, operator, right),
                ExprKind::Operation(moved_left, moved_operator, moved_right),
            ) => {
                operator == moved_operator
                    && left.moved_eq(moved_left, change)
                    && right.moved_eq(moved_right, change)
            }
            // No position inside: equal as they are.
            (
                ExprKind::Str(_)
                | ExprKind::FormattedString(_)
                | ExprKind::Int(_)
                | ExprKind::Float
                | ExprKind::Bool(_)
                | ExprKind::NoneLiteral
                | ExprKind::Name(_)
                | ExprKind::Unknown,
                _,
            ) => self == moved,
            _ => false,
        }
    }
}

shift_struct!(Call {
    leaves: [callee, args, keywords],
    spans: [arguments_range],
    fixed: [has_splat]
});

impl Shift for Keyword {
    fn shift(&mut self, change: &TextChange) -> bool {
        let Keyword {
            name,
            name_range,
            value,
            range,
        } = self;
        // SA203's fix copies a `secondary=` argument's text whole.
        let copied = name == "secondary" && change.leaf(value.range).is_none();
        !copied && name_range.shift(change) && value.shift(change) && span(range, change)
    }
}

impl MovedEq for Keyword {
    fn moved_eq(&self, moved: &Self, change: &TextChange) -> bool {
        let Keyword {
            name,
            name_range,
            value,
            range,
        } = self;
        // As in `shift`: a `secondary=` value is copied whole by a fix.
        let copied = name == "secondary" && change.leaf(value.range).is_none();
        !copied
            && *name == moved.name
            && name_range.moved_eq(&moved.name_range, change)
            && value.moved_eq(&moved.value, change)
            && span_eq(range, &moved.range, change)
    }
}

/// How the change from `old_text` to `new_text` moved the facts, when
/// `new_facts` are exactly `old_facts` moved by it (under one of the
/// change's placements); None when the facts changed.
pub fn facts_moved(
    old_facts: &FileFacts,
    old_text: &str,
    new_facts: &FileFacts,
    new_text: &str,
) -> Option<TextChange> {
    let change = TextChange::between(old_text, new_text);
    // The placements change the same bytes (rotated): checked once.
    if !leaves_read_text_alone((old_facts, old_text), (new_facts, new_text), &change) {
        return None;
    }
    change
        .placements(old_text, new_text)
        .into_iter()
        .find(|placed| moved_equals(old_facts, new_facts, placed))
}

/// Whether the old facts moved past `change` equal the new ones. A class
/// wholly before the change does not move: where the new facts share it
/// (an incremental extraction kept it), it is equal without a comparison.
pub(crate) fn moved_equals(old: &FileFacts, new: &FileFacts, change: &TextChange) -> bool {
    let FileFacts {
        path,
        module,
        is_package,
        has_syntax_errors,
        hides_definitions,
        hides_imports,
        future_annotations,
        imports,
        bindings,
        attribute_assignments,
        classes,
        tables,
        call_sites,
        foreign_key_pragmas,
        imperative_mappings,
    } = old;
    *path == new.path
        && *module == new.module
        && *is_package == new.is_package
        && *has_syntax_errors == new.has_syntax_errors
        && *hides_definitions == new.hides_definitions
        && *hides_imports == new.hides_imports
        && *future_annotations == new.future_annotations
        && imports.moved_eq(&new.imports, change)
        && bindings.moved_eq(&new.bindings, change)
        && attribute_assignments.moved_eq(&new.attribute_assignments, change)
        && tables.moved_eq(&new.tables, change)
        && call_sites.moved_eq(&new.call_sites, change)
        && foreign_key_pragmas.moved_eq(&new.foreign_key_pragmas, change)
        && imperative_mappings.moved_eq(&new.imperative_mappings, change)
        && classes.len() == new.classes.len()
        && classes.iter().zip(&new.classes).all(|(old, new)| {
            let before = old
                .decorators
                .iter()
                .map(|d| d.range.end)
                .chain([old.range.end])
                .all(|end| end < change.start);
            (before && Arc::ptr_eq(old, new)) || old.moved_eq(new, change)
        })
}

/// Rules read a little text beyond the facts' leaves, to write fixes in the
/// file's style: whether it ends lines with `\r\n`, and a class body's
/// indentation (before its first statement). A change of either is a change.
fn leaves_read_text_alone(
    old: (&FileFacts, &str),
    new: (&FileFacts, &str),
    change: &TextChange,
) -> bool {
    let carriage_return = |text: &str, end: u32| {
        text.as_bytes()
            .get(change.start as usize..end as usize)
            .is_none_or(|changed| changed.contains(&b'\r'))
    };
    if carriage_return(old.1, change.old_end) || carriage_return(new.1, change.new_end) {
        return false;
    }
    let classes = |facts: &'_ FileFacts| -> Vec<usize> {
        facts
            .classes
            .iter()
            .map(Arc::as_ref)
            .chain(facts.imperative_mappings.iter().map(|m| &m.properties))
            .map(|class| class.body_range.start())
            .collect()
    };
    let (old_bodies, new_bodies) = (classes(old.0), classes(new.0));
    old_bodies.len() == new_bodies.len()
        && old_bodies
            .iter()
            .zip(&new_bodies)
            .all(|(&a, &b)| indentation(old.1, a) == indentation(new.1, b))
}

/// The text from the start of the line to `offset`.
fn indentation(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let line_start = before.rfind(['\n', '\r']).map_or(0, |at| at + 1);
    Some(&before[line_start..])
}

/// Moves the positions a diagnostic holds in `file` (its own place, its
/// related places, its fixes' edits) past a change of that file. Every
/// range is moved as an enclosing one: a diagnostic's range may span the
/// change (from one fact to another) whose leaves the facts already showed
/// untouched.
pub fn shift_diagnostic(diagnostic: &mut Diagnostic, file: FileId, change: &TextChange) -> bool {
    let Diagnostic {
        code: _,
        name: _,
        severity: _,
        message: _,
        location,
        related,
        fixes,
    } = diagnostic;
    let mut ok = location.file != file || span(&mut location.range, change);
    for related in related.iter_mut() {
        ok = ok && (related.location.file != file || span(&mut related.location.range, change));
    }
    for fix in fixes.iter_mut() {
        for edit in fix.edits.iter_mut() {
            ok = ok && (edit.file != file || span(&mut edit.range, change));
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::extract;
    use crate::test_support::{python_files, workspaces};

    /// `moved_equals` as it was written first: each class moved on a copy,
    /// then compared. [`MovedEq`] must answer exactly as this does.
    fn moved_then_compared(old: &FileFacts, new: &FileFacts, change: &TextChange) -> bool {
        let mut moved = old.clone();
        moved.shift(change) && moved == *new
    }

    /// Over every fixture file, edits on every line (some moving the facts,
    /// some changing a value in place, some touching a leaf): comparing without copies
    /// answers as moving a copy and comparing it does, for the whole file
    /// and for each class.
    #[test]
    fn comparing_moved_facts_equals_moving_a_copy() {
        let (mut equal, mut different) = (0, 0);
        for root in workspaces() {
            for (path, old_text) in python_files(&root) {
                let old = extract(&path, &old_text);
                let mut line_start = 0;
                for (number, line) in old_text.split_inclusive('\n').enumerate() {
                    let indent = line.len() - line.trim_start_matches(' ').len();
                    let content_end = line_start + line.trim_end_matches(['\n', '\r']).len();
                    // A value changed in place: `True` flipped, a string's text.
                    let value_edit = match (line.find("True"), line.find('"')) {
                        (Some(at), _) => Some((line_start + at, line_start + at + 4, "False")),
                        (None, Some(at)) => Some((line_start + at + 1, line_start + at + 1, "z")),
                        (None, None) => None,
                    };
                    let (start, end, inserted) = match (number % 6, value_edit) {
                        (0, _) => (line_start, line_start, "# a comment\n"),
                        (1, _) => (line_start + indent, line_start + indent, "x"),
                        (2, _) => (content_end, content_end, "  # noqa"),
                        (3, _) => (line_start, line_start + line.len(), ""),
                        (4, Some(edit)) => edit,
                        _ => (content_end, content_end, "\n"),
                    };
                    line_start += line.len();
                    let new_text = format!("{}{inserted}{}", &old_text[..start], &old_text[end..]);
                    let new = extract(&path, &new_text);
                    let change = TextChange::between(&old_text, &new_text);
                    for placed in change.placements(&old_text, &new_text) {
                        let expected = moved_then_compared(&old, &new, &placed);
                        let case = format!("{path} line {number} {placed:?}");
                        assert_eq!(moved_equals(&old, &new, &placed), expected, "{case}");
                        if old.classes.len() == new.classes.len() {
                            for (old, new) in old.classes.iter().zip(&new.classes) {
                                let mut copy = ClassFacts::clone(old);
                                let expected = copy.shift(&placed) && copy == **new;
                                assert_eq!(old.moved_eq(new, &placed), expected, "{case}");
                            }
                        }
                        if expected {
                            equal += 1;
                        } else {
                            different += 1;
                        }
                    }
                }
            }
        }
        // Both answers are common: the comparison is not vacuous.
        assert!(
            equal > 1000 && different > 1000,
            "{equal} equal, {different} different"
        );
    }

    fn facts(text: &str) -> FileFacts {
        extract("models.py", text)
    }

    /// The new text's facts equal the old ones moved, or the move refuses.
    fn moves_to(old: &str, new: &str) -> bool {
        facts_moved(&facts(old), old, &facts(new), new).is_some()
    }

    const MODELS: &str = "from sqlalchemy import Column, ForeignKey, Integer\nfrom sqlalchemy.orm import declarative_base, relationship\n\nBase = declarative_base()\n\n\nclass Parent(Base):\n    __tablename__ = \"parent\"\n    id = Column(Integer, primary_key=True)\n    children = relationship(\n        \"Child\",\n        cascade=\"all\",\n    )\n\n\nclass Child(Base):\n    __tablename__ = \"child\"\n    id = Column(Integer, primary_key=True)\n    parent_id = Column(ForeignKey(\"parent.id\"))\n";

    #[test]
    fn comments_and_blank_lines_move_the_facts() {
        let at = MODELS.find("class Child").unwrap();
        for inserted in ["# a comment\n", "\n", "\n\n\n"] {
            let new = format!("{}{inserted}{}", &MODELS[..at], &MODELS[at..]);
            assert!(moves_to(MODELS, &new), "{inserted:?}");
        }
        // A comment inside a class, and inside a call's arguments.
        let at = MODELS
            .find("    id = Column(Integer, primary_key=True)\n    children")
            .unwrap();
        let new = format!("{}    # the key\n{}", &MODELS[..at], &MODELS[at..]);
        assert!(moves_to(MODELS, &new));
        let at = MODELS.find("        cascade=").unwrap();
        let new = format!("{}        # why\n{}", &MODELS[..at], &MODELS[at..]);
        assert!(moves_to(MODELS, &new));
    }

    #[test]
    fn changed_facts_and_touched_leaves_do_not_move() {
        // A class body's indentation, which fixes copy.
        let one_member = "class A:\n    __tablename__ = 'a'\n";
        assert!(!moves_to(one_member, &one_member.replace("    ", "     ")));
        assert!(moves_to(one_member, &format!("# note\n{one_member}")));
        // Line ends: whether the file uses \r\n.
        let at = MODELS.find("class Child").unwrap();
        assert!(!moves_to(
            MODELS,
            &format!("{}# x\r\n{}", &MODELS[..at], &MODELS[at..])
        ));
        // A new value: the facts differ.
        assert!(!moves_to(
            MODELS,
            &MODELS.replace("\"all\"", "\"all, delete\"")
        ));
        // The same value, quoted otherwise: the literal's text differs.
        assert!(!moves_to(
            MODELS,
            &MODELS.replace("\"parent.id\"", "'parent.id'")
        ));
        // Typing right after a name.
        let at = MODELS
            .find("(Base):\n    __tablename__ = \"child\"")
            .unwrap();
        let new = format!("{}s{}", &MODELS[..at], &MODELS[at..]);
        assert!(!moves_to(MODELS, &new));
    }
}
