//! Reading class members and `Table(...)` calls into model facts.

use std::sync::Arc;

use super::names::{Construct, Scope};
use super::types::*;
use crate::syntax::expr::{Call, Expr, ExprKind, Keyword};
use crate::syntax::{self};
use crate::text::TextRange;

/// Interprets a class's raw members into columns, relationships and table
/// settings. Members whose meaning depends on the class's base (SQLModel plain
/// annotations) are kept as columns of kind `SqlModelPlain` for the linker to
/// accept or drop.
pub fn interpret_class(class: &mut ClassFacts, _source: &str, scope: &Scope) {
    let members = std::mem::take(&mut class.raw_members);
    for member in &members {
        match member {
            RawMember::Attribute {
                name,
                name_range,
                annotation,
                value,
                range,
            } => interpret_attribute(
                class,
                scope,
                name,
                *name_range,
                annotation.as_ref(),
                value.as_ref(),
                *range,
                false,
            ),
            RawMember::Method {
                name,
                name_range,
                decorators,
                return_type,
                returns,
                range,
            } => {
                let declared = decorators.iter().any(|d| is_declared_attr(d, scope));
                if declared {
                    interpret_declared_attr(
                        class,
                        scope,
                        name,
                        *name_range,
                        return_type.as_ref(),
                        returns,
                        *range,
                    );
                } else {
                    let kind = if decorators.iter().any(|d| {
                        d.last_name()
                            .is_some_and(|n| n.contains("hybrid") || n == "property")
                    }) {
                        OtherMemberKind::MapperProperty
                    } else {
                        OtherMemberKind::Method
                    };
                    class.other_members.push(OtherMember {
                        name: name.clone(),
                        range: *name_range,
                        kind,
                    });
                }
            }
        }
    }
    // Kept: the hover renderer reads `__table_args__` items as written.
    class.raw_members = members;
}

fn is_declared_attr(decorator: &Expr, scope: &Scope) -> bool {
    // `@declared_attr`, `@declared_attr.directive`, `@declared_attr.cascading`,
    // `@sa.orm.declared_attr`, `@db.declared_attr`.
    let dotted = decorator
        .dotted()
        .or_else(|| decorator.as_call().and_then(|c| c.callee.dotted()));
    let Some(dotted) = dotted else { return false };
    let parts: Vec<&str> = dotted.split('.').collect();
    if let Some(at) = parts.iter().position(|p| *p == "declared_attr") {
        let head = parts[..=at].join(".");
        return scope.origin(&head) != super::Origin::Unbound || at > 0;
    }
    false
}

