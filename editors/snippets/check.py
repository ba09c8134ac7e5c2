#!/usr/bin/env python3
"""Checks the editor configuration snippets in editors/snippets/.

Each snippet must parse (JSON with json, TOML with tomllib, Lua with luac or
Neovim, Emacs Lisp with emacs --batch; a missing tool skips its check with a
message), say what the README says it does (the server command, the
settings' shape), and appear verbatim in the README's "Editors" section.
Where Emacs has Eglot, the Eglot snippet also runs against the server
(test/eglot.el): $SQLA_ANALYZER_BIN, else target/release/sqla-analyzer.

Prints one line per check and closes with "snippets: N passed, N failed, N skipped";
exits 1 when a check fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
README = ROOT / "README.md"
SERVER_COMMAND = ["sqla-analyzer", "server"]
SETTING_KEYS = {"select", "ignore", "dialect"}


class Skip(Exception):
    pass


results = {"passed": 0, "failed": 0, "skipped": 0}


def check(name: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Skip as skip:
        results["skipped"] += 1
        print(f"skipped {name}: {skip}")
    except Exception as error:  # noqa: BLE001 - every failure is reported the same way
        results["failed"] += 1
        print(f"FAILED  {name}: {type(error).__name__}: {error}")
    else:
        results["passed"] += 1
        print(f"ok      {name}")


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def settings_section(value: object, where: str) -> None:
    """`{"sqla-analyzer": {select, ignore, dialect}}`, as the server reads it."""
    expect(isinstance(value, dict) and set(value) == {"sqla-analyzer"}, f"{where}: {value!r}")
    section = value["sqla-analyzer"]
    expect(isinstance(section, dict) and set(section) <= SETTING_KEYS, f"{where}: keys {sorted(section)}")


# ---------------------------------------------------------------- parsers
def load_json(name: str) -> dict:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def load_toml(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def lua_syntax(name: str) -> None:
    path = HERE / name
    luac = shutil.which("luac") or shutil.which("luac5.1") or shutil.which("luajit")
    if luac and Path(luac).name.startswith("luac"):
        command = [luac, "-p", str(path)]
    elif shutil.which("nvim"):
        # loadfile parses without running (Neovim 0.7 has no `nvim -l`).
        lua = (
            f"local f, e = loadfile({json.dumps(str(path))}) "
            "if not f then io.stderr:write(e .. '\\n') vim.cmd('cquit 1') end"
        )
        command = ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"lua {lua}", "-c", "qall!"]
    else:
        raise Skip("neither luac nor nvim is installed")
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    expect(result.returncode == 0, (result.stderr or result.stdout).strip())


def server_binary() -> Path:
    """The binary under test, with its language server."""
    binary = Path(
        os.environ.get("SQLA_ANALYZER_BIN")
        or Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "release" / "sqla-analyzer"
    )
    if not os.access(binary, os.X_OK):
        raise Skip(f"no server binary at {binary} (cargo build --release, or set SQLA_ANALYZER_BIN)")
    usage = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=60).stdout
    if not re.search(r"^ +server ", usage, re.MULTILINE):
        raise Skip(f"{binary} has no `server` command")
    return binary.resolve()


def eglot_end_to_end() -> None:
    """test/eglot.el: the snippet in a real Emacs with Eglot, on a copy of a fixture."""
    emacs = shutil.which("emacs")
    if emacs is None:
        raise Skip("emacs is not installed (Debian 12: apt-get install emacs-nox elpa-eglot)")
    probe = subprocess.run(
        [emacs, "--batch", "--eval", "(require 'eglot)"], capture_output=True, text=True, timeout=60
    )
    if probe.returncode != 0:
        raise Skip("Emacs has no Eglot (built in from Emacs 29; Debian 12: apt-get install elpa-eglot)")
    binary = server_binary()
    with tempfile.TemporaryDirectory(prefix="sqla-eglot-") as project:
        # The snippet runs `sqla-analyzer` from PATH: put the binary under test first.
        bin_dir = Path(project, ".bin")
        bin_dir.mkdir()
        (bin_dir / "sqla-analyzer").symlink_to(binary)
        path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        shutil.copy(ROOT / "tests/fixtures/rules/SA208/bad_flask_one_way/models.py", project)
        Path(project, "pyproject.toml").write_text('[project]\nname = "fixture"\n', encoding="utf-8")
        result = subprocess.run(
            [emacs, "--batch", "-l", str(HERE / "test" / "eglot.el"), project],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PATH": path},
            cwd=project,
            stdin=subprocess.DEVNULL,
        )
    for line in result.stdout.splitlines():
        print(f"        {line}")
    closing = re.search(r"^eglot: (\d+) passed, (\d+) failed$", result.stdout, re.MULTILINE)
    if closing is None:
        raise AssertionError(f"no closing line (exit status {result.returncode}): {result.stderr.strip()[-500:]}")
    expect(result.returncode == 0 and closing.group(2) == "0", f"{closing.group(0)}")


def elisp_syntax(name: str) -> None:
    emacs = shutil.which("emacs")
    if emacs is None:
        raise Skip("emacs is not installed (apt-get install emacs-nox to check the Eglot snippet)")
    path = HERE / name
    program = (
        "(with-temp-buffer"
        f" (insert-file-contents {json.dumps(str(path))})"
        " (goto-char (point-min))"
        " (condition-case nil (while t (read (current-buffer))) (end-of-file nil)))"
    )
    result = subprocess.run(
        [emacs, "--batch", "-Q", "--eval", program], capture_output=True, text=True, timeout=60
    )
    expect(result.returncode == 0, (result.stderr or result.stdout).strip())


# ---------------------------------------------------------------- checks
def vscode() -> None:
    snippet = load_json("vscode-settings.json")
    manifest = json.loads((ROOT / "editors/vscode/package.json").read_text(encoding="utf-8"))
    contributed = manifest["contributes"]["configuration"]["properties"]
    ours = [key for key in snippet if key.startswith("sqla-analyzer.")]
    expect(ours != [], "no sqla-analyzer settings")
    for key in ours:
        expect(key in contributed, f"{key} is not a setting of the extension")
        schema = contributed[key]
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        kind = {type(None): "null", str: "string", list: "array", bool: "boolean"}[type(snippet[key])]
        expect(kind in types, f"{key}: {kind} is not {types}")
        if "enum" in schema:
            expect(snippet[key] in schema["enum"], f"{key}: {snippet[key]!r} not in {schema['enum']}")
    actions = snippet["[python]"]["editor.codeActionsOnSave"]
    expect("source.fixAll.sqla-analyzer" in actions, "no fix-all on save")


def sublime() -> None:
    client = load_json("sublime-LSP.sublime-settings")["clients"]["sqla-analyzer"]
    expect(client["command"] == SERVER_COMMAND, f"command {client['command']}")
    expect(client["selector"] == "source.python", f"selector {client['selector']}")
    settings_section(client["initializationOptions"], "initializationOptions")
    settings_section(client["settings"], "settings")


def zed() -> None:
    snippet = load_json("zed-settings.json")
    servers = snippet["languages"]["Python"]["language_servers"]
    expect("sqla-analyzer" in servers, f"language_servers {servers}")
    settings_section(snippet["lsp"]["sqla-analyzer"]["settings"], "lsp.sqla-analyzer.settings")
    manifest = load_toml(ROOT / "editors/zed/extension.toml")
    declared = manifest["language_servers"]["sqla-analyzer"]
    expect(declared["languages"] == ["Python"], f"extension.toml languages {declared['languages']}")
    cargo = load_toml(ROOT / "editors/zed/Cargo.toml")
    expect(cargo["lib"]["crate-type"] == ["cdylib"], "the Zed extension must be a cdylib")
    expect("workspace" in cargo, "the Zed extension must be its own Cargo workspace")


def helix() -> None:
    config = load_toml(HERE / "helix-languages.toml")
    server = config["language-server"]["sqla-analyzer"]
    expect([server["command"], *server["args"]] == SERVER_COMMAND, f"command {server}")
    python = [language for language in config["language"] if language["name"] == "python"]
    expect(len(python) == 1 and "sqla-analyzer" in python[0]["language-servers"], f"{python}")


def readme() -> None:
    text = README.read_text(encoding="utf-8")
    expect("\n## Editors\n" in text, "README.md has no '## Editors' section")
    section = text.split("\n## Editors\n", 1)[1].split("\n## ", 1)[0]
    missing = [
        path.name
        for path in sorted(HERE.iterdir())
        if path.is_file() and path.suffix != ".py" and path.read_text(encoding="utf-8").strip() not in section
    ]
    expect(missing == [], f"not verbatim in README.md's Editors section: {', '.join(missing)}")


def main() -> int:
    check("vscode-settings.json: JSON, settings the extension contributes", vscode)
    check("sublime-LSP.sublime-settings: JSON, LSP client", sublime)
    check("zed-settings.json + editors/zed/extension.toml", zed)
    check("helix-languages.toml: TOML, language server for python", helix)
    check("neovim.lua: Lua syntax", lambda: lua_syntax("neovim.lua"))
    check("neovim-setup.lua: Lua syntax", lambda: lua_syntax("neovim-setup.lua"))
    check("emacs-eglot.el: Emacs Lisp syntax", lambda: elisp_syntax("emacs-eglot.el"))
    check("emacs-eglot.el: Eglot end to end (test/eglot.el)", eglot_end_to_end)
    check("README.md: every snippet verbatim in the Editors section", readme)
    print(f"snippets: {results['passed']} passed, {results['failed']} failed, {results['skipped']} skipped")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
