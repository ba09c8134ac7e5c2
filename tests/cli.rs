//! The command line as a user runs it: exit codes, output formats,
//! configuration, suppressions, fixes, and bad input that must not crash.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BAD_MODELS: &str = r#"from sqlalchemy import Column, ForeignKey, Integer
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Parent(Base):
    __tablename__ = "parent"
    id = Column(Integer, primary_key=True)
    children = relationship("Child", back_populates="parnet")


class Child(Base):
    __tablename__ = "child"
    id = Column(Integer, primary_key=True)
    parent_id = Column(ForeignKey("parent.id"))
    parent = relationship("Parent", back_populates="children")
"#;

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_sqla-analyzer")
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(binary())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn exit_codes_follow_findings_and_errors() {
    let bad = workspace(&[("models.py", BAD_MODELS)]);
    assert_eq!(run(bad.path(), &["check"]).status.code(), Some(1));
    assert_eq!(
        run(bad.path(), &["check", "--exit-zero"]).status.code(),
        Some(0)
    );
    let good = workspace(&[("models.py", &BAD_MODELS.replace("parnet", "parent"))]);
    let output = run(good.path(), &["check", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("All checks passed"));
    let missing = run(good.path(), &["check", "does-not-exist"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("does-not-exist"));
    let unknown = run(good.path(), &["check", "--select", "SA999"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("SA999"));
}

#[test]
fn text_format_is_one_line_a_finding() {
    let dir = workspace(&[("app/models.py", BAD_MODELS)]);
    let output = run(dir.path(), &["check"]);
    let text = stdout(&output);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("app/models.py:10:16: SA203 [error]"),
        "{first}"
    );
    assert!(text.contains("Found 1 problem (1 error)"), "{text}");
}

#[test]
fn json_has_the_documented_shape() {
    let dir = workspace(&[("models.py", BAD_MODELS)]);
    let output = run(dir.path(), &["check", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(value["files_checked"], 1);
    let diagnostic = &value["diagnostics"][0];
    assert_eq!(diagnostic["code"], "SA203");
    assert_eq!(diagnostic["name"], "back-populates-mismatch");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(diagnostic["path"], "models.py");
    assert_eq!(diagnostic["range"]["start"]["line"], 10);
    assert_eq!(diagnostic["range"]["start"]["column"], 16);
    assert!(diagnostic["related"].is_array());
    assert_eq!(diagnostic["fixes"][0]["applicability"], "unsafe");
    assert_eq!(diagnostic["fixes"][0]["edits"][0]["new_text"], "\"parent\"");
}

#[test]
fn sarif_has_the_required_fields() {
    let dir = workspace(&[("models.py", BAD_MODELS)]);
    let output = run(dir.path(), &["check", "--format", "sarif"]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["version"], "2.1.0");
    let run = &value["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "sqla-analyzer");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules
        .iter()
        .all(|r| r["id"].is_string() && r["shortDescription"]["text"].is_string()));
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "SA203");
    assert_eq!(
        rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "SA203"
    );
    assert!(result["message"]["text"].is_string());
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "models.py");
    assert_eq!(location["region"]["startLine"], 10);
}

#[test]
fn github_annotations() {
    let dir = workspace(&[("models.py", BAD_MODELS)]);
    let text = stdout(&run(dir.path(), &["check", "--format", "github"]));
    assert!(text.starts_with("::error title=sqla-analyzer (SA203 back-populates-mismatch),file=models.py,line=10,col=16,"), "{text}");
}

#[test]
fn suppression_comments() {
    for comment in ["# sqla: ignore[SA203]", "# noqa: SA203", "# sqla: ignore"] {
        let text = BAD_MODELS.replace(
            "back_populates=\"parnet\")",
            &format!("back_populates=\"parnet\")  {comment}"),
        );
        let dir = workspace(&[("models.py", &text)]);
        assert_eq!(
            run(dir.path(), &["check"]).status.code(),
            Some(0),
            "{comment}"
        );
    }
    let other = BAD_MODELS.replace(
        "back_populates=\"parnet\")",
        "back_populates=\"parnet\")  # sqla: ignore[SA201]",
    );
    let dir = workspace(&[("models.py", &other)]);
    assert_eq!(run(dir.path(), &["check"]).status.code(), Some(1));
}

#[test]
fn configuration_is_found_and_validated() {
    let dir = workspace(&[
        (
            "pyproject.toml",
            "[tool.sqla-analyzer]\nignore = [\"SA203\"]\n",
        ),
        ("src/models.py", BAD_MODELS),
    ]);
    assert_eq!(run(dir.path(), &["check", "src"]).status.code(), Some(0));
    let broken = workspace(&[
        (
            "pyproject.toml",
            "[tool.sqla-analyzer]\nselekt = [\"SA2\"]\n",
        ),
        ("models.py", BAD_MODELS),
    ]);
    let output = run(broken.path(), &["check"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("pyproject.toml") && message.contains("selekt"),
        "{message}"
    );
    let per_file = workspace(&[
        (
            "sqla-analyzer.toml",
            "per-file-ignores = { \"legacy/*.py\" = [\"SA2\"] }\nexclude = [\"generated\"]\n",
        ),
        ("legacy/models.py", BAD_MODELS),
        ("generated/models.py", BAD_MODELS),
    ]);
    assert_eq!(
        run(per_file.path(), &["check"]).status.code(),
        Some(0),
        "{}",
        stdout(&run(per_file.path(), &["check"]))
    );
}

#[test]
fn rules_and_rule_documentation() {
    let dir = workspace(&[]);
    let rules = stdout(&run(dir.path(), &["rules"]));
    assert!(rules.contains("SA203") && rules.contains("back-populates-mismatch"));
    let doc = run(dir.path(), &["rule", "sa203"]);
    assert_eq!(doc.status.code(), Some(0));
    let text = stdout(&doc);
    assert!(text.starts_with("# SA203 back-populates-mismatch"));
    assert!(text.contains("## Example") && text.contains("## Fix"));
    // Examples proven by the fixture tests, with the marker shown to the reader.
    assert!(
        text.contains("## A model this rule reports (from the test fixtures)"),
        "{text}"
    );
    assert!(text.contains("## A correct model it leaves alone (from the test fixtures)"));
    assert!(text.contains("# <- SA203") && !text.contains("# expect:"));
    assert_eq!(run(dir.path(), &["rule", "SA999"]).status.code(), Some(2));
}

#[test]
fn graph_formats() {
    let dir = workspace(&[("models.py", &BAD_MODELS.replace("parnet", "parent"))]);
    let json: serde_json::Value =
        serde_json::from_slice(&run(dir.path(), &["graph"]).stdout).unwrap();
    assert_eq!(json["classes"].as_array().unwrap().len(), 2);
    assert_eq!(
        json["classes"][1]["relationships"][0]["direction"],
        "one-to-many"
    );
    assert_eq!(json["foreign_keys"][0]["referred_table"], "parent");
    let mermaid = stdout(&run(dir.path(), &["graph", "--format", "mermaid"]));
    assert!(
        mermaid.starts_with("erDiagram\n") && mermaid.contains("parent ||--o{ child"),
        "{mermaid}"
    );
    let dot = stdout(&run(dir.path(), &["graph", "--format", "dot"]));
    assert!(dot.starts_with("digraph models {"));
}

#[test]
fn fix_writes_atomically_and_diff_writes_nothing() {
    let dir = workspace(&[("models.py", BAD_MODELS)]);
    let path: PathBuf = dir.path().join("models.py");
    let diff = run(dir.path(), &["check", "--diff", "--unsafe-fixes"]);
    assert!(
        stdout(&diff)
            .contains("+    children = relationship(\"Child\", back_populates=\"parent\")"),
        "{}",
        stdout(&diff)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), BAD_MODELS);
    // Safe fixes only: SA203's target rename is unsafe, nothing changes.
    run(dir.path(), &["check", "--fix"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), BAD_MODELS);
    let fixed = run(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(fixed.status.code(), Some(0), "{}", stdout(&fixed));
    assert!(stdout(&fixed).contains("Fixed 1 problem"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        BAD_MODELS.replace("parnet", "parent")
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_file_reached_twice_is_checked_and_fixed_once() {
    let dir = workspace(&[("app/models.py", BAD_MODELS)]);
    let paths = ["app", "./app/../app", "app/models.py"];
    let output = run(dir.path(), &[&["check"], &paths[..]].concat());
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("Found 1 problem") && text.contains("in 1 file checked"),
        "{text}"
    );
    let fixed = run(
        dir.path(),
        &[&["check", "--fix", "--unsafe-fixes"], &paths[..]].concat(),
    );
    assert_eq!(fixed.status.code(), Some(0), "{}", stderr(&fixed));
    assert!(stderr(&fixed).is_empty(), "{}", stderr(&fixed));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/models.py")).unwrap(),
        BAD_MODELS.replace("parnet", "parent")
    );
}

#[test]
fn bad_input_is_skipped_with_a_message() {
    let mut large = String::from("from sqlalchemy import Column\n");
    while large.len() < 50 * 1024 * 1024 {
        large.push_str(
            "# filler line to make a very large generated module .........................\n",
        );
    }
    let dir = workspace(&[
        ("models.py", BAD_MODELS),
        ("half_typed.py", "from sqlalchemy.orm import relationship\nclass A(Base):\n    x = relationship(\"B\", back_populates=\n"),
        ("syntax_error.py", "from sqlalchemy import Column\ndef broken(:\n    pass\n"),
        ("nested.py", &format!("import sqlalchemy\nx = {}1{}\n", "[".repeat(10_000), "]".repeat(10_000))),
        ("large.py", &large),
    ]);
    std::fs::write(
        dir.path().join("latin1.py"),
        b"# sqlalchemy models\nname = '\xe9t\xe9'\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("nul.py"), b"import sqlalchemy\x00\x00\x00").unwrap();
    let output = run(dir.path(), &["check", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let messages = stderr(&output);
    assert!(
        messages.contains("large.py") && messages.contains("limit"),
        "{messages}"
    );
    assert!(
        messages.contains("latin1.py") && messages.contains("UTF-8"),
        "{messages}"
    );
    assert!(
        messages.contains("nul.py") && messages.contains("binary"),
        "{messages}"
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // The other files are still checked.
    assert_eq!(value["diagnostics"][0]["code"], "SA203");
}

#[test]
fn the_facts_cache_follows_file_changes() {
    let dir = workspace(&[("models.py", BAD_MODELS)]);
    let uncached = run(dir.path(), &["check", "--no-cache"]);
    assert_eq!(uncached.status.code(), Some(1));
    assert!(!dir.path().join(".sqla-analyzer-cache").exists());
    assert_eq!(run(dir.path(), &["check"]).status.code(), Some(1));
    assert!(dir.path().join(".sqla-analyzer-cache/facts.bin").exists());
    assert!(
        std::fs::read_to_string(dir.path().join(".sqla-analyzer-cache/.gitignore"))
            .unwrap()
            .contains('*')
    );
    // A cached run reports the same; an edited file is re-read.
    assert_eq!(stdout(&run(dir.path(), &["check"])), stdout(&uncached));
    std::fs::write(
        dir.path().join("models.py"),
        BAD_MODELS.replace("parnet", "parent"),
    )
    .unwrap();
    assert_eq!(run(dir.path(), &["check"]).status.code(), Some(0));
    // A corrupt cache is ignored.
    std::fs::write(
        dir.path().join(".sqla-analyzer-cache/facts.bin"),
        b"garbage",
    )
    .unwrap();
    assert_eq!(run(dir.path(), &["check"]).status.code(), Some(0));
}

#[test]
fn a_syntax_error_that_hides_definitions_is_named() {
    let fixture = "fixtures/regressions/sa201_sa202_definitions_behind_an_open_bracket";
    let read = |name: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests")
                .join(fixture)
                .join(name),
        )
        .unwrap()
    };
    let (base, orders, payments) = (read("base.py"), read("orders.py"), read("payments.py"));
    let dir = workspace(&[
        ("base.py", &base),
        ("orders.py", &orders),
        ("payments.py", &payments),
    ]);
    let output = run(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "warning: orders.py: a syntax error hides a class or a table from the analysis; \
         no relationship target or foreign key table it may define is reported missing\n"
    );
    assert!(stdout(&output).contains("SA104"), "{}", stdout(&output));

    // Closed, the file hides nothing.
    let closed = orders.replace("nul\n", "nullable=True)\n");
    let dir = workspace(&[
        ("base.py", &base),
        ("orders.py", &closed),
        ("payments.py", &payments),
    ]);
    let output = run(dir.path(), &["check"]);
    assert_eq!(stderr(&output), "");
}
