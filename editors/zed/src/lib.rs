//! Zed runs language servers only through extensions: this one starts
//! `sqla-analyzer server` for Python files and hands it the user's
//! `lsp.sqla-analyzer` settings.

use zed_extension_api::{self as zed, serde_json::Value, settings::LspSettings, LanguageServerId, Result};

const BINARY: &str = "sqla-analyzer";

struct SqlaAnalyzer;

fn lsp_settings(id: &LanguageServerId, worktree: &zed::Worktree) -> Option<LspSettings> {
    LspSettings::for_worktree(id.as_ref(), worktree).ok()
}

impl zed::Extension for SqlaAnalyzer {
    fn new() -> Self {
        SqlaAnalyzer
    }

    /// `lsp.sqla-analyzer.binary.path` (and `arguments`, `env`) when set, else
    /// `sqla-analyzer server` found on the worktree's PATH.
    fn language_server_command(
        &mut self,
        id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let binary = lsp_settings(id, worktree).and_then(|s| s.binary);
        let args = binary
            .as_ref()
            .and_then(|b| b.arguments.clone())
            .unwrap_or_else(|| vec!["server".to_string()]);
        let env = binary
            .as_ref()
            .and_then(|b| b.env.clone())
            .map(|env| env.into_iter().collect())
            .unwrap_or_default();
        let command = match binary.and_then(|b| b.path) {
            Some(path) => path,
            None => worktree.which(BINARY).ok_or_else(|| {
                "sqla-analyzer was not found on PATH: install it (`cargo install --path server` in \
                 its repository) or set lsp.sqla-analyzer.binary.path in Zed's settings"
                    .to_string()
            })?,
        };
        Ok(zed::Command { command, args, env })
    }

    /// `lsp.sqla-analyzer.initialization_options`, else its `settings`, so
    /// the first analysis already uses them.
    fn language_server_initialization_options(
        &mut self,
        id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<Value>> {
        Ok(lsp_settings(id, worktree).and_then(|s| s.initialization_options.or(s.settings)))
    }

    /// `lsp.sqla-analyzer.settings`: sent with workspace/didChangeConfiguration.
    fn language_server_workspace_configuration(
        &mut self,
        id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<Value>> {
        Ok(lsp_settings(id, worktree).and_then(|s| s.settings))
    }
}

zed::register_extension!(SqlaAnalyzer);
