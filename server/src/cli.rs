//! The command line: `check`, `rules`, `rule`, `graph`, `sql`, `server`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::analysis::{self, Analysis};
use crate::cache::FactsCache;
use crate::config::{Config, ConfigError};
use crate::facts::{self, FileFacts};
use crate::fix;
use crate::graph::{self, LinkOptions};
use crate::report::{self, Report, ReportFile};
use crate::rules::{self, RULES};
use crate::workspace::{self, SourceFile, Workspace};

#[derive(Parser)]
#[command(
    name = "sqla-analyzer",
    version,
    about = "Finds SQLAlchemy relationship mistakes before they run"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check Python files for SQLAlchemy model mistakes.
    Check(CheckArgs),
    /// List every rule: code, name, severity, fixable.
    Rules,
    /// Show a rule's documentation.
    Rule {
        /// A rule code, e.g. SA203.
        code: String,
    },
    /// Print the linked model graph.
    Graph(GraphArgs),
    /// Print the SQL SQLAlchemy emits for the models: `create_all()` and
    /// `drop_all()` DDL, and, with `--format json`, the unit of work's
    /// statements for every relationship (what the hovers show).
    Sql(SqlArgs),
    /// Run the language server (LSP over stdin/stdout).
    Server,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GraphFormat {
    Json,
    Mermaid,
    Dot,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Files or directories (default: the current directory).
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: OutputFormat,
    /// Rule codes or prefixes to enable, comma-separated (overrides the configuration).
    #[arg(long, value_delimiter = ',')]
    pub select: Option<Vec<String>>,
    /// Rule codes or prefixes to disable, comma-separated (added to the configuration's).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Option<Vec<String>>,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
    /// Use this configuration file instead of discovering one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Apply safe fixes.
    #[arg(long)]
    pub fix: bool,
    /// With --fix or --diff, also apply fixes marked unsafe.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Show the fixes as a diff instead of writing them.
    #[arg(long)]
    pub diff: bool,
    /// Neither read nor write the facts cache (.sqla-analyzer-cache).
    #[arg(long)]
    pub no_cache: bool,
}

#[derive(clap::Args)]
pub struct GraphArgs {
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: GraphFormat,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SqlFormat {
    /// A SQL script: each MetaData's `create_all()` in order.
    Sql,
    /// Every statement of every table, foreign key and relationship.
    Json,
}

#[derive(clap::Args)]
pub struct SqlArgs {
    pub paths: Vec<PathBuf>,
    /// postgresql, sqlite or mysql (default: the configured dialect).
    #[arg(long)]
    pub dialect: Option<String>,
    #[arg(long, value_enum, default_value = "sql")]
    pub format: SqlFormat,
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Exit statuses: 0 clean, 1 findings, 2 usage or IO errors.
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

fn print(text: &str) {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = lock.write_all(text.as_bytes());
    let _ = lock.flush();
}

fn load_config(explicit: Option<&PathBuf>, paths: &[PathBuf]) -> Result<Config, ConfigError> {
    match explicit {
        Some(file) => Config::load(file),
        None => Config::discover(
            paths
                .first()
                .map(PathBuf::as_path)
                .unwrap_or(std::path::Path::new(".")),
        ),
    }
}

/// A loaded workspace with its configuration, ready to analyse.
pub struct Loaded {
    pub config: Config,
    pub workspace: Workspace,
}

fn load(paths: &[PathBuf], config: Config, use_cache: bool) -> Loaded {
    let (candidates, errors) = workspace::discover(paths, &config);
    let cache = use_cache.then(|| FactsCache::open(&config.base));
    let mut workspace = workspace::load_with_cache(&candidates, cache.as_ref());
    workspace.errors.extend(errors);
    if let Some(cache) = cache {
        let entries: Vec<(String, u64, Arc<FileFacts>)> = workspace
            .files
            .iter()
            .map(|f| (f.facts.path.clone(), f.content_hash, f.facts.clone()))
            .collect();
        cache.store(&entries);
    }
    Loaded { config, workspace }
}

fn default_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    }
}

