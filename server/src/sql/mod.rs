//! Hover content: what SQLAlchemy does with a model element, as Markdown.
use crate::config::Dialect;
use crate::graph::{ClassId, ForeignKeyId, Graph, RelationshipId, TableId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoverTarget {
    Relationship(RelationshipId),
    ForeignKey(ForeignKeyId),
    Class(ClassId),
    Table(TableId),
}

/// Markdown for a hover over `target`.
pub fn hover_markdown(graph: &Graph, target: HoverTarget, dialect: Dialect) -> String {
    // The summary reads the same on every dialect; the SQL renderings differ.
    let _ = dialect;
    match target {
        HoverTarget::Relationship(id) => relationship(graph, id),
        HoverTarget::ForeignKey(id) => foreign_key(graph, id),
        HoverTarget::Class(id) => class(graph, id),
        HoverTarget::Table(id) => table(graph, id),
    }
}

fn relationship(graph: &Graph, id: RelationshipId) -> String {
    let Some(relationship) = graph.relationships.get(id) else {
        return String::new();
    };
    let direction = relationship
        .direction
        .map(|d| d.label())
        .unwrap_or("direction unknown");
    let target = match relationship.target_class() {
        Some(class) => graph.classes[class].name.clone(),
        None => "?".to_string(),
    };
    let mut parts = vec![format!(
        "**{}** {direction} → {target}",
        graph.relationship_label(id)
    )];
    if let Some(secondary) = relationship.secondary {
        parts.push(format!("secondary {}", graph.table_label(secondary)));
    }
    if !relationship.fk_columns.is_empty() {
        let columns: Vec<String> = relationship
            .fk_columns
            .iter()
            .map(|(table, column)| format!("{}.{column}", graph.table_label(*table)))
            .collect();
        parts.push(format!("writes {}", columns.join(", ")));
    }
    let cascade = &relationship.cascade;
    if cascade.unknown {
        parts.push("cascade: unknown".to_string());
    } else {
        let names: Vec<&str> = [
            (cascade.save_update, "save-update"),
            (cascade.merge, "merge"),
            (cascade.refresh_expire, "refresh-expire"),
            (cascade.expunge, "expunge"),
            (cascade.delete, "delete"),
            (cascade.delete_orphan, "delete-orphan"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        let names = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        parts.push(format!("cascade: {names}"));
    }
    for flag in ["passive_deletes", "post_update", "viewonly"] {
        if let Some(value) = relationship.facts.option(flag) {
            match (value.as_bool(), value.as_str()) {
                (Some(true), _) => parts.push(flag.to_string()),
                (_, Some(text)) => parts.push(format!("{flag}=\"{text}\"")),
                _ => {}
            }
        }
    }
    parts.join("; ")
}

fn foreign_key(graph: &Graph, id: ForeignKeyId) -> String {
    let Some(fk) = graph.foreign_keys.get(id) else {
        return String::new();
    };
    let table = graph.table_label(fk.table);
    let local: Vec<String> = fk.columns.iter().map(|c| format!("{table}.{c}")).collect();
    let referred = match &fk.resolution {
        crate::graph::ForeignKeyResolution::Resolved { table, columns } => {
            let name = graph.table_label(*table);
            columns
                .iter()
                .map(|c| format!("{name}.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
        crate::graph::ForeignKeyResolution::MissingTable => "a table not in the MetaData".into(),
        crate::graph::ForeignKeyResolution::MissingColumn { table, column } => {
            format!("{}.{column} (no such column)", graph.table_label(*table))
        }
        crate::graph::ForeignKeyResolution::Unknown => "?".into(),
    };
    let mut parts = vec![format!("**FOREIGN KEY** {} → {referred}", local.join(", "))];
    parts.push(match &fk.effective_name {
        crate::graph::EffectiveName::Named(name) => format!("name: {name}"),
        crate::graph::EffectiveName::NamedUnknown => "name: set at run time".into(),
        crate::graph::EffectiveName::Unnamed => "unnamed".into(),
    });
    for (label, setting) in [
        ("ON DELETE", &fk.facts.ondelete),
        ("ON UPDATE", &fk.facts.onupdate),
    ] {
        match setting {
            Some(crate::facts::Setting::Known(action, _)) => {
                parts.push(format!("{label} {}", action.to_uppercase()))
            }
            Some(crate::facts::Setting::Unknown(_)) => parts.push(format!("{label} ?")),
            None => {}
        }
    }
    if fk.facts.use_alter.as_ref().and_then(|s| s.known()) == Some(&true) {
        parts.push("use_alter".into());
    }
    parts.join("; ")
}

fn columns(graph: &Graph, id: TableId) -> String {
    let table = &graph.tables[id];
    let mut lines = Vec::new();
    for column in &table.columns {
        let mut line = format!("- `{}`", column.name);
        if let Some(type_name) = &column.type_name {
            line.push_str(&format!(" {type_name}"));
        }
        if column.primary_key {
            line.push_str(" PRIMARY KEY");
        } else if column.nullable == Some(false) {
            line.push_str(" NOT NULL");
        }
        if column.unique {
            line.push_str(" UNIQUE");
        }
        for fk in &table.foreign_keys {
            let fk = &graph.foreign_keys[*fk];
            if fk.columns.len() == 1 && fk.columns[0] == column.name {
                if let crate::graph::ForeignKeyResolution::Resolved { table, columns } =
                    &fk.resolution
                {
                    line.push_str(&format!(
                        " → {}.{}",
                        graph.table_label(*table),
                        columns.join(", ")
                    ));
                }
            }
        }
        lines.push(line);
    }
    if table.incomplete {
        lines.push("- (more columns not known)".into());
    }
    lines.join("\n")
}

fn class(graph: &Graph, id: ClassId) -> String {
    let Some(class) = graph.classes.get(id) else {
        return String::new();
    };
    let mut text = format!("**{}** (`{}`)", class.name, class.qualname);
    match class.table {
        Some(table) => {
            text.push_str(&format!(" → table {}\n\n", graph.table_label(table)));
            text.push_str(&columns(graph, table));
        }
        None => text.push_str(", no table of its own"),
    }
    text
}

fn table(graph: &Graph, id: TableId) -> String {
    let Some(table) = graph.tables.get(id) else {
        return String::new();
    };
    let mut text = format!("**Table {}**", table.full_name());
    if let Some(class) = table.class {
        text.push_str(&format!(" (mapped by {})", graph.classes[class].name));
    }
    text.push_str("\n\n");
    text.push_str(&columns(graph, id));
    text
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::facts;
    use crate::graph::{link, LinkOptions};

    const MODELS: &str = r#"
from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

class Parent(Base):
    __tablename__ = "parent"
    id = Column(Integer, primary_key=True)
    children = relationship("Child", back_populates="parent")

class Child(Base):
    __tablename__ = "child"
    id = Column(Integer, primary_key=True)
    parent_id = Column(Integer, ForeignKey("parent.id", ondelete="CASCADE"), nullable=False)
    parent = relationship("Parent", back_populates="children")
"#;

    fn graph() -> Graph {
        link(
            vec![Arc::new(facts::extract("models.py", MODELS))],
            &LinkOptions::default(),
        )
    }

    #[test]
    fn relationship_summary() {
        let graph = graph();
        let id = graph
            .relationships
            .iter()
            .position(|r| r.attribute == "children")
            .unwrap();
        assert_eq!(
            hover_markdown(&graph, HoverTarget::Relationship(id), Dialect::Postgresql),
            "**Parent.children** one-to-many → Child; writes child.parent_id; cascade: save-update, merge"
        );
    }

    #[test]
    fn foreign_key_summary() {
        let graph = graph();
        assert_eq!(
            hover_markdown(&graph, HoverTarget::ForeignKey(0), Dialect::Postgresql),
            "**FOREIGN KEY** child.parent_id → parent.id; unnamed; ON DELETE CASCADE"
        );
    }

    #[test]
    fn class_summary_lists_columns() {
        let graph = graph();
        let child = graph
            .classes
            .iter()
            .position(|c| c.name == "Child")
            .unwrap();
        let text = hover_markdown(&graph, HoverTarget::Class(child), Dialect::Postgresql);
        assert!(
            text.starts_with("**Child** (`models.Child`) → table child"),
            "{text}"
        );
        assert!(
            text.contains("- `parent_id` Integer NOT NULL → parent.id"),
            "{text}"
        );
    }
}
