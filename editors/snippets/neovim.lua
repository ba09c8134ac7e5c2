-- Neovim 0.11+
vim.opt.runtimepath:append("/path/to/sqla-analyzer/editors/neovim")
vim.lsp.config("sqla_analyzer", {
  -- cmd = { "/path/to/sqla-analyzer", "server" },
  settings = {
    ["sqla-analyzer"] = {
      -- select = { "SA2" },
      -- ignore = { "SA208" },
      -- dialect = "sqlite",
    },
  },
})
vim.lsp.enable("sqla_analyzer")
