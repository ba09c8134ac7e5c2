import * as assert from "node:assert/strict";
import { describe, it } from "node:test";

import { normalizeCode, parseRulesList } from "../rules";

describe("normalizeCode", () => {
    it("accepts SA203, sa203 and 203", () => {
        assert.equal(normalizeCode("SA203"), "SA203");
        assert.equal(normalizeCode(" sa203 "), "SA203");
        assert.equal(normalizeCode("203"), "SA203");
    });

    it("rejects anything else", () => {
        for (const text of ["", "SA2", "SA2034", "E501", "SA 203"]) {
            assert.equal(normalizeCode(text), undefined, text);
        }
    });
});

describe("parseRulesList", () => {
    it("reads the table of `sqla-analyzer rules`", () => {
        const text =
            "code    name                                 severity fixable\n" +
            "SA203   back-populates-missing-partner       error    no\n" +
            "SA208   back-populates-one-sided             warning  yes\n";
        assert.deepEqual(parseRulesList(text), [
            { code: "SA203", name: "back-populates-missing-partner", severity: "error", fixable: false },
            { code: "SA208", name: "back-populates-one-sided", severity: "warning", fixable: true },
        ]);
    });
});
