use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    sqla_analyzer::memory::configure();
    sqla_analyzer::cli::run(sqla_analyzer::cli::Cli::parse())
}
