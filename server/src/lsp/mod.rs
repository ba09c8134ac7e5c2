//! The language server: `sqla-analyzer server`, LSP over stdio.
//!
//! This layer only translates between the protocol and the core (syntax,
//! facts, graph, rules, fixes): positions in the negotiated encoding, URIs,
//! the documents' buffers and the order of events.

mod analysis_thread;
pub mod client;
mod convert;
mod disk;
pub mod document;
pub mod encoding;
mod handlers;
pub mod hover;
mod server;
pub mod session;
pub mod settings;
pub mod snapshot;
mod transport;
mod worker;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::LspService;

#[doc(hidden)]
pub use server::Hooks;
pub use server::Server;

/// Serves LSP on the given streams until `exit` (or the end of input);
/// returns whether `shutdown` came first.
pub async fn serve<I, O>(input: I, output: O, hooks: Hooks) -> bool
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite,
{
    let shutdown = Arc::new(AtomicBool::new(false));
    let flag = shutdown.clone();
    let (service, socket) = LspService::build(move |client| Server::new(client, flag, hooks))
        .custom_method(transport::INVALID_MESSAGE, Server::invalid_message)
        .custom_method(
            transport::IGNORED_NOTIFICATION,
            Server::ignored_notification,
        )
        .finish();
    let (filtered, server_input) = tokio::io::duplex(1 << 16);
    let filter = tokio::spawn(transport::filter(input, filtered));
    tower_lsp_server::Server::new(server_input, output, socket)
        .serve(service)
        .await;
    filter.abort();
    shutdown.load(Ordering::SeqCst)
}

/// `sqla-analyzer server`: exit status 0 after `shutdown` then `exit`, 1
/// when the client exits without shutting down, as the protocol asks.
pub fn run_stdio() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let clean = runtime.block_on(serve(
        tokio::io::stdin(),
        tokio::io::stdout(),
        Hooks::default(),
    ));
    // Blocking analyses still running are not waited for.
    runtime.shutdown_background();
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
