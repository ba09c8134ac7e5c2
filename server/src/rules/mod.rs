//! The rule registry. One rule, one file: each holds its documentation (the
//! `//!` comment, shown by `sqla-analyzer rule CODE`), its check, its fixes
//! and its tests.

mod flush_order;
mod sa101_invalid_cascade_option;
mod sa102_delete_orphan_without_delete;
mod sa103_delete_orphan_on_many_side;
mod sa104_delete_cascade_on_many_to_one;
mod sa105_passive_deletes_all_with_delete;
mod sa106_db_cascade_defeated;
mod sa107_db_cascade_duplicated;
mod sa108_passive_deletes_without_ondelete;
mod sa109_delete_nulls_not_null_fk;
mod sa110_bulk_delete_skips_orm_cascade;
mod sa111_sqlite_foreign_keys_off;
mod sa112_passive_updates_on_many_to_one_only;
mod sa113_set_null_on_not_null;
mod sa114_invalid_referential_action;
mod sa115_delete_cascade_both_ways;
mod sa201_unresolved_relationship_target;
mod sa202_unresolved_foreign_key;
mod sa203_back_populates_mismatch;
mod sa204_backref_name_conflict;
mod sa205_ambiguous_foreign_keys;
mod sa206_no_foreign_key_path;
mod sa207_overlapping_relationships;
mod sa208_back_populates_one_way;
mod sa301_unnamed_fk_in_cycle;
mod sa302_use_alter_without_name;
mod sa303_composite_fk_split;
mod sa304_fk_target_not_unique;
mod sa305_constraint_name_too_long;
mod sa401_cycle_needs_post_update;
mod sa402_post_update_redundant;
mod sa403_post_update_on_one_to_many;
mod sa404_post_update_without_cycle;
mod sa405_composite_fk_autoincrement;
pub(crate) mod support;

use rayon::prelude::*;

use crate::config::Dialect;
use crate::diagnostic::{Diagnostic, Severity};
use crate::graph::Graph;
use std::sync::OnceLock;

/// What every rule is given: the graph and the file texts (for fixes that
/// keep the user's quoting).
pub struct Context<'a> {
    pub graph: &'a Graph,
    pub texts: &'a [&'a str],
    /// The database the project targets (`dialect` in the configuration).
    pub dialect: Dialect,
    /// Four rules read the row-dependency cycles: found once, by the first.
    row_cycles: OnceLock<Vec<flush_order::RowCycle>>,
}

impl<'a> Context<'a> {
    pub fn new(graph: &'a Graph, texts: &'a [&'a str], dialect: Dialect) -> Self {
        Self {
            graph,
            texts,
            dialect,
            row_cycles: OnceLock::new(),
        }
    }

    pub fn text(&self, file: usize) -> &'a str {
        self.texts.get(file).copied().unwrap_or("")
    }

    /// The graph's row-dependency cycles ([`flush_order::row_cycles`]).
    pub(crate) fn row_cycles(&self) -> &[flush_order::RowCycle] {
        self.row_cycles
            .get_or_init(|| flush_order::row_cycles(self.graph))
    }
}

mod examples {
    /// (rule code, "bad" or "good", the case's files as (name, text)).
    pub type Example = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );
    include!(concat!(env!("OUT_DIR"), "/examples.rs"));
}

pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub fixable: bool,
    /// The rule file's source; its leading `//!` lines are the documentation.
    source: &'static str,
    pub check: fn(&Context, &mut Vec<Diagnostic>),
    /// The options its findings depend on (each rule file's `READS`).
    pub reads: Reads,
}

/// The call options a rule's findings depend on, among those an edit may
/// change without the workspace being linked again (see `graph::patched`):
/// after such an edit, only the rules that read an edited option run again.
pub enum Reads {
    /// Any option: the cascade rules read most of them, and cost little.
    /// Not a relationship's arguments after its first (a keyword's name
    /// while it is typed): no rule reads those but to fix that very call,
    /// and a rule with a finding on an edited call runs again anyway.
    Any,
    /// These options of `relationship()`, `backref()`, `Column()`,
    /// `mapped_column()` and `ForeignKey()`, read from the calls or from
    /// what the graph derives of them: a relationship's cascade set, a
    /// column's nullability and uniqueness, a key's actions.
    Only(&'static [&'static str]),
}