#[allow(clippy::too_many_arguments)]
fn interpret_attribute(
    class: &mut ClassFacts,
    scope: &Scope,
    name: &str,
    name_range: TextRange,
    annotation: Option<&Expr>,
    value: Option<&Expr>,
    range: TextRange,
    from_declared_attr: bool,
) {
    match name {
        "__tablename__" => {
            class.tablename = Some(match value {
                Some(v) => match &v.kind {
                    ExprKind::Str(text) => TableName::Literal(text.clone(), v.range),
                    // `__tablename__ = ROOM_TABLE`, a module constant.
                    ExprKind::Name(constant) if scope.constant(constant).is_some() => {
                        TableName::Literal(
                            scope.constant(constant).unwrap_or_default().to_string(),
                            v.range,
                        )
                    }
                    ExprKind::NoneLiteral => TableName::NoTable,
                    _ => TableName::Unknown(v.range),
                },
                None => TableName::Unknown(range),
            });
            return;
        }
        "__abstract__" => {
            class.is_abstract = value.and_then(|v| v.as_bool());
            return;
        }
        "__table_args__" => {
            if let Some(value) = value {
                class.table_args = Some(read_table_args(value, scope));
            }
            return;
        }
        "__table__" => {
            if let Some(value) = value {
                class.table = Some(match read_table(value, scope, None) {
                    Some(table) => ClassTable::Inline(table),
                    None => ClassTable::Reference(value.clone()),
                });
            }
            return;
        }
        "__mapper_args__" => {
            class.mapper_args = value.cloned();
            // Imperative-style properties: `{"properties": {"product": relationship(...)}}`.
            if let Some(ExprKind::Dict { entries, .. }) = value.map(|v| &v.kind) {
                for (key, properties) in entries {
                    if key.as_str() != Some("properties") {
                        continue;
                    }
                    if let ExprKind::Dict { entries, .. } = &properties.kind {
                        for (property, property_value) in entries {
                            if let Some(property) = property.as_str() {
                                interpret_attribute(
                                    class,
                                    scope,
                                    property,
                                    key.range,
                                    None,
                                    Some(property_value),
                                    property_value.range,
                                    false,
                                );
                            }
                        }
                    }
                }
            }
            return;
        }
        "metadata" | "registry" if value.is_some_and(|v| !matches!(v.kind, ExprKind::Call(_))) => {
            // `metadata = shared_metadata` on a declarative base.
            if name == "metadata" {
                class.metadata = value.cloned();
            } else {
                class.registry = value.cloned();
            }
            return;
        }
        _ => {}
    }
    let annotation_facts = annotation.map(read_annotation);
    if let Some(value) = value {
        if let Some(call) = value.as_call() {
            match scope.construct(&call.callee) {
                Some(Construct::MetaData) if name == "metadata" => {
                    class.metadata = Some(value.clone());
                    return;
                }
                Some(Construct::Registry) if name == "registry" => {
                    class.registry = Some(value.clone());
                    return;
                }
                Some(Construct::Column | Construct::MappedColumn | Construct::SqlModelField) => {
                    let construct = scope.construct(&call.callee).unwrap();
                    let mut column = read_column(call, value.range, construct, scope);
                    column.attribute = Some(name.to_string());
                    column.attribute_range = name_range;
                    column.annotation = annotation_facts;
                    column.from_declared_attr = from_declared_attr;
                    fill_type_from_annotation(&mut column);
                    class.columns.push(Arc::new(column));
                    return;
                }
                Some(Construct::Deferred) => {
                    // `deferred(Column(...))` maps the wrapped column.
                    if let Some(inner) = call.args.first().and_then(|a| a.as_call()) {
                        if let Some(construct @ (Construct::Column | Construct::MappedColumn)) =
                            scope.construct(&inner.callee)
                        {
                            let mut column =
                                read_column(inner, call.args[0].range, construct, scope);
                            column.attribute = Some(name.to_string());
                            column.attribute_range = name_range;
                            column.from_declared_attr = from_declared_attr;
                            class.columns.push(Arc::new(column));
                            return;
                        }
                    }
                }
                Some(construct @ (Construct::Relationship | Construct::SqlModelRelationship)) => {
                    let relationship = read_relationship(
                        call,
                        value.range,
                        construct,
                        name,
                        name_range,
                        annotation_facts,
                        from_declared_attr,
                        scope,
                    );
                    class.relationships.push(Arc::new(relationship));
                    return;
                }
                Some(
                    Construct::ColumnProperty
                    | Construct::Synonym
                    | Construct::CompositeProperty
                    | Construct::AssociationProxy,
                ) => {
                    class.other_members.push(OtherMember {
                        name: name.to_string(),
                        range: name_range,
                        kind: OtherMemberKind::MapperProperty,
                    });
                    return;
                }
                _ => {}
            }
        }
    }
    // Annotated members without a mapping call: `name: Mapped[str]` is a
    // column in any declarative class; `name: str = "x"` only in SQLModel.
    if let Some(annotation) = annotation_facts {
        let is_class_var = annotation.wrapper.as_deref() == Some("ClassVar");
        if !is_class_var {
            let kind = if annotation.wrapper.as_deref() == Some("Mapped") && value.is_none() {
                Some(ColumnKind::AnnotationOnly)
            } else if annotation.wrapper.is_none() {
                Some(ColumnKind::SqlModelPlain)
            } else {
                None
            };
            if let Some(kind) = kind {
                let mut column = ColumnFacts {
                    attribute: Some(name.to_string()),
                    attribute_range: name_range,
                    name: None,
                    range,
                    kind,
                    type_name: None,
                    annotation: Some(annotation),
                    nullable: None,
                    primary_key: None,
                    unique: None,
                    autoincrement: None,
                    foreign_keys: Vec::new(),
                    from_declared_attr,
                    call: None,
                };
                fill_type_from_annotation(&mut column);
                class.columns.push(Arc::new(column));
                return;
            }
        }
    }
    // A call we do not know (`id = primary_key()`, a project helper) may
    // return a column or a relationship.
    let kind = if value.is_some_and(|v| matches!(v.kind, ExprKind::Call(_))) {
        OtherMemberKind::Computed
    } else {
        OtherMemberKind::Attribute
    };
    class.other_members.push(OtherMember {
        name: name.to_string(),
        range: name_range,
        kind,
    });
}

fn interpret_declared_attr(
    class: &mut ClassFacts,
    scope: &Scope,
    name: &str,
    name_range: TextRange,
    return_type: Option<&Expr>,
    returns: &[Expr],
    range: TextRange,
) {
    if name == "__tablename__" {
        let derived: Vec<&Expr> = returns.iter().filter(|r| !r.is_none_literal()).collect();
        let returns_none = derived.len() < returns.len();
        class.tablename = Some(match derived.as_slice() {
            [only] => match tablename_scheme(only, scope) {
                Some(TableName::Derived { scheme, .. }) => TableName::Derived {
                    scheme,
                    none_when_inherited: returns_none,
                },
                Some(TableName::ImportedPattern {
                    pattern,
                    replacement,
                    range,
                    ..
                }) => TableName::ImportedPattern {
                    pattern,
                    replacement,
                    none_when_inherited: returns_none,
                    range,
                },
                Some(_) if returns_none => TableName::Unknown(range),
                Some(name) => name,
                None => TableName::Unknown(only.range),
            },
            _ => TableName::Unknown(range),
        });
        return;
    }
    // A declared_attr with several returns (`if has_inherited_table(cls): return None`)
    // is read from its last return, the general case.
    match returns.last() {
        Some(value) => interpret_attribute(
            class,
            scope,
            name,
            name_range,
            return_type,
            Some(value),
            range,
            true,
        ),
        None => class.other_members.push(OtherMember {
            name: name.to_string(),
            range: name_range,
            kind: OtherMemberKind::MapperProperty,
        }),
    }
}

fn derived(scheme: NamingScheme) -> TableName {
    TableName::Derived {
        scheme,
        none_when_inherited: false,
    }
}

