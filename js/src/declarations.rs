//! Tests only: the option names of the TypeScript declarations
//! (`fanout.d.ts` and `options.d.ts`), read from the files, held equal to
//! the key lists the parsers accept. A name added to one side only fails
//! here.

use crate::keys::{
    AUTH_KEYS, CLIENT_KEYS, GATHER_INPUT_KEYS, GATHER_KEYS, HOOK_KEYS, LINE_KEYS, OUTBOX_KEYS,
    OUTBOX_SEND_KEYS, REQUEST_KEYS, SSE_KEYS, WEBSOCKET_KEYS,
};

const DTS: &str = concat!(include_str!("fanout.d.ts"), include_str!("options.d.ts"));

/// The own property names of `export interface NAME`, sorted.
pub(crate) fn interface_keys(name: &str) -> Vec<&'static str> {
    let start = DTS
        .lines()
        .position(|l| {
            l.strip_prefix("export interface ")
                .and_then(|rest| rest.strip_prefix(name))
                .is_some_and(|rest| rest.starts_with([' ', '<', '{']))
        })
        .unwrap_or_else(|| panic!("no `export interface {name}` in js/src/*.d.ts"));
    let mut keys: Vec<&str> = DTS
        .lines()
        .skip(start + 1)
        .take_while(|l| *l != "}")
        .filter_map(|l| {
            let rest = l.strip_prefix("  ")?;
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
            let after = &rest[end..];
            (end > 0 && (after.starts_with(':') || after.starts_with("?:"))).then(|| &rest[..end])
        })
        .collect();
    keys.sort_unstable();
    keys
}

/// The strings of `export type NAME = 'a' | 'b' ...;`, in order.
pub(crate) fn string_union(name: &str) -> Vec<&'static str> {
    let head = format!("export type {name} = ");
    let line = DTS
        .lines()
        .find_map(|l| l.strip_prefix(head.as_str()))
        .unwrap_or_else(|| panic!("no `{head}` in js/src/*.d.ts"));
    line.trim_end_matches(';')
        .split('|')
        .map(|s| s.trim().trim_matches('\''))
        .collect()
}

pub(crate) fn sorted(keys: &[&'static str]) -> Vec<&'static str> {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys
}

#[test]
fn every_options_interface_is_its_parsers_key_list() {
    for (interface, keys) in [
        ("ClientOptions", CLIENT_KEYS),
        ("AuthOptions", AUTH_KEYS),
        ("Hooks", HOOK_KEYS),
        ("RequestOptions", REQUEST_KEYS),
        ("SseOptions", SSE_KEYS),
        ("GatherRequest", GATHER_INPUT_KEYS),
        ("GatherOptions", GATHER_KEYS),
        ("JsonLinesOptions", LINE_KEYS),
        ("OutboxOptions", OUTBOX_KEYS),
        ("OutboxSendOptions", OUTBOX_SEND_KEYS),
        ("WebSocketOptions", WEBSOCKET_KEYS),
    ] {
        assert_eq!(
            interface_keys(interface),
            sorted(keys),
            "{interface} in js/src/*.d.ts and the parser's keys differ"
        );
    }
}
