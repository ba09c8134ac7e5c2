//! Renderer tests on small workspaces, with readable expected SQL.
