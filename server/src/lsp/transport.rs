//! A filter in front of tower-lsp-server's reader. Its framed reader stops
//! for good at the first message it cannot decode (a body that is not JSON,
//! or JSON that is not JSON-RPC), which would end the server. The filter
//! passes valid messages through unchanged and replaces an invalid one with
//! a request to `sqla-analyzer/invalidMessage`, which the server answers
//! with the JSON-RPC error the client should have got (parse error or
//! invalid request, with the message's id when it has one).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tower_lsp_server::jsonrpc::{Id, Request, Response};

pub const INVALID_MESSAGE: &str = "sqla-analyzer/invalidMessage";

/// Larger bodies are refused without being read into memory.
const MAX_BODY: usize = 512 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidMessage {
    /// -32700 (parse error) or -32600 (invalid request).
    pub code: i64,
}

fn frame(body: &[u8]) -> Vec<u8> {
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
#[allow(dead_code)]
enum Message {
    Response(Response),
    Request(Request),
}

/// What to forward for one message body.
fn check(body: &[u8]) -> Vec<u8> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return replacement(Value::Null, -32700);
    };
    if serde_json::from_slice::<Message>(body).is_ok() {
        return frame(body);
    }
    // The id the reader would take (an integer or a string), else none.
    let id = value
        .get("id")
        .filter(|id| serde_json::from_value::<Id>((*id).clone()).is_ok())
        .cloned()
        .unwrap_or(Value::Null);
    replacement(id, -32600)
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
            if let Some((name, value)) = text.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = Some(value.trim().parse().ok());
                }
            }
        }
        let forward = match length {
            Some(Some(length)) if length <= MAX_BODY => {
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).await.is_err() {
                    return;
                }
                check(&body)
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
