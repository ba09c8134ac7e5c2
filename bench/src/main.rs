//! The `check` benchmark (issue 7).
//!
//! ```sh
//! cargo run --release --bin bench -- [--projects /tmp/projects] [--runs 5]
//! ```
//!
//! Generates (once) the synthetic workspaces with `tools/generate_workspace.py`,
//! then measures, for each workload: `check` end to end, cold (`--no-cache`)
//! and warm (with the facts cache), with its peak RSS; the phases of a cold
//! check; a bare single-threaded tree-sitter parse of the files the check
//! parses (the floor); and `ruff check --select E,F --no-cache` on the same
//! directory. Every number is the median of `--runs` runs, each in a fresh
//! process. The result is printed as Markdown tables.
//!
//! The child processes are this binary itself (hidden subcommands): `check`
//! runs the real command line in-process, then reports the process's peak
//! RSS (`VmHWM`); `phases` runs the same pipeline step by step with timers;
//! `floor` times the bare parse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

mod server;

// The allocator of the `sqla-analyzer` binary, so that the children measure it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use serde_json::{json, Value};
use sqla_analyzer::analysis;
use sqla_analyzer::cache::FactsCache;
use sqla_analyzer::config::Config;
use sqla_analyzer::facts::FileFacts;
use sqla_analyzer::facts::NamingScheme;
use sqla_analyzer::graph::{self, Graph, LinkOptions};
use sqla_analyzer::report::{self, Report, ReportFile};
use sqla_analyzer::workspace::{self, LoadTimings};

