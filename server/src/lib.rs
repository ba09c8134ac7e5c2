//! sqla-analyzer: finds SQLAlchemy relationship mistakes before they run.
//!
//! Layers, each knowing only the ones before it: [`syntax`] parses,
//! [`facts`] extracts per-file model facts, [`graph`] links them into one
//! workspace graph, [`rules`] report diagnostics on the graph, [`sql`]
//! renders the SQL SQLAlchemy emits for hovers. Front ends
//! (the CLI and the language server) do all IO.

pub mod analysis;
pub mod cache;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod facts;
pub mod fix;
pub mod graph;
pub mod lsp;
pub mod memory;
pub mod report;
pub mod rules;
pub mod shift;
pub mod sql;
pub mod suppress;
pub mod syntax;
#[cfg(test)]
mod test_support;
pub mod text;
pub mod workspace;
