//! Header validation against its model: a name is an RFC 9110 token; a
//! value has no CR, LF or NUL and no character beyond U+00FF.
#![no_main]

use fanout::__fuzz::header_check;
use libfuzzer_sys::fuzz_target;

const TCHAR: &str = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

fuzz_target!(|input: (&str, &str)| {
    let (name, value) = input;
    let name_ok = !name.is_empty() && name.chars().all(|c| TCHAR.contains(c));
    let value_ok = value
        .chars()
        .all(|c| !matches!(c, '\r' | '\n' | '\0') && u32::from(c) <= 0xff);
    let got = header_check(name, value);
    assert_eq!(
        got.is_ok(),
        name_ok && value_ok,
        "{name:?}: {value:?} -> {got:?}"
    );
    if let Err(message) = got {
        assert!(message.contains("header"), "{message}");
    }
});
