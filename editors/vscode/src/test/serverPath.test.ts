import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { bundledPath, expandSetting, resolveServer, ResolveInput, searchPath } from "../serverPath";

/** A machine with the given executables (and other files). */
function machine(executables: string[], others: string[] = []) {
    return {
        isExecutable: (file: string) => executables.includes(file),
        exists: (file: string) => executables.includes(file) || others.includes(file),
    };
}

function input(overrides: Partial<ResolveInput>): ResolveInput {
    return {
        setting: undefined,
        extensionPath: "/ext",
        workspaceFolder: "/work/project",
        platform: "linux",
        env: { PATH: "/usr/local/bin:/usr/bin" },
        homedir: "/home/me",
        ...machine([]),
        ...overrides,
    };
}

describe("resolveServer: the order", () => {
    const everywhere = machine(["/opt/sqla/sqla-analyzer", "/ext/server/sqla-analyzer", "/usr/bin/sqla-analyzer"]);

    it("takes the setting first", () => {
        const result = resolveServer(input({ setting: "/opt/sqla/sqla-analyzer", ...everywhere }));
        assert.deepEqual(result, { ok: true, server: { command: "/opt/sqla/sqla-analyzer", source: "setting" } });
    });

    it("takes the bundled binary when the setting is unset, null or blank", () => {
        for (const setting of [undefined, null, "", "   "]) {
            const result = resolveServer(input({ setting, ...everywhere }));
            assert.deepEqual(result, { ok: true, server: { command: "/ext/server/sqla-analyzer", source: "bundled" } });
        }
    });

    it("falls back to PATH, in PATH order", () => {
        const result = resolveServer(
            input({ ...machine(["/usr/local/bin/sqla-analyzer", "/usr/bin/sqla-analyzer"]) }),
        );
        assert.deepEqual(result, { ok: true, server: { command: "/usr/local/bin/sqla-analyzer", source: "path" } });
    });

    it("skips a bundled file that cannot be run", () => {
        const result = resolveServer(
            input({ ...machine(["/usr/bin/sqla-analyzer"], ["/ext/server/sqla-analyzer"]) }),
        );
        assert.equal(result.ok && result.server.source, "path");
    });

    it("fails with what to do and every place tried", () => {
        const result = resolveServer(input({ ...machine([], ["/ext/server/sqla-analyzer"]) }));
        assert.equal(result.ok, false);
        if (!result.ok) {
            assert.match(result.failure.message, /was not found/);
            assert.match(result.failure.message, /sqla-analyzer\.path/);
            assert.match(result.failure.message, /Restart server/);
            assert.deepEqual(result.failure.tried, [
                "sqla-analyzer.path: not set",
                "bundled: /ext/server/sqla-analyzer (not executable)",
                "PATH: no sqla-analyzer",
            ]);
        }
    });
});

describe("resolveServer: a setting that does not work is reported, not skipped", () => {
    it("names a missing file", () => {
        const result = resolveServer(
            input({ setting: "/nowhere/sqla-analyzer", ...machine(["/usr/bin/sqla-analyzer"]) }),
        );
        assert.equal(result.ok, false);
        if (!result.ok) {
            assert.match(result.failure.message, /\/nowhere\/sqla-analyzer does not exist/);
            assert.match(result.failure.message, /Fix or clear the setting/);
        }
    });

    it("names a file that is not executable", () => {
        const result = resolveServer(input({ setting: "/tmp/notes.txt", ...machine([], ["/tmp/notes.txt"]) }));
        assert.equal(result.ok, false);
        if (!result.ok) {
            assert.match(result.failure.message, /is not an executable file/);
        }
    });

    it("names a bare command missing from PATH", () => {
        const result = resolveServer(input({ setting: "sqla-analyzer-dev" }));
        assert.equal(result.ok, false);
        if (!result.ok) {
            assert.match(result.failure.message, /no executable named "sqla-analyzer-dev" is on PATH/);
        }
    });

    it("looks a bare command up on PATH", () => {
        const result = resolveServer(input({ setting: "sqla-analyzer-dev", ...machine(["/usr/bin/sqla-analyzer-dev"]) }));
        assert.deepEqual(result, { ok: true, server: { command: "/usr/bin/sqla-analyzer-dev", source: "setting" } });
    });
});

describe("expandSetting", () => {
    const where = { homedir: "/home/me", workspaceFolder: "/work/project", platform: "linux" as const };

    it("expands ~, ${userHome} and ${workspaceFolder}", () => {
        assert.equal(expandSetting("~/bin/sqla-analyzer", where), "/home/me/bin/sqla-analyzer");
        assert.equal(expandSetting("${userHome}/bin/sqla-analyzer", where), "/home/me/bin/sqla-analyzer");
        assert.equal(
            expandSetting("${workspaceFolder}/target/release/sqla-analyzer", where),
            "/work/project/target/release/sqla-analyzer",
        );
    });

    it("takes relative paths from the first workspace folder", () => {
        assert.equal(expandSetting("./target/debug/sqla-analyzer", where), "/work/project/target/debug/sqla-analyzer");
        assert.equal(expandSetting("../tools/sqla-analyzer", where), "/work/tools/sqla-analyzer");
    });

    it("cannot place a relative path without a folder", () => {
        assert.deepEqual(expandSetting("bin/sqla-analyzer", { ...where, workspaceFolder: undefined }), {
            error: "it is a relative path but no folder is open",
        });
        const failed = resolveServer(input({ setting: "${workspaceFolder}/x", workspaceFolder: undefined }));
        assert.equal(failed.ok, false);
        if (!failed.ok) {
            assert.match(failed.failure.message, /no folder is open/);
        }
    });
});

describe("Windows", () => {
    it("bundles sqla-analyzer.exe", () => {
        assert.equal(bundledPath("C:\\ext", "win32"), "C:\\ext\\server\\sqla-analyzer.exe");
        const result = resolveServer(
            input({ platform: "win32", extensionPath: "C:\\ext", ...machine(["C:\\ext\\server\\sqla-analyzer.exe"]) }),
        );
        assert.deepEqual(result, { ok: true, server: { command: "C:\\ext\\server\\sqla-analyzer.exe", source: "bundled" } });
    });

    it("searches Path with ; and PATHEXT", () => {
        const found = searchPath("tool", {
            platform: "win32",
            env: { Path: 'C:\\Windows;"C:\\Program Files\\tool"', PATHEXT: ".COM;.EXE" },
            ...machine(["C:\\Program Files\\tool\\tool.exe"]),
        });
        assert.equal(found, "C:\\Program Files\\tool\\tool.exe");
    });

    it("finds the server on PATH", () => {
        const result = resolveServer(
            input({
                platform: "win32",
                extensionPath: "C:\\ext",
                env: { PATH: "C:\\Users\\me\\.cargo\\bin" },
                ...machine(["C:\\Users\\me\\.cargo\\bin\\sqla-analyzer.exe"]),
            }),
        );
        assert.deepEqual(result, {
            ok: true,
            server: { command: "C:\\Users\\me\\.cargo\\bin\\sqla-analyzer.exe", source: "path" },
        });
    });
});
