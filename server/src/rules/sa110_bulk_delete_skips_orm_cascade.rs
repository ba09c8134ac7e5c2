//! # SA110 bulk-delete-skips-orm-cascade
//!
//! A bulk delete of a class whose children only the ORM's cascade removes.
//!
//! ## What it finds
//! `session.query(X)....delete()`, `X.query....delete()` (Flask-SQLAlchemy)
//! or `delete(X)` (executed with `session.execute`) where `X` has a
//! one-to-many relationship with `delete` cascade over a foreign key without
//! `ondelete`.
//!
//! ## Why it matters
//! Bulk deletes go straight to the database and run no ORM cascade: the
//! children are not deleted. PostgreSQL refuses the DELETE (foreign key
//! violation); SQLite, without enforced foreign keys, leaves them orphaned.
//!
//! ## Example
//! ```python
//! class Author(Base):
//!     __tablename__ = "author"
//!     id = Column(Integer, primary_key=True)
//!     books = relationship("Book", cascade="all, delete-orphan")
//!
//! session.query(Author).filter(Author.id == author_id).delete()
//! ```
//!
//! ## Fix
//! Let the database cascade (`ondelete="CASCADE"` on the foreign key, with
//! `passive_deletes=True` on the relationship), or delete through the session
//! (`session.delete(author)`).

use super::support::{
    add_keyword, diagnostic, fix, ondelete, one_to_many, quote_of, related, safe, set_keyword,
};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::facts::Construct;
use crate::graph::resolve::{Resolver, Symbol};
use crate::graph::{ClassId, Location};
use crate::syntax::expr::{Expr, ExprKind};

/// Cascade rules read most options and cost little: they run after any edit.
pub const READS: Reads = Reads::Any;

/// The class a bulk delete removes rows of, as written.
fn deleted_class(construct: Option<Construct>, callee: &Expr, call: &Expr) -> Option<Expr> {
    if construct == Some(Construct::Delete) {
        return call.as_call()?.args.first().cloned();
    }
    let ExprKind::Attribute(object, method) = &callee.kind else {
        return None;
    };
    if method != "delete" || !call.as_call()?.args.is_empty() {
        // `session.delete(obj)` is the ORM delete, cascades and all.
        return None;
    }
    let mut current: &Expr = object;
    for _ in 0..32 {
        match &current.kind {
            ExprKind::Call(inner) => match &inner.callee.kind {
                ExprKind::Attribute(_, name) if name == "query" => {
                    return (inner.args.len() == 1).then(|| inner.args[0].clone());
                }
                ExprKind::Attribute(receiver, name)
                    if matches!(
                        name.as_str(),
                        "filter"
                            | "filter_by"
                            | "where"
                            | "join"
                            | "outerjoin"
                            | "limit"
                            | "offset"
                            | "order_by"
                            | "execution_options"
                    ) =>
                {
                    current = receiver;
                }
                _ => return None,
            },
            // Flask-SQLAlchemy: `Author.query.filter_by(...).delete()`.
            ExprKind::Attribute(model, name) if name == "query" => return Some((**model).clone()),
            _ => return None,
        }
    }
    None
}

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    // Built at the first bulk delete: most workspaces have none.
    let resolver = std::cell::OnceCell::new();
    for (file, facts) in graph.files.iter().enumerate() {
        // Every bulk delete of the file, with the class it deletes.
        let deletes: Vec<(&crate::facts::CallSite, ClassId)> = facts
            .call_sites
            .iter()
            .filter_map(|site| {
                let target = deleted_class(site.construct, &site.callee, &site.call)?;
                let Symbol::Class(class_file, class_index) = resolver
                    .get_or_init(|| Resolver::new(&graph.files))
                    .resolve_expr(file, &target)
                else {
                    return None;
                };
                Some((site, graph.class_at(class_file, class_index)?))
            })
            .collect();
        for &(site, class) in &deletes {
            // Children bulk-deleted earlier in the same function are gone.
            let deleted_before: Vec<ClassId> = deletes
                .iter()
                .filter(|(other, _)| {
                    other.function_range.is_some()
                        && other.function_range == site.function_range
                        && other.call.range.start < site.call.range.start
                })
                .map(|&(_, c)| c)
                .collect();
            report(context, diagnostics, file, site, class, &deleted_before);
        }
    }
}

fn report(
    context: &Context,
    diagnostics: &mut Vec<Diagnostic>,
    file: usize,
    site: &crate::facts::CallSite,
    class: ClassId,
    deleted_before: &[ClassId],
) {
    let graph = context.graph;
    for (id, relationship) in one_to_many(graph) {
        if relationship.class != class || !relationship.cascade.delete {
            continue;
        }
        if relationship
            .target_class()
            .is_some_and(|c| deleted_before.contains(&c))
        {
            continue;
        }
        let Some(&fk) = relationship
            .foreign_keys
            .iter()
            .find(|&&fk| ondelete(graph, fk) == Some(None))
        else {
            continue;
        };
        let foreign_key = &graph.foreign_keys[fk];
        let child_table = graph.tables[foreign_key.table].full_name();
        let name = &graph.classes[class].name;
        // The `delete(` itself: for a chain, the last attribute, not the
        // start of `session.query(...)`.
        let anchor = match site.construct {
            Some(Construct::Delete) => site.call.range,
            _ => crate::text::TextRange::new(
                site.callee.range.end().saturating_sub("delete".len()),
                site.call.range.end(),
            ),
        };
        let mut d = diagnostic(
            Location { file, range: anchor },
            format!(
                "this bulk delete of {name} runs no ORM cascade: `{}` deletes {child_table} rows only through the \
                 session, and {child_table}.{} has no ondelete, so PostgreSQL refuses the DELETE (foreign key violation) \
                 and SQLite leaves the rows orphaned",
                graph.relationship_label(id),
                foreign_key.columns.join(", ")
            ),
        );
        d.related
            .push(related(relationship.location, graph.relationship_label(id)));
        d.related.push(related(
            foreign_key.location,
            "the foreign key without ondelete",
        ));
        if let Some(call) = &foreign_key.facts.call {
            let fk_file = foreign_key.location.file;
            let text = context.text(fk_file);
            let quote = quote_of(
                text,
                call.args
                    .first()
                    .or_else(|| call.keyword_value("foreign_key")),
            );
            let mut edits = vec![add_keyword(
                fk_file,
                call,
                "ondelete",
                &format!("{quote}CASCADE{quote}"),
            )];
            if let Some(edit) = set_keyword(context, relationship, "passive_deletes", "True") {
                edits.push(edit);
                d.fixes.push(fix(
                    "Cascade in the database: ondelete=\"CASCADE\" with passive_deletes=True",
                    safe(),
                    edits,
                ));
            }
        }
        diagnostics.push(d);
        return;
    }
}