fn analyze_files(
    files: &[SourceFile],
    config: &Config,
    select: &Option<Vec<String>>,
    ignore: &Option<Vec<String>>,
) -> Analysis {
    let pairs: Vec<(Arc<FileFacts>, Arc<str>)> = files
        .iter()
        .map(|f| (f.facts.clone(), f.text.clone()))
        .collect();
    let options = LinkOptions {
        table_naming: config.table_naming,
    };
    let relative: Vec<Option<String>> = files
        .iter()
        .map(|f| {
            let absolute =
                std::fs::canonicalize(&f.absolute).unwrap_or_else(|_| f.absolute.clone());
            absolute
                .strip_prefix(&config.base)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
        })
        .collect();
    analysis::analyze(&pairs, &options, config.dialect, |file, code| {
        if let Some(select) = select {
            if !select.iter().any(|s| rules::selector_matches(s, code)) {
                return false;
            }
            if config
                .ignore
                .iter()
                .any(|s| rules::selector_matches(s, code))
            {
                return false;
            }
        } else if !config.enabled(code, relative[file].as_deref()) {
            return false;
        }
        if let Some(ignore) = ignore {
            if ignore.iter().any(|s| rules::selector_matches(s, code)) {
                return false;
            }
        }
        if select.is_some() {
            // Per-file ignores still apply to an explicit selection.
            for (glob, codes) in &config.per_file_ignores {
                if relative[file].as_deref().is_some_and(|p| glob.is_match(p))
                    && codes.iter().any(|s| rules::selector_matches(s, code))
                {
                    return false;
                }
            }
        }
        true
    })
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Rules => {
            let mut out = format!(
                "{:<7} {:<36} {:<8} {}\n",
                "code", "name", "severity", "fixable"
            );
            for rule in RULES {
                out.push_str(&format!(
                    "{:<7} {:<36} {:<8} {}\n",
                    rule.code,
                    rule.name,
                    rule.severity.label(),
                    if rule.fixable { "yes" } else { "no" }
                ));
            }
            print(&out);
            ExitCode::SUCCESS
        }
        Command::Rule { code } => match rules::rule(&code) {
            Some(rule) => {
                print(&rule.documentation_with_examples());
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: unknown rule `{code}` (see `sqla-analyzer rules`)");
                ExitCode::from(EXIT_ERROR)
            }
        },
        Command::Graph(args) => graph_command(args),
        Command::Sql(args) => sql_command(args),
        Command::Server => {
            crate::memory::configure_server();
            crate::lsp::run_stdio()
        }
    }
}

fn validate_selectors(list: &Option<Vec<String>>, flag: &str) -> Result<(), String> {
    for selector in list.iter().flatten() {
        if !rules::is_known_selector(selector) {
            return Err(format!("{flag}: unknown rule code or prefix `{selector}`"));
        }
    }
    Ok(())
}

/// What loading the workspace has to say: files skipped, files whose
/// syntax errors hide a class or a table (which silences the "missing"
/// findings of what they may define, see `FileFacts::hides_definitions`,
/// so a check must not pass quietly), and errors.
fn print_load_messages(workspace: &Workspace) {
    for skipped in &workspace.skipped {
        eprintln!("warning: {}: {}", skipped.path, skipped.reason);
    }
    for file in workspace.files.iter().filter(|f| f.facts.hides_definitions) {
        eprintln!(
            "warning: {}: a syntax error hides a class or a table from the analysis; \
             no relationship target or foreign key table it may define is reported missing",
            file.display_path
        );
    }
    for error in &workspace.errors {
        eprintln!("error: {error}");
    }
}

