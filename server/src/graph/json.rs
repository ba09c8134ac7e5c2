//! The linked graph as JSON (`sqla-analyzer graph --format json`).

use serde_json::{json, Value};

use super::*;
use crate::text::LineIndex;

/// Line numbers need the texts: `texts[file]` is the text of `graph.files[file]`.
pub fn to_json(graph: &Graph, texts: &[&str]) -> Value {
    let indexes: Vec<LineIndex> = texts.iter().map(|t| LineIndex::new(t)).collect();
    let line = |location: &Location| -> u32 {
        indexes
            .get(location.file)
            .map(|index| index.line_of(location.range.start()) as u32 + 1)
            .unwrap_or(0)
    };
    let path = |file: FileId| graph.files[file].path.clone();
    let column_json = |column: &Column| {
        json!({
            "name": column.name(),
            "attribute": column.attribute(),
            "type": column.type_name(),
            "nullable": column.nullable,
            "primary_key": column.primary_key,
        })
    };
    let scope_key = |scope: ScopeId| graph.scopes.get(scope).map(|s| s.key.clone());

    let mut classes: Vec<Value> = graph
        .classes
        .iter()
        .enumerate()
        .map(|(id, class)| {
            // The columns this class's mapper maps itself: a single-table
            // subclass's own additions; for the others, their table's
            // columns less those single-table subclasses added.
            let columns: Vec<Value> = class
                .table
                .map(|t| {
                    graph.tables[t]
                        .columns
                        .iter()
                        .filter(|c| match class.inheritance {
                            Some(Inheritance::Single) => c.declared_by == Some(id),
                            _ => c.declared_by.is_none_or(|by| {
                                by == id || graph.classes[by].inheritance != Some(Inheritance::Single)
                            }),
                        })
                        .map(column_json)
                        .collect()
                })
                .unwrap_or_default();
            let relationships: Vec<Value> = class
                .relationships
                .iter()
                .map(|&id| {
                    let r = &graph.relationships[id];
                    let mut fk_columns: Vec<String> = r
                        .fk_columns
                        .iter()
                        .map(|(t, c)| format!("{}.{c}", graph.tables[*t].full_name()))
                        .collect();
                    fk_columns.sort();
                    fk_columns.dedup();
                    json!({
                        "attribute": r.attribute(),
                        "path": path(r.location.file),
                        "line": line(&r.location),
                        "target": r.target_class().map(|t| graph.classes[t].qualname.clone()),
                        "direction": r.direction.map(Direction::label),
                        "fk_columns": fk_columns,
                        "secondary": r.secondary.map(|t| graph.tables[t].full_name()),
                        "pair": r.pair.map(|p| graph.relationships[p].attribute().to_string()),
                        "back_populates": r.facts.string_option("back_populates").and_then(|s| s.known().cloned()),
                        "backref": r.facts.backref.as_ref().and_then(|b| b.name.clone()),
                        "implicit": r.backref_of.is_some(),
                        "cascade": r.cascade.names(),
                        "passive_deletes": match r.facts.option("passive_deletes") {
                            Some(v) if v.as_str() == Some("all") => json!("all"),
                            Some(v) => json!(v.as_bool().unwrap_or(false)),
                            None => json!(false),
                        },
                        "post_update": r.flag("post_update").unwrap_or(false),
                        "viewonly": r.flag("viewonly").unwrap_or(false),
                    })
                })
                .collect();
            json!({
                "name": class.name,
                "qualname": class.qualname,
                "path": path(class.file),
                "line": line(&class.location),
                "scope": scope_key(class.scope),
                "table": class.table.map(|t| graph.tables[t].name.clone()),
                "schema": class.table.and_then(|t| graph.tables[t].schema.clone()),
                "abstract": false,
                "superclass": class.superclass.map(|s| graph.classes[s].qualname.clone()),
                "inheritance": class.inheritance.map(|i| match i {
                    Inheritance::Joined => "joined",
                    Inheritance::Single => "single",
                    Inheritance::Concrete => "concrete",
                }),
                "columns": columns,
                "relationships": relationships,
            })
        })
        .collect();
    classes.sort_by(|a, b| a["qualname"].as_str().cmp(&b["qualname"].as_str()));

    // Tables and keys in the order of their place in the workspace, which
    // does not depend on the order the linker met them in.
    let by_place = |a: &Value, b: &Value| {
        let key = |v: &Value| {
            (
                v["path"].as_str().map(str::to_string),
                v["line"].as_u64(),
                v["schema"].as_str().map(str::to_string),
                v["table"]
                    .as_str()
                    .or(v["name"].as_str())
                    .map(str::to_string),
                v["columns"].to_string(),
            )
        };
        key(a).cmp(&key(b))
    };
    let mut tables: Vec<Value> = graph
        .tables
        .iter()
        .map(|table| {
            json!({
                "name": table.name,
                "schema": table.schema,
                "scope": scope_key(table.scope),
                "path": path(table.location.file),
                "line": line(&table.location),
                "class": table.class.map(|c| graph.classes[c].qualname.clone()),
                "columns": table.columns.iter().map(column_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    tables.sort_by(by_place);

    let mut foreign_keys: Vec<Value> = graph
        .foreign_keys
        .iter()
        .map(|fk| {
            let table = &graph.tables[fk.table];
            let (referred_table, referred_schema, referred_columns) = match &fk.resolution {
                ForeignKeyResolution::Resolved { table, columns } => (
                    Some(graph.tables[*table].name.clone()),
                    graph.tables[*table].schema.clone(),
                    columns.clone(),
                ),
                _ => (None, None, Vec::new()),
            };
            json!({
                "table": table.name,
                "schema": table.schema,
                "columns": fk.columns,
                "referred_table": referred_table,
                "referred_schema": referred_schema,
                "referred_columns": referred_columns,
                "resolved": matches!(fk.resolution, ForeignKeyResolution::Resolved { .. }),
                "name": fk.facts.name.as_ref().and_then(|n| n.known().cloned()),
                "effective_name": match &fk.effective_name {
                    EffectiveName::Named(name) => Some(name.clone()),
                    _ => None,
                },
                "ondelete": fk.facts.ondelete.as_ref().and_then(|s| s.known().cloned()),
                "onupdate": fk.facts.onupdate.as_ref().and_then(|s| s.known().cloned()),
                "use_alter": fk.facts.use_alter.as_ref().and_then(|s| s.known().copied()).unwrap_or(false),
                // The targets as written (`"user.id"`, `User.id`), also when unresolved.
                "targets": fk.facts.targets.iter().map(|t| match t {
                    crate::facts::ForeignKeyTarget::Path { schema: Some(s), table, column } => format!("{s}.{table}.{column}"),
                    crate::facts::ForeignKeyTarget::Path { schema: None, table, column } => format!("{table}.{column}"),
                    crate::facts::ForeignKeyTarget::ClassAttribute { class, attribute } => format!("{class}.{attribute}"),
                    crate::facts::ForeignKeyTarget::TableColumn { table, column } => format!("{table}.c.{column}"),
                    crate::facts::ForeignKeyTarget::Unknown => "?".to_string(),
                }).collect::<Vec<_>>(),
                "path": path(fk.location.file),
                "line": line(&fk.location),
            })
        })
        .collect();
    foreign_keys.sort_by(by_place);

    let mut table_cycles: Vec<Vec<String>> = graph
        .table_cycles
        .iter()
        .map(|cycle| {
            let mut names: Vec<String> =
                cycle.iter().map(|&t| graph.tables[t].full_name()).collect();
            names.sort();
            names
        })
        .collect();
    table_cycles.sort();
    let mut row_cycles: Vec<Vec<String>> = graph
        .row_cycles
        .iter()
        .map(|cycle| {
            let mut names: Vec<String> = cycle
                .iter()
                .map(|&c| graph.classes[c].qualname.clone())
                .collect();
            names.sort();
            names
        })
        .collect();
    row_cycles.sort();

    json!({
        "version": 1,
        "classes": classes,
        "tables": tables,
        "foreign_keys": foreign_keys,
        "cycles": {"tables": table_cycles, "rows": row_cycles},
    })
}

/// A Mermaid ER diagram of the graph, cycles marked.
pub fn to_mermaid(graph: &Graph) -> String {
    let mut out = String::from("erDiagram\n");
    let in_cycle = |table: TableId| graph.table_cycles.iter().any(|c| c.contains(&table));
    let entity = |table: TableId| graph.tables[table].full_name().replace('.', "__");
    for (id, table) in graph.tables.iter().enumerate() {
        out.push_str(&format!("    {} {{\n", entity(id)));
        for column in &table.columns {
            let type_name = column
                .type_name()
                .map(str::to_string)
                .unwrap_or_else(|| "unknown".into());
            let mut keys = Vec::new();
            if column.primary_key {
                keys.push("PK");
            }
            if table.foreign_keys.iter().any(|&fk| {
                graph.foreign_keys[fk]
                    .columns
                    .iter()
                    .any(|n| n == column.name())
            }) {
                keys.push("FK");
            }
            out.push_str(&format!(
                "        {} {}{}\n",
                sanitize(&type_name),
                sanitize(column.name()),
                if keys.is_empty() {
                    String::new()
                } else {
                    format!(" {}", keys.join(","))
                }
            ));
        }
        out.push_str("    }\n");
    }
    for fk in &graph.foreign_keys {
        let Some(referred) = fk.referred_table() else {
            continue;
        };
        let label = if in_cycle(fk.table) && in_cycle(referred) {
            format!("\"{} (cycle)\"", fk.columns.join(", "))
        } else {
            format!("\"{}\"", fk.columns.join(", "))
        };
        out.push_str(&format!(
            "    {} ||--o{{ {} : {}\n",
            entity(referred),
            entity(fk.table),
            label
        ));
    }
    out
}

/// A Graphviz digraph of tables and foreign keys, cycle edges in red.
pub fn to_dot(graph: &Graph) -> String {
    let mut out = String::from("digraph models {\n    node [shape=box];\n");
    for (id, table) in graph.tables.iter().enumerate() {
        out.push_str(&format!("    t{id} [label=\"{}\"];\n", table.full_name()));
    }
    for fk in &graph.foreign_keys {
        let Some(referred) = fk.referred_table() else {
            continue;
        };
        let cycle = graph
            .table_cycles
            .iter()
            .any(|c| c.contains(&fk.table) && c.contains(&referred));
        out.push_str(&format!(
            "    t{} -> t{} [label=\"{}\"{}];\n",
            fk.table,
            referred,
            fk.columns.join(", "),
            if cycle { ", color=red" } else { "" }
        ));
    }
    out.push_str("}\n");
    out
}

fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
