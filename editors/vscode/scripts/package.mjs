// Builds a platform-specific .vsix with the server bundled:
//   npm run package [-- --out some/dir]
// = bundle-server, then `vsce package --target <this platform>` (which
// compiles through vscode:prepublish). Extra arguments go to vsce.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const extension = path.resolve(here, "..");

/** The VS Code Marketplace target of this machine. */
function target() {
    const arch = { x64: "x64", arm64: "arm64", arm: "armhf" }[process.arch];
    if (arch === undefined) {
        throw new Error(`no VS Code target for the architecture ${process.arch}`);
    }
    if (process.platform === "linux") {
        // musl (Alpine) builds are their own target.
        const report = process.report?.getReport();
        const glibc = report?.header?.glibcVersionRuntime;
        return glibc === undefined ? `alpine-${arch}` : `linux-${arch}`;
    }
    if (process.platform === "darwin" || process.platform === "win32") {
        return `${process.platform}-${arch}`;
    }
    throw new Error(`no VS Code target for the platform ${process.platform}`);
}

function run(command, args) {
    const result = spawnSync(command, args, { cwd: extension, stdio: "inherit", shell: process.platform === "win32" });
    if (result.status !== 0) {
        process.exit(result.status ?? 1);
    }
}

run(process.execPath, [path.join(here, "bundle-server.mjs")]);
const vsce = path.join(extension, "node_modules", ".bin", process.platform === "win32" ? "vsce.cmd" : "vsce");
if (!fs.existsSync(vsce)) {
    console.error("package: @vscode/vsce is not installed: run `npm ci` first");
    process.exit(1);
}
// No repository URL in the manifest: the .vsix is built from a checkout.
run(vsce, ["package", "--target", target(), "--allow-missing-repository", ...process.argv.slice(2)]);
