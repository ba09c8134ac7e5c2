-- sqla-analyzer for Neovim 0.7 and newer:
--
--   require("sqla_analyzer").setup({
--     path = "sqla-analyzer",   -- or cmd = { "sqla-analyzer", "server" }
--     select = { "SA2" },       -- rule codes or prefixes; nil: the project's configuration
--     ignore = { "SA208" },
--     dialect = "postgresql",   -- postgresql, sqlite, mysql; nil: the project's configuration
--   })
--
-- Starts the server for Python buffers (a FileType autocmd) with
-- vim.lsp.start where it exists (0.8+), else vim.lsp.start_client and
-- vim.lsp.buf_attach_client, one client per project root.

local M = {}

local NAME = "sqla_analyzer"
local SECTION = "sqla-analyzer"
local DIALECTS = { postgresql = true, sqlite = true, mysql = true }

M.defaults = {
  -- The server command; built from `path` when nil.
  cmd = nil,
  -- The sqla-analyzer executable (a name on PATH or a path).
  path = "sqla-analyzer",
  select = nil,
  ignore = nil,
  dialect = nil,
  filetypes = { "python" },
  root_markers = { "pyproject.toml", "setup.cfg", "setup.py", ".git" },
  -- Passed on to the client.
  on_attach = nil,
  capabilities = nil,
}

local uv = vim.uv or vim.loop
local options = nil
-- Neovim 0.7: client ids by root directory (vim.lsp.start reuses by itself).
local clients_by_root = {}

local function notify(message, level)
  vim.notify("sqla-analyzer: " .. message, level or vim.log.levels.ERROR)
end

local function is_list_of_strings(value)
  if type(value) ~= "table" then
    return false
  end
  for _, item in ipairs(value) do
    if type(item) ~= "string" then
      return false
    end
  end
  return #value == vim.tbl_count(value)
end

--- Checks `opts` and fills in the defaults; nil and a message when invalid.
function M.options(opts)
  opts = vim.tbl_extend("force", vim.deepcopy(M.defaults), opts or {})
  for _, key in ipairs({ "select", "ignore" }) do
    if opts[key] ~= nil and not is_list_of_strings(opts[key]) then
      return nil, key .. " must be a list of rule codes, like { \"SA2\", \"SA208\" }"
    end
  end
  if opts.dialect ~= nil and not DIALECTS[opts.dialect] then
    return nil, "dialect must be postgresql, sqlite or mysql, not " .. vim.inspect(opts.dialect)
  end
  if opts.cmd ~= nil and not is_list_of_strings(opts.cmd) then
    return nil, "cmd must be a list of strings, like { \"sqla-analyzer\", \"server\" }"
  end
  if type(opts.path) ~= "string" or opts.path == "" then
    return nil, "path must be the sqla-analyzer executable"
  end
  return opts
end

--- The server command for `opts`.
function M.cmd(opts)
  if opts.cmd then
    return opts.cmd
  end
  local path = opts.path
  if path:find("^~") or path:find("%$") then
    path = vim.fn.expand(path)
  end
  return { path, "server" }
end

--- What the server reads in initializationOptions and
--- workspace/didChangeConfiguration. vim.NIL (null) means "no override":
--- the project's configuration decides; an empty list too.
function M.settings(opts)
  local function codes(list)
    if list == nil or #list == 0 then
      return vim.NIL
    end
    return list
  end
  return {
    [SECTION] = {
      select = codes(opts.select),
      ignore = codes(opts.ignore),
      dialect = opts.dialect or vim.NIL,
    },
  }
end

--- The nearest directory above `path` holding one of `markers`, else the
--- file's own directory.
function M.find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local current = dir
  while true do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(current .. "/" .. marker) then
        return current
      end
    end
    local parent = vim.fn.fnamemodify(current, ":h")
    if parent == current then
      return dir
    end
    current = parent
  end
end

