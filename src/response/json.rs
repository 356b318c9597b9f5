//! JSON bodies: decoding into `T`, and the path of the value a decoding
//! error is at.

use serde::de::DeserializeOwned;

use crate::error::{Error, Kind};

/// Parses JSON bytes into `T` with `serde_json::from_slice`; on failure,
/// tells the path to the failing field.
///
/// The path comes from [`json_path_at`], which rescans the text up to the
/// error's position only when there is an error. Tracking the path during
/// every parse (`serde_path_to_error`) cost about 40 % more time on the 1 MB
/// `/photos` body and a second copy of the decoder in the wasm
/// (`cargo xtask bench`, decode study).
pub(crate) fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice::<T>(bytes).map_err(|e| decode_error(bytes, e))
}

/// The error of a failed [`decode_json`]: not generic, so that it is in
/// the wasm once however many types an app decodes.
///
/// Its message names the path of the bad value, the line and column and
/// the body there. serde_json's own message (what was expected: `invalid
/// type: string "one", expected u32`) is added in debug builds and with
/// the feature `json-source`, which also keeps the `serde_json::Error` as
/// the error's `source()`: formatting it links serde_json's `Display`
/// and `Debug` of its errors, which a release app without the feature
/// does without (serde_json still builds its own message inside the
/// decoder).
#[inline(never)]
fn decode_error(bytes: &[u8], inner: serde_json::Error) -> Error {
    let path = json_path_at(bytes, inner.line(), inner.column());
    let path = (!path.is_empty()).then_some(path);
    let start: String = String::from_utf8_lossy(&bytes[..bytes.len().min(240)])
        .chars()
        .take(120)
        .collect();
    #[cfg(any(feature = "json-source", debug_assertions))]
    let message = match &path {
        Some(p) => format!("invalid JSON at {p}: {inner}"),
        None => format!("invalid JSON: {inner}"),
    };
    #[cfg(not(any(feature = "json-source", debug_assertions)))]
    let message = plain_message(bytes, path.as_deref(), &inner);
    let e = Error::new(
        Kind::Decode {
            path,
            body_start: start,
        },
        message,
    );
    #[cfg(feature = "json-source")]
    let e = e.with_source(inner);
    e
}

/// A decode error's message without serde_json's `Display`: what kind of
/// error ([`serde_json::Error::classify`]), at which path, line and column,
/// and the body around there (up to 24 bytes): `invalid JSON at
/// [1].userId: a value of the wrong type at line 1 column 36, near
/// ,{"userId":"one","id":2}`.
#[cfg_attr(any(feature = "json-source", debug_assertions), allow(dead_code))]
fn plain_message(bytes: &[u8], path: Option<&str>, inner: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match inner.classify() {
        Category::Io => "read error",
        Category::Syntax => "syntax error",
        Category::Data => "a value of the wrong type",
        Category::Eof => "unexpected end of input",
    };
    let mut m = String::from("invalid JSON");
    if let Some(p) = path {
        m.push_str(" at ");
        m.push_str(p);
    }
    m.push_str(": ");
    m.push_str(what);
    m.push_str(" at line ");
    push_number(&mut m, inner.line());
    m.push_str(" column ");
    push_number(&mut m, inner.column());
    // The body around the byte serde_json stopped at (for a value of the
    // wrong type, the value's last byte): 16 bytes before, 8 after.
    let at = offset_of(bytes, inner.line(), inner.column());
    let near = &bytes[at.saturating_sub(16)..(at + 8).min(bytes.len())];
    if !near.is_empty() {
        m.push_str(", near ");
        // On one line: controls (a pretty body's newlines) as spaces.
        for c in String::from_utf8_lossy(near).chars() {
            m.push(if c < ' ' { ' ' } else { c });
        }
    }
    m
}

/// Appends `n` in decimal (no `core::fmt`).
#[cfg_attr(any(feature = "json-source", debug_assertions), allow(dead_code))]
fn push_number(s: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        s.push(char::from(d));
    }
}

