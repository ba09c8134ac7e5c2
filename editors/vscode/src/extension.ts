import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as vscode from "vscode";
import {
    DidChangeConfigurationNotification,
    LanguageClient,
    LanguageClientOptions,
    ServerOptions,
} from "vscode-languageclient/node";

import { normalizeCode, parseRulesList } from "./rules";
import { bundledPath, ResolveFailure, resolveServer, ResolvedServer } from "./serverPath";
import { changeAction, mapSettings, SECTION, SettingsPayload } from "./settings";

const RULE_SCHEME = "sqla-analyzer-rule";

let output: vscode.OutputChannel;
let extensionPath: string;
let client: LanguageClient | undefined;
let server: ResolvedServer | undefined;
/** Start, stop and restart run one at a time, in order. */
let queue: Promise<unknown> = Promise.resolve();

function serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
}

function log(message: string): void {
    output.appendLine(`[${new Date().toISOString()}] ${message}`);
}

function firstWorkspaceFolder(): string | undefined {
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === "file");
    return folder?.uri.fsPath;
}

function isExecutable(file: string): boolean {
    try {
        if (!fs.statSync(file).isFile()) {
            return false;
        }
        if (process.platform !== "win32") {
            fs.accessSync(file, fs.constants.X_OK);
        }
        return true;
    } catch {
        return false;
    }
}

/** A .vsix may lose the executable bit of the bundled server on the way: set it back. */
function repairBundledPermissions(): void {
    if (process.platform === "win32") {
        return;
    }
    const bundled = bundledPath(extensionPath, process.platform);
    try {
        if (fs.statSync(bundled).isFile() && !isExecutable(bundled)) {
            fs.chmodSync(bundled, 0o755);
            log(`made ${bundled} executable`);
        }
    } catch {
        // absent: nothing to repair
    }
}

function findServer(): { ok: true; server: ResolvedServer } | { ok: false; failure: ResolveFailure } {
    repairBundledPermissions();
    return resolveServer({
        setting: vscode.workspace.getConfiguration(SECTION).get<string | null>("path"),
        extensionPath,
        workspaceFolder: firstWorkspaceFolder(),
        platform: process.platform,
        env: process.env,
        homedir: os.homedir(),
        isExecutable,
        exists: (file) => fs.existsSync(file),
    });
}

function currentSettings(warn = true): SettingsPayload {
    const config = vscode.workspace.getConfiguration(SECTION);
    const { payload, problems } = mapSettings((key) => config.get(key));
    for (const problem of problems) {
        log(`settings: ${problem}`);
    }
    if (warn && problems.length > 0) {
        void vscode.window.showWarningMessage(problems.join(" "));
    }
    return payload;
}

/** Logs the failure and shows it once; does not wait for the user's answer. */
function showMissingServer(failure: ResolveFailure): void {
    log(failure.message);
    for (const place of failure.tried) {
        log(`  looked at ${place}`);
    }
    void vscode.window.showErrorMessage(failure.message, "Open Settings", "Show Output").then((choice) => {
        if (choice === "Open Settings") {
            void vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.path`);
        } else if (choice === "Show Output") {
            output.show(true);
        }
    });
}

async function startClient(): Promise<void> {
    const found = findServer();
    if (!found.ok) {
        server = undefined;
        showMissingServer(found.failure);
        return;
    }
    server = found.server;
    log(`starting ${server.command} server (found through ${server.source})`);
    const serverOptions: ServerOptions = {
        command: server.command,
        args: ["server"],
        options: { cwd: firstWorkspaceFolder() },
    };
    const clientOptions: LanguageClientOptions = {
        documentSelector: [{ scheme: "file", language: "python" }],
        initializationOptions: currentSettings(),
        outputChannel: output,
        middleware: {
            workspace: {
                // Answer the server's own requests for our section in the
                // same shape as the notifications.
                configuration: async (params, token, next) => {
                    const result = await next(params, token);
                    if (!Array.isArray(result)) {
                        return result;
                    }
                    return params.items.map((item, index) =>
                        item.section === SECTION ? currentSettings(false)[SECTION] : result[index],
                    );
                },
            },
        },
    };
    const created = new LanguageClient(SECTION, "sqla-analyzer", serverOptions, clientOptions);
    client = created;
    try {
        await created.start();
    } catch (error) {
        client = undefined;
        const message = error instanceof Error ? error.message : String(error);
        log(`the server did not start: ${message}`);
        void vscode.window
            .showErrorMessage(`The sqla-analyzer server (${server.command}) did not start: ${message}`, "Show Output")
            .then((choice) => {
                if (choice === "Show Output") {
                    output.show(true);
                }
            });
    }
}

async function stopClient(): Promise<void> {
    const running = client;
    client = undefined;
    if (running === undefined) {
        return;
    }
    try {
        await running.stop(5000);
    } catch (error) {
        log(`stopping the server: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
        await running.dispose();
    } catch {
        // already stopped
    }
}

function restart(): Promise<void> {
    return serialized(async () => {
        await stopClient();
        await startClient();
    });
}

/** After a start in progress, so a change made meanwhile is not lost. */
function sendSettings(): Promise<void> {
    return serialized(async () => {
        const running = client;
        if (running === undefined || !running.isRunning()) {
            return;
        }
        const settings = currentSettings();
        log(`settings changed: ${JSON.stringify(settings)}`);
        await running.sendNotification(DidChangeConfigurationNotification.type, { settings });
    });
}

function runServer(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
        const command = server?.command;
        if (command === undefined) {
            reject(new Error("the sqla-analyzer executable was not found"));
            return;
        }
        execFile(command, args, { timeout: 15000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
            if (error) {
                reject(new Error(stderr.trim() || error.message));
            } else {
                resolve(stdout);
            }
        });
    });
}

