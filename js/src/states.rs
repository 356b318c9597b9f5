//! The states and readers that `response.rs` and `response.js` exchange,
//! named once on each side (`STATE` and `READER` in `response.js`); plain
//! data, on both targets, so that a native test holds the two equal.

/// Why a `FanoutResponse` has no body to hand over: the numbers
/// `response.js` passes to Rust (its `STATE`, which a test holds equal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyState {
    /// A response without a body (HEAD, 204, 304): it reads as empty.
    Empty = 0,
    /// The body was taken by a reader.
    Used = 1,
    /// The response was freed unread.
    Freed = 2,
    /// The value is not a `FanoutResponse` (from `takeBody` only).
    Foreign = 3,
}

impl BodyState {
    const ALL: [BodyState; 4] = [
        BodyState::Empty,
        BodyState::Used,
        BodyState::Freed,
        BodyState::Foreign,
    ];

    pub(crate) fn from_js(n: u32) -> BodyState {
        Self::ALL
            .into_iter()
            .find(|s| *s as u32 == n)
            .unwrap_or(BodyState::Foreign)
    }
}

/// The body reader called on a `FanoutResponse`: the numbers
/// `response.js` passes to Rust (its `READER`, which a test holds equal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reader {
    Json = 0,
    Text = 1,
    Bytes = 2,
    Lines = 3,
    JsonLines = 4,
}

impl Reader {
    const ALL: [Reader; 5] = [
        Reader::Json,
        Reader::Text,
        Reader::Bytes,
        Reader::Lines,
        Reader::JsonLines,
    ];

    pub(crate) fn from_js(n: u32) -> Reader {
        Self::ALL
            .into_iter()
            .find(|r| *r as u32 == n)
            .unwrap_or(Reader::Bytes)
    }

    /// `lines()` and `jsonLines()` return a stream (and throw); the others
    /// a promise (which rejects).
    pub(crate) fn is_stream(self) -> bool {
        matches!(self, Reader::Lines | Reader::JsonLines)
    }
}

#[cfg(test)]
mod tests {
    use super::{BodyState, Reader};

    const RESPONSE_JS: &str = include_str!("response.js");

    /// The `NAME: n` pairs of `const <name> = Object.freeze({ ... });` in
    /// `response.js`.
    fn js_table(name: &str) -> Vec<(String, u32)> {
        let start = format!("const {name} = Object.freeze({{");
        let at = RESPONSE_JS.find(&start).expect("the table in response.js") + start.len();
        let end = at + RESPONSE_JS[at..].find('}').expect("its end");
        RESPONSE_JS[at..end]
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                let (k, v) = p.split_once(':').expect("NAME: number");
                (k.trim().to_owned(), v.trim().parse().expect("a number"))
            })
            .collect()
    }

    fn screaming(name: &str) -> String {
        let mut out = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }

    #[test]
    fn response_js_numbers_are_the_rust_enums() {
        let states: Vec<(String, u32)> = BodyState::ALL
            .iter()
            .map(|s| (screaming(&format!("{s:?}")), *s as u32))
            .collect();
        assert_eq!(js_table("STATE"), states);
        let readers: Vec<(String, u32)> = Reader::ALL
            .iter()
            .map(|r| (screaming(&format!("{r:?}")), *r as u32))
            .collect();
        assert_eq!(js_table("READER"), readers);
    }
}
