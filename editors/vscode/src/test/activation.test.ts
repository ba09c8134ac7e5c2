// extension.ts against a stand-in `vscode` module: activation registers the
// commands, and a missing server gives one notification and no exception.
// (Starting a real client needs VS Code itself; see server.test.ts for the
// protocol side.)

import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

const Module = require("node:module");

interface Recorded {
    commands: string[];
    errors: string[];
    warnings: string[];
    output: string[];
    config: { [key: string]: unknown };
}

const recorded: Recorded = { commands: [], errors: [], warnings: [], output: [], config: {} };
const disposable = { dispose() {} };

/** Any API the test does not model: a callable, constructible, do-nothing value. */
function anything(): any {
    const target = function () {} as any;
    return new Proxy(target, {
        get: (_t, key) => (key === "then" ? undefined : anything()),
        apply: () => anything(),
        construct: () => anything(),
    });
}

const fakeVscode = new Proxy(
    {
        window: {
            createOutputChannel: () => ({
                appendLine: (line: string) => recorded.output.push(line),
                append: () => {},
                show: () => {},
                dispose: () => {},
            }),
            // Like a notification nobody answers: activation must not wait for it.
            showErrorMessage: (message: string) => {
                recorded.errors.push(message);
                return new Promise(() => {});
            },
            showWarningMessage: async (message: string) => {
                recorded.warnings.push(message);
                return undefined;
            },
            activeTextEditor: undefined,
        },
        workspace: {
            workspaceFolders: undefined as unknown,
            getConfiguration: () => ({ get: (key: string) => recorded.config[key] }),
            registerTextDocumentContentProvider: () => disposable,
            onDidChangeConfiguration: () => disposable,
            onDidGrantWorkspaceTrust: () => disposable,
        },
        commands: {
            registerCommand: (name: string) => {
                recorded.commands.push(name);
                return disposable;
            },
            executeCommand: async () => undefined,
        },
    } as { [key: string]: any },
    { get: (target, key: string) => (key in target ? target[key] : anything()) },
);

describe("activation without a server binary", () => {
    const originalLoad = Module._load;
    const originalPath = process.env.PATH;
    let extensionDir: string;
    let emptyPath: string;

    before(() => {
        Module._load = function (request: string, ...rest: unknown[]) {
            return request === "vscode" ? fakeVscode : originalLoad.call(this, request, ...rest);
        };
        extensionDir = fs.mkdtempSync(path.join(os.tmpdir(), "sqla-vscode-ext-"));
        emptyPath = fs.mkdtempSync(path.join(os.tmpdir(), "sqla-vscode-empty-path-"));
        process.env.PATH = emptyPath;
    });

    after(() => {
        Module._load = originalLoad;
        process.env.PATH = originalPath;
        fs.rmSync(extensionDir, { recursive: true, force: true });
        fs.rmSync(emptyPath, { recursive: true, force: true });
    });

    it("registers the commands and shows one notification saying what to do", { timeout: 5000 }, async () => {
        const extension = require("../extension");
        const context = { extensionPath: extensionDir, subscriptions: [] as unknown[] };
        await extension.activate(context);
        assert.deepEqual(recorded.commands.sort(), [
            "sqla-analyzer.restart",
            "sqla-analyzer.showOutput",
            "sqla-analyzer.showRuleDocumentation",
        ]);
        assert.equal(recorded.errors.length, 1);
        assert.match(recorded.errors[0], /language server was not found/);
        assert.match(recorded.errors[0], /sqla-analyzer\.path/);
        assert.doesNotMatch(recorded.errors[0], /\n\s+at /, "no stack trace");
        assert.ok(recorded.output.some((line) => line.includes("looked at bundled:")));
        assert.ok(context.subscriptions.length >= 5);
        await extension.deactivate();
    });

    it("a setting naming a missing file is reported as such", { timeout: 5000 }, async () => {
        recorded.errors = [];
        recorded.config = { path: "/nowhere/sqla-analyzer" };
        const extension = require("../extension");
        const context = { extensionPath: extensionDir, subscriptions: [] as unknown[] };
        await extension.activate(context);
        assert.equal(recorded.errors.length, 1);
        assert.match(recorded.errors[0], /\/nowhere\/sqla-analyzer does not exist/);
        await extension.deactivate();
    });
});
