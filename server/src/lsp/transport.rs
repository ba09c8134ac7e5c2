//! A filter in front of tower-lsp-server's reader. Its framed reader stops
//! for good at the first message it cannot decode (a body that is not JSON,
//! or JSON that is not JSON-RPC), which would end the server. The filter
//! passes valid messages through unchanged and replaces an invalid one with
//! a request to `sqla-analyzer/invalidMessage`, which the server answers
//! with the JSON-RPC error the client should have got (parse error or
//! invalid request, with the message's id when it has one).
//!
//! tower-lsp-server also drops, without a word, notifications it has no
//! handler for and notifications whose params do not read as their type (a
//! lost `didChange` leaves the server with another text than the editor's).
//! The filter turns both into `sqla-analyzer/ignoredNotification`, which the
//! server logs. `$/` notifications may be ignored silently, as the
//! protocol allows.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tower_lsp_server::jsonrpc::{Id, Request, Response};
use tower_lsp_server::ls_types as lsp;

pub const INVALID_MESSAGE: &str = "sqla-analyzer/invalidMessage";

pub const IGNORED_NOTIFICATION: &str = "sqla-analyzer/ignoredNotification";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredNotification {
    pub method: String,
    /// Why: not handled, or the params' error.
    pub reason: String,
}

/// Reads a notification's params as its type: the error when they do not.
fn params_error<P: DeserializeOwned>(params: Option<&Value>) -> Option<String> {
    match params {
        Some(params) => P::deserialize(params).err().map(|e| e.to_string()),
        None => Some("no params".into()),
    }
}

/// Why the server would ignore a notification; `None` when it handles it.
fn ignored(method: &str, params: Option<&Value>) -> Option<String> {
    let error = match method {
        "initialized" | "exit" => return None,
        "textDocument/didOpen" => params_error::<lsp::DidOpenTextDocumentParams>(params),
        "textDocument/didChange" => params_error::<lsp::DidChangeTextDocumentParams>(params),
        "textDocument/didSave" => params_error::<lsp::DidSaveTextDocumentParams>(params),
        "textDocument/didClose" => params_error::<lsp::DidCloseTextDocumentParams>(params),
        "workspace/didChangeWatchedFiles" => {
            params_error::<lsp::DidChangeWatchedFilesParams>(params)
        }
        "workspace/didChangeWorkspaceFolders" => {
            params_error::<lsp::DidChangeWorkspaceFoldersParams>(params)
        }
        "workspace/didChangeConfiguration" => {
            params_error::<lsp::DidChangeConfigurationParams>(params)
        }
        _ if method.starts_with("$/") => return None,
        _ => return Some("the server does not handle it".into()),
    };
    error.map(|error| format!("invalid params: {error}"))
}

/// Larger bodies are refused without being read into memory.
const MAX_BODY: usize = 512 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidMessage {
    /// -32700 (parse error) or -32600 (invalid request).
    pub code: i64,
}

/// A message as LSP sends it: the Content-Length header, then the body.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

fn replacement(id: Value, code: i64) -> Vec<u8> {
    let request = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": INVALID_MESSAGE,
        "params": InvalidMessage { code },
    });
    frame(request.to_string().as_bytes())
}

/// A message as tower-lsp-server's reader decodes it: the body's bytes
/// into this untagged enum, so that duplicate keys and ids that are not
/// 64-bit integers fail here exactly as they would fail there.
#[derive(Deserialize)]
#[serde(untagged)]
enum Message {
    // Decoded only to be judged, as the reader judges it.
    #[allow(dead_code)]
    Response(Response),
    Request(Request),
}

/// What to forward for one message body.
fn check(body: &[u8]) -> Vec<u8> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return replacement(Value::Null, -32700);
    };
    match serde_json::from_slice::<Message>(body) {
        Ok(Message::Request(request)) => {
            if request.id().is_none() {
                if let Some(reason) = ignored(request.method(), value.get("params")) {
                    let notification = serde_json::json!({
                        "jsonrpc": "2.0",
                        "method": IGNORED_NOTIFICATION,
                        "params": IgnoredNotification {
                            method: request.method().to_string(),
                            reason,
                        },
                    });
                    return frame(notification.to_string().as_bytes());
                }
            }
            return frame(body);
        }
        Ok(Message::Response(_)) => return frame(body),
        Err(_) => {}
    }
    // The id the reader would take (an integer or a string), else none.
    let id = value
        .get("id")
        .filter(|id| serde_json::from_value::<Id>((*id).clone()).is_ok())
        .cloned()
        .unwrap_or(Value::Null);
    replacement(id, -32600)
}

