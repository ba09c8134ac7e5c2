-- sqla-analyzer for Neovim 0.11+: put this directory on 'runtimepath' (or
-- copy this file to ~/.config/nvim/lsp/) and call
--
--   vim.lsp.enable("sqla_analyzer")
--
-- Override any field with vim.lsp.config("sqla_analyzer", { ... }), e.g.
--
--   vim.lsp.config("sqla_analyzer", {
--     cmd = { "/path/to/sqla-analyzer", "server" },
--     settings = { ["sqla-analyzer"] = { select = { "SA2" }, ignore = { "SA208" }, dialect = "sqlite" } },
--   })
--
-- `settings` reach the server at start (initializationOptions, see
-- before_init) and with workspace/didChangeConfiguration; an empty table
-- leaves the project's pyproject.toml / sqla-analyzer.toml in charge.

---@type vim.lsp.Config
return {
  cmd = { "sqla-analyzer", "server" },
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "setup.cfg", "setup.py", ".git" },
  settings = {
    ["sqla-analyzer"] = {},
  },
  before_init = function(params, config)
    -- The same settings at start, so the first analysis already uses them.
    if params.initializationOptions == nil and config.settings then
      params.initializationOptions = config.settings
    end
  end,
}
