//! Bodies read line by line: [`Response::lines`] (a `Stream` of text
//! lines) and [`Response::json_lines`] (NDJSON, a `Stream` of decoded
//! values), over [`LineSplitter`], the pure part, tested natively.

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use serde::de::DeserializeOwned;

use crate::error::{Error, Kind};
use crate::method::Method;
use crate::response::{decode_json, BodyStream, Response};

/// Splits bytes that arrive in chunks into lines: a line ends at `\n` or
/// `\r\n` (the `\r` is dropped), wherever the chunks were cut, and is
/// decoded as UTF-8 once it is whole, so a character split between two
/// chunks comes out whole (invalid bytes become U+FFFD). A UTF-8 byte
/// order mark at the very start is dropped. The last line needs no line
/// end; an empty body has no lines.
#[derive(Debug, Default)]
pub(crate) struct LineSplitter {
    /// The bytes of the line not yet ended.
    partial: Vec<u8>,
    /// Whether the start of the input was checked for a byte order mark.
    bom_checked: bool,
}

/// The UTF-8 byte order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The start of an input whose byte order mark is not checked yet:
/// `chunk` is added to `held`; `None` while they may be the start of a
/// BOM (wait for more), else all of them, without a BOM. For
/// [`LineSplitter`] and the event-stream parser.
pub(crate) fn after_bom(held: &mut Vec<u8>, chunk: &[u8]) -> Option<Vec<u8>> {
    held.extend_from_slice(chunk);
    if held.len() < BOM.len() && BOM.starts_with(held) {
        return None;
    }
    let mut all = std::mem::take(held);
    if all.starts_with(BOM) {
        all.drain(..BOM.len());
    }
    Some(all)
}

impl LineSplitter {
    /// Adds `chunk`, pushing every line it ends onto `out`.
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut VecDeque<String>) {
        if self.bom_checked {
            return self.split(chunk, out);
        }
        let Some(held) = after_bom(&mut self.partial, chunk) else {
            return;
        };
        self.bom_checked = true;
        self.split(&held, out);
    }

    fn split(&mut self, mut rest: &[u8], out: &mut VecDeque<String>) {
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.partial.extend_from_slice(&rest[..i]);
            if self.partial.last() == Some(&b'\r') {
                self.partial.pop();
            }
            out.push_back(String::from_utf8_lossy(&self.partial).into_owned());
            self.partial.clear();
            rest = &rest[i + 1..];
        }
        self.partial.extend_from_slice(rest);
    }

    /// Ends the input: the last line, if it had no line end.
    pub(crate) fn finish(&mut self) -> Option<String> {
        self.bom_checked = true;
        if self.partial.is_empty() {
            return None;
        }
        if self.partial.last() == Some(&b'\r') {
            self.partial.pop();
        }
        let line = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        Some(line)
    }
}

/// The body of a [`Response`] as a `Stream` of its lines, from
/// [`Response::lines`]. Dropping it aborts the download.
pub struct Lines {
    body: BodyStream,
    splitter: LineSplitter,
    ready: VecDeque<String>,
    done: bool,
}

impl fmt::Debug for Lines {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lines")
            .field("body", &self.body)
            .field("ready", &self.ready.len())
            .finish()
    }
}

impl Stream for Lines {
    type Item = Result<String, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(line) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(line)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            match Pin::new(&mut this.body).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.splitter.push(&chunk, &mut this.ready),
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => {
                    this.done = true;
                    this.ready.extend(this.splitter.finish());
                }
            }
        }
    }
}

/// A body of newline-delimited JSON (NDJSON, JSON Lines) as a `Stream` of
/// values of type `T`, from [`Response::json_lines`]. Blank lines are
/// skipped. A line that does not decode is an item that
/// [`is_decode`](Error::is_decode), whose message starts with its line
/// number (`line 3: invalid JSON ...`); the stream goes on after it, so
/// the caller chooses whether to stop (drop the stream) or skip the line
/// (keep reading). A body error ends the stream. Dropping it aborts the
/// download.
pub struct JsonLines<T> {
    lines: Lines,
    method: Method,
    url: String,
    line_no: u64,
    _type: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for JsonLines<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonLines")
            .field("url", &self.url)
            .field("line", &self.line_no)
            .finish()
    }
}

/// A decode error of line `line_no` (1-based).
pub(crate) fn line_error(e: Error, line_no: u64) -> Error {
    let kind = Kind::Decode {
        path: e.decode_path().map(|p| format!("line {line_no}: {p}")),
        body_start: e.body_start().unwrap_or_default().to_owned(),
    };
    let message = format!("line {line_no}: {}", e.message());
    Error::new(kind, message).with_source(e)
}

impl<T: DeserializeOwned> Stream for JsonLines<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            let line = match Pin::new(&mut this.lines).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(line))) => line,
            };
            this.line_no += 1;
            if line.trim().is_empty() {
                continue;
            }
            return Poll::Ready(Some(decode_json(line.as_bytes()).map_err(|e| {
                line_error(e, this.line_no).with_request(this.method, &this.url)
            })));
        }
    }
}

/// Reading a body line by line.
impl Response {
    /// The body as a `Stream` of lines, read as the chunks arrive: a line
    /// ends at `\n` or `\r\n` (not included), wherever the chunks were cut;
    /// each is decoded as UTF-8 once whole, so a character split between
    /// chunks comes out whole (invalid bytes become U+FFFD). The size cap
    /// and `on_progress` (feature `chunked`) apply as with
    /// [`bytes_stream`](Response::bytes_stream).
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// # futures::executor::block_on(async {
    /// let resp = fanout::Response::new(200, "first\r\nsecond\nthird");
    /// let lines: Vec<String> = resp.lines().map(|l| l.unwrap()).collect().await;
    /// assert_eq!(lines, ["first", "second", "third"]);
    /// # });
    /// ```
    pub fn lines(self) -> Lines {
        Lines {
            body: self.bytes_stream(),
            splitter: LineSplitter::default(),
            ready: VecDeque::new(),
            done: false,
        }
    }

