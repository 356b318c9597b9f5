//! The pure part of Server-Sent Events: the HTML standard's
//! event-stream interpretation, tested natively.

use std::collections::VecDeque;
use std::time::Duration;

use super::Event;
use crate::lines::after_bom;

/// The event-stream interpretation of the HTML standard ("Server-sent
/// events", parsing an event stream): lines end at CR, LF or CRLF
/// anywhere in the chunks; one leading byte order mark is dropped; lines
/// starting with `:` are comments; `field: value` loses one space after
/// the colon; `data` lines are joined with `\n`; an `id` with a NUL is
/// ignored; `retry` takes ASCII digits only; a blank line dispatches the
/// event, unless it has no data; an unfinished event at the end is
/// dropped.
#[derive(Debug, Default)]
pub(crate) struct EventParser {
    line: Vec<u8>,
    pending_cr: bool,
    bom_checked: bool,
    data: String,
    event_type: String,
    id_buffer: String,
    last_id: String,
    block_retry: Option<u64>,
    retry: Option<u64>,
}

impl EventParser {
    /// A parser whose last event ID starts as `id` (resuming a stream).
    pub(crate) fn with_last_id(id: String) -> EventParser {
        EventParser {
            id_buffer: id.clone(),
            last_id: id,
            ..EventParser::default()
        }
    }

    /// The last event ID: what a reconnection sends.
    pub(crate) fn last_event_id(&self) -> &str {
        &self.last_id
    }

    /// The reconnection delay the server last asked for (`retry:`), in ms.
    pub(crate) fn retry_ms(&self) -> Option<u64> {
        self.retry
    }

    /// Starts a new response body: line state and the unfinished event are
    /// dropped; the last event ID and the retry delay stay.
    pub(crate) fn restart(&mut self) {
        *self = EventParser {
            id_buffer: self.last_id.clone(),
            last_id: std::mem::take(&mut self.last_id),
            retry: self.retry,
            ..EventParser::default()
        };
    }

    /// Adds `chunk`, pushing every event it completes onto `out`.
    pub(crate) fn push(&mut self, chunk: &[u8], out: &mut VecDeque<Event>) {
        if self.bom_checked {
            return self.split(chunk, out);
        }
        let Some(held) = after_bom(&mut self.line, chunk) else {
            return;
        };
        self.bom_checked = true;
        self.split(&held, out);
    }

    fn split(&mut self, mut rest: &[u8], out: &mut VecDeque<Event>) {
        if self.pending_cr && !rest.is_empty() {
            self.pending_cr = false;
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while let Some(i) = rest.iter().position(|&b| b == b'\r' || b == b'\n') {
            self.line.extend_from_slice(&rest[..i]);
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, out);
            self.line = line;
            self.line.clear();
            if rest[i] == b'\r' {
                match rest.get(i + 1) {
                    Some(b'\n') => rest = &rest[i + 2..],
                    Some(_) => rest = &rest[i + 1..],
                    None => {
                        self.pending_cr = true;
                        rest = &[];
                    }
                }
            } else {
                rest = &rest[i + 1..];
            }
        }
        self.line.extend_from_slice(rest);
    }

    fn line_done(&mut self, line: &[u8], out: &mut VecDeque<Event>) {
        if line.is_empty() {
            return self.dispatch(out);
        }
        if line[0] == b':' {
            return;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (&line[..], ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event_type),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => value.clone_into(&mut self.id_buffer),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Absurdly long digit strings saturate.
                let ms = value.parse().unwrap_or(u64::MAX);
                self.retry = Some(ms);
                self.block_retry = Some(ms);
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut VecDeque<Event>) {
        self.last_id.clone_from(&self.id_buffer);
        let retry = self.block_retry.take().map(Duration::from_millis);
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the last "\n"
        let event = match std::mem::take(&mut self.event_type) {
            t if t.is_empty() => "message".to_owned(),
            t => t,
        };
        out.push_back(Event {
            event,
            data,
            id: self.last_id.clone(),
            retry,
        });
    }
}

// Native only: the property tests use proptest, a native dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::lines::tests::chunked;
    use proptest::prelude::*;

    fn parse(chunks: &[&[u8]]) -> (Vec<Event>, EventParser) {
        let mut p = EventParser::default();
        let mut out = VecDeque::new();
        for c in chunks {
            p.push(c, &mut out);
        }
        (out.into(), p)
    }

    fn ev(event: &str, data: &str, id: &str) -> Event {
        Event {
            event: event.into(),
            data: data.into(),
            id: id.into(),
            retry: None,
        }
    }