#[derive(Parser)]
#[command(
    name = "bench",
    about = "Benchmarks `sqla-analyzer check` against a bare parse and ruff"
)]
struct Args {
    #[command(subcommand)]
    child: Option<Child>,
    /// Where the generated workspaces are written (reused when present).
    #[arg(long, default_value = "/tmp/sqla-analyzer-bench")]
    dir: PathBuf,
    /// A directory of real projects: each subdirectory is a workload.
    #[arg(long)]
    projects: Option<PathBuf>,
    /// Runs per measurement; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Model files of the scaling workspaces.
    #[arg(long, value_delimiter = ',', default_value = "500,1000,2000,4000")]
    sizes: Vec<usize>,
    /// Model files of the main generated workspace.
    #[arg(long, default_value_t = 2000)]
    files: usize,
    /// Non-model files added for the prefilter workload.
    #[arg(long, default_value_t = 20000)]
    plain_files: usize,
    /// The ruff binary (default: `ruff` on PATH, else /tmp/bench-venv/bin/ruff).
    #[arg(long)]
    ruff: Option<PathBuf>,
    /// The Python that runs the generator.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Workloads: generated, mixed, projects, scaling, server.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "generated,mixed,projects,scaling,server"
    )]
    only: Vec<String>,
    /// Model files of the server's workspace (one of them the open file).
    #[arg(long, default_value_t = 500)]
    server_files: usize,
    /// Classes of the server's open models file (about 22 lines each).
    #[arg(long, default_value_t = 250)]
    server_open_classes: usize,
    /// Edits of the server's scripted session.
    #[arg(long, default_value_t = 200)]
    server_edits: usize,
    /// Regenerate the workspaces even when present.
    #[arg(long)]
    regenerate: bool,
    /// Also write every measurement to this file as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Child {
    /// `sqla-analyzer check ARGS`, in this process; then the peak RSS.
    #[command(hide = true)]
    Check {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// The check's pipeline, timed step by step; JSON on stdout.
    #[command(hide = true)]
    Phases {
        path: PathBuf,
        #[arg(long)]
        cache: bool,
    },
    /// A bare single-threaded parse of the files a check parses; JSON on stdout.
    #[command(hide = true)]
    Floor {
        path: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// The language server's initial scan of a workspace; JSON on stdout.
    #[command(hide = true)]
    Scan {
        root: PathBuf,
        /// Without the facts cache an earlier scan left.
        #[arg(long)]
        cold: bool,
    },
    /// The language server's scripted session; JSON on stdout.
    #[command(hide = true)]
    Server {
        root: PathBuf,
        open: PathBuf,
        #[arg(long, default_value_t = 200)]
        edits: usize,
    },
}

fn main() -> ExitCode {
    // As the server does: the measured process is configured like it.
    sqla_analyzer::memory::configure();
    let args = Args::parse();
    match args.child {
        Some(Child::Check { args }) => {
            let cli = <sqla_analyzer::cli::Cli as Parser>::parse_from(
                ["sqla-analyzer".to_string(), "check".to_string()]
                    .into_iter()
                    .chain(args),
            );
            let code = sqla_analyzer::cli::run(cli);
            let (cpu_ns, wait_ns) = process_schedstat();
            eprintln!("bench-peak-rss-kb: {}", peak_rss_kb());
            eprintln!("bench-cpu-ms: {}", cpu_ns as f64 / 1e6);
            eprintln!("bench-wait-ms: {}", wait_ns as f64 / 1e6);
            code
        }
        Some(Child::Phases { path, cache }) => {
            println!("{}", phases(&path, cache));
            ExitCode::SUCCESS
        }
        Some(Child::Floor { path, runs }) => {
            println!("{}", floor(&path, runs));
            ExitCode::SUCCESS
        }
        Some(Child::Scan { root, cold }) => {
            sqla_analyzer::memory::configure_server();
            println!("{}", server::scan(&root, cold));
            ExitCode::SUCCESS
        }
        Some(Child::Server { root, open, edits }) => {
            sqla_analyzer::memory::configure_server();
            println!("{}", server::run(&root, &open, edits));
            ExitCode::SUCCESS
        }
        None => {
            parent(&args);
            ExitCode::SUCCESS
        }
    }
}

// ----- children ------------------------------------------------------------

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Time on a CPU and time runnable but waiting for one, in nanoseconds,
/// from a `schedstat` file.
fn schedstat(path: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut fields = text
        .split_whitespace()
        .map(|f| f.parse::<u64>().unwrap_or(0));
    (fields.next().unwrap_or(0), fields.next().unwrap_or(0))
}

/// The same, summed over every thread of this process.
fn process_schedstat() -> (u64, u64) {
    let mut total = (0, 0);
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let (cpu, wait) = schedstat(&task.path().join("schedstat"));
            total.0 += cpu;
            total.1 += wait;
        }
    }
    total
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// The steps of `check` (see `cli::check`), each timed.
fn phases(path: &Path, use_cache: bool) -> Value {
    let start = Instant::now();
    let config = Config::discover(path).expect("the workspace's configuration is valid");
    let (candidates, _errors) = workspace::discover(&[path.to_path_buf()], &config);
    let discover = ms(start);

    let step = Instant::now();
    let cache = use_cache.then(|| FactsCache::open(&config.base));
    let cache_open = ms(step);

    let step = Instant::now();
    let timings = LoadTimings::default();
    let loaded = workspace::load_timed(&candidates, cache.as_ref(), Some(&timings));
    let load = ms(step);

    let step = Instant::now();
    if let Some(cache) = &cache {
        let entries: Vec<(String, u64, Arc<FileFacts>)> = loaded
            .files
            .iter()
            .map(|f| (f.facts.path.clone(), f.content_hash, f.facts.clone()))
            .collect();
        cache.store(&entries);
    }
    let cache_store = ms(step);

    let step = Instant::now();
    let facts: Vec<Arc<FileFacts>> = loaded.files.iter().map(|f| f.facts.clone()).collect();
    let texts: Vec<&str> = loaded.files.iter().map(|f| f.text.as_ref()).collect();
    let linked = graph::link(
        facts,
        &LinkOptions {
            table_naming: config.table_naming,
        },
    );
    let link = ms(step);

    // What the server pays on an edit that changes a fact: the same files
    // linked again, with what one link leaves warm.
    let step = Instant::now();
    relink(&linked, config.table_naming);
    let relink = ms(step);

    let step = Instant::now();
    let diagnostics = analysis::diagnose(&linked, &texts, config.dialect, |_, code| {
        config.enabled(code, None)
    });
    let rules = ms(step);

    let step = Instant::now();
    let report_files: Vec<ReportFile> = loaded
        .files
        .iter()
        .map(|f| ReportFile::new(&f.display_path, &f.text))
        .collect();
    let rendered = report::text::render(&Report {
        files: &report_files,
        diagnostics: &diagnostics,
        files_checked: loaded.files_checked,
        fixed: 0,
    });
    std::hint::black_box(rendered);
    let report = ms(step);
    let total = ms(start);

    let ns = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed) as f64 / 1e6;
    json!({
        "discover_ms": discover,
        "cache_open_ms": cache_open,
        "load_ms": load,
        "read_cpu_ms": ns(&timings.read_ns),
        "parse_cpu_ms": ns(&timings.parse_ns),
        "extract_cpu_ms": ns(&timings.extract_ns),
        "cache_store_ms": cache_store,
        "link_ms": link,
        "relink_ms": relink,
        "rules_ms": rules,
        "report_ms": report,
        "total_ms": total,
        "files_checked": loaded.files_checked,
        "files_parsed": loaded.files.len(),
        "bytes_parsed": loaded.files.iter().map(|f| f.text.len()).sum::<usize>(),
        "classes": linked.classes.len(),
        "tables": linked.tables.len(),
        "relationships": linked.relationships.len(),
        "diagnostics": diagnostics.len(),
        "peak_rss_kb": peak_rss_kb(),
    })
}