/// Recognises the usual `__tablename__` derivations.
fn tablename_scheme(expr: &Expr, scope: &Scope) -> Option<TableName> {
    let is_class_name = |e: &Expr| e.dotted().is_some_and(|d| d.ends_with("__name__"));
    match &expr.kind {
        ExprKind::Str(text) => Some(TableName::Literal(text.clone(), expr.range)),
        _ if is_class_name(expr) => Some(derived(NamingScheme::Same)),
        ExprKind::Call(call) => {
            // `<regex substitution>(cls.__name__).lower()`
            if let ExprKind::Attribute(inner, method) = &call.callee.kind {
                if method == "lower" {
                    if let Some(sub) = inner.as_call() {
                        if let Some(scheme) = regex_scheme(sub, scope, &is_class_name) {
                            return Some(derived(scheme));
                        }
                        // `PATTERN.sub("_", cls.__name__)` with PATTERN from another module.
                        if let (
                            ExprKind::Attribute(object, name),
                            Some(replacement),
                            Some(subject),
                        ) = (
                            &sub.callee.kind,
                            sub.args.first().and_then(|a| a.as_str()),
                            sub.args.get(1),
                        ) {
                            if let (ExprKind::Name(pattern), "sub", true) =
                                (&object.kind, name.as_str(), is_class_name(subject))
                            {
                                if scope.pattern(pattern).is_none() {
                                    return Some(TableName::ImportedPattern {
                                        pattern: pattern.clone(),
                                        replacement: replacement.to_string(),
                                        none_when_inherited: false,
                                        range: expr.range,
                                    });
                                }
                            }
                        }
                    }
                }
            }
            let callee = call.callee.dotted()?;
            if callee.ends_with("__name__.lower") {
                return Some(derived(NamingScheme::Lower));
            }
            let takes_class_name = call.args.first().is_some_and(is_class_name);
            if takes_class_name && callee == "inflection.underscore" {
                return Some(derived(NamingScheme::Snake));
            }
            let helper = callee.rsplit('.').next().unwrap_or("").to_lowercase();
            if takes_class_name && (helper.contains("snake") || helper.contains("underscore")) {
                return Some(derived(NamingScheme::SnakeGuess));
            }
            None
        }
        _ => None,
    }
}

/// `re.sub(PATTERN, REPL, cls.__name__)` or `COMPILED.sub(REPL, cls.__name__)`
/// with one of the usual CamelCase patterns.
fn regex_scheme(
    call: &Call,
    scope: &Scope,
    is_class_name: &dyn Fn(&Expr) -> bool,
) -> Option<NamingScheme> {
    if call.callee.last_name() != Some("sub") {
        return None;
    }
    let (pattern, replacement, subject) = match call.callee.dotted().as_deref() {
        Some("re.sub") => (
            call.args.first()?.as_str()?.to_string(),
            call.args.get(1)?,
            call.args.get(2)?,
        ),
        _ => {
            let ExprKind::Attribute(object, _) = &call.callee.kind else {
                return None;
            };
            let ExprKind::Name(name) = &object.kind else {
                return None;
            };
            match scope.pattern(name) {
                Some(pattern) => (pattern.to_string(), call.args.first()?, call.args.get(1)?),
                None => return None,
            }
        }
    };
    if !is_class_name(subject) {
        return None;
    }
    scheme_for_pattern(&pattern, replacement.as_str()?)
}

/// The naming scheme of a CamelCase regular expression and its replacement.
pub fn scheme_for_pattern(pattern: &str, replacement: &str) -> Option<NamingScheme> {
    match (pattern, replacement) {
        ("(?<!^)(?=[A-Z])", "_") => Some(NamingScheme::EveryCapital),
        ("([a-z])([A-Z])" | "([a-z0-9])([A-Z])" | "([a-z\\d])([A-Z])", "\\1_\\2") => {
            Some(NamingScheme::LowerUpper)
        }
        ("((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))", "_\\1") => Some(NamingScheme::Snake),
        _ => None,
    }
}

pub fn read_table_args(value: &Expr, scope: &Scope) -> TableArgs {
    let mut args = TableArgs {
        range: value.range,
        ..TableArgs::default()
    };
    let read_dict = |dict: &Expr, args: &mut TableArgs| {
        if let ExprKind::Dict { entries, complete } = &dict.kind {
            args.incomplete |= !complete;
            for (key, value) in entries {
                if key.as_str() == Some("schema") {
                    args.schema = Some(match value.as_str() {
                        Some(schema) => Setting::Known(schema.to_string(), value.range),
                        None if value.is_none_literal() => continue,
                        None => Setting::Unknown(value.range),
                    });
                }
            }
        }
    };
    match &value.kind {
        ExprKind::Dict { .. } => read_dict(value, &mut args),
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            for item in items {
                match &item.kind {
                    ExprKind::Dict { .. } => read_dict(item, &mut args),
                    ExprKind::Call(call) => match scope.construct(&call.callee) {
                        Some(Construct::ForeignKeyConstraint) => args
                            .foreign_key_constraints
                            .push(Arc::new(read_foreign_key_constraint(call, item.range))),
                        Some(Construct::UniqueConstraint) => {
                            args.unique_constraints.push(string_args(call))
                        }
                        Some(Construct::PrimaryKeyConstraint) => {
                            args.primary_key_constraint = Some(string_args(call))
                        }
                        Some(Construct::Index) => {
                            if let Some(columns) = unique_index_columns(call) {
                                args.unique_constraints.push(columns);
                            }
                        }
                        Some(Construct::CheckConstraint) => {}
                        _ => args.incomplete = true,
                    },
                    _ => args.incomplete = true,
                }
            }
        }
        _ => args.incomplete = true,
    }
    // A computed part (`auto_table_args(cls)`, `*mixin_args`) may carry the
    // schema: without an explicit one, the schema is not knowable.
    if args.incomplete && args.schema.is_none() {
        args.schema = Some(Setting::Unknown(value.range));
    }
    args
}

/// The columns of `Index("name", "a", "b", unique=True)`; a computed
/// `unique=` counts as unique, so that uniqueness is never underestimated.
fn unique_index_columns(call: &Call) -> Option<Vec<String>> {
    let unique = call.keyword_value("unique")?;
    if unique.as_bool() == Some(false) {
        return None;
    }
    let columns: Vec<String> = string_args(call).into_iter().skip(1).collect();
    (!columns.is_empty()).then_some(columns)
}