    /// The body as newline-delimited JSON: a `Stream` of `Result<T, Error>`,
    /// one per non-blank line (see [`JsonLines`]: a bad line is an error
    /// naming its line number, and the stream goes on after it).
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// # futures::executor::block_on(async {
    /// #[derive(serde::Deserialize, Debug)]
    /// struct Tick { n: u32 }
    /// let resp = fanout::Response::new(200, "{\"n\":1}\n{\"n\":\n{\"n\":3}\n");
    /// let items: Vec<Result<Tick, fanout::Error>> = resp.json_lines().collect().await;
    /// assert_eq!(items[0].as_ref().unwrap().n, 1);
    /// let bad = items[1].as_ref().unwrap_err();
    /// assert!(bad.is_decode() && bad.message().starts_with("line 2:"));
    /// assert_eq!(items[2].as_ref().unwrap().n, 3);
    /// # });
    /// ```
    pub fn json_lines<T: DeserializeOwned>(self) -> JsonLines<T> {
        let (method, url) = (self.method(), self.url());
        JsonLines {
            lines: self.lines(),
            method,
            url,
            line_no: 0,
            _type: PhantomData,
        }
    }
}

// Native only: the property tests use proptest, a native dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut s = LineSplitter::default();
        let mut out = VecDeque::new();
        for c in chunks {
            s.push(c, &mut out);
        }
        out.extend(s.finish());
        out.into()
    }

    #[test]
    fn line_ends() {
        assert_eq!(split(&[b"a\nb\r\nc"]), ["a", "b", "c"]);
        assert_eq!(split(&[b"a\n\nb\n"]), ["a", "", "b"]);
        assert_eq!(split(&[b""]), Vec::<String>::new());
        assert_eq!(split(&[b"\n"]), [""]);
        assert_eq!(split(&[b"a\r"]), ["a"]);
        // A lone CR inside a line is text.
        assert_eq!(split(&[b"a\rb\n"]), ["a\rb"]);
    }

    #[test]
    fn crlf_and_characters_split_across_chunks() {
        assert_eq!(split(&[b"a\r", b"\nb"]), ["a", "b"]);
        let snow = "h\u{2603}\u{1F600}é\n".as_bytes();
        for cut in 0..snow.len() {
            assert_eq!(
                split(&[&snow[..cut], &snow[cut..]]),
                ["h\u{2603}\u{1F600}é"]
            );
        }
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(split(&[b"a\xFFb\n"]), ["a\u{FFFD}b"]);
        // A character cut off by the end of its line.
        assert_eq!(split(&[b"\xE2\x98\n"]), ["\u{FFFD}"]);
    }

    #[test]
    fn byte_order_mark() {
        assert_eq!(split(&[b"\xEF\xBB\xBFa\nb"]), ["a", "b"]);
        assert_eq!(split(&[b"\xEF", b"\xBB", b"\xBFa"]), ["a"]);
        assert_eq!(split(&[b"\xEF\xBB\xBF"]), Vec::<String>::new());
        // Only at the start.
        assert_eq!(split(&[b"a\n\xEF\xBB\xBFb"]), ["a", "\u{FEFF}b"]);
        // A prefix of the BOM that is not one stays (as U+FFFD).
        assert_eq!(split(&[b"\xEF", b"a\n"]), ["\u{FFFD}a"]);
        assert_eq!(split(&[b"\xEF"]), ["\u{FFFD}"]);
    }

    /// Cuts `input` at the `cuts` (taken modulo its length, sorted).
    pub(crate) fn chunked(input: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        at.sort_unstable();
        let mut out = Vec::new();
        let mut from = 0;
        for c in at.into_iter().chain([input.len()]) {
            out.push(input[from..c].to_vec());
            from = c;
        }
        out
    }

    proptest! {
        #[test]
        fn every_chunking_gives_the_same_lines(
            pieces in prop::collection::vec(prop::sample::select(vec![
                &b"a"[..], b"\xC3\xA9", b"\xF0\x9F\x98\x80", b"\r", b"\n", b"\r\n",
                b"\xEF\xBB\xBF", b"\xEF", b"\xFF", b" ", b"{}",
            ]), 0..30),
            cuts in prop::collection::vec(any::<usize>(), 0..12),
        ) {
            let input = pieces.concat();
            let want = split(&[&input]);
            let chunks = chunked(&input, &cuts);
            let refs: Vec<&[u8]> = chunks.iter().map(|c| &c[..]).collect();
            prop_assert_eq!(split(&refs), want);
        }
    }

    #[test]
    fn every_cut_of_a_small_input() {
        let input = "\u{FEFF}a\r\n\u{1F600}\n\nb\r".as_bytes();
        let want = split(&[input]);
        assert_eq!(want, ["a", "\u{1F600}", "", "b"]);
        // Every way of cutting it into chunks (2^(n-1) of them).
        let n = input.len();
        for mask in 0u32..(1 << (n - 1)) {
            let cuts: Vec<usize> = (1..n).filter(|i| mask & (1 << (i - 1)) != 0).collect();
            let chunks = chunked(input, &cuts);
            let refs: Vec<&[u8]> = chunks.iter().map(|c| &c[..]).collect();
            assert_eq!(split(&refs), want, "{chunks:?}");
        }
    }
}
