-- Headless end-to-end test of the Neovim plugin against the real server:
--
--   SQLA_ANALYZER_BIN=target/release/sqla-analyzer \
--     nvim --headless -u NONE -i NONE -n -c "luafile editors/neovim/test/headless.lua"
--
-- Copies a fixture with a safely fixable SA208 to a temporary project, opens
-- it through the plugin's own setup(), and checks diagnostics, hover, a
-- settings change, the quick fix and the rule documentation command. Prints
-- one line per check and closes with "neovim: N passed, N failed"; exits
-- non-zero when a check fails.

local uv = vim.uv or vim.loop

local function say(line)
  io.stdout:write(line .. "\n")
  io.stdout:flush()
end

local script = debug.getinfo(1, "S").source:gsub("^@", "")
local plugin_dir = vim.fn.fnamemodify(script, ":p:h:h")
local repo = vim.fn.fnamemodify(plugin_dir, ":h:h")
local binary = os.getenv("SQLA_ANALYZER_BIN")
if binary == nil or binary == "" then
  binary = (os.getenv("CARGO_TARGET_DIR") or (repo .. "/target")) .. "/release/sqla-analyzer"
end
local fixture = repo .. "/tests/fixtures/rules/SA208/bad_flask_one_way/models.py"
local TIMEOUT = 20000

local passed, failed = 0, 0

local function finish()
  say(("neovim: %d passed, %d failed"):format(passed, failed))
  for _, client in ipairs(vim.lsp.get_active_clients and vim.lsp.get_active_clients() or vim.lsp.get_clients()) do
    if vim.fn.has("nvim-0.11") == 1 then
      client:stop()
    else
      client.stop()
    end
  end
  vim.wait(2000, function()
    return #(vim.lsp.get_active_clients and vim.lsp.get_active_clients() or vim.lsp.get_clients()) == 0
  end, 50)
  if failed > 0 then
    vim.cmd("cquit 1")
  else
    vim.cmd("qall!")
  end
end

-- Runs one check; a check that fails stops the ones depending on it when
-- `required` is set.
local function check(name, fn, required)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    say("ok     " .. name)
  else
    failed = failed + 1
    say("FAILED " .. name .. ": " .. tostring(err))
    if required then
      say("(the remaining checks need this one)")
      finish()
    end
  end
end

local function expect(condition, message, ...)
  if not condition then
    error(message:format(...), 2)
  end
end

local function wait_for(what, predicate, timeout)
  local ok = vim.wait(timeout or TIMEOUT, predicate, 50)
  expect(ok, "timed out waiting for %s", what)
end

if vim.fn.executable(binary) ~= 1 then
  say("no server binary at " .. binary .. " (build it with cargo build --release, or set SQLA_ANALYZER_BIN)")
  failed = failed + 1
  finish()
  return
end

vim.opt.runtimepath:prepend(plugin_dir)
vim.opt.swapfile = false
vim.cmd("filetype on")

-- The project: pyproject.toml (a root marker) and the model file.
local project = vim.fn.tempname()
vim.fn.mkdir(project, "p")
vim.fn.writefile({ "[project]", 'name = "fixture"' }, project .. "/pyproject.toml")
vim.fn.writefile(vim.fn.readfile(fixture), project .. "/models.py")
local file = project .. "/models.py"
local sqla = require("sqla_analyzer")

local bufnr, client

local function clients()
  return sqla.clients()
end

local function attached(buf)
  for _, c in ipairs(clients()) do
    if (c.attached_buffers or {})[buf] or vim.lsp.buf_is_attached(buf, c.id) then
      return true
    end
  end
  return false
end

