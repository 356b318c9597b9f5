//! Minimal app for the size comparison: GET one URL with fanout and decode
//! the JSON body into a struct. Same work as min-gloo and min-reqwest.
use wasm_bindgen::prelude::*;

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Post {
    user_id: u32,
    id: u32,
    title: String,
    body: String,
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&e.to_string())
}

/// Fetches `url` and returns a number that depends on every field.
#[wasm_bindgen]
pub async fn run(url: String) -> Result<u32, JsValue> {
    let client = fanout::Client::new();
    let resp = client.get(&url).send().await.map_err(js_err)?;
    let post: Post = resp.json().await.map_err(js_err)?;
    Ok(post.user_id + post.id + (post.title.len() + post.body.len()) as u32)
}
