//! The line splitter: any bytes cut into any chunks give the same lines as
//! the whole body at once, and those lines are the model's (split on `\n`,
//! one `\r` before it dropped, a leading UTF-8 BOM dropped, no line after
//! a final `\n`, lossy UTF-8 per line).
#![no_main]

use fanout::__fuzz::lines;
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

fn model(bytes: &[u8]) -> Vec<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.is_empty() {
        return Vec::new();
    }
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l.strip_suffix(b"\r").unwrap_or(l)).into_owned())
        .collect()
}

fuzz_target!(|input: (&[u8], Vec<u8>)| {
    let (bytes, cuts) = input;
    let whole = lines(&[bytes]);
    assert_eq!(whole, model(bytes));
    assert_eq!(lines(&cut(bytes, &cuts)), whole);
    let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(lines(&bytewise), whole);
});
