//! `path:line:col: SA203 [error] message`, one line a finding, then a summary.

use super::Report;
use crate::diagnostic::Severity;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for diagnostic in report.diagnostics {
        let file = &report.files[diagnostic.location.file];
        let start = report.start(diagnostic);
        let fixable = if diagnostic.fixes.is_empty() {
            ""
        } else {
            " [*]"
        };
        out.push_str(&format!(
            "{}:{}:{}: {} [{}]{} {}\n",
            file.path,
            start.line,
            start.column,
            diagnostic.code,
            diagnostic.severity.label(),
            fixable,
            diagnostic.message
        ));
    }
    out.push_str(&summary(report));
    out
}

pub fn summary(report: &Report) -> String {
    let count = |severity: Severity| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    let files = plural(report.files_checked, "file");
    let mut out = String::new();
    if report.fixed > 0 {
        out.push_str(&format!("Fixed {}.\n", plural(report.fixed, "problem")));
    }
    if report.diagnostics.is_empty() {
        out.push_str(&format!("All checks passed ({files} checked).\n"));
        return out;
    }
    let mut parts = Vec::new();
    for (severity, name) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Hint, "hint"),
    ] {
        let n = count(severity);
        if n > 0 {
            parts.push(plural(n, name));
        }
    }
    out.push_str(&format!(
        "Found {} ({}) in {files} checked.\n",
        plural(report.diagnostics.len(), "problem"),
        parts.join(", ")
    ));
    let fixable = report
        .diagnostics
        .iter()
        .filter(|d| !d.fixes.is_empty())
        .count();
    if fixable > 0 {
        out.push_str(&format!(
            "[*] {} fixable with `--fix` (or `--unsafe-fixes` for those marked unsafe).\n",
            plural(fixable, "problem")
        ));
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
