//! SARIF 2.1.0 for code-scanning tools.

use serde_json::{json, Value};

use super::Report;
use crate::diagnostic::Severity;
use crate::rules::RULES;
use crate::text::TextRange;

fn region(report: &Report, file: usize, range: TextRange) -> Value {
    let f = &report.files[file];
    let start = f.position(range.start());
    let end = f.position(range.end());
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Hint => "note",
    }
}

pub fn to_value(report: &Report) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary()},
                "fullDescription": {"text": rule.summary()},
                "help": {"text": rule.documentation(), "markdown": rule.documentation()},
                "defaultConfiguration": {"level": level(rule.severity)},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let rule_index = RULES.iter().position(|r| r.code == d.code).unwrap_or(0);
            let location = |file: usize, range: TextRange| {
                json!({
                    "physicalLocation": {
                        "artifactLocation": {"uri": report.files[file].path},
                        "region": region(report, file, range),
                    }
                })
            };
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let mut value = location(r.location.file, r.location.range);
                    value["id"] = json!(i);
                    value["message"] = json!({"text": r.message});
                    value
                })
                .collect();
            let fixes: Vec<Value> = d
                .fixes
                .iter()
                .map(|fix| {
                    let mut by_file: std::collections::BTreeMap<usize, Vec<Value>> =
                        Default::default();
                    for edit in &fix.edits {
                        by_file.entry(edit.file).or_default().push(json!({
                            "deletedRegion": region(report, edit.file, edit.range),
                            "insertedContent": {"text": edit.new_text},
                        }));
                    }
                    json!({
                        "description": {"text": fix.title},
                        "artifactChanges": by_file.into_iter().map(|(file, replacements)| json!({
                            "artifactLocation": {"uri": report.files[file].path},
                            "replacements": replacements,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": rule_index,
                "level": level(d.severity),
                "message": {"text": d.message},
                "locations": [location(d.location.file, d.location.range)],
            });
            if !related.is_empty() {
                result["relatedLocations"] = json!(related);
            }
            if !fixes.is_empty() {
                result["fixes"] = json!(fixes);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "sqla-analyzer",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(report)).unwrap_or_default();
    text.push('\n');
    text
}
