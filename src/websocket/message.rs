//! [`Message`]: one WebSocket message, text or binary, read as text,
//! bytes or JSON.

use std::fmt;

use serde::de::DeserializeOwned;

use crate::error::Error;

/// One WebSocket message: text or binary.
///
/// ```
/// use fanout::Message;
/// let m = Message::from("{\"n\":1}");
/// assert_eq!(m.text().unwrap(), "{\"n\":1}");
/// assert_eq!(m.json::<serde_json::Value>().unwrap()["n"], 1);
/// assert_eq!(Message::from(vec![0xff]).bytes(), [0xff]);
/// assert!(Message::from(vec![0xff]).text().unwrap_err().is_decode());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

impl Message {
    /// The text; a binary message as UTF-8, or an error that
    /// [`is_decode`](Error::is_decode).
    pub fn text(&self) -> Result<&str, Error> {
        match self {
            Message::Text(s) => Ok(s),
            Message::Binary(b) => std::str::from_utf8(b).map_err(|e| {
                Error::decode(format!("a binary WebSocket message is not UTF-8: {e}"), "")
            }),
        }
    }

    /// The bytes (a text message's UTF-8).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Message::Text(s) => s.as_bytes(),
            Message::Binary(b) => b,
        }
    }

    /// The message decoded as JSON, or an error that
    /// [`is_decode`](Error::is_decode) (with its path, like a response's).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        crate::response::decode_json(self.bytes())
    }

    /// Whether it is a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Message::Text(_))
    }

    /// The size `bufferedAmount` counts for it: its bytes.
    pub(crate) fn len(&self) -> u64 {
        self.bytes().len() as u64
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Text(s) if s.len() > 200 => write!(f, "Text({:?}…)", &s[..s.floor(200)]),
            Message::Text(s) => write!(f, "Text({s:?})"),
            Message::Binary(b) => write!(f, "Binary({} bytes)", b.len()),
        }
    }
}

/// A char boundary at or below `i`.
trait Floor {
    fn floor(&self, i: usize) -> usize;
}

impl Floor for String {
    fn floor(&self, mut i: usize) -> usize {
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

impl From<String> for Message {
    fn from(s: String) -> Message {
        Message::Text(s)
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Message {
        Message::Text(s.to_owned())
    }
}

impl From<Vec<u8>> for Message {
    fn from(b: Vec<u8>) -> Message {
        Message::Binary(b)
    }
}

impl From<&[u8]> for Message {
    fn from(b: &[u8]) -> Message {
        Message::Binary(b.to_vec())
    }
}
