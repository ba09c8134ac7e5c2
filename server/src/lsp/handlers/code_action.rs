//! `textDocument/codeAction`: the fixes of the diagnostics in range, an
//! "ignore on this line" action per code, and fix-all for the file.

use std::collections::BTreeSet;
use std::sync::Arc;

use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Range, Uri, WorkspaceEdit,
};

use crate::diagnostic::{Applicability, Edit};
use crate::facts::{self, FileFacts};
use crate::fix;
use crate::lsp::convert;
use crate::lsp::encoding;
use crate::lsp::snapshot::ProjectAnalysis;
use crate::suppress;
use crate::text::{LineIndex, TextChange, TextRange};

pub fn fix_all_kind() -> CodeActionKind {
    CodeActionKind::new("source.fixAll.sqla-analyzer")
}

/// Does the client's `only` filter let actions of `kind` through?
fn requested(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    let Some(only) = only else {
        return true;
    };
    only.iter().any(|wanted| {
        let wanted = wanted.as_str();
        let kind = kind.as_str();
        kind == wanted || kind.starts_with(&format!("{wanted}."))
    })
}

/// What a deferred action's `data` carries to `codeAction/resolve`.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixAllData {
    pub fix_all: Uri,
}

pub fn code_actions(
    analysis: &ProjectAnalysis,
    uri: &Uri,
    range: Range,
    only: Option<&[CodeActionKind]>,
    document_changes: bool,
    defer_fix_all: bool,
) -> Vec<CodeActionOrCommand> {
    let Some(file) = analysis.file_of(uri) else {
        return Vec::new();
    };
    let source = &analysis.files[file];
    let encoding = analysis.encoding;
    let wanted = encoding::text_range(&source.rope, range, encoding);
    let mut actions = Vec::new();
    if requested(only, &CodeActionKind::QUICKFIX) {
        let mut ignores = Vec::new();
        let mut ignored: BTreeSet<(usize, &str)> = BTreeSet::new();
        let index = LineIndex::new(&source.text);
        for diagnostic in &analysis.diagnostics {
            let at = diagnostic.location.range;
            if diagnostic.file() != file || at.start > wanted.end || wanted.start > at.end {
                continue;
            }
            let Some(lsp_diagnostic) = convert::diagnostic(diagnostic, &analysis.files, encoding)
            else {
                continue;
            };
            let single_safe = diagnostic.fixes.len() == 1
                && diagnostic.fixes[0].applicability == Applicability::Safe;
            for fix in &diagnostic.fixes {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![lsp_diagnostic.clone()]),
                    edit: Some(convert::workspace_edit(
                        &fix.edits,
                        &analysis.files,
                        encoding,
                        document_changes,
                    )),
                    is_preferred: single_safe.then_some(true),
                    ..CodeAction::default()
                }));
            }
            let line = index.line_of(at.start());
            if ignored.insert((line, diagnostic.code)) {
                let start = index.line_start(line);
                let (replace, new_text) =
                    suppress::ignore_edit(index.line_text(&source.text, line), diagnostic.code);
                let edit = Edit {
                    file,
                    range: TextRange::new(start + replace.start, start + replace.end),
                    new_text,
                };
                ignores.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: format!("Ignore {} on this line", diagnostic.code),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![lsp_diagnostic]),
                    edit: Some(convert::workspace_edit(
                        &[edit],
                        &analysis.files,
                        encoding,
                        document_changes,
                    )),
                    ..CodeAction::default()
                }));
            }
        }
        actions.extend(ignores);
    }
    let kind = fix_all_kind();
    // Fixing everything re-checks the project after each round: on every
    // cursor move that is too slow, so a client that resolves edits gets
    // the action now and its edit when it is chosen. A request for this
    // very kind (fix on save) is answered in full.
    let asked_for_fix_all = only.is_some_and(|only| only.contains(&kind));
    if requested(only, &kind) && defer_fix_all && !asked_for_fix_all {
        let fixable = analysis.diagnostics.iter().any(|d| {
            d.file() == file
                && d.fixes
                    .iter()
                    .any(|f| f.applicability == Applicability::Safe)
        });
        if fixable {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: "Fix all safe sqla-analyzer problems".to_string(),
                kind: Some(kind),
                data: serde_json::to_value(FixAllData {
                    fix_all: uri.clone(),
                })
                .ok(),
                ..CodeAction::default()
            }));
        }
    } else if requested(only, &kind) {
        if let Some(edit) = fix_all(analysis, file, document_changes) {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: "Fix all safe sqla-analyzer problems".to_string(),
                kind: Some(kind),
                edit: Some(edit),
                ..CodeAction::default()
            }));
        }
    }
    actions
}

