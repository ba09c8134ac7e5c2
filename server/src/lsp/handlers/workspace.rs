//! Workspace notifications: folders and settings. (Watched files and the
//! document notifications are single calls into the session.)

use tower_lsp_server::ls_types::WorkspaceFoldersChangeEvent;

use crate::lsp::session::{uri_path, Session};
use crate::lsp::settings::Overrides;

pub fn change_folders(session: &mut Session, event: &WorkspaceFoldersChangeEvent) {
    for folder in &event.removed {
        if let Some(path) = uri_path(&folder.uri) {
            session.remove_folder(&path);
        }
    }
    for folder in &event.added {
        if let Some(path) = uri_path(&folder.uri) {
            session.add_folder(path);
        }
    }
}

/// Applies settings read from the editor; the message to show when they
/// are invalid (the previous settings stay).
pub fn apply_settings(
    session: &mut Session,
    settings: Result<Option<Overrides>, String>,
) -> Option<String> {
    match settings {
        Ok(Some(overrides)) => {
            session.set_overrides(overrides);
            None
        }
        Ok(None) => None,
        Err(message) => Some(format!(
            "sqla-analyzer: invalid settings: {message}; keeping the previous settings"
        )),
    }
}
