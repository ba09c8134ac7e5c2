//! Rendering diagnostics for people and tools: text, JSON, SARIF, GitHub.

pub mod github;
pub mod json;
pub mod sarif;
pub mod text;

use std::sync::OnceLock;

use crate::diagnostic::Diagnostic;
use crate::text::{LineColumn, LineIndex};

/// A file as reports see it: its display path and text.
pub struct ReportFile<'a> {
    pub path: &'a str,
    pub text: &'a str,
    /// Built on first use: most files of a workspace have no finding.
    index: OnceLock<LineIndex>,
}

impl<'a> ReportFile<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        Self {
            path,
            text,
            index: OnceLock::new(),
        }
    }

    pub fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(self.text))
    }

    pub fn position(&self, offset: usize) -> LineColumn {
        self.index().line_column(self.text, offset)
    }
}

pub struct Report<'a> {
    pub files: &'a [ReportFile<'a>],
    pub diagnostics: &'a [Diagnostic],
    pub files_checked: usize,
    /// Fixes applied in this run.
    pub fixed: usize,
}

impl Report<'_> {
    pub fn start(&self, diagnostic: &Diagnostic) -> LineColumn {
        self.files[diagnostic.location.file].position(diagnostic.location.range.start())
    }
}