/// The byte offset of `line`/`column` (1-based, as serde_json reports
/// them) in `bytes`: the start of that line plus `column`.
fn offset_of(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut end = 0;
    let mut lines_left = line.saturating_sub(1);
    while lines_left > 0 && end < bytes.len() {
        if bytes[end] == b'\n' {
            lines_left -= 1;
        }
        end += 1;
    }
    (end + column).min(bytes.len())
}

/// The path (`[3].userId`, `user.name`) of the value that JSON text is in
/// at `line`/`column` (1-based, as serde_json reports them): a scan of the
/// text up to there that tracks object keys and array indices.
pub(crate) fn json_path_at(bytes: &[u8], line: usize, column: usize) -> String {
    enum Level {
        Array(usize),
        Object { key: Option<String>, in_key: bool },
    }
    let end = offset_of(bytes, line, column);
    let mut stack: Vec<Level> = Vec::new();
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Level::Object { key, in_key: true }) = stack.last_mut() {
                    *key = Some(
                        String::from_utf8_lossy(&bytes[start..i.min(bytes.len())]).into_owned(),
                    );
                }
            }
            b'{' => stack.push(Level::Object {
                key: None,
                in_key: true,
            }),
            b'[' => stack.push(Level::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Level::Object { in_key, .. }) = stack.last_mut() {
                    *in_key = false;
                }
            }
            b',' => match stack.last_mut() {
                Some(Level::Array(n)) => *n += 1,
                Some(Level::Object { key, in_key }) => {
                    *key = None;
                    *in_key = true;
                }
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for level in &stack {
        match level {
            Level::Array(n) => path.push_str(&format!("[{n}]")),
            Level::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Level::Object { key: None, .. } => {}
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    #[serde(rename_all = "camelCase")]
    struct Post {
        user_id: u32,
        id: u64,
    }

    #[test]
    fn decode_error_has_path_and_body_start() {
        let e = decode_json::<Vec<Post>>(br#"[{"userId":1,"id":1},{"userId":"one","id":2}]"#)
            .unwrap_err();
        assert!(e.is_decode());
        assert_eq!(e.decode_path(), Some("[1].userId"));
        assert!(e.body_start().unwrap().starts_with("[{\"userId\":1"));
        assert!(e.to_string().contains("[1].userId"), "{e}");
    }

    #[test]
    fn decode_paths() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct User {
            name: String,
            tags: Vec<u8>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Wrap {
            users: Vec<User>,
        }
        let cases: [(&[u8], Option<&str>); 6] = [
            (
                br#"{"users":[{"name":"a","tags":[1]},{"name":7,"tags":[]}]}"#,
                Some("users[1].name"),
            ),
            (
                b"{\n \"users\": [\n  {\"name\": \"a\", \"tags\": [1, 2, \"x\"]}\n ]\n}",
                Some("users[0].tags[2]"),
            ),
            (br#"{"users":[{"name":"a"}]}"#, Some("users[0]")),
            (
                br#"{"users":[{"name":"a\"b,[{","tags":"no"}]}"#,
                Some("users[0].tags"),
            ),
            (br#"{"users": 5}"#, Some("users")),
            (br#"[]"#, None),
        ];
        for (json, want) in cases {
            let e = decode_json::<Wrap>(json).unwrap_err();
            assert_eq!(
                e.decode_path(),
                want,
                "{}: {e}",
                String::from_utf8_lossy(json)
            );
        }
    }

    #[test]
    fn plain_messages_name_path_line_column_and_the_body_there() {
        let cases: [(&[u8], &str); 4] = [
            (
                br#"[{"userId":1,"id":1},{"userId":"one","id":2}]"#,
                r#"invalid JSON at [1].userId: a value of the wrong type at line 1 column 36, near ,{"userId":"one","id":2}"#,
            ),
            (
                b"{\"userId\": 1,\n \"id\": x}",
                r#"invalid JSON at id: syntax error at line 2 column 8, near Id": 1,  "id": x}"#,
            ),
            (
                br#"{"userId": 1, "id": "#,
                r#"invalid JSON at id: unexpected end of input at line 1 column 20, near erId": 1, "id": "#,
            ),
            (
                br#"{"userId":1,"id":1} trailing"#,
                r#"invalid JSON: syntax error at line 1 column 21, near rId":1,"id":1} trailing"#,
            ),
        ];
        for (json, want) in cases {
            let inner = if json[0] == b'[' {
                serde_json::from_slice::<Vec<Post>>(json).map(drop)
            } else {
                serde_json::from_slice::<Post>(json).map(drop)
            }
            .unwrap_err();
            let path = json_path_at(json, inner.line(), inner.column());
            let path = (!path.is_empty()).then_some(path);
            assert_eq!(plain_message(json, path.as_deref(), &inner), want);
        }
        let mut s = String::new();
        for n in [0, 7, 10, 1234567890, usize::MAX] {
            s.clear();
            push_number(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn malformed_json_and_trailing_garbage() {
        assert!(decode_json::<Post>(br#"{"userId": 1, "id": "#)
            .unwrap_err()
            .is_decode());
        assert!(decode_json::<Post>(br#"{"userId":1,"id":1} x"#)
            .unwrap_err()
            .is_decode());
    }

    #[test]
    fn big_integers_keep_precision() {
        let p: Post = decode_json(br#"{"userId":1,"id":9007199254740993}"#).unwrap();
        assert_eq!(p.id, 9_007_199_254_740_993);
        let v: serde_json::Value = decode_json(br#"{"big":18446744073709551615}"#).unwrap();
        assert_eq!(v["big"].as_u64(), Some(u64::MAX));
    }
}

/// The JSON error-path finder against a model: a value of known shape with
/// one bad element at a known place must be reported at that place, and no
/// input panics.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_bytes_decode_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
            let _ = decode_json::<Vec<BTreeMap<String, u8>>>(&bytes);
            for line in 0..3 {
                for column in 0..90 {
                    let _ = json_path_at(&bytes, line, column);
                }
            }
        }

        #[test]
        fn a_bad_element_in_nested_arrays_is_found(
            rows in prop::collection::vec(prop::collection::vec(0u8..=255, 1..6), 1..6),
            pick in any::<prop::sample::Index>(),
            pretty in any::<bool>(),
        ) {
            let i = pick.index(rows.len());
            let j = pick.index(rows[i].len());
            let mut value = serde_json::to_value(&rows).unwrap();
            value[i][j] = serde_json::json!("not a number");
            let text = if pretty {
                serde_json::to_vec_pretty(&value).unwrap()
            } else {
                serde_json::to_vec(&value).unwrap()
            };
            let e = decode_json::<Vec<Vec<u8>>>(&text).unwrap_err();
            let want = format!("[{i}][{j}]");
            prop_assert_eq!(e.decode_path(), Some(want.as_str()));
        }

        #[test]
        fn a_bad_element_under_a_key_is_found(
            map in prop::collection::btree_map("[a-z]{1,5}", prop::collection::vec(0u8..=9, 1..4), 1..5),
            pick in any::<prop::sample::Index>(),
        ) {
            let keys: Vec<&String> = map.keys().collect();
            let key = keys[pick.index(keys.len())].clone();
            let j = pick.index(map[&key].len());
            let mut value = serde_json::to_value(&map).unwrap();
            value[&key][j] = serde_json::json!({"nested": true});
            let text = serde_json::to_vec(&value).unwrap();
            let e = decode_json::<BTreeMap<String, Vec<u8>>>(&text).unwrap_err();
            let want = format!("{key}[{j}]");
            prop_assert_eq!(e.decode_path(), Some(want.as_str()));
        }
    }
}
