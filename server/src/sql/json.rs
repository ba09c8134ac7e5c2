//! `sqla-analyzer sql`: every statement the hovers render, for every table,
//! foreign key, class and relationship of the workspace, as JSON or as a
//! plain SQL script.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::config::Dialect;
use crate::graph::{Graph, TableId};

use super::ddl::{self, DropPlan, Placement};
use super::{unit_of_work, Statement};

fn statements(list: &[Statement]) -> Value {
    serde_json::to_value(list).unwrap_or(Value::Null)
}

/// The whole dump.
pub fn to_json(graph: &Graph, dialect: Dialect) -> Value {
    let path = |file: usize| graph.files[file].path.clone();
    let tables: Vec<Value> = (0..graph.tables.len())
        .map(|id| {
            let table = &graph.tables[id];
            json!({
                "id": id,
                "name": table.name,
                "schema": table.schema,
                "full_name": table.full_name(),
                "scope": graph.scopes[table.scope].key,
                "path": path(table.location.file),
                "class": table.class.map(|c| graph.classes[c].qualname.clone()),
                "create": statements(&ddl::create_table(graph, id, dialect)),
                "drop": statements(&ddl::drop_statements(graph, id, dialect)),
            })
        })
        .collect();
    let foreign_keys: Vec<Value> = (0..graph.foreign_keys.len())
        .map(|id| {
            let fk = &graph.foreign_keys[id];
            let (placement, separate) = match ddl::placement(graph, id, dialect) {
                Placement::Inline => ("inline", None),
                Placement::Alter { use_alter: true } => {
                    ("use_alter", Some(ddl::add_constraint(graph, id, dialect)))
                }
                Placement::Alter { use_alter: false } => {
                    ("alter", Some(ddl::add_constraint(graph, id, dialect)))
                }
                Placement::Unknown(_) => ("unknown", None),
            };
            let drop = match ddl::drop_plan(graph, graph.tables[fk.table].scope, dialect) {
                DropPlan::CircularDependency { message, .. } => {
                    json!({"error": format!("CircularDependencyError: {message}")})
                }
                DropPlan::Unknown(reason) => json!({"unknown": reason}),
                DropPlan::Drops { constraints } if constraints.contains(&id) => {
                    json!({"statement": ddl::drop_constraint(graph, id, dialect)})
                }
                DropPlan::Drops { .. } => json!({"with_table": true}),
            };
            json!({
                "id": id,
                "table": graph.tables[fk.table].full_name(),
                "table_id": fk.table,
                "columns": fk.columns,
                "path": path(fk.location.file),
                "offset": fk.location.range.start,
                "clause": ddl::foreign_key_clause(graph, id, dialect),
                "placement": placement,
                "add_constraint": separate,
                "drop": drop,
            })
        })
        .collect();
    let classes: Vec<Value> = graph
        .classes
        .iter()
        .map(|class| {
            json!({
                "name": class.name,
                "qualname": class.qualname,
                "path": path(class.file),
                "table": class.table.map(|t| graph.tables[t].full_name()),
                "table_id": class.table,
            })
        })
        .collect();
    let relationships: Vec<Value> = (0..graph.relationships.len())
        .map(|id| {
            let rel = &graph.relationships[id];
            let flush = unit_of_work::has_flush_sequence(graph, id)
                .then(|| statements(&unit_of_work::post_update_flush_sequence(graph, id, dialect)));
            let delete = rel
                .direction
                .map(|_| statements(&unit_of_work::delete_parent_sequence(graph, id, dialect)));
            let parent = match rel.direction {
                Some(crate::graph::Direction::ManyToOne) => rel.target_class(),
                Some(_) => Some(rel.class),
                None => None,
            };
            json!({
                "class": graph.classes[rel.class].qualname,
                "attribute": rel.attribute(),
                "path": path(rel.location.file),
                "direction": rel.direction.map(|d| d.label()),
                "target": rel.target_class().map(|c| graph.classes[c].qualname.clone()),
                "writes": rel.fk_columns.iter().map(|(t, c)| format!("{}.{c}", graph.tables[*t].full_name())).collect::<Vec<_>>(),
                "cascade": if rel.cascade.unknown { Value::Null } else { json!(rel.cascade.names()) },
                "viewonly": rel.is_viewonly(),
                "backref_of": rel.backref_of.map(|o| graph.relationship_label(o)),
                "delete_parent": parent.map(|p| graph.classes[p].qualname.clone()),
                "delete": delete,
                "flush": flush,
            })
        })
        .collect();
    json!({
        "dialect": dialect.name(),
        "sqlalchemy": "2.1",
        "tables": tables,
        "foreign_keys": foreign_keys,
        "classes": classes,
        "relationships": relationships,
    })
}

/// The tables of each MetaData in `create_all()` order (dependencies
/// first, ties in definition order), as a SQL script.
pub fn to_sql_script(graph: &Graph, dialect: Dialect) -> String {
    let mut out = String::new();
    let mut scopes: Vec<usize> = graph.tables.iter().map(|t| t.scope).collect();
    scopes.dedup();
    let mut seen = BTreeSet::new();
    scopes.retain(|s| seen.insert(*s));
    for scope in scopes {
        out.push_str(&format!("-- MetaData of {}\n", graph.scopes[scope].key));
        let alters = ddl::alter_set(graph, scope, dialect).unwrap_or_default();
        let mut later = Vec::new();
        for table in creation_order(graph, scope, &alters) {
            for statement in ddl::create_table(graph, table, dialect) {
                let is_alter = statement.sql.starts_with("ALTER TABLE");
                let text = render(&statement);
                if is_alter {
                    later.push(text);
                } else {
                    out.push_str(&text);
                }
            }
        }
        for text in later {
            out.push_str(&text);
        }
        out.push('\n');
    }
    out
}

fn render(statement: &Statement) -> String {
    let mut text = String::new();
    for reason in &statement.unknown {
        text.push_str(&format!("-- not exact: {reason}\n"));
    }
    if let Some(error) = &statement.error {
        text.push_str(&format!("-- SQLAlchemy raises {error}\n"));
    }
    text.push_str(&statement.sql.replace(" \n", "\n"));
    text.push_str(";\n");
    if let Some(error) = &statement.database_error {
        text.push_str(&format!("-- the database refuses it: {error}\n"));
    }
    text.push('\n');
    text
}

fn creation_order(graph: &Graph, scope: usize, alters: &BTreeSet<usize>) -> Vec<TableId> {
    let tables: Vec<TableId> = (0..graph.tables.len())
        .filter(|&t| graph.tables[t].scope == scope)
        .collect();
    let depends = |table: TableId| -> Vec<TableId> {
        graph.tables[table]
            .foreign_keys
            .iter()
            .filter(|fk| !alters.contains(fk))
            .filter_map(|&fk| graph.foreign_keys[fk].referred_table())
            .filter(|&t| t != table && graph.tables[t].scope == scope)
            .collect()
    };
    let mut done: Vec<TableId> = Vec::new();
    let mut todo = tables;
    while !todo.is_empty() {
        let ready: Vec<TableId> = todo
            .iter()
            .copied()
            .filter(|&t| {
                depends(t)
                    .iter()
                    .all(|d| done.contains(d) || !todo.contains(d))
            })
            .collect();
        if ready.is_empty() {
            // An unbroken cycle: keep the rest in definition order.
            done.append(&mut todo);
            break;
        }
        todo.retain(|t| !ready.contains(t));
        done.extend(ready);
    }
    done
}