/// Links the graph's files again (a function of its own, for profilers).
#[inline(never)]
fn relink(linked: &Graph, table_naming: Option<NamingScheme>) {
    let relinked = graph::link(linked.files.clone(), &LinkOptions { table_naming });
    std::hint::black_box(relinked);
}

/// Parses, on one thread, the files a check of `path` parses.
fn floor(path: &Path, runs: usize) -> Value {
    let config = Config::discover(path).expect("the workspace's configuration is valid");
    let (candidates, _errors) = workspace::discover(&[path.to_path_buf()], &config);
    let loaded = workspace::load(&candidates);
    let texts: Vec<String> = loaded.files.iter().map(|f| f.text.to_string()).collect();
    drop(loaded);
    let mut times = Vec::new();
    let mut cpu_times = Vec::new();
    let thread = Path::new("/proc/thread-self/schedstat");
    for _ in 0..runs.max(1) {
        let (cpu_before, _) = schedstat(thread);
        let start = Instant::now();
        for text in &texts {
            let tree = sqla_analyzer::syntax::parse(text);
            std::hint::black_box(&tree);
        }
        times.push(ms(start));
        cpu_times.push((schedstat(thread).0 - cpu_before) as f64 / 1e6);
    }
    json!({
        "runs_ms": times,
        "cpu_runs_ms": cpu_times,
        "files": texts.len(),
        "bytes": texts.iter().map(String::len).sum::<usize>(),
    })
}

// ----- the parent ----------------------------------------------------------

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

fn memory_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kb| format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "?".into())
}

struct Runner {
    exe: PathBuf,
    runs: usize,
    time_tool: Option<PathBuf>,
}

/// One run of a process: its wall time and peak RSS.
struct Sample {
    wall_ms: f64,
    rss_kb: Option<u64>,
    /// CPU time (user and system, every thread).
    cpu_ms: Option<f64>,
    /// Time runnable but waiting for a CPU (other work on the machine).
    wait_ms: Option<f64>,
}

