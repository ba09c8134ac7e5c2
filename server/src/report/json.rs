//! The stable JSON shape other tools read:
//! `{"version": 1, "files_checked": N, "diagnostics": [...]}`.

use serde_json::{json, Value};

use super::Report;
use crate::diagnostic::Applicability;
use crate::graph::Location;
use crate::text::TextRange;

pub fn range_json(report: &Report, file: usize, range: TextRange) -> Value {
    let f = &report.files[file];
    let start = f.position(range.start());
    let end = f.position(range.end());
    json!({
        "start": {"line": start.line, "column": start.column},
        "end": {"line": end.line, "column": end.column},
    })
}

fn location_json(report: &Report, location: &Location) -> (String, Value) {
    (
        report.files[location.file].path.to_string(),
        range_json(report, location.file, location.range),
    )
}

pub fn to_value(report: &Report) -> Value {
    let diagnostics: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let (path, range) = location_json(report, &d.location);
            let related: Vec<Value> = d
                .related
                .iter()
                .map(|r| {
                    let (path, range) = location_json(report, &r.location);
                    json!({"path": path, "range": range, "message": r.message})
                })
                .collect();
            let fixes: Vec<Value> = d
                .fixes
                .iter()
                .map(|fix| {
                    json!({
                        "title": fix.title,
                        "applicability": match fix.applicability {
                            Applicability::Safe => "safe",
                            Applicability::Unsafe => "unsafe",
                        },
                        "edits": fix.edits.iter().map(|e| json!({
                            "path": report.files[e.file].path,
                            "range": range_json(report, e.file, e.range),
                            "new_text": e.new_text,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "code": d.code,
                "name": d.name,
                "severity": d.severity.label(),
                "message": d.message,
                "path": path,
                "range": range,
                "related": related,
                "fixes": fixes,
            })
        })
        .collect();
    json!({
        "version": 1,
        "files_checked": report.files_checked,
        "diagnostics": diagnostics,
    })
}

pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(report)).unwrap_or_default();
    text.push('\n');
    text
}
