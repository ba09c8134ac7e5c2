//! `textDocument/hover`: the model element under the cursor, and the
//! messages of the diagnostics there.

use tower_lsp_server::ls_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position, Uri};

use crate::lsp::encoding;
use crate::lsp::hover::target_at;
use crate::lsp::snapshot::ProjectAnalysis;
use crate::sql;

pub fn hover(analysis: &ProjectAnalysis, uri: &Uri, position: Position) -> Option<Hover> {
    let file = analysis.file_of(uri)?;
    let source = &analysis.files[file];
    let offset = encoding::offset(&source.rope, position, analysis.encoding);
    let target = target_at(
        &analysis.graph,
        &source.text,
        file,
        offset,
        analysis.moves.in_file(file),
    );
    let diagnostics: Vec<_> = analysis
        .diagnostics
        .iter()
        .filter(|d| {
            let range = d.location.range;
            d.file() == file
                && (range.contains(offset) || (range.is_empty() && range.start() == offset))
        })
        .collect();
    let mut parts = Vec::new();
    if let Some((target, _)) = target {
        parts.push(sql::hover_markdown(
            &analysis.graph,
            target,
            analysis.config.dialect,
        ));
    }
    for diagnostic in &diagnostics {
        parts.push(format!(
            "**{}** {} ({}): {}",
            diagnostic.code,
            diagnostic.name,
            diagnostic.severity.label(),
            diagnostic.message
        ));
    }
    let range = target
        .map(|(_, range)| range)
        .or_else(|| diagnostics.first().map(|d| d.location.range))?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: parts.join("\n\n---\n\n"),
        }),
        range: Some(encoding::range(&source.rope, range, analysis.encoding)),
    })
}