check("setup() with a missing executable says what to do and starts nothing", function()
  local messages = {}
  local notify = vim.notify
  vim.notify = function(message, level)
    table.insert(messages, { message = message, level = level })
  end
  local ok = sqla.setup({ path = project .. "/no-such-sqla-analyzer" })
  vim.notify = notify
  expect(ok == false, "setup() returned %s", tostring(ok))
  expect(#messages == 1, "%d messages: %s", #messages, vim.inspect(messages))
  expect(messages[1].level == vim.log.levels.ERROR, "level %s", tostring(messages[1].level))
  expect(messages[1].message:find("was not found", 1, true), "message: %s", messages[1].message)
  expect(#clients() == 0, "a client started")
end)

check("setup() rejects invalid options with one message", function()
  local messages = {}
  local notify = vim.notify
  vim.notify = function(message)
    table.insert(messages, message)
  end
  local ok = sqla.setup({ path = binary, dialect = "oracle" })
  vim.notify = notify
  expect(ok == false and #messages == 1 and messages[1]:find("dialect", 1, true), "%s", vim.inspect(messages))
end)

check("the settings mapping: empty lists and nil are no override", function()
  local settings = sqla.settings(sqla.options({ select = {}, ignore = { "SA208" } }))
  expect(settings["sqla-analyzer"].select == vim.NIL, "select: %s", vim.inspect(settings))
  expect(vim.deep_equal(settings["sqla-analyzer"].ignore, { "SA208" }), "ignore: %s", vim.inspect(settings))
  expect(settings["sqla-analyzer"].dialect == vim.NIL, "dialect: %s", vim.inspect(settings))
  local encoded = vim.fn.json_encode(sqla.settings(sqla.options({ dialect = "sqlite" })))
  expect(
    vim.deep_equal(vim.fn.json_decode(encoded), { ["sqla-analyzer"] = { select = vim.NIL, ignore = vim.NIL, dialect = "sqlite" } }),
    "encoded: %s",
    encoded
  )
end)

check("lsp/sqla_analyzer.lua is a vim.lsp.Config for Neovim 0.11+", function()
  local config = dofile(plugin_dir .. "/lsp/sqla_analyzer.lua")
  expect(vim.deep_equal(config.cmd, { "sqla-analyzer", "server" }), "cmd: %s", vim.inspect(config.cmd))
  expect(vim.deep_equal(config.filetypes, { "python" }), "filetypes: %s", vim.inspect(config.filetypes))
  expect(
    vim.deep_equal(config.root_markers, { "pyproject.toml", "setup.cfg", "setup.py", ".git" }),
    "root_markers: %s",
    vim.inspect(config.root_markers)
  )
  local params = {}
  config.before_init(params, { settings = { ["sqla-analyzer"] = { select = { "SA2" } } } })
  expect(params.initializationOptions["sqla-analyzer"].select[1] == "SA2", "before_init: %s", vim.inspect(params))
end)

check("setup() starts the server for a Python buffer, rooted at pyproject.toml", function()
  expect(sqla.setup({ path = binary }) == true, "setup() failed")
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  bufnr = vim.api.nvim_get_current_buf()
  expect(vim.bo[bufnr].filetype == "python", "filetype %q", vim.bo[bufnr].filetype)
  wait_for("the client to attach", function()
    return attached(bufnr)
  end)
  client = clients()[1]
  expect(client ~= nil, "no sqla_analyzer client")
  expect(client.config.root_dir == project, "root_dir %s, expected %s", tostring(client.config.root_dir), project)
  expect(client.config.cmd[1] == binary and client.config.cmd[2] == "server", "cmd %s", vim.inspect(client.config.cmd))
end, true)

local function our_diagnostics()
  return vim.tbl_filter(function(d)
    return d.source == "sqla-analyzer"
  end, vim.diagnostic.get(bufnr))
end

local sa208
check("the SA208 diagnostic arrives (vim.diagnostic)", function()
  wait_for("diagnostics", function()
    return #our_diagnostics() > 0
  end)
  local diagnostics = our_diagnostics()
  expect(#diagnostics == 1, "%d diagnostics: %s", #diagnostics, vim.inspect(diagnostics))
  sa208 = diagnostics[1]
  expect(sa208.code == "SA208", "code %s", tostring(sa208.code))
  expect(sa208.lnum == 9 and sa208.col == 12, "at %d:%d", sa208.lnum, sa208.col)
  expect(sa208.severity == vim.diagnostic.severity.WARN, "severity %s", tostring(sa208.severity))
  expect(sa208.message:find("back_populates", 1, true), "message %s", sa208.message)
end, true)

check("hover on the relationship returns Markdown content", function()
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = sa208.lnum, character = sa208.col + 2 },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/hover", params, TIMEOUT)
  expect(responses ~= nil, "no response")
  local hover
  for _, response in pairs(responses) do
    expect(response.err == nil, "error %s", vim.inspect(response.err))
    hover = response.result
  end
  expect(hover and hover.contents, "no hover: %s", vim.inspect(responses))
  local value = hover.contents.value or ""
  expect(hover.contents.kind == "markdown", "kind %s", tostring(hover.contents.kind))
  expect(value:find("SA208", 1, true), "hover without the finding: %s", value)
  expect(#value > 40, "short hover: %s", value)
end)

check("update() sends select/ignore without a restart", function()
  local id = client.id
  expect(sqla.update({ ignore = { "SA208" } }), "update() failed")
  wait_for("SA208 to go", function()
    return #our_diagnostics() == 0
  end)
  expect(sqla.update({}), "update() failed")
  wait_for("SA208 to come back", function()
    return #our_diagnostics() == 1
  end)
  expect(clients()[1].id == id, "the client was replaced")
end)

local function lsp_range(d)
  return {
    start = { line = d.lnum, character = d.col },
    ["end"] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col },
  }
end

check("the quick fix applies and the diagnostic goes", function()
  sa208 = our_diagnostics()[1]
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = lsp_range(sa208),
    context = {
      diagnostics = {
        { range = lsp_range(sa208), message = sa208.message, code = sa208.code, source = sa208.source, severity = 2 },
      },
      only = { "quickfix" },
    },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, TIMEOUT)
  local actions = {}
  for _, response in pairs(responses or {}) do
    expect(response.err == nil, "error %s", vim.inspect(response.err))
    vim.list_extend(actions, response.result or {})
  end
  local titles = vim.tbl_map(function(a)
    return a.title
  end, actions)
  local fix
  for _, action in ipairs(actions) do
    if action.isPreferred then
      fix = action
    end
  end
  expect(fix and fix.edit, "no preferred quick fix among %s", vim.inspect(titles))
  expect(fix.title == 'Set back_populates="posts" on Post.author', "preferred fix %q", fix.title)
  expect(vim.tbl_contains(titles, "Ignore SA208 on this line"), "no ignore action among %s", vim.inspect(titles))
  vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding or "utf-16")
  local line = vim.api.nvim_buf_get_lines(bufnr, 17, 18, false)[1]
  expect(
    line == '    author = db.relationship("User", back_populates="posts")',
    "line 18 after the fix: %s",
    tostring(line)
  )
  wait_for("the diagnostic to go after the fix", function()
    return #our_diagnostics() == 0
  end)
end)

check("the source.fixAll.sqla-analyzer action is offered for the file", function()
  -- Undo the fix: the finding is back, and fix-all can fix it.
  vim.cmd("silent undo")
  wait_for("SA208 to come back after undo", function()
    return #our_diagnostics() == 1
  end)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } },
    context = { diagnostics = {}, only = { "source.fixAll" } },
  }
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, TIMEOUT)
  local kinds = {}
  for _, response in pairs(responses or {}) do
    for _, action in ipairs(response.result or {}) do
      table.insert(kinds, action.kind)
    end
  end
  expect(vim.tbl_contains(kinds, "source.fixAll.sqla-analyzer"), "kinds: %s", vim.inspect(kinds))
end)

check(":SqlaAnalyzerRule SA208 shows the documentation as Markdown", function()
  vim.cmd("SqlaAnalyzerRule sa208")
  local buf = vim.api.nvim_get_current_buf()
  expect(vim.bo[buf].filetype == "markdown", "filetype %s", vim.bo[buf].filetype)
  local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
  expect(text:find("SA208", 1, true), "text: %s", text:sub(1, 200))
  vim.cmd("close")
end)

vim.fn.delete(project, "rf")
finish()
