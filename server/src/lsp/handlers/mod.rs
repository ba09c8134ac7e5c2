//! The protocol's methods, one family per file. Handlers translate between
//! LSP and the core; the rules, the graph and the fixes live elsewhere.

pub mod code_action;
pub mod hover;
pub mod lifecycle;
pub mod workspace;
