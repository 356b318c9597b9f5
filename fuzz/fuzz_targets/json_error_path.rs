//! The JSON error-path finder: any bytes, decoded as untyped JSON and as a
//! typed struct, no panic; a body that decodes reports no error; the path
//! finder at any position does not panic.
#![no_main]

use fanout::__fuzz::{json_error, json_path_at};
use libfuzzer_sys::fuzz_target;

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Post {
    id: u32,
    title: String,
    tags: Vec<String>,
    author: Option<Author>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Author {
    name: String,
}

fuzz_target!(|input: (&[u8], u16, u16)| {
    let (bytes, line, column) = input;
    let untyped = json_error::<serde_json::Value>(bytes);
    // The model: serde_json itself.
    assert_eq!(
        untyped.is_ok(),
        serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
    );
    if let Err((path, message)) = &untyped {
        assert!(message.starts_with("invalid JSON"), "{message}");
        if let Some(p) = path {
            assert!(!p.is_empty());
        }
    }
    let typed = json_error::<Vec<Post>>(bytes);
    assert_eq!(
        typed.is_ok(),
        serde_json::from_slice::<Vec<Post>>(bytes).is_ok()
    );
    if let Err((Some(path), _)) = &typed {
        // Paths into a Vec<Post> start at an index.
        assert!(path.starts_with('['), "{path}");
    }
    let _ = json_error::<Post>(bytes);
    let _ = json_path_at(bytes, usize::from(line), usize::from(column));
});
