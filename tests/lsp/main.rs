//! The language server over an in-memory transport: lifecycle and protocol
//! errors, diagnostics across files, edits in every position encoding,
//! hovers and code actions. Snapshots live in `tests/lsp/snapshots/`
//! (`UPDATE_SNAPSHOTS=1` rewrites them).

mod support;

mod abuse;
mod diagnostics;
mod edits;
mod features;
mod protocol;