fn string_args(call: &Call) -> Vec<String> {
    call.args
        .iter()
        .filter_map(|a| {
            a.as_str()
                .map(str::to_string)
                .or_else(|| a.last_name().map(str::to_string))
        })
        .collect()
}

/// Reads `Table("name", metadata, Column(...), ...)`.
pub fn read_table(value: &Expr, scope: &Scope, binding: Option<&str>) -> Option<TableFacts> {
    let call = value.as_call()?;
    if scope.construct(&call.callee) != Some(Construct::Table) {
        return None;
    }
    let name = call.args.first();
    // Flask-SQLAlchemy's `db.Table("name", db.Column(...))` takes no MetaData:
    // it is `db.metadata`.
    let second_is_schema_item = call.args.get(1).and_then(|a| a.as_call()).is_some_and(|c| {
        matches!(
            scope.construct(&c.callee),
            Some(
                Construct::Column
                    | Construct::MappedColumn
                    | Construct::ForeignKeyConstraint
                    | Construct::PrimaryKeyConstraint
                    | Construct::UniqueConstraint
                    | Construct::Index
                    | Construct::CheckConstraint
            )
        )
    });
    let (metadata, first_item) = match (&call.callee.kind, second_is_schema_item) {
        (ExprKind::Attribute(owner, _), true) => (
            Some(Expr {
                kind: ExprKind::Attribute(owner.clone(), "metadata".into()),
                range: call.callee.range,
            }),
            1,
        ),
        (_, true) => (None, 1),
        _ => (call.args.get(1).cloned(), 2),
    };
    let mut table = TableFacts {
        name: name.and_then(|n| n.as_str()).map(str::to_string),
        name_range: name.map(|n| n.range).unwrap_or(call.callee.range),
        range: value.range,
        binding: binding.map(str::to_string),
        metadata,
        schema: call.keyword_value("schema").and_then(|v| match v.as_str() {
            Some(s) => Some(Setting::Known(s.to_string(), v.range)),
            None if v.is_none_literal() => None,
            None => Some(Setting::Unknown(v.range)),
        }),
        columns: Vec::new(),
        foreign_key_constraints: Vec::new(),
        unique_constraints: Vec::new(),
        primary_key_constraint: None,
        incomplete: call.has_splat || name.and_then(|n| n.as_str()).is_none(),
    };
    for item in call.args.iter().skip(first_item) {
        let Some(inner) = item.as_call() else {
            table.incomplete = true;
            continue;
        };
        match scope.construct(&inner.callee) {
            Some(construct @ (Construct::Column | Construct::MappedColumn)) => {
                let column = read_column(inner, item.range, construct, scope);
                table.columns.push(Arc::new(column));
            }
            Some(Construct::ForeignKeyConstraint) => table
                .foreign_key_constraints
                .push(Arc::new(read_foreign_key_constraint(inner, item.range))),
            Some(Construct::UniqueConstraint) => table.unique_constraints.push(string_args(inner)),
            Some(Construct::PrimaryKeyConstraint) => {
                table.primary_key_constraint = Some(string_args(inner))
            }
            Some(Construct::Index) => {
                if let Some(columns) = unique_index_columns(inner) {
                    table.unique_constraints.push(columns);
                }
            }
            Some(Construct::CheckConstraint) => {}
            _ => table.incomplete = true,
        }
    }
    Some(table)
}

fn bool_setting(call: &Call, name: &str) -> Option<Setting<bool>> {
    call.keyword_value(name).map(|v| match v.as_bool() {
        Some(b) => Setting::Known(b, v.range),
        None => Setting::Unknown(v.range),
    })
}

fn string_setting(call: &Call, name: &str) -> Option<Setting<String>> {
    call.keyword_value(name)
        .and_then(|v| match final_name(v).or(v.as_str()) {
            Some(s) => Some(Setting::Known(s.to_string(), v.range)),
            // `name=None` is the default.
            None if v.is_none_literal() => None,
            None => Some(Setting::Unknown(v.range)),
        })
}

/// Reads `Column(...)`, `mapped_column(...)` or SQLModel's `Field(...)`.
pub fn read_column(
    call: &Arc<Call>,
    range: TextRange,
    construct: Construct,
    scope: &Scope,
) -> ColumnFacts {
    let kind = match construct {
        Construct::MappedColumn => ColumnKind::MappedColumn,
        Construct::SqlModelField => ColumnKind::SqlModelField,
        _ => ColumnKind::Column,
    };
    let mut column = ColumnFacts {
        attribute: None,
        attribute_range: range,
        name: None,
        range,
        kind,
        type_name: None,
        annotation: None,
        nullable: bool_setting(call, "nullable"),
        primary_key: bool_setting(call, "primary_key"),
        unique: bool_setting(call, "unique"),
        autoincrement: call.keyword("autoincrement").cloned(),
        foreign_keys: Vec::new(),
        from_declared_attr: false,
        call: Some(call.clone()),
    };
    if kind == ColumnKind::SqlModelField {
        if let Some(target) = call.keyword_value("foreign_key") {
            column.foreign_keys.push(Arc::new(ForeignKeyFacts {
                kind: ForeignKeyKind::SqlModelField,
                range,
                columns: Vec::new(),
                targets: vec![read_fk_target(target)],
                target_ranges: vec![target.range],
                name: None,
                name_is_final: false,
                ondelete: string_setting(call, "ondelete"),
                onupdate: None,
                use_alter: None,
                call: Some(call.clone()),
            }));
        }
        if let Some(sa_column) = call.keyword_value("sa_column").and_then(|v| v.as_call()) {
            if let Some(inner @ (Construct::Column | Construct::MappedColumn)) =
                scope.construct(&sa_column.callee)
            {
                let mut inner_column = read_column(sa_column, range, inner, scope);
                inner_column.kind = ColumnKind::SqlModelField;
                return inner_column;
            }
        }
        return column;
    }
    for (position, arg) in call.args.iter().enumerate() {
        match &arg.kind {
            ExprKind::Str(name) if position == 0 => column.name = Some(name.clone()),
            ExprKind::Call(inner) => match scope.construct(&inner.callee) {
                Some(Construct::ForeignKey) => column
                    .foreign_keys
                    .push(Arc::new(read_foreign_key(inner, arg.range))),
                _ => {
                    if column.type_name.is_none() {
                        column.type_name = inner.callee.last_name().map(str::to_string);
                    }
                }
            },
            ExprKind::Name(_) | ExprKind::Attribute(..) if column.type_name.is_none() => {
                column.type_name = arg.last_name().map(str::to_string);
            }
            _ => {}
        }
    }
    if let Some(type_) = call.keyword_value("type_") {
        column.type_name = type_.last_name().map(str::to_string).or_else(|| {
            type_
                .as_call()
                .and_then(|c| c.callee.last_name().map(str::to_string))
        });
    }
    if let Some(name) = call.keyword_value("name").and_then(|v| v.as_str()) {
        column.name = Some(name.to_string());
    }
    column
}