impl Reads {
    pub fn any_of(&self, names: &[String]) -> bool {
        match self {
            Reads::Any => names.iter().any(|name| name != crate::graph::POSITIONAL),
            Reads::Only(read) => names.iter().any(|name| read.contains(&name.as_str())),
        }
    }
}

impl Rule {
    /// The rule's documentation, Markdown.
    pub fn documentation(&self) -> String {
        let mut doc = String::new();
        for line in self.source.lines() {
            let Some(text) = line.strip_prefix("//!") else {
                break;
            };
            doc.push_str(text.strip_prefix(' ').unwrap_or(text));
            doc.push('\n');
        }
        doc
    }

    /// The documentation followed by the smallest failing and passing
    /// fixture of the rule's tests, as `sqla-analyzer rule CODE` shows it.
    pub fn documentation_with_examples(&self) -> String {
        let mut doc = self.documentation();
        for (kind, heading) in [
            ("bad", "A model this rule reports"),
            ("good", "A correct model it leaves alone"),
        ] {
            let Some((_, _, files)) = examples::EXAMPLES
                .iter()
                .find(|(code, k, _)| *code == self.code && *k == kind)
            else {
                continue;
            };
            doc.push_str(&format!("\n## {heading} (from the test fixtures)\n"));
            for (name, text) in files.iter() {
                // The tests' `# expect: CODE` markers become a pointer for the reader.
                let shown: Vec<String> = text
                    .trim_end()
                    .lines()
                    .map(|line| match line.find("# expect:") {
                        Some(at) => format!(
                            "{}# <- {}",
                            &line[..at],
                            line[at + "# expect:".len()..].trim()
                        ),
                        None => line.to_string(),
                    })
                    .collect();
                doc.push_str(&format!(
                    "\n`{name}`:\n```python\n{}\n```\n",
                    shown.join("\n")
                ));
            }
        }
        doc
    }

