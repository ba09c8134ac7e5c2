-- Neovim 0.7+
vim.opt.runtimepath:append("/path/to/sqla-analyzer/editors/neovim")
require("sqla_analyzer").setup({
  -- path = "/path/to/sqla-analyzer",
  -- select = { "SA2" },
  -- ignore = { "SA208" },
  -- dialect = "sqlite",
})
