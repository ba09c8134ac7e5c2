//! # SA302 use-alter-without-name
//!
//! `use_alter=True` on a foreign key without a name.
//!
//! ## What it finds
//! A `ForeignKey` or `ForeignKeyConstraint` with `use_alter=True` and neither
//! a `name=` nor an `fk` naming convention.
//!
//! ## Why it matters
//! The constraint is created with `ALTER TABLE ... ADD`, but dropping it
//! needs `DROP CONSTRAINT <name>`: `metadata.drop_all()` raises
//! `CompileError: Can't emit DROP CONSTRAINT for constraint
//! ForeignKeyConstraint(...); it has no name`.
//!
//! ## Example
//! ```python
//! Column("parent_node_id", Integer, ForeignKey("node.node_id", use_alter=True))
//! ```
//!
//! ## Fix
//! ```python
//! Column("parent_node_id", Integer, ForeignKey("node.node_id", use_alter=True, name="fk_element_parent_node_id_node"))
//! ```

use super::sa301_unnamed_fk_in_cycle::suggested_name;
use super::support::{add_keyword, diagnostic, fix, quote_of, safe, string_literal};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::EffectiveName;

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for (id, fk) in graph.foreign_keys.iter().enumerate() {
        if fk.facts.use_alter.as_ref().and_then(|u| u.known().copied()) != Some(true) {
            continue;
        }
        if fk.effective_name != EffectiveName::Unnamed {
            continue;
        }
        let table = graph.tables[fk.table].full_name();
        let mut d = diagnostic(
            fk.location,
            format!(
                "the use_alter foreign key on {table}.{} has no name: metadata.drop_all() raises CompileError \
                 (Can't emit DROP CONSTRAINT for constraint ForeignKeyConstraint(...); it has no name)",
                fk.columns.join(", ")
            ),
        );
        if let (Some(name), Some(call)) = (suggested_name(graph, id), &fk.facts.call) {
            let file = fk.location.file;
            let text = context.text(file);
            let quote = quote_of(text, call.args.first());
            d.fixes.push(fix(
                format!("Name it \"{name}\""),
                safe(),
                vec![add_keyword(
                    file,
                    call,
                    "name",
                    &string_literal(&name, quote),
                )],
            ));
        }
        diagnostics.push(d);
    }
}
