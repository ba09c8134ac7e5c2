// The VS Code settings of the extension, mapped to what the server reads in
// initializationOptions and workspace/didChangeConfiguration:
// `{"sqla-analyzer": {"select": [...] | null, "ignore": [...] | null, "dialect": "..." | null}}`.
//
// null means "no override": the project's pyproject.toml / sqla-analyzer.toml
// decides. Every key is always sent, so clearing a setting in VS Code takes
// the override away on the server too.
//
// Pure: no `vscode` import, so the unit tests run without VS Code.

export const SECTION = "sqla-analyzer";

export const DIALECTS = ["postgresql", "sqlite", "mysql"] as const;
export type Dialect = (typeof DIALECTS)[number];

export interface ServerSettings {
    select: string[] | null;
    ignore: string[] | null;
    dialect: Dialect | null;
}

export interface SettingsPayload {
    [SECTION]: ServerSettings;
}

/** Reads one setting, like `vscode.WorkspaceConfiguration.get`. */
export type SettingsReader = (key: string) => unknown;

export interface MappedSettings {
    payload: SettingsPayload;
    /** Values that were dropped, one sentence each (shown as a warning). */
    problems: string[];
}

const CODE = /^(ALL|SA[0-9]{0,3})$/;

function codes(key: string, value: unknown, problems: string[]): string[] | null {
    if (value === undefined || value === null) {
        return null;
    }
    if (!Array.isArray(value)) {
        problems.push(`sqla-analyzer.${key} must be a list of rule codes; ignored.`);
        return null;
    }
    const kept: string[] = [];
    for (const item of value) {
        const code = typeof item === "string" ? item.trim().toUpperCase() : undefined;
        if (code === undefined || !CODE.test(code)) {
            problems.push(`sqla-analyzer.${key}: ${JSON.stringify(item)} is not a rule code or prefix (like SA203 or SA2); ignored.`);
            continue;
        }
        if (!kept.includes(code)) {
            kept.push(code);
        }
    }
    // An empty list selects nothing on the server; in VS Code it is the
    // default, meaning "not set".
    return kept.length === 0 ? null : kept;
}

function dialect(value: unknown, problems: string[]): Dialect | null {
    if (value === undefined || value === null || value === "") {
        return null;
    }
    if (typeof value === "string" && (DIALECTS as readonly string[]).includes(value.toLowerCase())) {
        return value.toLowerCase() as Dialect;
    }
    problems.push(`sqla-analyzer.dialect: ${JSON.stringify(value)} is not one of ${DIALECTS.join(", ")}; ignored.`);
    return null;
}

export function mapSettings(read: SettingsReader): MappedSettings {
    const problems: string[] = [];
    const payload: SettingsPayload = {
        [SECTION]: {
            select: codes("select", read("select"), problems),
            ignore: codes("ignore", read("ignore"), problems),
            dialect: dialect(read("dialect"), problems),
        },
    };
    return { payload, problems };
}

/** Settings whose change needs a new server process rather than a notification. */
export const RESTART_SETTINGS = ["path"] as const;

/** Settings sent to the running server with workspace/didChangeConfiguration. */
export const LIVE_SETTINGS = ["select", "ignore", "dialect"] as const;

/** What a configuration change asks for, given `affects(fullKey)`. */
export function changeAction(affects: (key: string) => boolean): "restart" | "notify" | "none" {
    if (RESTART_SETTINGS.some((key) => affects(`${SECTION}.${key}`))) {
        return "restart";
    }
    if (LIVE_SETTINGS.some((key) => affects(`${SECTION}.${key}`))) {
        return "notify";
    }
    return "none";
}