    /// The first sentence of the documentation.
    pub fn summary(&self) -> String {
        self.documentation()
            .lines()
            .skip_while(|l| l.starts_with('#') || l.trim().is_empty())
            .take_while(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

macro_rules! rule {
    ($module:ident, $code:literal, $name:literal, $severity:ident, $fixable:literal) => {
        Rule {
            code: $code,
            name: $name,
            severity: Severity::$severity,
            fixable: $fixable,
            source: include_str!(concat!(stringify!($module), ".rs")),
            check: $module::check,
            reads: $module::READS,
        }
    };
}

pub static RULES: &[Rule] = &[
    rule!(
        sa101_invalid_cascade_option,
        "SA101",
        "invalid-cascade-option",
        Error,
        true
    ),
    rule!(
        sa102_delete_orphan_without_delete,
        "SA102",
        "delete-orphan-without-delete",
        Warning,
        true
    ),
    rule!(
        sa103_delete_orphan_on_many_side,
        "SA103",
        "delete-orphan-on-many-side",
        Error,
        true
    ),
    rule!(
        sa104_delete_cascade_on_many_to_one,
        "SA104",
        "delete-cascade-on-many-to-one",
        Warning,
        true
    ),
    rule!(
        sa105_passive_deletes_all_with_delete,
        "SA105",
        "passive-deletes-all-with-delete",
        Error,
        true
    ),
    rule!(
        sa106_db_cascade_defeated,
        "SA106",
        "db-cascade-defeated",
        Warning,
        true
    ),
    rule!(
        sa107_db_cascade_duplicated,
        "SA107",
        "db-cascade-duplicated",
        Hint,
        true
    ),
    rule!(
        sa108_passive_deletes_without_ondelete,
        "SA108",
        "passive-deletes-without-ondelete",
        Warning,
        true
    ),
    rule!(
        sa109_delete_nulls_not_null_fk,
        "SA109",
        "delete-nulls-not-null-fk",
        Error,
        true
    ),
    rule!(
        sa110_bulk_delete_skips_orm_cascade,
        "SA110",
        "bulk-delete-skips-orm-cascade",
        Warning,
        true
    ),
    rule!(
        sa111_sqlite_foreign_keys_off,
        "SA111",
        "sqlite-foreign-keys-off",
        Warning,
        true
    ),
    rule!(
        sa112_passive_updates_on_many_to_one_only,
        "SA112",
        "passive-updates-on-many-to-one-only",
        Warning,
        true
    ),
    rule!(
        sa113_set_null_on_not_null,
        "SA113",
        "set-null-on-not-null",
        Error,
        true
    ),
    rule!(
        sa114_invalid_referential_action,
        "SA114",
        "invalid-referential-action",
        Error,
        true
    ),
    rule!(
        sa115_delete_cascade_both_ways,
        "SA115",
        "delete-cascade-both-ways",
        Warning,
        true
    ),
    rule!(
        sa201_unresolved_relationship_target,
        "SA201",
        "unresolved-relationship-target",
        Error,
        true
    ),
    rule!(
        sa202_unresolved_foreign_key,
        "SA202",
        "unresolved-foreign-key",
        Error,
        true
    ),
    rule!(
        sa203_back_populates_mismatch,
        "SA203",
        "back-populates-mismatch",
        Error,
        true
    ),
    rule!(
        sa204_backref_name_conflict,
        "SA204",
        "backref-name-conflict",
        Error,
        true
    ),
    rule!(
        sa205_ambiguous_foreign_keys,
        "SA205",
        "ambiguous-foreign-keys",
        Error,
        true
    ),
    rule!(
        sa206_no_foreign_key_path,
        "SA206",
        "no-foreign-key-path",
        Error,
        false
    ),
    rule!(
        sa207_overlapping_relationships,
        "SA207",
        "overlapping-relationships",
        Warning,
        true
    ),
    rule!(
        sa208_back_populates_one_way,
        "SA208",
        "back-populates-one-way",
        Warning,
        true
    ),
    rule!(
        sa301_unnamed_fk_in_cycle,
        "SA301",
        "unnamed-fk-in-cycle",
        Warning,
        true
    ),
    rule!(
        sa302_use_alter_without_name,
        "SA302",
        "use-alter-without-name",
        Warning,
        true
    ),
    rule!(
        sa303_composite_fk_split,
        "SA303",
        "composite-fk-split",
        Error,
        false
    ),
    rule!(
        sa304_fk_target_not_unique,
        "SA304",
        "fk-target-not-unique",
        Error,
        true
    ),
    rule!(
        sa305_constraint_name_too_long,
        "SA305",
        "constraint-name-too-long",
        Error,
        true
    ),
    rule!(
        sa401_cycle_needs_post_update,
        "SA401",
        "cycle-needs-post-update",
        Error,
        true
    ),
    rule!(
        sa402_post_update_redundant,
        "SA402",
        "post-update-redundant",
        Hint,
        true
    ),
    rule!(
        sa403_post_update_on_one_to_many,
        "SA403",
        "post-update-on-one-to-many",
        Hint,
        true
    ),
    rule!(
        sa404_post_update_without_cycle,
        "SA404",
        "post-update-without-cycle",
        Hint,
        true
    ),
    rule!(
        sa405_composite_fk_autoincrement,
        "SA405",
        "composite-fk-autoincrement",
        Warning,
        true
    ),
];

pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code))
}

/// Does `selector` (`SA2`, `SA203`, `ALL`) select `code`?
pub fn selector_matches(selector: &str, code: &str) -> bool {
    selector.eq_ignore_ascii_case("ALL") || code.starts_with(&selector.to_ascii_uppercase())
}

