// Copies the release build of the server into server/, where the extension
// looks before PATH. Run before `vsce package` (scripts/package.mjs does).
//
// The binary: $SQLA_ANALYZER_BIN, else $CARGO_TARGET_DIR/release/sqla-analyzer,
// else <repository>/target/release/sqla-analyzer (`cargo build --release`).

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const extension = path.resolve(here, "..");
const root = path.resolve(extension, "..", "..");
const exe = process.platform === "win32" ? ".exe" : "";
const name = `sqla-analyzer${exe}`;

const source =
    process.env.SQLA_ANALYZER_BIN ||
    path.join(process.env.CARGO_TARGET_DIR || path.join(root, "target"), "release", name);

if (!fs.existsSync(source)) {
    console.error(`bundle-server: no server binary at ${source}`);
    console.error("bundle-server: build it first with `cargo build --release` at the repository root,");
    console.error("bundle-server: or name one with SQLA_ANALYZER_BIN=/path/to/sqla-analyzer");
    process.exit(1);
}

const destination = path.join(extension, "server", name);
fs.rmSync(path.join(extension, "server"), { recursive: true, force: true });
fs.mkdirSync(path.dirname(destination), { recursive: true });
fs.copyFileSync(source, destination);
fs.chmodSync(destination, 0o755);
// The release profile keeps line tables for backtraces: 50 MiB where 11 do.
// Strip debug information from the copy (SQLA_ANALYZER_NO_STRIP=1 keeps it).
if (process.platform !== "win32" && !process.env.SQLA_ANALYZER_NO_STRIP) {
    const flag = process.platform === "darwin" ? "-S" : "--strip-debug";
    const stripped = spawnSync("strip", [flag, destination], { stdio: "inherit" });
    if (stripped.error || stripped.status !== 0) {
        console.log("bundle-server: strip is not available: the binary is bundled with its debug information");
    }
}
const size = (fs.statSync(destination).size / 1024 / 1024).toFixed(1);
console.log(`bundle-server: ${source} -> ${path.relative(extension, destination)} (${size} MiB)`);