/** The codes of our diagnostics under the cursor, to offer first. */
function codesAtCursor(): string[] {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined) {
        return [];
    }
    const position = editor.selection.active;
    const codes: string[] = [];
    for (const diagnostic of vscode.languages.getDiagnostics(editor.document.uri)) {
        const code = typeof diagnostic.code === "object" ? diagnostic.code.value : diagnostic.code;
        if (diagnostic.source === "sqla-analyzer" && diagnostic.range.contains(position) && code !== undefined) {
            codes.push(String(code));
        }
    }
    return codes;
}

async function askRuleCode(): Promise<string | undefined> {
    let rules: ReturnType<typeof parseRulesList> = [];
    try {
        rules = parseRulesList(await runServer(["rules"]));
    } catch (error) {
        log(`sqla-analyzer rules: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (rules.length === 0) {
        const typed = await vscode.window.showInputBox({
            title: "sqla-analyzer: Show rule documentation",
            prompt: "Rule code",
            placeHolder: "SA203",
            value: codesAtCursor()[0] ?? "",
            validateInput: (value) => (normalizeCode(value) ? undefined : "A rule code such as SA203"),
        });
        return typed === undefined ? undefined : normalizeCode(typed);
    }
    const atCursor = new Set(codesAtCursor());
    const items = rules.map((rule) => ({
        label: rule.code,
        description: rule.name,
        detail: `${rule.severity}${rule.fixable ? ", fixable" : ""}${atCursor.has(rule.code) ? " (at the cursor)" : ""}`,
    }));
    items.sort((a, b) => Number(atCursor.has(b.label)) - Number(atCursor.has(a.label)));
    const picked = await vscode.window.showQuickPick(items, {
        title: "sqla-analyzer: Show rule documentation",
        placeHolder: "Rule code or name",
        matchOnDescription: true,
    });
    return picked?.label;
}

async function showRuleDocumentation(): Promise<void> {
    if (server === undefined) {
        const found = findServer();
        if (!found.ok) {
            showMissingServer(found.failure);
            return;
        }
        server = found.server;
    }
    const code = await askRuleCode();
    if (code === undefined) {
        return;
    }
    const uri = vscode.Uri.from({ scheme: RULE_SCHEME, path: `/${code}.md` });
    try {
        await vscode.commands.executeCommand("markdown.showPreview", uri);
    } catch {
        const document = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(document, { preview: true });
    }
}

/** `sqla-analyzer-rule:/SA203.md`: the output of `sqla-analyzer rule SA203`. */
const ruleDocuments: vscode.TextDocumentContentProvider = {
    async provideTextDocumentContent(uri) {
        const code = normalizeCode(uri.path.replace(/^\//, "").replace(/\.md$/, ""));
        if (code === undefined) {
            return `# Not a rule code: ${uri.path}\n`;
        }
        try {
            return await runServer(["rule", code]);
        } catch (error) {
            return `# ${code}\n\n\`sqla-analyzer rule ${code}\` failed: ${error instanceof Error ? error.message : String(error)}\n`;
        }
    },
};

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    extensionPath = context.extensionPath;
    output = vscode.window.createOutputChannel("sqla-analyzer");
    context.subscriptions.push(
        output,
        vscode.workspace.registerTextDocumentContentProvider(RULE_SCHEME, ruleDocuments),
        vscode.commands.registerCommand("sqla-analyzer.restart", () => restart()),
        vscode.commands.registerCommand("sqla-analyzer.showRuleDocumentation", () => showRuleDocumentation()),
        vscode.commands.registerCommand("sqla-analyzer.showOutput", () => output.show(true)),
        vscode.workspace.onDidChangeConfiguration((event) => {
            switch (changeAction((key) => event.affectsConfiguration(key))) {
                case "restart":
                    log("sqla-analyzer.path changed: restarting the server");
                    void restart();
                    break;
                case "notify":
                    void sendSettings();
                    break;
                case "none":
                    break;
            }
        }),
        vscode.workspace.onDidGrantWorkspaceTrust(() => {
            // The workspace's own sqla-analyzer.path now applies.
            void restart();
        }),
    );
    await serialized(startClient);
}

export function deactivate(): Promise<void> {
    return serialized(stopClient);
}
