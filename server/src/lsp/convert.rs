//! Diagnostics, fixes and locations as LSP types: byte ranges become
//! positions in the negotiated encoding, file ids become URIs.

use std::collections::{BTreeMap, HashMap};

use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, NumberOrString,
    OneOf, OptionalVersionedTextDocumentIdentifier, TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};

use super::encoding::{self, Encoding};
use super::snapshot::AnalyzedFile;
use crate::diagnostic::{Diagnostic, Edit, Severity};
use crate::graph::Location;

pub const SOURCE: &str = "sqla-analyzer";

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// Codes whose diagnostics mark code that can simply go.
fn tags(code: &str) -> Option<Vec<DiagnosticTag>> {
    matches!(code, "SA402" | "SA404").then(|| vec![DiagnosticTag::UNNECESSARY])
}

pub fn location(files: &[AnalyzedFile], at: Location, encoding: Encoding) -> Option<lsp::Location> {
    let file = files.get(at.file)?;
    Some(lsp::Location::new(
        file.uri.clone(),
        encoding::range(&file.rope, at.range, encoding),
    ))
}

pub fn diagnostic(
    diagnostic: &Diagnostic,
    files: &[AnalyzedFile],
    encoding: Encoding,
) -> Option<lsp::Diagnostic> {
    let file = files.get(diagnostic.location.file)?;
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .related
        .iter()
        .filter_map(|related| {
            Some(DiagnosticRelatedInformation {
                location: location(files, related.location, encoding)?,
                message: related.message.clone(),
            })
        })
        .collect();
    Some(lsp::Diagnostic {
        range: encoding::range(&file.rope, diagnostic.location.range, encoding),
        severity: Some(severity(diagnostic.severity)),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        code_description: None,
        source: Some(SOURCE.to_string()),
        message: diagnostic.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: tags(diagnostic.code),
        data: None,
    })
}

/// Every file's diagnostics, only files that have some.
pub fn diagnostics(
    diagnostics: &[Diagnostic],
    files: &[AnalyzedFile],
    encoding: Encoding,
) -> BTreeMap<Uri, Vec<lsp::Diagnostic>> {
    let mut by_uri: BTreeMap<Uri, Vec<lsp::Diagnostic>> = BTreeMap::new();
    for item in diagnostics {
        if let Some(converted) = diagnostic(item, files, encoding) {
            by_uri
                .entry(files[item.location.file].uri.clone())
                .or_default()
                .push(converted);
        }
    }
    by_uri
}

/// A workspace edit from byte-range edits in analysed files; with
/// `document_changes`, versioned per document (`null` for files not open).
pub fn workspace_edit(
    edits: &[Edit],
    files: &[AnalyzedFile],
    encoding: Encoding,
    document_changes: bool,
) -> WorkspaceEdit {
    let mut by_file: BTreeMap<usize, Vec<TextEdit>> = BTreeMap::new();
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.file, e.range.start, e.range.end));
    for edit in sorted {
        let Some(file) = files.get(edit.file) else {
            continue;
        };
        by_file.entry(edit.file).or_default().push(TextEdit {
            range: encoding::range(&file.rope, edit.range, encoding),
            new_text: edit.new_text.clone(),
        });
    }
    if document_changes {
        let changes = by_file
            .into_iter()
            .map(|(file, edits)| TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier {
                    uri: files[file].uri.clone(),
                    version: files[file].version,
                },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            })
            .collect();
        WorkspaceEdit {
            document_changes: Some(lsp::DocumentChanges::Edits(changes)),
            ..WorkspaceEdit::default()
        }
    } else {
        let changes: HashMap<Uri, Vec<TextEdit>> = by_file
            .into_iter()
            .map(|(file, edits)| (files[file].uri.clone(), edits))
            .collect();
        WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }
    }
}
