//! GitHub Actions workflow commands: `::error file=...,line=...::message`.

use super::Report;
use crate::diagnostic::Severity;

fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for d in report.diagnostics {
        let file = &report.files[d.location.file];
        let start = file.position(d.location.range.start());
        let end = file.position(d.location.range.end());
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Hint => "notice",
        };
        out.push_str(&format!(
            "::{command} title={},file={},line={},col={},endLine={},endColumn={}::{}\n",
            escape_property(&format!("sqla-analyzer ({} {})", d.code, d.name)),
            escape_property(file.path),
            start.line,
            start.column,
            end.line,
            end.column,
            escape_data(&format!("{} {}", d.code, d.message))
        ));
    }
    out
}
