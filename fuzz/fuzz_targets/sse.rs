//! The event-stream parser: any bytes, no panic, and any chunking gives
//! the same events, last event ID and retry delay as the whole stream.
#![no_main]

use fanout::__fuzz::events;
use libfuzzer_sys::fuzz_target;

fn cut<'a>(bytes: &'a [u8], cuts: &[u8]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = bytes;
    for &c in cuts {
        let at = usize::from(c).min(rest.len());
        let (chunk, tail) = rest.split_at(at);
        chunks.push(chunk);
        rest = tail;
    }
    chunks.push(rest);
    chunks
}

fuzz_target!(|input: (&[u8], Vec<u8>)| {
    let (bytes, cuts) = input;
    let whole = events(&[bytes]);
    for e in &whole.0 {
        // A dispatched event has a type, and no id with a NUL (ignored by the standard).
        assert!(!e.event.is_empty());
        assert!(!e.id.contains('\0'));
    }
    assert_eq!(events(&cut(bytes, &cuts)), whole);
    let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(events(&bytewise), whole);
});