    #[test]
    fn fields_comments_and_line_ends() {
        let (events, p) = parse(&[
            b": hello\n\ndata: one\n\nevent: add\ndata:two\ndata:  lines\r\nid: 7\r\n\r\n",
            b"data\rdata:\r\rid: 8\ndata: x\n",
        ]);
        assert_eq!(
            events,
            [
                ev("message", "one", ""),
                ev("add", "two\n lines", "7"),
                ev("message", "\n", "7"),
            ]
        );
        // The last event is unfinished: not dispatched, its id not taken.
        assert_eq!(p.last_event_id(), "7");
    }

    #[test]
    fn the_standards_examples() {
        // "The following stream fires two events" / "three events".
        let (e, _) = parse(&[b"data\n\ndata\ndata\n\ndata:"]);
        assert_eq!(e, [ev("message", "", ""), ev("message", "\n", "")]);
        let (e, _) = parse(&[b"data:test\n\ndata: test\n\n"]);
        assert_eq!(e, [ev("message", "test", ""), ev("message", "test", "")]);
        let (e, _) = parse(&[
            b"data: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n",
        ]);
        assert_eq!(
            e,
            [
                ev("message", "first event", "1"),
                ev("message", "second event", ""),
                ev("message", " third event", ""),
            ]
        );
    }

    #[test]
    fn id_retry_and_unknown_fields() {
        let (e, p) =
            parse(&[b"retry: 250\nid: a\0b\nfoo: bar\ndata: x\n\nretry: 12x\nretry\nid: z\n\n"]);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].retry, Some(Duration::from_millis(250)));
        assert_eq!(e[0].id, "");
        assert_eq!(p.retry_ms(), Some(250));
        // An id with no data still sets the last event ID.
        assert_eq!(p.last_event_id(), "z");
    }

    #[test]
    fn bom_only_at_the_start_and_restart() {
        let (e, mut p) = parse(&[b"\xEF\xBB", b"\xBFdata: a\n\n\xEF\xBB\xBFdata: b\n\n"]);
        assert_eq!(e, [ev("message", "a", "")]);
        // After a restart (a new body) the BOM is dropped again, the
        // unfinished event is gone, the last ID stays.
        let mut out = VecDeque::new();
        p.push(b"id: 4\ndata: half", &mut out);
        p.restart();
        p.push(b"\xEF\xBB\xBFdata: c\n\n", &mut out);
        assert_eq!(Vec::from(out), [ev("message", "c", "")]);
        let (_, mut p) = parse(&[b"id: 9\n\n"]);
        p.restart();
        assert_eq!(p.last_event_id(), "9");
    }

    proptest! {
        /// Any chunking of the same bytes gives the same events.
        #[test]
        fn any_chunking_gives_the_same_events(
            pieces in prop::collection::vec(prop::sample::select(vec![
                &b"data"[..], b"data: x", b"event: e", b"id: 1", b"id", b"retry: 20",
                b":c", b":", b" ", b"\xC3\xA9", b"\xE2\x98\x83", b"\xEF\xBB\xBF",
                b"\r", b"\n", b"\r\n", b"\n\n", b"\r\r",
            ]), 0..40),
            cuts in prop::collection::vec(any::<usize>(), 0..16),
        ) {
            let input = pieces.concat();
            let (want, wp) = parse(&[&input]);
            let chunks = chunked(&input, &cuts);
            let refs: Vec<&[u8]> = chunks.iter().map(|c| &c[..]).collect();
            let (got, gp) = parse(&refs);
            prop_assert_eq!(got, want);
            prop_assert_eq!(gp.last_event_id(), wp.last_event_id());
            prop_assert_eq!(gp.retry_ms(), wp.retry_ms());
        }
    }

    #[test]
    fn every_cut_of_a_small_stream() {
        let input = b"\xEF\xBB\xBFid:1\rdata:\xC3\xA9\r\n\n";
        let (want, _) = parse(&[input]);
        assert_eq!(want, [ev("message", "\u{E9}", "1")]);
        let n = input.len();
        for mask in 0u32..(1 << (n - 1)) {
            let cuts: Vec<usize> = (1..n).filter(|i| mask & (1 << (i - 1)) != 0).collect();
            let chunks = chunked(input, &cuts);
            let refs: Vec<&[u8]> = chunks.iter().map(|c| &c[..]).collect();
            assert_eq!(parse(&refs).0, want, "{chunks:?}");
        }
    }
}