fn check(args: CheckArgs) -> ExitCode {
    if let Err(message) = validate_selectors(&args.select, "--select")
        .and(validate_selectors(&args.ignore, "--ignore"))
    {
        eprintln!("error: {message}");
        return ExitCode::from(EXIT_ERROR);
    }
    let paths = default_paths(&args.paths);
    let config = match load_config(args.config.as_ref(), &paths) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let Loaded {
        config,
        mut workspace,
    } = load(&paths, config, !args.no_cache);
    print_load_messages(&workspace);

    let mut analysis = analyze_files(&workspace.files, &config, &args.select, &args.ignore);
    let mut fixed = 0;
    if args.fix || args.diff {
        let original: Vec<Arc<str>> = workspace.files.iter().map(|f| f.text.clone()).collect();
        // Fix, re-analyse, repeat: a fix may enable another.
        for _ in 0..10 {
            let (edits, count) = fix::choose_edits(&analysis.diagnostics, args.unsafe_fixes);
            if count == 0 {
                break;
            }
            let mut changed = false;
            for (file, file_edits) in edits {
                let source = &workspace.files[file];
                if let Some(new_text) = fix::apply_edits(&source.text, &file_edits) {
                    if *source.text != *new_text {
                        let facts = facts::extract(&source.facts.path, &new_text);
                        workspace.files[file].text = Arc::from(new_text);
                        workspace.files[file].facts = Arc::new(facts);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
            fixed += count;
            analysis = analyze_files(&workspace.files, &config, &args.select, &args.ignore);
        }
        let mut write_failed = false;
        for (file, original_text) in workspace.files.iter().zip(&original) {
            if file.text == *original_text {
                continue;
            }
            if args.diff {
                let diff =
                    similar::TextDiff::from_lines(original_text.as_ref(), file.text.as_ref());
                print(&format!(
                    "{}",
                    diff.unified_diff().header(
                        &format!("a/{}", file.display_path),
                        &format!("b/{}", file.display_path)
                    )
                ));
            } else if let Err(error) =
                fix::write_atomically(&file.absolute, original_text, &file.text)
            {
                eprintln!("error: {}: {error}", file.display_path);
                write_failed = true;
            }
        }
        if args.diff {
            // Nothing was written: report what the fixes would leave.
            return if fixed > 0 && !args.exit_zero {
                ExitCode::from(EXIT_FINDINGS)
            } else {
                ExitCode::SUCCESS
            };
        }
        if write_failed {
            workspace.errors.push("some fixes were not written".into());
        }
    }

    let report_files: Vec<ReportFile> = workspace
        .files
        .iter()
        .map(|f| ReportFile::new(&f.display_path, &f.text))
        .collect();
    let report = Report {
        files: &report_files,
        diagnostics: &analysis.diagnostics,
        files_checked: workspace.files_checked,
        fixed,
    };
    let rendered = match args.format {
        OutputFormat::Text => report::text::render(&report),
        OutputFormat::Json => report::json::render(&report),
        OutputFormat::Sarif => report::sarif::render(&report),
        OutputFormat::Github => report::github::render(&report),
    };
    print(&rendered);
    let code = if workspace.errors.iter().any(|e| !e.starts_with("warning:")) {
        ExitCode::from(EXIT_ERROR)
    } else if !analysis.diagnostics.is_empty() && !args.exit_zero {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    };
    leave_to_exit(report_files);
    leave_to_exit(analysis);
    leave_to_exit(workspace);
    code
}

/// The command is done and the process exits next: its memory goes back to
/// the system at once, instead of millions of small allocations (every
/// file's facts, the graph) being freed one by one first.
fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
}

fn graph_command(args: GraphArgs) -> ExitCode {
    let paths = default_paths(&args.paths);
    let config = match load_config(args.config.as_ref(), &paths) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let Loaded { config, workspace } = load(&paths, config, false);
    print_load_messages(&workspace);
    let facts: Vec<Arc<FileFacts>> = workspace.files.iter().map(|f| f.facts.clone()).collect();
    let texts: Vec<&str> = workspace.files.iter().map(|f| f.text.as_ref()).collect();
    let linked = graph::link(
        facts,
        &LinkOptions {
            table_naming: config.table_naming,
        },
    );
    let rendered = match args.format {
        GraphFormat::Json => {
            let mut value = graph::json::to_json(&linked, &texts);
            // Paths as the user sees them.
            let display: BTreeMap<String, String> = workspace
                .files
                .iter()
                .map(|f| (f.facts.path.clone(), f.display_path.clone()))
                .collect();
            rewrite_paths(&mut value, &display);
            let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
            text.push('\n');
            text
        }
        GraphFormat::Mermaid => graph::json::to_mermaid(&linked),
        GraphFormat::Dot => graph::json::to_dot(&linked),
    };
    print(&rendered);
    let code = if workspace.errors.iter().any(|e| !e.starts_with("warning:")) {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    };
    leave_to_exit(linked);
    leave_to_exit(workspace);
    code
}

fn sql_command(args: SqlArgs) -> ExitCode {
    let paths = default_paths(&args.paths);
    let config = match load_config(args.config.as_ref(), &paths) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let dialect = match &args.dialect {
        None => config.dialect,
        Some(name) => match crate::config::Dialect::parse(name) {
            Some(dialect) => dialect,
            None => {
                eprintln!("error: --dialect: unknown dialect `{name}` (postgresql, sqlite, mysql)");
                return ExitCode::from(EXIT_ERROR);
            }
        },
    };
    let Loaded { config, workspace } = load(&paths, config, false);
    print_load_messages(&workspace);
    let facts: Vec<Arc<FileFacts>> = workspace.files.iter().map(|f| f.facts.clone()).collect();
    let linked = graph::link(
        facts,
        &LinkOptions {
            table_naming: config.table_naming,
        },
    );
    let rendered = match args.format {
        SqlFormat::Sql => crate::sql::json::to_sql_script(&linked, dialect),
        SqlFormat::Json => {
            let mut value = crate::sql::json::to_json(&linked, dialect);
            let display: BTreeMap<String, String> = workspace
                .files
                .iter()
                .map(|f| (f.facts.path.clone(), f.display_path.clone()))
                .collect();
            rewrite_paths(&mut value, &display);
            let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
            text.push('\n');
            text
        }
    };
    print(&rendered);
    if workspace.errors.iter().any(|e| !e.starts_with("warning:")) {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

fn rewrite_paths(value: &mut serde_json::Value, display: &BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if key == "path" {
                    if let Some(path) = item.as_str().and_then(|p| display.get(p)) {
                        *item = serde_json::Value::String(path.clone());
                    }
                } else {
                    rewrite_paths(item, display);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                rewrite_paths(item, display);
            }
        }
        _ => {}
    }
}
