use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    sqla_analyzer::cli::run(sqla_analyzer::cli::Cli::parse())
}