fn fill_type_from_annotation(column: &mut ColumnFacts) {
    if column.type_name.is_some() {
        return;
    }
    let Some(inner) = column.annotation.as_ref().and_then(|a| a.inner.as_deref()) else {
        return;
    };
    let mapped = match inner.rsplit('.').next().unwrap_or(inner) {
        "int" => "Integer",
        "str" => "String",
        "bool" => "Boolean",
        "float" => "Float",
        "Decimal" => "Numeric",
        "datetime" => "DateTime",
        "date" => "Date",
        "time" => "Time",
        "timedelta" => "Interval",
        "bytes" => "LargeBinary",
        "UUID" => "Uuid",
        "dict" | "list" => "JSON",
        _ => return,
    };
    column.type_name = Some(mapped.to_string());
}

/// `conv("fk_name")`: a name naming conventions must not touch.
fn final_name(value: &Expr) -> Option<&str> {
    let call = value.as_call()?;
    (call.callee.last_name() == Some("conv") && call.args.len() == 1)
        .then(|| call.args[0].as_str())
        .flatten()
}

fn name_is_final(call: &Call) -> bool {
    call.keyword_value("name").and_then(final_name).is_some()
}

pub fn read_fk_target(expr: &Expr) -> ForeignKeyTarget {
    match &expr.kind {
        ExprKind::Str(path) => {
            let parts: Vec<&str> = path.split('.').collect();
            match parts.as_slice() {
                [table, column] if !table.is_empty() && !column.is_empty() => {
                    ForeignKeyTarget::Path {
                        schema: None,
                        table: table.to_string(),
                        column: column.to_string(),
                    }
                }
                [schema, table, column] if !table.is_empty() && !column.is_empty() => {
                    ForeignKeyTarget::Path {
                        schema: Some(schema.to_string()),
                        table: table.to_string(),
                        column: column.to_string(),
                    }
                }
                _ => ForeignKeyTarget::Unknown,
            }
        }
        ExprKind::Attribute(object, attribute) => match &object.kind {
            // `parent_table.c.id`
            ExprKind::Attribute(table, c) if c == "c" || c == "columns" => match table.dotted() {
                Some(table) => ForeignKeyTarget::TableColumn {
                    table,
                    column: attribute.clone(),
                },
                None => ForeignKeyTarget::Unknown,
            },
            ExprKind::Name(class) => ForeignKeyTarget::ClassAttribute {
                class: class.clone(),
                attribute: attribute.clone(),
            },
            _ => ForeignKeyTarget::Unknown,
        },
        _ => ForeignKeyTarget::Unknown,
    }
}

pub fn read_foreign_key(call: &Arc<Call>, range: TextRange) -> ForeignKeyFacts {
    let target = call.args.first().or_else(|| call.keyword_value("column"));
    ForeignKeyFacts {
        kind: ForeignKeyKind::Column,
        range,
        columns: Vec::new(),
        targets: vec![target
            .map(read_fk_target)
            .unwrap_or(ForeignKeyTarget::Unknown)],
        target_ranges: vec![target.map(|t| t.range).unwrap_or(range)],
        name: string_setting(call, "name"),
        name_is_final: name_is_final(call),
        ondelete: string_setting(call, "ondelete"),
        onupdate: string_setting(call, "onupdate"),
        use_alter: bool_setting(call, "use_alter"),
        call: Some(call.clone()),
    }
}

pub fn read_foreign_key_constraint(call: &Arc<Call>, range: TextRange) -> ForeignKeyFacts {
    let columns = call.args.first().or_else(|| call.keyword_value("columns"));
    let referred = call
        .args
        .get(1)
        .or_else(|| call.keyword_value("refcolumns"));
    let names = |e: Option<&Expr>| -> Option<Vec<String>> {
        e?.elements()?
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .or_else(|| item.last_name().map(str::to_string))
            })
            .collect()
    };
    let local = names(columns);
    let (targets, target_ranges) = match referred.and_then(|r| r.elements()) {
        Some(items) => (
            items.iter().map(read_fk_target).collect(),
            items.iter().map(|i| i.range).collect(),
        ),
        None => (vec![ForeignKeyTarget::Unknown], vec![range]),
    };
    ForeignKeyFacts {
        kind: ForeignKeyKind::Constraint,
        range,
        columns: local.unwrap_or_default(),
        targets,
        target_ranges,
        name: string_setting(call, "name"),
        name_is_final: name_is_final(call),
        ondelete: string_setting(call, "ondelete"),
        onupdate: string_setting(call, "onupdate"),
        use_alter: bool_setting(call, "use_alter"),
        call: Some(call.clone()),
    }
}