/// The value of the last `Content-Length:` header in a line, wherever it
/// starts: `Some(None)` when it is not a number.
///
/// A header normally starts its line. But after a body that was shorter
/// than its Content-Length said (or longer), the rest of one message runs
/// into the next message's header on one line (bodies end without a line
/// break): looking for the header anywhere in the line finds the next
/// message again, instead of losing every message after the bad one.
pub(super) fn content_length(line: &str) -> Option<Option<usize>> {
    const NAME: &str = "content-length:";
    let at = line.to_ascii_lowercase().rfind(NAME)?;
    Some(line[at + NAME.len()..].trim().parse().ok())
}

/// Copies LSP messages from `input` to `output`, replacing invalid ones.
pub async fn filter<I, O>(input: I, mut output: O)
where
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(input);
    loop {
        let mut length: Option<Option<usize>> = None;
        let mut headers = false;
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            if text.is_empty() {
                if headers {
                    break;
                }
                continue;
            }
            headers = true;
            if let Some(value) = content_length(text) {
                length = Some(value);
            }
        }
        let forward = match length {
            Some(Some(length)) if length <= MAX_BODY => {
                // Read as it comes, not allocated up front from the header.
                let mut body = Vec::new();
                match (&mut reader)
                    .take(length as u64)
                    .read_to_end(&mut body)
                    .await
                {
                    Ok(read) if read == length => check(&body),
                    _ => return,
                }
            }
            // Headers without a usable length: the body cannot be found.
            _ => replacement(Value::Null, -32700),
        };
        if output.write_all(&forward).await.is_err() || output.flush().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unframe(bytes: &[u8]) -> Value {
        let text = std::str::from_utf8(bytes).unwrap();
        serde_json::from_str(text.split_once("\r\n\r\n").unwrap().1).unwrap()
    }

    #[test]
    fn valid_messages_pass_and_invalid_ones_are_replaced() {
        let valid = br#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        assert_eq!(check(valid), frame(valid));
        let response = br#"{"jsonrpc":"2.0","id":1,"result":null}"#;
        assert_eq!(check(response), frame(response));
        let parse_error = unframe(&check(b"{not json"));
        assert_eq!(parse_error["id"], Value::Null);
        assert_eq!(parse_error["params"]["code"], -32700);
        let invalid = unframe(&check(br#"{"jsonrpc":"2.0","id":7,"method":42}"#));
        assert_eq!(invalid["id"], 7);
        assert_eq!(invalid["params"]["code"], -32600);
    }

    /// What the filter forwards for `input`: each message's method (quoted
    /// when renamed to be logged), or the error code that replaces it.
    fn forwarded(input: &[u8]) -> Vec<String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut output = Vec::new();
        runtime.block_on(filter(input, &mut output));
        let mut messages = Vec::new();
        let mut rest = output.as_slice();
        while !rest.is_empty() {
            let text = std::str::from_utf8(rest).unwrap();
            let (header, after) = text.split_once("\r\n\r\n").unwrap();
            let length: usize = header["Content-Length: ".len()..].parse().unwrap();
            let message: Value = serde_json::from_str(&after[..length]).unwrap();
            messages.push(match message["method"].as_str() {
                Some(INVALID_MESSAGE) => message["params"]["code"].to_string(),
                Some(IGNORED_NOTIFICATION) => message["params"]["method"].to_string(),
                Some(method) => method.to_string(),
                None => "response".to_string(),
            });
            rest = &rest[text.len() - after.len() + length..];
        }
        messages
    }

    fn message(method: &str) -> Vec<u8> {
        frame(format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{{}}}}"#).as_bytes())
    }

    fn with_length(method: &str, change: isize) -> Vec<u8> {
        let body = format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{{}}}}"#);
        let length = body.len() as isize + change;
        format!("Content-Length: {length}\r\n\r\n{body}").into_bytes()
    }

    #[test]
    fn notifications_the_server_would_drop_are_renamed() {
        let ignored = |body: &str| {
            let forwarded = unframe(&check(body.as_bytes()));
            (forwarded["method"] == IGNORED_NOTIFICATION)
                .then(|| forwarded["params"]["reason"].as_str().unwrap().to_string())
        };
        assert_eq!(
            ignored(r#"{"jsonrpc":"2.0","method":"custom/thing","params":{}}"#).as_deref(),
            Some("the server does not handle it")
        );
        assert_eq!(
            ignored(r#"{"jsonrpc":"2.0","method":"$/custom","params":{}}"#),
            None
        );
        let change = r#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":-1},"end":{"line":0,"character":0}},"text":"x"}]}}"#;
        assert!(ignored(change).unwrap().starts_with("invalid params: "));
        let valid = change.replace("-1", "0");
        assert_eq!(ignored(&valid), None);
        assert_eq!(
            ignored(r#"{"jsonrpc":"2.0","method":"textDocument/didClose"}"#).as_deref(),
            Some("invalid params: no params")
        );
        // Requests are the router's business: it answers with the errors.
        let request = r#"{"jsonrpc":"2.0","id":3,"method":"custom/thing"}"#;
        assert_eq!(check(request.as_bytes()), frame(request.as_bytes()));
    }

    #[test]
    fn wrong_lengths_lose_only_the_messages_they_overlap() {
        // Too short: the cut message is a parse error, the next one passes.
        let input = [with_length("a", -5), message("b"), message("c")].concat();
        assert_eq!(forwarded(&input), ["-32700", "\"b\"", "\"c\""]);
        // Too long: the start of the next message is swallowed with it.
        let input = [with_length("a", 20), message("b"), message("c")].concat();
        assert_eq!(forwarded(&input), ["-32700", "\"c\""]);
        // Not a number, no length, a length past the limit, garbage.
        let huge = format!("Content-Length: {}\r\n\r\n{{}}", MAX_BODY + 1).into_bytes();
        for bad in [
            b"Content-Length: twelve\r\n\r\n{}".to_vec(),
            b"Content-Type: application/json\r\n\r\n{}".to_vec(),
            huge,
            b"\x00\xff garbage\r\n\r\n".to_vec(),
        ] {
            let input = [message("a"), bad, message("b")].concat();
            assert_eq!(forwarded(&input), ["\"a\"", "-32700", "\"b\""]);
        }
        // Headers in any case, with other headers around.
        let body = br#"{"jsonrpc":"2.0","method":"a","params":{}}"#;
        let input = [
            format!(
                "content-length:{}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
                body.len()
            )
            .as_bytes(),
            body,
        ]
        .concat();
        assert_eq!(forwarded(&input), ["\"a\""]);
    }

    /// Whatever the filter forwards, the server's reader decodes: it stops
    /// for good at the first message it cannot.
    #[test]
    fn forwards_only_what_the_reader_decodes() {
        for body in [
            &br#"{"id":8e2}"#[..],
            br#"{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}"#,
            br#"{"jsonrpc":"2.0","id":99999999999999999999,"method":"shutdown"}"#,
            br#"{"jsonrpc":"2.0","method":"initialized","method":"exit"}"#,
            br#"{"jsonrpc":"2.0","id":3,"result":null,"result":1}"#,
            br#"{"jsonrpc":"2.0","id":4,"method":"shutdown"}"#,
            br#"{"jsonrpc":"2.0","id":"x","result":null}"#,
        ] {
            let forwarded = check(body);
            let text = std::str::from_utf8(&forwarded).unwrap();
            let forwarded_body = text.split_once("\r\n\r\n").unwrap().1;
            assert!(
                serde_json::from_str::<Message>(forwarded_body).is_ok(),
                "{} became {forwarded_body}",
                String::from_utf8_lossy(body)
            );
        }
        let invalid = unframe(&check(br#"{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}"#));
        assert_eq!(invalid["id"], Value::Null);
    }
}
