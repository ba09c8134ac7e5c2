// Rule codes typed by the user and the `sqla-analyzer rules` table.
// Pure: no `vscode` import.

export interface RuleSummary {
    code: string;
    name: string;
    severity: string;
    fixable: boolean;
}

/** "SA203", "sa203" or "203" as "SA203"; undefined when it is no rule code. */
export function normalizeCode(input: string): string | undefined {
    const match = /^\s*(?:SA)?([0-9]{3})\s*$/i.exec(input);
    return match ? `SA${match[1]}` : undefined;
}

/**
 * Parses the output of `sqla-analyzer rules`: a header line, then one line a
 * rule, `code name severity fixable` separated by spaces.
 */
export function parseRulesList(text: string): RuleSummary[] {
    const rules: RuleSummary[] = [];
    for (const line of text.split(/\r?\n/)) {
        const match = /^(SA[0-9]{3})\s+(\S+)\s+(\S+)\s+(yes|no)\s*$/.exec(line);
        if (match) {
            rules.push({ code: match[1], name: match[2], severity: match[3], fixable: match[4] === "yes" });
        }
    }
    return rules;
}