impl Runner {
    /// `sqla-analyzer check ARGS` in a fresh process.
    fn check(&self, args: &[&str]) -> Sample {
        let start = Instant::now();
        let output = Command::new(&self.exe)
            .arg("check")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("the benchmark can run itself");
        let wall_ms = ms(start);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let value = |key: &str| {
            stderr
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        if !output.status.success() {
            eprintln!("warning: check {args:?} exited with {}", output.status);
        }
        Sample {
            wall_ms,
            rss_kb: value("bench-peak-rss-kb: ").map(|v| v as u64),
            cpu_ms: value("bench-cpu-ms: "),
            wait_ms: value("bench-wait-ms: "),
        }
    }

    fn child_json(&self, args: &[&str]) -> Value {
        let output = Command::new(&self.exe)
            .args(args)
            .stderr(Stdio::inherit())
            .output()
            .expect("the benchmark can run itself");
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!("child {args:?} printed no JSON ({error})");
        })
    }

    /// Any command, with its peak RSS from `/usr/bin/time` when present.
    fn external(&self, program: &Path, args: &[&str]) -> Sample {
        let mut command = match &self.time_tool {
            Some(time) => {
                let mut c = Command::new(time);
                c.args(["-f", "bench-peak-rss-kb: %M\nbench-cpu-s: %U %S"])
                    .arg(program);
                c
            }
            None => Command::new(program),
        };
        let start = Instant::now();
        let output = command
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("the command runs");
        let wall_ms = ms(start);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let rss_kb = stderr
            .lines()
            .find_map(|l| l.strip_prefix("bench-peak-rss-kb: "))
            .and_then(|v| v.trim().parse().ok());
        let cpu_ms = stderr
            .lines()
            .find_map(|l| l.strip_prefix("bench-cpu-s: "))
            .map(|v| {
                v.split_whitespace()
                    .filter_map(|s| s.parse::<f64>().ok())
                    .sum::<f64>()
                    * 1000.0
            });
        Sample {
            wall_ms,
            rss_kb,
            cpu_ms,
            wait_ms: None,
        }
    }

    fn repeat(&self, mut run: impl FnMut() -> Sample) -> Value {
        let samples: Vec<Sample> = (0..self.runs).map(|_| run()).collect();
        let mut walls: Vec<f64> = samples.iter().map(|s| s.wall_ms).collect();
        let mut rss: Vec<f64> = samples
            .iter()
            .filter_map(|s| s.rss_kb.map(|k| k as f64))
            .collect();
        let wall = median(&mut walls);
        let optional = |values: &mut Vec<f64>| {
            if values.is_empty() {
                Value::Null
            } else {
                json!(median(values))
            }
        };
        let mut cpu: Vec<f64> = samples.iter().filter_map(|s| s.cpu_ms).collect();
        let mut wait: Vec<f64> = samples.iter().filter_map(|s| s.wait_ms).collect();
        json!({
            "wall_ms": wall,
            "walls_ms": walls,
            "rss_kb": optional(&mut rss),
            "cpu_ms": optional(&mut cpu),
            "wait_ms": optional(&mut wait),
        })
    }
}

fn median_array(values: &Value) -> f64 {
    let mut values: Vec<f64> = values
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    median(&mut values)
}

fn median_of(samples: &[Value], key: &str) -> f64 {
    let mut values: Vec<f64> = samples.iter().filter_map(|s| s[key].as_f64()).collect();
    median(&mut values)
}

fn find_ruff(explicit: &Option<PathBuf>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.clone());
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("ruff"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let venv = PathBuf::from("/tmp/bench-venv/bin/ruff");
        venv.is_file().then_some(venv)
    })
}

