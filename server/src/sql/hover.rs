//! The Markdown of each hover.

use crate::config::Dialect;
use crate::facts::Setting;
use crate::graph::{
    ClassId, Direction, ForeignKeyId, ForeignKeyResolution, Graph, Inheritance, RelationshipId,
    TableId,
};

use super::ddl::{self, DropPlan, Placement};
use super::unit_of_work;
use super::{HoverTarget, Statement};

pub fn render(graph: &Graph, target: HoverTarget, dialect: Dialect) -> String {
    match target {
        HoverTarget::Relationship(id) if id < graph.relationships.len() => {
            relationship(graph, id, dialect)
        }
        HoverTarget::ForeignKey(id) if id < graph.foreign_keys.len() => {
            foreign_key(graph, id, dialect)
        }
        HoverTarget::Class(id) if id < graph.classes.len() => class(graph, id, dialect),
        HoverTarget::Table(id) if id < graph.tables.len() => table(graph, id, dialect),
        _ => String::new(),
    }
}

fn dialect_label(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgresql => "PostgreSQL",
        Dialect::Sqlite => "SQLite",
        Dialect::Mysql => "MySQL",
    }
}

/// A ```sql block of statements, each ended by `;`, notes and errors as comments,
/// followed by the list of what is not known.
fn sql_block(statements: &[Statement]) -> String {
    let mut body = String::new();
    let mut unknown: Vec<&String> = Vec::new();
    for statement in statements {
        if !statement.sql.is_empty() {
            body.push_str(&statement.sql.replace(" \n", "\n"));
            body.push_str(";\n");
        }
        if let Some(note) = &statement.note {
            body.push_str(&format!("-- {note}\n"));
        }
        if let Some(error) = &statement.error {
            body.push_str(&format!("-- SQLAlchemy raises {error}\n"));
        }
        if let Some(error) = &statement.database_error {
            body.push_str(&format!("-- the database refuses it: {error}\n"));
        }
        for reason in &statement.unknown {
            if !unknown.contains(&reason) {
                unknown.push(reason);
            }
        }
    }
    let mut out = String::new();
    if !body.is_empty() {
        out.push_str("```sql\n");
        out.push_str(&body);
        out.push_str("```\n");
    }
    if !unknown.is_empty() {
        out.push_str("\nNot exact (the analyzer does not know):\n");
        for reason in unknown {
            out.push_str(&format!("- {reason}\n"));
        }
    }
    out
}

