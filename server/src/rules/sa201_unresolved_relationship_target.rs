//! # SA201 unresolved-relationship-target
//!
//! A `relationship()` names a class that is mapped nowhere in its registry.
//!
//! ## What it finds
//! The target of `relationship("Name")` (or the class in its `Mapped[...]`
//! annotation) is not a mapped class of the same declarative base, and the
//! whole registry is known to the analyzer. Module-qualified names
//! (`"app.models.Child"`) must match a class in that module.
//!
//! ## Why it matters
//! Mappers configure on first use: the first query or `configure_mappers()`
//! raises `InvalidRequestError: When initializing mapper ..., expression
//! 'Chlid' failed to locate a name`, usually far from the typo.
//!
//! ## Example
//! ```python
//! class Parent(Base):
//!     __tablename__ = "parent"
//!     id = Column(Integer, primary_key=True)
//!     children = relationship("Chlid", back_populates="parent")
//! ```
//!
//! ## Fix
//! Name the mapped class; the fix offers the closest one:
//! ```python
//!     children = relationship("Child", back_populates="parent")
//! ```

use super::support::{closest, diagnostic, fix, related, replace_string, unsafe_};
use super::{Context, Reads};
use crate::diagnostic::Diagnostic;
use crate::graph::{ScopeId, TargetResolution};
use crate::syntax::expr::ExprKind;
use std::collections::HashMap;

/// No option an edit may change without a new link.
pub const READS: Reads = Reads::Only(&[]);

pub fn check(context: &Context, diagnostics: &mut Vec<Diagnostic>) {
    let graph = context.graph;
    let mut suggestions: HashMap<(ScopeId, &str), Option<&str>> = HashMap::new();
    for relationship in &graph.relationships {
        if relationship.backref_of.is_some() {
            continue;
        }
        let TargetResolution::Missing(name) = &relationship.target else {
            continue;
        };
        let class = &graph.classes[relationship.class];
        let scope = &graph.scopes[class.scope];
        let simple = name.rsplit('.').next().unwrap_or(name);
        // While a class is being renamed, every relationship to it misses
        // the same name: each name is looked up once per registry.
        let suggestion = *suggestions.entry((class.scope, simple)).or_insert_with(|| {
            let candidates = graph
                .classes
                .iter()
                .filter(|c| c.scope == class.scope)
                .map(|c| c.name.as_str());
            closest(simple, candidates)
        });
        let mut message = format!(
            "relationship `{}.{}` targets \"{name}\", which is not a mapped class of this registry ({}): \
             the first query or configure_mappers() raises InvalidRequestError (expression '{name}' failed to locate a name)",
            class.name, relationship.attribute(), scope.key
        );
        if let Some(suggestion) = suggestion {
            message.push_str(&format!("; did you mean \"{suggestion}\"?"));
        }
        let mut d = diagnostic(relationship.location, message);
        if let Some(location) = scope.location {
            d.related.push(related(
                location,
                "the declarative base whose registry was searched",
            ));
        }
        if let Some(suggestion) = suggestion {
            let literal = relationship
                .facts
                .call
                .args
                .first()
                .or_else(|| relationship.facts.call.keyword_value("argument"))
                .filter(|a| matches!(a.kind, ExprKind::Str(_)));
            let file = relationship.location.file;
            let replacement = match name.rsplit_once('.') {
                Some((module, _)) => format!("{module}.{suggestion}"),
                None => suggestion.to_string(),
            };
            if let Some(edit) =
                literal.and_then(|l| replace_string(file, context.text(file), l, &replacement))
            {
                d.fixes.push(fix(
                    format!("Target \"{replacement}\""),
                    unsafe_(),
                    vec![edit],
                ));
            }
        }
        diagnostics.push(d);
    }
}
