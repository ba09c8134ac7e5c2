import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { changeAction, mapSettings } from "../settings";

function reader(values: { [key: string]: unknown }) {
    return (key: string) => values[key];
}

describe("mapSettings", () => {
    it("sends the nested shape with every key, null meaning no override", () => {
        const { payload, problems } = mapSettings(reader({ select: [], ignore: [], dialect: null }));
        assert.deepEqual(payload, { "sqla-analyzer": { select: null, ignore: null, dialect: null } });
        assert.deepEqual(problems, []);
        assert.deepEqual(Object.keys(payload["sqla-analyzer"]).sort(), ["dialect", "ignore", "select"]);
    });

    it("treats unset settings as no override", () => {
        const { payload } = mapSettings(reader({}));
        assert.deepEqual(payload, { "sqla-analyzer": { select: null, ignore: null, dialect: null } });
    });

    it("passes codes, prefixes and the dialect", () => {
        const { payload, problems } = mapSettings(
            reader({ select: ["SA2", "SA301"], ignore: ["SA208"], dialect: "sqlite", path: "/x", trace: { server: "verbose" } }),
        );
        assert.deepEqual(payload, {
            "sqla-analyzer": { select: ["SA2", "SA301"], ignore: ["SA208"], dialect: "sqlite" },
        });
        assert.deepEqual(problems, []);
    });

    it("normalizes case and spaces and drops duplicates", () => {
        const { payload } = mapSettings(reader({ select: [" sa2", "SA2", "all"], dialect: "MySQL" }));
        assert.deepEqual(payload["sqla-analyzer"].select, ["SA2", "ALL"]);
        assert.equal(payload["sqla-analyzer"].dialect, "mysql");
    });

    it("drops invalid values with a message naming the setting", () => {
        const { payload, problems } = mapSettings(
            reader({ select: ["SA2", "E501", 3], ignore: "SA208", dialect: "oracle" }),
        );
        assert.deepEqual(payload, { "sqla-analyzer": { select: ["SA2"], ignore: null, dialect: null } });
        assert.equal(problems.length, 4);
        assert.match(problems[0], /sqla-analyzer\.select: "E501"/);
        assert.match(problems[1], /sqla-analyzer\.select: 3/);
        assert.match(problems[2], /sqla-analyzer\.ignore must be a list/);
        assert.match(problems[3], /sqla-analyzer\.dialect: "oracle"/);
    });

    it("a select list with only invalid codes is no override, not 'select nothing'", () => {
        const { payload } = mapSettings(reader({ select: ["nope"] }));
        assert.equal(payload["sqla-analyzer"].select, null);
    });
});

describe("changeAction", () => {
    const changed = (...keys: string[]) => (key: string) => keys.some((k) => k === key || k.startsWith(`${key}.`) || key.startsWith(`${k}.`));

    it("restarts for the path", () => {
        assert.equal(changeAction(changed("sqla-analyzer.path")), "restart");
        assert.equal(changeAction(changed("sqla-analyzer.path", "sqla-analyzer.select")), "restart");
    });

    it("notifies for select, ignore and dialect", () => {
        for (const key of ["select", "ignore", "dialect"]) {
            assert.equal(changeAction(changed(`sqla-analyzer.${key}`)), "notify");
        }
    });

    it("leaves the trace to the client and other settings alone", () => {
        assert.equal(changeAction(changed("sqla-analyzer.trace.server")), "none");
        assert.equal(changeAction(changed("python.defaultInterpreterPath")), "none");
    });
});