local function client_config(root, opts)
  local settings = M.settings(opts)
  return {
    name = NAME,
    cmd = M.cmd(opts),
    root_dir = root,
    workspace_folders = {
      { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") },
    },
    settings = settings,
    init_options = settings,
    on_attach = opts.on_attach,
    capabilities = opts.capabilities,
  }
end

-- Client methods are called with `:` from Neovim 0.11 on, with `.` before.
local method_calls = vim.fn.has("nvim-0.11") == 1

local function client_notify(client, method, params)
  if method_calls then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

local function active(id)
  local client = id and vim.lsp.get_client_by_id(id)
  if client == nil then
    return false
  end
  if method_calls then
    return not client:is_stopped()
  end
  return not client.is_stopped()
end

--- Starts (or reuses) the client for buffer `bufnr`; returns its id.
function M.start(bufnr)
  if options == nil then
    notify("call require(\"sqla_analyzer\").setup() first")
    return nil
  end
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local root = M.find_root(name, options.root_markers)
  local config = client_config(root, options)
  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = clients_by_root[root]
  if not active(id) then
    id = vim.lsp.start_client(config)
    if id == nil then
      return nil
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- The running sqla-analyzer clients.
function M.clients()
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients({ name = NAME })
  else
    all = vim.tbl_filter(function(client)
      return client.name == NAME
    end, vim.lsp.get_active_clients())
  end
  return all
end

--- Changes select, ignore or dialect of the running servers without a
--- restart (workspace/didChangeConfiguration). `opts` replaces those three.
function M.update(opts)
  -- (tbl_extend would keep the old value of a key that is nil in `opts`.)
  local wanted = vim.deepcopy(options or {})
  wanted.select, wanted.ignore, wanted.dialect = opts.select, opts.ignore, opts.dialect
  local merged, problem = M.options(wanted)
  if merged == nil then
    notify(problem)
    return false
  end
  options = merged
  local settings = M.settings(options)
  for _, client in ipairs(M.clients()) do
    -- Answers to workspace/configuration come from client.settings (0.10+)
    -- or client.config.settings (before).
    client.config.settings = settings
    if client.settings ~= nil then
      client.settings = settings
    end
    client_notify(client, "workspace/didChangeConfiguration", { settings = settings })
  end
  return true
end

--- Shows `sqla-analyzer rule CODE` in a Markdown scratch buffer.
function M.show_rule(code)
  local cmd = options and M.cmd(options) or { "sqla-analyzer" }
  local output = vim.fn.systemlist({ cmd[1], "rule", code })
  if vim.v.shell_error ~= 0 then
    notify(table.concat(output, "\n"))
    return nil
  end
  vim.cmd("new")
  local buf = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, output)
  vim.bo[buf].buftype = "nofile"
  vim.bo[buf].bufhidden = "wipe"
  vim.bo[buf].swapfile = false
  vim.bo[buf].modifiable = false
  vim.bo[buf].filetype = "markdown"
  pcall(vim.api.nvim_buf_set_name, buf, "sqla-analyzer://rule/" .. code)
  return buf
end

--- Starts the server for every buffer of `opts.filetypes`, now and later.
--- Returns false (after one message saying what to do) when the options are
--- invalid or the executable is missing.
function M.setup(opts)
  local checked, problem = M.options(opts)
  if checked == nil then
    notify("invalid setup() options: " .. problem)
    return false
  end
  local executable = M.cmd(checked)[1]
  if vim.fn.executable(executable) ~= 1 then
    notify(
      ("the server %q was not found or cannot be run. Install sqla-analyzer (`cargo install --path server` "
        .. "in its repository puts it on PATH) or pass its location: setup({ path = \"/path/to/sqla-analyzer\" })")
        :format(executable)
    )
    return false
  end
  options = checked
  local group = vim.api.nvim_create_augroup("sqla_analyzer", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = options.filetypes,
    callback = function(args)
      M.start(args.buf)
    end,
    desc = "Start the sqla-analyzer language server",
  })
  pcall(vim.api.nvim_del_user_command, "SqlaAnalyzerRule")
  vim.api.nvim_create_user_command("SqlaAnalyzerRule", function(args)
    M.show_rule(args.args:upper())
  end, { nargs = 1, desc = "Show an sqla-analyzer rule's documentation" })
  -- Buffers opened before setup().
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(options.filetypes, vim.bo[buf].filetype) then
      M.start(buf)
    end
  end
  return true
end

return M