fn relationship(graph: &Graph, id: RelationshipId, dialect: Dialect) -> String {
    let rel = &graph.relationships[id];
    let label = graph.relationship_label(id);
    let target = match rel.target_class() {
        Some(target) => format!("`{}`", graph.classes[target].name),
        None => "an unknown class".into(),
    };
    let direction = rel
        .direction
        .map(|d| d.label())
        .unwrap_or("direction unknown");
    let mut out = format!("**`{label}`**: {direction} → {target}\n\n");
    let columns: Vec<String> = rel
        .fk_columns
        .iter()
        .map(|(t, c)| format!("`{}.{c}`", graph.tables[*t].full_name()))
        .collect();
    if rel.is_viewonly() {
        out.push_str("- viewonly: the unit of work never writes through it\n");
    } else if !columns.is_empty() {
        out.push_str(&format!("- writes {}\n", columns.join(", ")));
    } else {
        out.push_str("- the columns it writes are not known\n");
    }
    if let Some(secondary) = rel.secondary {
        out.push_str(&format!(
            "- through `{}`\n",
            graph.tables[secondary].full_name()
        ));
    }
    let cascade = if rel.cascade.unknown {
        "not known".to_string()
    } else {
        let names = rel.cascade.names();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    };
    out.push_str(&format!("- cascade: {cascade}\n"));
    for flag in ["passive_deletes", "post_update"] {
        if let Some(value) = rel.facts.option(flag) {
            let text = match (&value.kind, value.as_str()) {
                (crate::syntax::expr::ExprKind::Bool(b), _) => {
                    if *b { "True" } else { "False" }.to_string()
                }
                (_, Some(s)) => format!("\"{s}\""),
                _ => "(computed)".into(),
            };
            out.push_str(&format!("- {flag}={text}\n"));
        }
    }
    for &fk in &rel.foreign_keys {
        let foreign_key = &graph.foreign_keys[fk];
        let action = match foreign_key.ondelete() {
            Some(Setting::Known(action, _)) => format!("ON DELETE {action}"),
            Some(Setting::Unknown(_)) => "ON DELETE (computed)".into(),
            None => "no ON DELETE".into(),
        };
        out.push_str(&format!(
            "- foreign key `{}({})`: {action}\n",
            graph.tables[foreign_key.table].full_name(),
            foreign_key.columns.join(", ")
        ));
    }

    if rel.direction.is_some() {
        let parent = match rel.direction {
            Some(Direction::ManyToOne) => rel.target_class(),
            _ => Some(rel.class),
        };
        if let Some(parent) = parent {
            let name = &graph.classes[parent].name;
            out.push_str(&format!(
                "\n**`session.delete({})`** and flush ({}): the {name} was loaded with `session.get()`, two rows that reference it exist and are not loaded yet:\n\n",
                name.to_lowercase(),
                dialect_label(dialect)
            ));
            out.push_str(&sql_block(&unit_of_work::delete_parent_sequence(
                graph, id, dialect,
            )));
        }
    }
    if unit_of_work::has_flush_sequence(graph, id) {
        let classes = unit_of_work::flush_classes(graph, id).unwrap_or_default();
        let objects = match classes.as_slice() {
            [class] => format!(
                "a new `{}` that references itself",
                graph.classes[*class].name
            ),
            [_, _] => "two new objects that reference each other".to_string(),
            many => format!(
                "a new object of each class of the cycle ({}), referencing each other",
                many.iter()
                    .map(|&c| format!("`{}`", graph.classes[c].name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        out.push_str(&format!(
            "\n**Flush of {objects}** ({}):\n\n",
            dialect_label(dialect)
        ));
        out.push_str(&sql_block(&unit_of_work::post_update_flush_sequence(
            graph, id, dialect,
        )));
    }
    out
}

fn foreign_key(graph: &Graph, id: ForeignKeyId, dialect: Dialect) -> String {
    let foreign_key = &graph.foreign_keys[id];
    let table = &graph.tables[foreign_key.table];
    let referred = match &foreign_key.resolution {
        ForeignKeyResolution::Resolved { table, columns } => format!(
            "`{}({})`",
            graph.tables[*table].full_name(),
            columns.join(", ")
        ),
        _ => "an unresolved target".into(),
    };
    let mut out = format!(
        "**Foreign key** `{}({})` → {referred}\n\n`create_all()` ({}) renders:\n\n",
        table.full_name(),
        foreign_key.columns.join(", "),
        dialect_label(dialect)
    );
    match ddl::placement(graph, id, dialect) {
        Placement::Inline => {
            out.push_str(&sql_block(&[ddl::foreign_key_clause(graph, id, dialect)]));
            out.push_str(&format!(
                "\ninline, inside `CREATE TABLE {}`.\n",
                table.full_name()
            ));
        }
        Placement::Alter { use_alter } => {
            out.push_str(&sql_block(&[ddl::add_constraint(graph, id, dialect)]));
            if use_alter {
                out.push_str(
                    "\nas a separate statement after every table exists (`use_alter=True`).\n",
                );
            } else {
                let cycle = graph
                    .table_cycles
                    .iter()
                    .find(|c| c.contains(&foreign_key.table));
                let names = cycle
                    .map(|c| {
                        c.iter()
                            .map(|&t| format!("`{}`", graph.tables[t].full_name()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                out.push_str(&format!(
                    "\nas a separate statement after every table exists: tables {names} form a foreign-key cycle, so every foreign key of `{}` is added with ALTER.\n",
                    table.full_name()
                ));
            }
        }
        Placement::Unknown(reason) => {
            out.push_str(&sql_block(&[ddl::foreign_key_clause(graph, id, dialect)]));
            out.push_str(&format!(
                "\nWhether inline or by ALTER is not known: {reason}.\n"
            ));
        }
    }
    out.push_str("\n`drop_all()`: ");
    match ddl::drop_plan(graph, table.scope, dialect) {
        DropPlan::CircularDependency { message, .. } => {
            out.push_str(&format!("raises `CircularDependencyError: {message}`\n"));
        }
        DropPlan::Unknown(reason) => out.push_str(&format!("not known ({reason}).\n")),
        DropPlan::Drops { constraints } if constraints.contains(&id) => {
            out.push_str("drops it first, before any table:\n\n");
            out.push_str(&sql_block(&[ddl::drop_constraint(graph, id, dialect)]));
        }
        DropPlan::Drops { .. } => {
            out.push_str(&format!(
                "drops it with its table (`DROP TABLE {}`).\n",
                ddl::table_name(graph, foreign_key.table, dialect)
            ));
            if let Some(warning) = ddl::drop_warning(graph, table.scope, dialect) {
                out.push_str(&format!(
                    "\nThe tables are dropped in no particular order, with a warning: `{warning}`\n"
                ));
            }
        }
    }
    out
}

fn class(graph: &Graph, id: ClassId, dialect: Dialect) -> String {
    let mapped = &graph.classes[id];
    let mut out = format!("**`{}`**", mapped.name);
    match (mapped.table, mapped.inheritance) {
        (Some(table_id), Some(Inheritance::Single)) => {
            out.push_str(&format!(
                ": single-table inheritance, no table of its own; its columns are in `{}`\n\n",
                graph.tables[table_id].full_name()
            ));
            out.push_str(&create_block(graph, table_id, dialect));
        }
        (Some(table_id), inheritance) => {
            out.push_str(&format!(
                " → table `{}`",
                graph.tables[table_id].full_name()
            ));
            if inheritance == Some(Inheritance::Joined) {
                if let Some(parent) = mapped.superclass {
                    out.push_str(&format!(
                        " (joined-table inheritance from `{}`)",
                        graph.classes[parent].name
                    ));
                }
            }
            out.push_str("\n\n");
            out.push_str(&create_block(graph, table_id, dialect));
        }
        (None, _) => out.push_str(": its table is not known\n"),
    }
    out
}

fn table(graph: &Graph, id: TableId, dialect: Dialect) -> String {
    let mut out = format!("**Table** `{}`\n\n", graph.tables[id].full_name());
    out.push_str(&create_block(graph, id, dialect));
    out
}

fn create_block(graph: &Graph, table: TableId, dialect: Dialect) -> String {
    format!(
        "`create_all()` ({}):\n\n{}",
        dialect_label(dialect),
        sql_block(&ddl::create_table(graph, table, dialect))
    )
}