fn version_of(program: &Path) -> String {
    Command::new(program)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Generates a workspace unless one with the same parameters is there.
fn generate(args: &Args, name: &str, files: usize, plain: usize) -> PathBuf {
    generate_with(args, name, files, plain, 0)
}

/// [`generate`], with a first classic models file of `large` classes.
fn generate_with(args: &Args, name: &str, files: usize, plain: usize, large: usize) -> PathBuf {
    let out = args.dir.join(name);
    let manifest = out.join("genapp/generated.json");
    let wanted = |m: &Value| {
        m["files"].as_u64() == Some(files as u64)
            && m["plain_files"].as_u64() == Some(plain as u64)
            && m["large_file"].as_u64().unwrap_or(0) == large as u64
    };
    let existing = std::fs::read(&manifest)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    if !args.regenerate && existing.as_ref().is_some_and(wanted) {
        return out;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/generate_workspace.py");
    eprintln!(
        "generating {} ({files} model files, {plain} others)",
        out.display()
    );
    let status = Command::new(&args.python)
        .arg(&script)
        .arg(&out)
        .args(["--files", &files.to_string()])
        .args(["--plain-files", &plain.to_string()])
        .args(["--large-file", &large.to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("python runs the generator");
    assert!(status.success(), "the generator failed");
    out
}

struct Workload {
    label: String,
    path: PathBuf,
}

fn parent(args: &Args) {
    let exe = std::env::current_exe().expect("the benchmark knows its path");
    let time_tool = Path::new("/usr/bin/time")
        .is_file()
        .then(|| PathBuf::from("/usr/bin/time"));
    let runner = Runner {
        exe,
        runs: args.runs.max(1),
        time_tool,
    };
    let ruff = find_ruff(&args.ruff);
    let load_before = load_average();
    let wants = |name: &str| args.only.iter().any(|o| o == name);

    let mut workloads = Vec::new();
    if wants("generated") || wants("scaling") {
        let path = generate(args, &format!("models-{}", args.files), args.files, 0);
        if wants("generated") {
            workloads.push(Workload {
                label: format!("generated, {} model files", args.files),
                path,
            });
        }
    }
    if wants("mixed") {
        let path = generate(
            args,
            &format!("mixed-{}-{}", args.files, args.plain_files),
            args.files,
            args.plain_files,
        );
        workloads.push(Workload {
            label: format!(
                "generated, {} model + {} other files",
                args.files, args.plain_files
            ),
            path,
        });
    }
    if wants("projects") {
        if let Some(dir) = &args.projects {
            let mut projects: Vec<PathBuf> = std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok())
                        .map(|e| e.path())
                        .filter(|p| p.is_dir())
                        .collect()
                })
                .unwrap_or_default();
            projects.sort();
            for path in projects {
                workloads.push(Workload {
                    label: path
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default(),
                    path,
                });
            }
        }
    }

    let mut results = Vec::new();
    for workload in &workloads {
        eprintln!("measuring {}", workload.label);
        results.push(measure(&runner, ruff.as_deref(), workload));
    }

    let mut scaling = Vec::new();
    if wants("scaling") {
        for &size in &args.sizes {
            let path = generate(args, &format!("models-{size}"), size, 0);
            eprintln!("measuring scaling, {size} model files");
            let path_text = path.to_string_lossy().to_string();
            let cold = runner.repeat(|| runner.check(&["--no-cache", "--exit-zero", &path_text]));
            let phases: Vec<Value> = (0..runner.runs)
                .map(|_| runner.child_json(&["phases", &path_text]))
                .collect();
            let floor =
                runner.child_json(&["floor", &path_text, "--runs", &runner.runs.to_string()]);
            scaling.push(json!({
                "files": size,
                "classes": phases[0]["classes"],
                "tables": phases[0]["tables"],
                "bytes": phases[0]["bytes_parsed"],
                "cold": cold,
                "floor_ms": median_array(&floor["runs_ms"]),
                "floor_cpu_ms": median_array(&floor["cpu_runs_ms"]),
                "link_ms": median_of(&phases, "link_ms"),
                "rules_ms": median_of(&phases, "rules_ms"),
            }));
        }
    }
    let mut server_runs = Vec::new();
    let mut scans = Value::Null;
    if wants("server") {
        let root = generate_with(
            args,
            &format!("server-{}", args.server_files),
            args.server_files,
            0,
            args.server_open_classes,
        );
        let open = root.join("genapp/classic/m0000.py");
        eprintln!(
            "measuring the server, {} model files, {} open",
            args.server_files,
            open.display()
        );
        let root_text = root.to_string_lossy().to_string();
        let open_text = open.to_string_lossy().to_string();
        let edits = args.server_edits.to_string();
        for _ in 0..runner.runs {
            server_runs
                .push(runner.child_json(&["server", &root_text, &open_text, "--edits", &edits]));
        }
        // The initial scan of the main generated workspace, cold and with
        // the facts cache the cold scan left.
        let main = generate(args, &format!("models-{}", args.files), args.files, 0);
        let main_text = main.to_string_lossy().to_string();
        eprintln!("measuring the server's scan of {}", main.display());
        let cache_dir = main.join(sqla_analyzer::cache::DIRECTORY);
        let had_cache = cache_dir.exists();
        let (mut cold, mut warm) = (Vec::new(), Vec::new());
        for _ in 0..runner.runs {
            cold.push(runner.child_json(&["scan", &main_text, "--cold"]));
            warm.push(runner.child_json(&["scan", &main_text]));
        }
        if !had_cache {
            let _ = std::fs::remove_dir_all(&cache_dir);
        }
        scans = json!({
            "files": args.files,
            "cold_ms": median_of(&cold, "initial_scan_ms"),
            "warm_ms": median_of(&warm, "initial_scan_ms"),
            "cold_peak_rss_kb": median_of(&cold, "peak_rss_kb"),
            "warm_peak_rss_kb": median_of(&warm, "peak_rss_kb"),
        });
    }
    let load_after = load_average();

    let machine = json!({
        "cpu": cpu_model(),
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory": memory_total(),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "runs": runner.runs,
        "analyzer": env!("CARGO_PKG_VERSION"),
        "ruff": ruff.as_deref().map(version_of).unwrap_or_else(|| "not found".into()),
    });
    let all = json!({
        "machine": machine,
        "workloads": results,
        "scaling": scaling,
        "server": server_runs,
        "server_scans": scans,
    });
    if let Some(file) = &args.json {
        let _ = std::fs::write(file, serde_json::to_string_pretty(&all).unwrap_or_default());
    }
    print!("{}", markdown(&all));
}

fn measure(runner: &Runner, ruff: Option<&Path>, workload: &Workload) -> Value {
    let path = workload.path.to_string_lossy().to_string();
    let cache_dir = workload.path.join(sqla_analyzer::cache::DIRECTORY);
    let had_cache = cache_dir.exists();

    let phases: Vec<Value> = (0..runner.runs)
        .map(|_| runner.child_json(&["phases", &path]))
        .collect();
    let mut phase_medians = BTreeMap::new();
    for key in [
        "discover_ms",
        "load_ms",
        "read_cpu_ms",
        "parse_cpu_ms",
        "extract_cpu_ms",
        "link_ms",
        "rules_ms",
        "report_ms",
        "total_ms",
        "peak_rss_kb",
    ] {
        phase_medians.insert(key.to_string(), json!(median_of(&phases, key)));
    }
    let cold = runner.repeat(|| runner.check(&["--no-cache", "--exit-zero", &path]));
    // Prime the cache, then measure with it.
    runner.check(&["--exit-zero", &path]);
    let warm = runner.repeat(|| runner.check(&["--exit-zero", &path]));
    if !had_cache {
        let _ = std::fs::remove_dir_all(&cache_dir);
    }
    let floor = runner.child_json(&["floor", &path, "--runs", &runner.runs.to_string()]);
    let ruff = ruff.map(|ruff| {
        runner.repeat(|| {
            runner.external(
                ruff,
                &[
                    "check",
                    "--select",
                    "E,F",
                    "--no-cache",
                    "--exit-zero",
                    "--quiet",
                    &path,
                ],
            )
        })
    });
    json!({
        "label": workload.label,
        "path": path,
        "files_checked": phases[0]["files_checked"],
        "files_parsed": phases[0]["files_parsed"],
        "bytes_parsed": phases[0]["bytes_parsed"],
        "classes": phases[0]["classes"],
        "diagnostics": phases[0]["diagnostics"],
        "phases": phase_medians,
        "cold": cold,
        "warm": warm,
        "floor_ms": median_array(&floor["runs_ms"]),
        "floor_cpu_ms": median_array(&floor["cpu_runs_ms"]),
        "ruff": ruff,
    })
}

// ----- the report ----------------------------------------------------------

fn seconds(ms: f64) -> String {
    if ms.is_nan() {
        "n/a".into()
    } else if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn millis(ms: f64) -> String {
    if ms.is_nan() {
        "n/a".into()
    } else {
        format!("{ms:.0} ms")
    }
}

fn mib(kb: Option<f64>) -> String {
    match kb {
        Some(kb) if !kb.is_nan() => format!("{:.0} MiB", kb / 1024.0),
        _ => "n/a".into(),
    }
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_nan() || b.is_nan() || b == 0.0 {
        "n/a".into()
    } else {
        format!("{:.2}×", a / b)
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn markdown(all: &Value) -> String {
    let m = &all["machine"];
    let mut out = String::new();
    out.push_str(&format!(
        "Machine: {}, {} cores, {}, Linux {}; load average {} before, {} after; \
         sqla-analyzer {}, {}; median of {} runs.\n\n",
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"],
        m["memory"].as_str().unwrap_or("?"),
        m["kernel"].as_str().unwrap_or("?"),
        m["load_average_before"].as_str().unwrap_or("?"),
        m["load_average_after"].as_str().unwrap_or("?"),
        m["analyzer"].as_str().unwrap_or("?"),
        m["ruff"].as_str().unwrap_or("?"),
        m["runs"],
    ));
    let workloads = all["workloads"].as_array().cloned().unwrap_or_default();
    if !workloads.is_empty() {
        out.push_str(
            "| workload | .py files | parsed | check cold | CPU | waiting | check warm \
             | parse floor (1 thread) | cold / floor | ruff E,F | cold / ruff \
             | RSS cold | RSS warm | RSS ruff |\n",
        );
        out.push_str("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for w in &workloads {
            let cold = w["cold"]["wall_ms"].as_f64().unwrap_or(f64::NAN);
            let warm = w["warm"]["wall_ms"].as_f64().unwrap_or(f64::NAN);
            let floor = w["floor_ms"].as_f64().unwrap_or(f64::NAN);
            let ruff = w["ruff"]["wall_ms"].as_f64().unwrap_or(f64::NAN);
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                w["label"].as_str().unwrap_or("?"),
                thousands(w["files_checked"].as_u64().unwrap_or(0)),
                thousands(w["files_parsed"].as_u64().unwrap_or(0)),
                seconds(cold),
                seconds(w["cold"]["cpu_ms"].as_f64().unwrap_or(f64::NAN)),
                seconds(w["cold"]["wait_ms"].as_f64().unwrap_or(f64::NAN)),
                seconds(warm),
                seconds(floor),
                ratio(cold, floor),
                seconds(ruff),
                ratio(cold, ruff),
                mib(w["cold"]["rss_kb"].as_f64()),
                mib(w["warm"]["rss_kb"].as_f64()),
                mib(w["ruff"]["rss_kb"].as_f64()),
            ));
        }
        out.push_str(
            "\nCPU is the check's time on a CPU, every thread summed; waiting, its \
             threads' time runnable but waiting for a CPU that other work held.\n",
        );
        out.push_str(
            "\nPhases of a cold check, in one process (read, parse and extract run on \
             every core: their columns share the load's wall time by their summed thread time):\n\n",
        );
        out.push_str(
            "| workload | discover | read + prefilter | parse | extract | link | rules | report | total |\n",
        );
        out.push_str("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for w in &workloads {
            let p = &w["phases"];
            let get = |k: &str| p[k].as_f64().unwrap_or(f64::NAN);
            let cpu = get("read_cpu_ms") + get("parse_cpu_ms") + get("extract_cpu_ms");
            let share = |k: &str| get("load_ms") * get(k) / cpu;
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                w["label"].as_str().unwrap_or("?"),
                millis(get("discover_ms")),
                millis(share("read_cpu_ms")),
                millis(share("parse_cpu_ms")),
                millis(share("extract_cpu_ms")),
                millis(get("link_ms")),
                millis(get("rules_ms")),
                millis(get("report_ms")),
                millis(get("total_ms")),
            ));
        }
    }
    let scaling = all["scaling"].as_array().cloned().unwrap_or_default();
    if !scaling.is_empty() {
        out.push_str(
            "\nScaling (generated model files, 10 classes or Core tables each; tables \
             include the classes' own and the association tables):\n\n",
        );
        out.push_str(
            "| model files | classes | tables | check cold | CPU | per 1,000 files | parse floor \
             | cold / floor | link | rules | RSS | RSS per file |\n",
        );
        out.push_str("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for s in &scaling {
            let files = s["files"].as_f64().unwrap_or(f64::NAN);
            let cold = s["cold"]["wall_ms"].as_f64().unwrap_or(f64::NAN);
            let floor = s["floor_ms"].as_f64().unwrap_or(f64::NAN);
            let rss = s["cold"]["rss_kb"].as_f64();
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                thousands(files as u64),
                thousands(s["classes"].as_u64().unwrap_or(0)),
                thousands(s["tables"].as_u64().unwrap_or(0)),
                seconds(cold),
                seconds(s["cold"]["cpu_ms"].as_f64().unwrap_or(f64::NAN)),
                seconds(cold / files * 1000.0),
                seconds(floor),
                ratio(cold, floor),
                millis(s["link_ms"].as_f64().unwrap_or(f64::NAN)),
                millis(s["rules_ms"].as_f64().unwrap_or(f64::NAN)),
                mib(rss),
                rss.map(|kb| format!("{:.0} KiB", kb / files))
                    .unwrap_or_else(|| "n/a".into()),
            ));
        }
    }
    let server = all["server"].as_array().cloned().unwrap_or_default();
    if !server.is_empty() {
        out.push_str(&server_markdown(&server));
        let scans = &all["server_scans"];
        if let Some(files) = scans["files"].as_u64() {
            out.push_str(&format!(
                "Initial scan of the {files}-file generated workspace: {} cold, {} with the facts \
                 cache the cold scan left; peak RSS {} and {}.\n",
                millis(scans["cold_ms"].as_f64().unwrap_or(f64::NAN)),
                millis(scans["warm_ms"].as_f64().unwrap_or(f64::NAN)),
                mib(scans["cold_peak_rss_kb"].as_f64()),
                mib(scans["warm_peak_rss_kb"].as_f64()),
            ));
        }
    }
    out
}

