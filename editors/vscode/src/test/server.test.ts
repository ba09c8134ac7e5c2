// The settings contract against the real server: what mapSettings produces,
// sent as initializationOptions and workspace/didChangeConfiguration, is
// what `sqla-analyzer server` reads. Skipped when no binary is built.
//
// The binary: $SQLA_ANALYZER_BIN, else ../../target/release/sqla-analyzer.

import * as assert from "node:assert/strict";
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";

import { mapSettings } from "../settings";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");
const BINARY =
    process.env.SQLA_ANALYZER_BIN ||
    path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, "target"), "release", "sqla-analyzer");
const FIXTURE = path.join(ROOT, "tests", "fixtures", "rules", "SA208", "bad_flask_one_way");

interface Message {
    id?: number;
    method?: string;
    params?: any;
    result?: any;
    error?: any;
}

/** A minimal LSP client over the server's stdio. */
class Connection {
    private buffer = Buffer.alloc(0);
    private nextId = 1;
    private pending = new Map<number, (message: Message) => void>();
    private listeners: ((message: Message) => void)[] = [];
    readonly stderr: string[] = [];

    constructor(private readonly child: ChildProcessWithoutNullStreams) {
        child.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
        child.stderr.on("data", (chunk: Buffer) => this.stderr.push(chunk.toString()));
    }

    private receive(chunk: Buffer): void {
        this.buffer = Buffer.concat([this.buffer, chunk]);
        for (;;) {
            const end = this.buffer.indexOf("\r\n\r\n");
            if (end < 0) {
                return;
            }
            const length = Number(/Content-Length: *([0-9]+)/i.exec(this.buffer.subarray(0, end).toString())?.[1]);
            if (this.buffer.length < end + 4 + length) {
                return;
            }
            const message: Message = JSON.parse(this.buffer.subarray(end + 4, end + 4 + length).toString("utf8"));
            this.buffer = this.buffer.subarray(end + 4 + length);
            if (message.id !== undefined && message.method === undefined) {
                this.pending.get(message.id)?.(message);
                this.pending.delete(message.id);
            } else if (message.id !== undefined && message.method !== undefined) {
                // A request from the server (registerCapability, ...): accept it.
                this.send({ id: message.id, result: null });
            } else {
                this.listeners.forEach((listener) => listener(message));
            }
        }
    }

    private send(message: object): void {
        const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
        this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
        this.child.stdin.write(body);
    }

    request(method: string, params: unknown): Promise<Message> {
        const id = this.nextId++;
        return new Promise((resolve) => {
            this.pending.set(id, resolve);
            this.send({ id, method, params });
        });
    }

    notify(method: string, params: unknown): void {
        this.send({ method, params });
    }

    /** The next notification `method` that `accept` takes, within the timeout. */
    waitFor(method: string, accept: (params: any) => boolean, timeoutMs = 20000): Promise<any> {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.listeners = this.listeners.filter((l) => l !== listener);
                reject(new Error(`no ${method} within ${timeoutMs} ms; stderr: ${this.stderr.join("")}`));
            }, timeoutMs);
            const listener = (message: Message) => {
                if (message.method === method && accept(message.params)) {
                    clearTimeout(timer);
                    this.listeners = this.listeners.filter((l) => l !== listener);
                    resolve(message.params);
                }
            };
            this.listeners.push(listener);
        });
    }
}

const available = fs.existsSync(BINARY);

describe("settings reach the server", { skip: available ? false : `no server binary at ${BINARY}`, timeout: 60000 }, () => {
    let workspace: string;
    let child: ChildProcessWithoutNullStreams;
    let connection: Connection;
    let uri: string;

    const codes = (params: any): string[] => params.diagnostics.map((d: any) => d.code).sort();
    const forModels = (params: any) => params.uri === uri;
    const quickFixes = async (): Promise<string[]> => {
        const response = await connection.request("textDocument/codeAction", {
            textDocument: { uri },
            range: { start: { line: 0, character: 0 }, end: { line: 30, character: 0 } },
            context: { diagnostics: [], only: ["quickfix"] },
        });
        assert.equal(response.error, undefined);
        return (response.result ?? []).map((action: any) => action.title);
    };

    before(async () => {
        workspace = fs.mkdtempSync(path.join(os.tmpdir(), "sqla-vscode-test-"));
        fs.copyFileSync(path.join(FIXTURE, "models.py"), path.join(workspace, "models.py"));
        uri = pathToFileURL(path.join(workspace, "models.py")).href;
        child = spawn(BINARY, ["server"], { cwd: workspace });
        connection = new Connection(child);
    });

    after(async () => {
        if (child.exitCode === null) {
            await connection.request("shutdown", null);
            connection.notify("exit", null);
        }
        fs.rmSync(workspace, { recursive: true, force: true });
    });

    it("initializationOptions: ignore SA208 at start", async () => {
        const config: { [key: string]: unknown } = { select: [], ignore: ["SA208"], dialect: null };
        const { payload } = mapSettings((key) => config[key]);
        const result = await connection.request("initialize", {
            processId: process.pid,
            rootUri: pathToFileURL(workspace).href,
            workspaceFolders: [{ uri: pathToFileURL(workspace).href, name: "fixture" }],
            capabilities: {},
            initializationOptions: payload,
        });
        assert.equal(result.error, undefined);
        assert.equal(result.result.serverInfo.name, "sqla-analyzer");
        connection.notify("initialized", {});
        connection.notify("textDocument/didOpen", {
            textDocument: {
                uri,
                languageId: "python",
                version: 1,
                text: fs.readFileSync(path.join(workspace, "models.py"), "utf8"),
            },
        });
        // Nothing is published for a document without findings; the
        // quick fixes (answered once the analysis caught up) show none.
        assert.deepEqual(await quickFixes(), []);
    });

    it("didChangeConfiguration: clearing ignore brings SA208 back (empty select is no override)", async () => {
        const published = connection.waitFor("textDocument/publishDiagnostics", (p) => forModels(p) && codes(p).length > 0);
        const { payload } = mapSettings(() => []);
        connection.notify("workspace/didChangeConfiguration", { settings: payload });
        const params = await published;
        assert.deepEqual(codes(params), ["SA208"]);
        assert.equal(params.diagnostics[0].source, "sqla-analyzer");
        assert.ok((await quickFixes()).length > 0);
    });

    it("didChangeConfiguration: select a family without SA208 clears it again", async () => {
        const published = connection.waitFor("textDocument/publishDiagnostics", (p) => forModels(p) && codes(p).length === 0);
        const config: { [key: string]: unknown } = { select: ["SA1"], dialect: "sqlite" };
        const { payload } = mapSettings((key) => config[key]);
        connection.notify("workspace/didChangeConfiguration", { settings: payload });
        assert.deepEqual(codes(await published), []);
    });
});
