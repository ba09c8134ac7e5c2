//! # SA205 ambiguous-foreign-keys
//!
//! Several foreign keys join the two classes and the relationship does not say which one it uses.
//!
//! ## What it finds
//! A `relationship()` without `foreign_keys=` or `primaryjoin=` between two
//! tables joined by more than one foreign key (for example a `Customer` with
//! `billing_address_id` and `shipping_address_id`, or two tables that point
//! at each other).
//!
//! ## Why it matters
//! Mapper configuration fails: `AmbiguousForeignKeysError: Could not determine
//! join condition between parent/child tables on relationship ... - there are
//! multiple foreign key paths linking the tables`.
//!
//! ## Example
//! ```python
//! class Customer(Base):
//!     __tablename__ = "customer"
//!     id = Column(Integer, primary_key=True)
//!     billing_address_id = Column(ForeignKey("address.id"))
//!     shipping_address_id = Column(ForeignKey("address.id"))
//!     billing_address = relationship("Address")
//! ```
//!
//! ## Fix
//! Name the foreign key column; the fix offers one action per candidate:
//! ```python
//!     billing_address = relationship("Address", foreign_keys="[Customer.billing_address_id]")
//! ```

use super::support::{add_keyword, diagnostic, fix, related, safe};
use super::Context;
use crate::diagnostic::Diagnostic;
use crate::graph::JoinProblem;

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    for relationship in &graph.relationships {
        if relationship.backref_of.is_some() {
            continue;
        }
        let Some(JoinProblem::Ambiguous(candidates)) = &relationship.join_problem else {
            continue;
        };
        let Some(target) = relationship.target_class() else {
            continue;
        };
        let owner = &graph.classes[relationship.class].name;
        let target_name = &graph.classes[target].name;
        let paths: Vec<String> = candidates
            .iter()
            .map(|&fk| {
                let fk = &graph.foreign_keys[fk];
                let table = graph.tables[fk.table].full_name();
                let referred = fk
                    .referred_table()
                    .map(|t| graph.tables[t].full_name())
                    .unwrap_or_default();
                format!("{table}.{} -> {referred}", fk.columns.join(", "))
            })
            .collect();
        let mut d = diagnostic(
            relationship.location,
            format!(
                "`{owner}.{}` can join {owner} and {target_name} through {} foreign keys ({}) and {}: \
                 configure_mappers() raises AmbiguousForeignKeysError",
                relationship.attribute,
                candidates.len(),
                paths.join("; "),
                if relationship.facts.option("foreign_keys").is_some() {
                    "its foreign_keys name more than one of them (only a primaryjoin can pick the columns)"
                } else {
                    "names neither foreign_keys nor primaryjoin"
                }
            ),
        );
        let file = relationship.location.file;
        let text = context.text(file);
        let quote = super::support::quote_of(text, relationship.facts.call.args.first());
        let has_foreign_keys = relationship.facts.option("foreign_keys").is_some();
        for &fk_id in candidates {
            let fk = &graph.foreign_keys[fk_id];
            d.related
                .push(related(fk.location, "a candidate foreign key"));
            let table = &graph.tables[fk.table];
            // With `foreign_keys` already written, only a primaryjoin settles it.
            if has_foreign_keys {
                continue;
            }
            let Some(holder) = table.class else { continue };
            let holder_name = &graph.classes[holder].name;
            let attributes: Option<Vec<String>> = fk
                .columns
                .iter()
                .map(|c| table.column(c).and_then(|col| col.attribute.clone()))
                .collect();
            let Some(attributes) = attributes else {
                continue;
            };
            let list: Vec<String> = attributes
                .iter()
                .map(|a| format!("{holder_name}.{a}"))
                .collect();
            let value = format!("{quote}[{}]{quote}", list.join(", "));
            d.fixes.push(fix(
                format!("Use foreign_keys={value}"),
                safe(),
                vec![add_keyword(
                    file,
                    text,
                    &relationship.facts.call,
                    "foreign_keys",
                    &value,
                )],
            ));
        }
        diagnostics.push(d);
    }
}
