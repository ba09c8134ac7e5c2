//! An in-process client that drives the server over an in-memory duplex
//! transport, for the tests, the benchmark and fuzzing.
//!
//! [`connect`] starts [`serve`](super::serve) as `sqla-analyzer server`
//! runs it, on a pipe instead of stdio. The client frames what it sends,
//! reads and checks what the server writes, and answers the server's own
//! requests (`workspace/configuration`, `client/registerCapability`,
//! `window/workDoneProgress/create`) the moment they arrive: the server
//! waits for those answers, whatever the one driving the client is waiting
//! for. Every message the server writes, its requests included, is then
//! handed to [`Client::receive`].

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::transport::content_length;
pub use super::transport::frame;
use super::Hooks;

/// How the client answers the server's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// With results: the configuration to `workspace/configuration`, null
    /// to the others.
    Results,
    /// With an internal error, as a client that fails them.
    Errors,
    /// Not at all, as a client that hangs.
    Nothing,
}

struct Answering {
    answers: Answers,
    /// The settings answered to `workspace/configuration`.
    configuration: Value,
}

fn lock(answering: &Mutex<Answering>) -> std::sync::MutexGuard<'_, Answering> {
    answering.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The client's end of a connection that [`connect`] made.
pub struct Client {
    outgoing: mpsc::UnboundedSender<Vec<u8>>,
    incoming: mpsc::UnboundedReceiver<Value>,
    answering: Arc<Mutex<Answering>>,
    next_id: i64,
    /// Reads the server's output; stopped with the client, since a server
    /// that is still running keeps its output open.
    reader: JoinHandle<()>,
}

/// Starts the server on an in-memory pipe that holds up to `capacity`
/// bytes each way, with a client connected to it. The handle's task ends
/// with what `serve` returns: whether `shutdown` came before `exit`.
pub fn connect(hooks: Hooks, capacity: usize) -> (Client, JoinHandle<bool>) {
    let (client_io, server_io) = tokio::io::duplex(capacity);
    let (server_read, server_write) = tokio::io::split(server_io);
    let server = tokio::spawn(super::serve(server_read, server_write, hooks));
    let (client_read, mut client_write) = tokio::io::split(client_io);
    // Sending queues the bytes, so that sending needs no `.await` and the
    // server's requests can be answered while the one driving the client
    // waits for something else.
    let (outgoing, mut queued) = mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        while let Some(bytes) = queued.recv().await {
            if client_write.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    let answering = Arc::new(Mutex::new(Answering {
        answers: Answers::Results,
        configuration: Value::Null,
    }));
    let (deliver, incoming) = mpsc::unbounded_channel();
    let reader = tokio::spawn(read_server(
        BufReader::new(client_read),
        outgoing.clone(),
        answering.clone(),
        deliver,
    ));
    let client = Client {
        outgoing,
        incoming,
        answering,
        next_id: 1,
        reader,
    };
    (client, server)
}

/// A request as JSON-RPC has it; null params are left out, as the
/// protocol asks of a request without any.
pub fn request_message(id: &Value, method: &str, params: Value) -> Value {
    let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if !params.is_null() {
        message["params"] = params;
    }
    message
}

/// Whether `message` is the response to the request with this id.
pub fn is_response(message: &Value, id: &Value) -> bool {
    message.get("method").is_none() && message.get("id") == Some(id)
}

impl Client {
    pub fn send(&self, message: &Value) {
        self.send_body(message.to_string().as_bytes());
    }

    /// Sends `body` with its Content-Length header, whatever it holds.
    /// Once the server has stopped reading, nothing is sent.
    pub fn send_body(&self, body: &[u8]) {
        let _ = self.outgoing.send(frame(body));
    }

    pub fn notify(&self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request without waiting for its response; returns its id.
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&request_message(&json!(id), method, params));
        id
    }

    /// Sends a request and waits for its response, skipping the messages
    /// that come before it; `None` when the server stops first.
    pub async fn request(&mut self, method: &str, params: Value) -> Option<Value> {
        let id = json!(self.send_request(method, params));
        self.skip_until(|m| is_response(m, &id)).await
    }

    /// The next message from the server; `None` once its output has ended.
    pub async fn receive(&mut self) -> Option<Value> {
        self.incoming.recv().await
    }

    /// The first message to come that matches, the ones before it dropped;
    /// `None` when the server's output ends first.
    pub async fn skip_until(&mut self, matches: impl Fn(&Value) -> bool) -> Option<Value> {
        while let Some(message) = self.receive().await {
            if matches(&message) {
                return Some(message);
            }
        }
        None
    }

    /// What the client answers to `workspace/configuration` from now on.
    pub fn set_configuration(&self, settings: Value) {
        lock(&self.answering).configuration = settings;
    }

    /// How the client answers the server's requests from now on.
    pub fn set_answers(&self, answers: Answers) {
        lock(&self.answering).answers = answers;
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Reads the server's messages, answers its requests and delivers every
/// message. Output that breaks the protocol is a panic: for the fuzz
/// target a crash, for a test a failure.
async fn read_server(
    mut input: impl AsyncBufRead + Unpin,
    outgoing: mpsc::UnboundedSender<Vec<u8>>,
    answering: Arc<Mutex<Answering>>,
    deliver: mpsc::UnboundedSender<Value>,
) {
    loop {
        let message = match read_message(&mut input).await {
            Ok(Some(message)) => message,
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                panic!("the server broke the protocol: {error}")
            }
            Ok(None) | Err(_) => return,
        };
        if let (Some(id), Some(method)) = (message.get("id"), message.get("method")) {
            if let Some(answer) = answer(id, method, &lock(&answering)) {
                let _ = outgoing.send(frame(answer.to_string().as_bytes()));
            }
        }
        if deliver.send(message).is_err() {
            return;
        }
    }
}

fn answer(id: &Value, method: &Value, answering: &Answering) -> Option<Value> {
    match answering.answers {
        Answers::Results => {
            let result = if method == "workspace/configuration" {
                json!([answering.configuration])
            } else {
                Value::Null
            };
            Some(json!({"jsonrpc": "2.0", "id": id, "result": result}))
        }
        Answers::Errors => Some(json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {"code": -32603, "message": "the client failed"}
        })),
        Answers::Nothing => None,
    }
}

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Reads one message: `Ok(None)` at the end of the output, an
/// `InvalidData` error for one without a usable Content-Length, that is
/// not JSON, or that is not a JSON-RPC 2.0 request, response or
/// notification. Headers are read in any case, other headers skipped.
async fn read_message(input: &mut (impl AsyncBufRead + Unpin)) -> io::Result<Option<Value>> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = content_length(line) {
            length = Some(value.ok_or_else(|| invalid(format!("the header {line:?}")))?);
        }
    }
    let length = length.ok_or_else(|| invalid("a message without a Content-Length header"))?;
    let mut body = vec![0; length];
    match input.read_exact(&mut body).await {
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let message: Value = serde_json::from_slice(&body).map_err(invalid)?;
    if message["jsonrpc"] != "2.0"
        || (message.get("id").is_none() && message.get("method").is_none())
    {
        return Err(invalid(format!("not a JSON-RPC 2.0 message: {message}")));
    }
    Ok(Some(message))
}