/// Is `selector` a valid prefix of at least one rule code?
pub fn is_known_selector(selector: &str) -> bool {
    selector.eq_ignore_ascii_case("ALL") || RULES.iter().any(|r| selector_matches(selector, r.code))
}

/// Runs the rules `enabled` accepts over the graph.
pub fn run(context: &Context, enabled: impl Fn(&str) -> bool + Sync) -> Vec<Diagnostic> {
    // The rules only read the graph: they run on every core, and their
    // findings are concatenated in the order of RULES.
    let found: Vec<Vec<Diagnostic>> = RULES
        .par_iter()
        .map(|rule| {
            if !enabled(rule.code) {
                return Vec::new();
            }
            let mut found = Vec::new();
            (rule.check)(context, &mut found);
            for diagnostic in &mut found {
                diagnostic.code = rule.code;
                diagnostic.name = rule.name;
                diagnostic.severity = rule.severity;
            }
            found
        })
        .collect();
    found.into_iter().flatten().collect()
}

/// The findings of rule `check` in one file `models.py` for `dialect`,
/// for rules' own tests.
#[cfg(test)]
pub(crate) fn findings(
    check: fn(&Context, &mut Vec<Diagnostic>),
    source: &str,
    dialect: Dialect,
) -> Vec<Diagnostic> {
    use crate::graph::{link, LinkOptions};
    let graph = link(
        vec![std::sync::Arc::new(crate::facts::extract(
            "models.py",
            source,
        ))],
        &LinkOptions::default(),
    );
    let texts = [source];
    let context = Context::new(&graph, &texts, dialect);
    let mut found = Vec::new();
    check(&context, &mut found);
    found
}

/// The fix titles of each finding of rule `check` in one file `models.py`,
/// for rules' own tests.
#[cfg(test)]
pub(crate) fn fix_titles(
    check: fn(&Context, &mut Vec<Diagnostic>),
    source: &str,
) -> Vec<Vec<String>> {
    findings(check, source, Dialect::Postgresql)
        .iter()
        .map(|d| d.fixes.iter().map(|f| f.title.clone()).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_documented_with_examples() {
        for rule in RULES {
            let doc = rule.documentation();
            assert!(
                doc.starts_with(&format!("# {} ", rule.code)),
                "{}: doc must start with '# {} name'",
                rule.code,
                rule.code
            );
            for heading in [
                "## What it finds",
                "## Why it matters",
                "## Example",
                "## Fix",
            ] {
                assert!(doc.contains(heading), "{} lacks {heading}", rule.code);
            }
            assert!(!rule.summary().is_empty());
        }
    }

    #[test]
    fn codes_are_unique_and_sorted() {
        let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
    }
}

#[cfg(test)]
mod documentation_tests {
    use super::RULES;

    /// `sqla-analyzer rule CODE` shows, for every rule, a model it reports
    /// (with the marker on the reported line) and one it leaves alone, taken
    /// from the fixtures, nested files included.
    #[test]
    fn every_rule_shows_fixture_examples() {
        for rule in RULES {
            let doc = rule.documentation_with_examples();
            let bad_at = doc
                .find("## A model this rule reports (from the test fixtures)")
                .unwrap_or_else(|| panic!("{}: no reported model", rule.code));
            let good_at = doc
                .find("## A correct model it leaves alone (from the test fixtures)")
                .unwrap_or_else(|| panic!("{}: no model left alone", rule.code));
            let (bad, good) = (&doc[bad_at..good_at], &doc[good_at..]);
            let marked = bad.lines().any(|line| {
                line.split_once("# <- ")
                    .is_some_and(|(_, codes)| codes.split(", ").any(|c| c == rule.code))
            });
            assert!(
                bad.contains("```python\n") && marked,
                "{}: the reported model is empty or unmarked:\n{bad}",
                rule.code
            );
            assert!(
                good.contains("```python\n") && !good.contains("```python\n```"),
                "{}: the model left alone is empty:\n{good}",
                rule.code
            );
        }
    }
}
