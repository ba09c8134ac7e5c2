// Where the language server binary is: the `sqla-analyzer.path` setting, the
// binary bundled in the extension's `server/` folder, `sqla-analyzer` on PATH.
//
// Pure: everything it reads from the machine comes in through `ResolveInput`,
// so the unit tests run without VS Code.

import * as path from "path";

export type ServerSource = "setting" | "bundled" | "path";

export interface ResolvedServer {
    command: string;
    source: ServerSource;
}

export interface ResolveFailure {
    /** One sentence a user can act on. */
    message: string;
    /** Every place looked at, in order. */
    tried: string[];
}

export type ResolveResult = { ok: true; server: ResolvedServer } | { ok: false; failure: ResolveFailure };

export interface ResolveInput {
    /** The `sqla-analyzer.path` setting (undefined, null or "" when unset). */
    setting: string | null | undefined;
    /** The extension's install folder (`context.extensionPath`). */
    extensionPath: string;
    /** The first workspace folder, for relative paths and `${workspaceFolder}`. */
    workspaceFolder?: string;
    platform: NodeJS.Platform;
    /** The PATH (and, on Windows, PATHEXT) of the extension host. */
    env: { [name: string]: string | undefined };
    homedir: string;
    /** Is `file` an existing regular file that can be run? */
    isExecutable: (file: string) => boolean;
    /** Does `file` exist at all (to tell "not found" from "not executable")? */
    exists: (file: string) => boolean;
}

export const BINARY_NAME = "sqla-analyzer";

export function binaryName(platform: NodeJS.Platform): string {
    return platform === "win32" ? `${BINARY_NAME}.exe` : BINARY_NAME;
}

function pathModule(platform: NodeJS.Platform): path.PlatformPath {
    return platform === "win32" ? path.win32 : path.posix;
}

/** The bundled server's location inside the extension. */
export function bundledPath(extensionPath: string, platform: NodeJS.Platform): string {
    return pathModule(platform).join(extensionPath, "server", binaryName(platform));
}

/** `~`, `${userHome}`, `${workspaceFolder}` and relative paths in the setting. */
export function expandSetting(
    setting: string,
    input: Pick<ResolveInput, "homedir" | "workspaceFolder" | "platform">,
): string | { error: string } {
    const p = pathModule(input.platform);
    let value = setting.trim();
    if (value === "~" || value.startsWith("~/") || value.startsWith("~\\")) {
        value = input.homedir + value.slice(1);
    }
    value = value.replace(/\$\{userHome\}/g, input.homedir);
    if (value.includes("${workspaceFolder}")) {
        if (!input.workspaceFolder) {
            return { error: `it uses \${workspaceFolder} but no folder is open` };
        }
        value = value.replace(/\$\{workspaceFolder\}/g, input.workspaceFolder);
    }
    if (!p.isAbsolute(value)) {
        // A bare name ("sqla-analyzer") is looked up on PATH like a shell would.
        if (!value.includes("/") && !value.includes("\\")) {
            return value;
        }
        if (!input.workspaceFolder) {
            return { error: "it is a relative path but no folder is open" };
        }
        value = p.resolve(input.workspaceFolder, value);
    }
    return p.normalize(value);
}

/** The executable `name` on PATH, as a shell would find it. */
export function searchPath(
    name: string,
    input: Pick<ResolveInput, "env" | "platform" | "isExecutable">,
): string | undefined {
    const p = pathModule(input.platform);
    const windows = input.platform === "win32";
    // Windows environment names are case-insensitive.
    const lookup = (key: string) => {
        if (!windows) {
            return input.env[key];
        }
        const found = Object.keys(input.env).find((k) => k.toUpperCase() === key);
        return found === undefined ? undefined : input.env[found];
    };
    const dirs = (lookup("PATH") ?? "").split(windows ? ";" : ":").filter((d) => d !== "");
    let extensions = [""];
    if (windows && p.extname(name) === "") {
        extensions = (lookup("PATHEXT") ?? ".COM;.EXE;.BAT;.CMD").split(";").filter((e) => e !== "");
    }
    for (const dir of dirs) {
        for (const ext of extensions) {
            const candidate = p.join(dir.replace(/^"(.*)"$/, "$1"), name + ext.toLowerCase());
            if (input.isExecutable(candidate)) {
                return candidate;
            }
        }
    }
    return undefined;
}

const INSTALL_HINT =
    "Install it (`cargo install --path server` in the sqla-analyzer repository puts it on PATH), " +
    "or set `sqla-analyzer.path` to the executable, then run \"sqla-analyzer: Restart server\".";

export function resolveServer(input: ResolveInput): ResolveResult {
    const tried: string[] = [];
    const setting = typeof input.setting === "string" ? input.setting.trim() : "";
    // 1. The setting. When it is set, it is the only candidate: silently
    //    running another binary than the one asked for would hide the mistake.
    if (setting !== "") {
        const expanded = expandSetting(setting, input);
        if (typeof expanded !== "string") {
            return {
                ok: false,
                failure: {
                    message: `The setting sqla-analyzer.path ("${setting}") cannot be used: ${expanded.error}.`,
                    tried: [`sqla-analyzer.path: ${setting}`],
                },
            };
        }
        const p = pathModule(input.platform);
        const isBareName = !p.isAbsolute(expanded);
        const found = isBareName ? searchPath(expanded, input) : input.isExecutable(expanded) ? expanded : undefined;
        if (found !== undefined) {
            return { ok: true, server: { command: found, source: "setting" } };
        }
        const why = isBareName
            ? `no executable named "${expanded}" is on PATH`
            : input.exists(expanded)
              ? `${expanded} is not an executable file`
              : `${expanded} does not exist`;
        return {
            ok: false,
            failure: {
                message: `The setting sqla-analyzer.path ("${setting}") does not name a usable server: ${why}. Fix or clear the setting.`,
                tried: [`sqla-analyzer.path: ${expanded}`],
            },
        };
    }
    tried.push("sqla-analyzer.path: not set");

    // 2. The binary bundled with the extension (platform-specific .vsix).
    const bundled = bundledPath(input.extensionPath, input.platform);
    if (input.isExecutable(bundled)) {
        return { ok: true, server: { command: bundled, source: "bundled" } };
    }
    tried.push(`bundled: ${bundled} (${input.exists(bundled) ? "not executable" : "absent"})`);

    // 3. PATH.
    const onPath = searchPath(binaryName(input.platform), input);
    if (onPath !== undefined) {
        return { ok: true, server: { command: onPath, source: "path" } };
    }
    tried.push(`PATH: no ${binaryName(input.platform)}`);

    return {
        ok: false,
        failure: {
            message: `The sqla-analyzer language server was not found. ${INSTALL_HINT}`,
            tried,
        },
    };
}