/// A relationship target written as a string, class, lambda or module path.
fn read_target(expr: &Expr) -> TargetRef {
    match &expr.kind {
        ExprKind::Str(name) => {
            let name = name.trim();
            if !name.is_empty() && name.split('.').all(is_identifier) {
                TargetRef::Class(name.to_string(), expr.range)
            } else {
                TargetRef::Unknown(expr.range)
            }
        }
        ExprKind::Name(_) | ExprKind::Attribute(..) => match expr.dotted() {
            Some(dotted) => TargetRef::Class(dotted, expr.range),
            None => TargetRef::Unknown(expr.range),
        },
        ExprKind::Lambda(body) => read_target(body),
        _ => TargetRef::Unknown(expr.range),
    }
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

#[allow(clippy::too_many_arguments)]
fn read_relationship(
    call: &Arc<Call>,
    range: TextRange,
    construct: Construct,
    attribute: &str,
    attribute_range: TextRange,
    annotation: Option<Annotation>,
    from_declared_attr: bool,
    scope: &Scope,
) -> RelationshipFacts {
    let style = if construct == Construct::SqlModelRelationship {
        RelationshipStyle::SqlModel
    } else {
        RelationshipStyle::Orm
    };
    let mut keywords = call.keywords.clone();
    let mut has_splat = call.has_splat;
    if style == RelationshipStyle::SqlModel {
        // SQLModel passes `sa_relationship_kwargs` through to `relationship()`,
        // and turns `cascade_delete=True` into `cascade="all, delete-orphan"`.
        if let Some(extra) = call.keyword_value("sa_relationship_kwargs") {
            match &extra.kind {
                ExprKind::Dict { entries, complete } => {
                    has_splat |= !complete;
                    for (key, value) in entries {
                        match key.as_str() {
                            Some(name) => keywords.push(Keyword {
                                name: name.to_string(),
                                name_range: key.range,
                                value: value.clone(),
                                range: TextRange::new(key.range.start(), value.range.end()),
                            }),
                            None => has_splat = true,
                        }
                    }
                }
                ExprKind::Call(dict_call) if dict_call.callee.last_name() == Some("dict") => {
                    has_splat |= dict_call.has_splat;
                    keywords.extend(dict_call.keywords.iter().cloned());
                }
                _ => has_splat = true,
            }
        }
        // `link_model=HeroTeamLink` is the association table of a many-to-many.
        if let Some(link) = call.keyword("link_model") {
            keywords.push(Keyword {
                name: "secondary".into(),
                ..link.clone()
            });
        }
        if let Some(cascade_delete) = call.keyword("cascade_delete") {
            if cascade_delete.value.as_bool() == Some(true)
                && !keywords.iter().any(|k| k.name == "cascade")
            {
                keywords.push(Keyword {
                    name: "cascade".into(),
                    name_range: cascade_delete.name_range,
                    value: Expr {
                        kind: ExprKind::Str("all, delete-orphan".into()),
                        range: cascade_delete.value.range,
                    },
                    range: cascade_delete.range,
                });
            }
        }
    }
    let target = if style == RelationshipStyle::Orm {
        call.args
            .first()
            .or_else(|| call.keyword_value("argument"))
            .map(read_target)
    } else {
        None
    }
    .or_else(|| {
        annotation.as_ref().and_then(|a| {
            a.inner
                .as_ref()
                .map(|inner| TargetRef::Class(inner.clone(), a.range))
        })
    });
    let backref = keywords
        .iter()
        .find(|k| k.name == "backref")
        .and_then(|k| read_backref(&k.value, scope));
    RelationshipFacts {
        attribute: attribute.to_string(),
        attribute_range,
        range,
        callee_range: call.callee.range,
        style,
        target,
        annotation,
        keywords,
        has_splat,
        backref,
        from_declared_attr,
        call: call.clone(),
    }
}

fn read_backref(value: &Expr, scope: &Scope) -> Option<BackrefFacts> {
    match &value.kind {
        ExprKind::Str(name) => Some(BackrefFacts {
            name: Some(name.clone()),
            range: value.range,
            keywords: Vec::new(),
            has_splat: false,
            call: None,
        }),
        ExprKind::NoneLiteral => None,
        ExprKind::Call(call) if scope.construct(&call.callee) == Some(Construct::Backref) => {
            Some(BackrefFacts {
                name: call
                    .args
                    .first()
                    .and_then(|a| a.as_str())
                    .map(str::to_string),
                range: value.range,
                keywords: call.keywords.clone(),
                has_splat: call.has_splat,
                call: Some(call.clone()),
            })
        }
        // A computed backref: a relationship we cannot name exists on the target.
        _ => Some(BackrefFacts {
            name: None,
            range: value.range,
            keywords: Vec::new(),
            has_splat: true,
            call: None,
        }),
    }
}

/// Reads `Mapped[List["Child"]]`, `Optional["Parent"]`, `"Parent | None"`, `int | None`, ...
pub fn read_annotation(expr: &Expr) -> Annotation {
    let mut annotation = Annotation {
        range: expr.range,
        ..Annotation::default()
    };
    read_annotation_into(expr, &mut annotation, 0);
    annotation
}

fn read_annotation_into(expr: &Expr, annotation: &mut Annotation, depth: usize) {
    if depth > 8 {
        return;
    }
    match &expr.kind {
        ExprKind::Str(text) => {
            // A forward reference: parse the string as an expression.
            annotation.inner_quoted = true;
            let source = text.trim();
            if source.is_empty() || source.len() > 512 {
                return;
            }
            let tree = syntax::parse(source);
            let root = tree.root_node();
            if root.has_error() {
                return;
            }
            if let Some(node) = root.named_child(0).and_then(|s| s.named_child(0)) {
                let inner = crate::syntax::expr::read_expr(node, source);
                read_annotation_into(&inner, annotation, depth + 1);
            }
        }
        ExprKind::Subscript(base, index) => {
            let name = base.last_name().unwrap_or("");
            match name {
                "Mapped" | "WriteOnlyMapped" | "DynamicMapped" | "ClassVar"
                    if annotation.wrapper.is_none() =>
                {
                    annotation.wrapper = Some(name.to_string());
                    if let Some(first) = index.first() {
                        read_annotation_into(first, annotation, depth + 1);
                    }
                }
                "Optional" => {
                    annotation.optional = true;
                    if let Some(first) = index.first() {
                        read_annotation_into(first, annotation, depth + 1);
                    }
                }
                "Union" => {
                    let (nones, others): (Vec<&Expr>, Vec<&Expr>) = index
                        .iter()
                        .partition(|e| e.is_none_literal() || e.last_name() == Some("None"));
                    annotation.optional |= !nones.is_empty();
                    if let [only] = others.as_slice() {
                        read_annotation_into(only, annotation, depth + 1);
                    }
                }
                "List" | "list" | "Set" | "set" | "FrozenSet" | "frozenset" | "Sequence"
                | "Collection" | "Iterable" | "AbstractSet" | "MutableSet" | "MutableSequence"
                | "Tuple" | "tuple" => {
                    annotation.collection = Some(name.to_string());
                    if let Some(first) = index.first() {
                        read_annotation_into(first, annotation, depth + 1);
                    }
                }
                "Dict" | "dict" | "Mapping" | "MutableMapping" => {
                    annotation.collection = Some(name.to_string());
                    if let Some(value) = index.get(1) {
                        read_annotation_into(value, annotation, depth + 1);
                    }
                }
                "Annotated" => {
                    if let Some(first) = index.first() {
                        read_annotation_into(first, annotation, depth + 1);
                    }
                }
                _ => annotation.inner = base.dotted(),
            }
        }
        ExprKind::Operation(left, op, right) if op == "|" => {
            let is_none = |e: &Expr| e.is_none_literal() || e.last_name() == Some("None");
            match (is_none(left), is_none(right)) {
                (false, true) => {
                    annotation.optional = true;
                    read_annotation_into(left, annotation, depth + 1);
                }
                (true, false) => {
                    annotation.optional = true;
                    read_annotation_into(right, annotation, depth + 1);
                }
                _ => {}
            }
        }
        ExprKind::Name(_) | ExprKind::Attribute(..) => annotation.inner = expr.dotted(),
        ExprKind::NoneLiteral => annotation.optional = true,
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::facts::extract;
    use crate::facts::types::*;

    #[test]
    fn classic_columns_foreign_keys_and_relationships() {
        let source = r#"
import sqlalchemy as sa
from sqlalchemy.orm import relationship, backref, declarative_base
Base = declarative_base()

class Child(Base):
    __tablename__ = "child"
    __table_args__ = (sa.UniqueConstraint("name"), {"schema": "events"})
    id = sa.Column(sa.Integer, primary_key=True)
    parent_id = sa.Column("pid", sa.ForeignKey("parent.id", ondelete="CASCADE"), nullable=False)
    parent = relationship("Parent", backref=backref("children", cascade="all, delete-orphan"))
    def helper(self): pass
"#;
        let facts = extract("app/models.py", source);
        let child = &facts.classes[0];
        assert_eq!(
            child.tablename,
            Some(TableName::Literal(
                "child".into(),
                child
                    .tablename
                    .as_ref()
                    .map(|t| match t {
                        TableName::Literal(_, r) => *r,
                        _ => unreachable!(),
                    })
                    .unwrap()
            ))
        );
        assert_eq!(child.columns.len(), 2);
        let fk_column = &child.columns[1];
        assert_eq!(fk_column.column_name(), Some("pid"));
        assert_eq!(
            fk_column.foreign_keys[0].targets[0],
            ForeignKeyTarget::Path {
                schema: None,
                table: "parent".into(),
                column: "id".into()
            }
        );
        assert_eq!(
            fk_column.foreign_keys[0]
                .ondelete
                .as_ref()
                .and_then(|s| s.known())
                .map(String::as_str),
            Some("CASCADE")
        );
        let parent = &child.relationships[0];
        assert!(matches!(&parent.target, Some(TargetRef::Class(name, _)) if name == "Parent"));
        let backref = parent.backref.as_ref().unwrap();
        assert_eq!(backref.name.as_deref(), Some("children"));
        assert_eq!(
            child
                .table_args
                .as_ref()
                .unwrap()
                .schema
                .as_ref()
                .unwrap()
                .known()
                .map(String::as_str),
            Some("events")
        );
        assert!(child.other_members.iter().any(|m| m.name == "helper"));
    }

    #[test]
    fn typed_annotations_give_targets_and_nullability() {
        let source = r#"
from typing import List, Optional
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
class Base(DeclarativeBase): pass
class Parent(Base):
    __tablename__ = "parent"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[Optional[str]]
    children: Mapped[List["Child"]] = relationship(back_populates="parent")
    other: Mapped["Child | None"] = relationship()
"#;
        let facts = extract("m.py", source);
        let parent = &facts.classes[1];
        assert_eq!(parent.columns.len(), 2);
        assert!(parent.columns[1].annotation.as_ref().unwrap().optional);
        assert_eq!(parent.columns[0].type_name.as_deref(), Some("Integer"));
        let children = &parent.relationships[0];
        assert!(matches!(&children.target, Some(TargetRef::Class(n, _)) if n == "Child"));
        assert_eq!(
            children.annotation.as_ref().unwrap().collection.as_deref(),
            Some("List")
        );
        let other = &parent.relationships[1];
        assert!(other.annotation.as_ref().unwrap().optional);
        assert!(matches!(&other.target, Some(TargetRef::Class(n, _)) if n == "Child"));
    }

    #[test]
    fn declared_attr_members_and_tablenames() {
        let source = r#"
from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import declared_attr, relationship
class HasParent:
    @declared_attr
    def __tablename__(cls):
        return cls.__name__.lower()
    @declared_attr
    def parent_id(cls):
        return Column(Integer, ForeignKey("parent.id"))
    @declared_attr
    def parent(cls):
        return relationship("Parent")
"#;
        let facts = extract("m.py", source);
        let mixin = &facts.classes[0];
        assert_eq!(
            mixin.tablename,
            Some(TableName::Derived {
                scheme: NamingScheme::Lower,
                none_when_inherited: false
            })
        );
        assert_eq!(mixin.columns[0].attribute.as_deref(), Some("parent_id"));
        assert!(mixin.columns[0].from_declared_attr);
        assert_eq!(mixin.relationships[0].attribute, "parent");
    }

    #[test]
    fn sqlmodel_fields_and_relationships() {
        let source = r#"
from typing import Optional
from sqlmodel import Field, Relationship, SQLModel
class Hero(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="CASCADE")
    name: str
    team: Optional["Team"] = Relationship(back_populates="heroes", sa_relationship_kwargs={"lazy": "joined"})
"#;
        let facts = extract("m.py", source);
        let hero = &facts.classes[0];
        assert_eq!(hero.columns.len(), 3);
        assert_eq!(hero.columns[2].kind, ColumnKind::SqlModelPlain);
        let team = &hero.relationships[0];
        assert_eq!(team.style, RelationshipStyle::SqlModel);
        assert!(matches!(&team.target, Some(TargetRef::Class(n, _)) if n == "Team"));
        assert!(team.option("lazy").is_some());
    }

    #[test]
    fn core_tables_with_constraints() {
        let source = r#"
from sqlalchemy import Table, Column, Integer, MetaData, ForeignKeyConstraint, Index
metadata_obj = MetaData()
element = Table("element", metadata_obj,
    Column("element_id", Integer, primary_key=True),
    Column("parent_node_id", Integer),
    ForeignKeyConstraint(["parent_node_id"], ["node.node_id"], use_alter=True, name="fk_element_parent_node_id"),
    Index("ix_element", "parent_node_id"),
)
"#;
        let facts = extract("m.py", source);
        let table = &facts.tables[0];
        assert_eq!(table.name.as_deref(), Some("element"));
        assert_eq!(table.binding.as_deref(), Some("element"));
        assert_eq!(table.columns.len(), 2);
        let fk = &table.foreign_key_constraints[0];
        assert_eq!(fk.columns, vec!["parent_node_id".to_string()]);
        assert_eq!(
            fk.name.as_ref().and_then(|n| n.known()).map(String::as_str),
            Some("fk_element_parent_node_id")
        );
        assert!(!table.incomplete);
    }

    #[test]
    fn flask_snake_case_matches_flask_sqlalchemy() {
        assert_eq!(camel_to_snake("UserAccount"), "user_account");
        assert_eq!(camel_to_snake("HTTPRequestLog"), "http_request_log");
        assert_eq!(camel_to_snake("User2Role"), "user2_role");
        assert_eq!(camel_to_snake("ABC"), "abc");
    }

    #[test]
    fn local_functions_named_like_constructs_are_not_constructs() {
        let source = "def relationship(x): pass\nclass A(Base):\n    b = relationship('B')\n";
        let facts = extract("m.py", source);
        assert!(facts.classes[0].relationships.is_empty());
    }

    /// Facts live as long as a session: a member's call is stored once,
    /// shared by the raw member and the column or relationship read from
    /// it, and vectors keep no spare capacity.
    #[test]
    fn facts_share_calls_and_keep_no_spare_capacity() {
        let source = r#"
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base, relationship
Base = declarative_base()

class Child(Base):
    __tablename__ = "child"
    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False, unique=True, index=True, doc="x")
    parent_id = Column(ForeignKey("parent.id", ondelete="CASCADE"), nullable=False)
    parent = relationship("Parent", back_populates="children", cascade="all")
"#;
        let facts = extract("m.py", source);
        let class = &facts.classes[0];
        let value_call = |attribute: &str| {
            class
                .attribute_values(attribute)
                .find_map(|value| value.as_call().cloned())
                .expect("the member's call")
        };
        let column = class
            .columns
            .iter()
            .find(|c| c.attribute.as_deref() == Some("name"))
            .expect("the column");
        let column_call = column.call.as_ref().expect("the column's call");
        assert!(std::sync::Arc::ptr_eq(column_call, &value_call("name")));
        let relationship = &class.relationships[0];
        assert!(std::sync::Arc::ptr_eq(
            &relationship.call,
            &value_call("parent")
        ));

        assert_eq!(column_call.args.capacity(), column_call.args.len());
        assert_eq!(column_call.keywords.capacity(), column_call.keywords.len());
        assert_eq!(class.raw_members.capacity(), class.raw_members.len());
        assert_eq!(class.columns.capacity(), class.columns.len());
        assert_eq!(class.relationships.capacity(), class.relationships.len());
        assert_eq!(facts.imports.capacity(), facts.imports.len());
        assert_eq!(facts.classes.capacity(), facts.classes.len());
    }
}