/// The server's table: per measure, the median over the runs of each
/// run's statistic.
fn server_markdown(runs: &[Value]) -> String {
    let over_runs = |pointer: &str| {
        let mut values: Vec<f64> = runs
            .iter()
            .filter_map(|r| r.pointer(pointer).and_then(Value::as_f64))
            .collect();
        median(&mut values)
    };
    let first = &runs[0];
    let mut out = format!(
        "\nServer: {} edits on an open models file of {} lines, each timed from `didChange` to \
         the `publishDiagnostics` of its version (median of {} sessions):\n\n",
        first["edits"]["count"],
        first["open_file_lines"],
        runs.len()
    );
    out.push_str("| measure | median | p90 | p99 | max |\n|---|--:|--:|--:|--:|\n");
    let mut rows = vec![(
        "didChange → publishDiagnostics, every edit".to_string(),
        "/edits".to_string(),
    )];
    if let Some(kinds) = first["edits_by_kind"].as_object() {
        for kind in kinds.keys() {
            rows.push((format!("… {kind}"), format!("/edits_by_kind/{kind}")));
        }
    }
    rows.push((
        "floor: tree-sitter's incremental reparse of the open file".into(),
        "/reparse_floor".into(),
    ));
    rows.push(("hover".into(), "/hover".into()));
    rows.push(("code action".into(), "/code_action".into()));
    rows.push((
        "fix all, resolved when chosen".into(),
        "/fix_all_resolve".into(),
    ));
    for (label, pointer) in rows {
        let cell = |stat: &str| {
            let value = over_runs(&format!("{pointer}/{stat}"));
            if value.is_nan() {
                "n/a".to_string()
            } else {
                format!("{value:.1} ms")
            }
        };
        out.push_str(&format!(
            "| {label} | {} | {} | {} | {} |\n",
            cell("median_ms"),
            cell("p90_ms"),
            cell("p99_ms"),
            cell("max_ms")
        ));
    }
    out.push_str(&format!(
        "\nInitial scan (initialize to the end of its progress) {}, opening the file {}; \
         RSS after the scan {}, at the end {}, after resting 2 s {}, peak {}.\n",
        millis(over_runs("/initial_scan_ms")),
        millis(over_runs("/open_ms")),
        mib(Some(over_runs("/rss_after_scan_kb"))),
        mib(Some(over_runs("/rss_end_kb"))),
        mib(Some(over_runs("/rss_rest_kb"))),
        mib(Some(over_runs("/peak_rss_kb"))),
    ));
    out
}