/// Fills in the edit of a deferred fix-all action; other actions come back
/// as they are (they carry their edit already).
pub fn resolve(
    analysis: Option<&ProjectAnalysis>,
    mut action: CodeAction,
    document_changes: bool,
) -> CodeAction {
    let Some(data) = action
        .data
        .as_ref()
        .and_then(|d| serde_json::from_value::<FixAllData>(d.clone()).ok())
    else {
        return action;
    };
    let file = analysis.and_then(|a| Some((a, a.file_of(&data.fix_all)?)));
    action.edit = Some(
        file.and_then(|(analysis, file)| fix_all(analysis, file, document_changes))
            .unwrap_or_default(),
    );
    action
}

/// Every safe fix of the file's diagnostics, re-checking after each round
/// as `check --fix` does (a fix may enable another); the edits may reach
/// other files. `None` when nothing changes.
pub fn fix_all(
    analysis: &ProjectAnalysis,
    file: usize,
    document_changes: bool,
) -> Option<WorkspaceEdit> {
    let original: Vec<Arc<str>> = analysis.files.iter().map(|f| f.text.clone()).collect();
    let mut texts = original.clone();
    let mut facts: Vec<Arc<FileFacts>> = analysis.files.iter().map(|f| f.facts.clone()).collect();
    let mut diagnostics = analysis.diagnostics.clone();
    for _ in 0..10 {
        diagnostics.retain(|d| d.file() == file);
        let (edits, count) = fix::choose_edits(&diagnostics, false);
        if count == 0 {
            break;
        }
        let mut changed = false;
        for (target, file_edits) in edits {
            let Some(new_text) = fix::apply_edits(&texts[target], &file_edits) else {
                continue;
            };
            if *texts[target] != *new_text {
                facts[target] = Arc::new(facts::extract(&facts[target].path, &new_text));
                texts[target] = Arc::from(new_text);
                changed = true;
            }
        }
        if !changed {
            break;
        }
        diagnostics = analysis.reanalyze(&texts, &facts).diagnostics;
    }
    let edits: Vec<Edit> = original
        .iter()
        .zip(&texts)
        .enumerate()
        .filter(|(_, (before, after))| before != after)
        .map(|(file, (before, after))| minimal_edit(file, before, after))
        .collect();
    (!edits.is_empty()).then(|| {
        convert::workspace_edit(&edits, &analysis.files, analysis.encoding, document_changes)
    })
}

/// One edit turning `before` into `after`: the differing middle.
fn minimal_edit(file: usize, before: &str, after: &str) -> Edit {
    let change = TextChange::between(before, after);
    Edit {
        file,
        range: TextRange::new(change.start as usize, change.old_end as usize),
        new_text: after[change.start as usize..change.new_end as usize].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edits_keep_common_ends() {
        let edit = minimal_edit(0, "a = f(x)\n", "a = f(x, y=1)\n");
        assert_eq!((edit.range.start(), edit.range.end()), (7, 7));
        assert_eq!(edit.new_text, ", y=1");
        let edit = minimal_edit(0, "é1é", "é2é");
        assert_eq!(&"é1é"[edit.range.start()..edit.range.end()], "1");
        assert_eq!(edit.new_text, "2");
        let edit = minimal_edit(0, "aaa", "aa");
        assert_eq!(fix::apply_edits("aaa", &[edit]).as_deref(), Some("aa"));
    }

    #[test]
    fn only_filters_by_kind_prefix() {
        let kind = fix_all_kind();
        assert!(requested(None, &kind));
        assert!(requested(Some(&[CodeActionKind::SOURCE]), &kind));
        assert!(requested(Some(&[CodeActionKind::SOURCE_FIX_ALL]), &kind));
        assert!(!requested(Some(&[CodeActionKind::QUICKFIX]), &kind));
        assert!(!requested(
            Some(&[CodeActionKind::SOURCE]),
            &CodeActionKind::QUICKFIX
        ));
    }
}
