//! The JSONPlaceholder-compatible REST API over [`crate::fixtures`].
//!
//! * `GET /{res}` lists a collection; query parameters named like a field
//!   filter by equality on the field's string form (several values of one
//!   field OR together, different fields AND together); `_start`, `_end`,
//!   `_limit` and `_page` paginate like json-server; other parameters
//!   (`delay`, `tag`, ...) are ignored.
//! * `GET /{res}/{id}`: one item, or 404 `{}`.
//! * `GET /posts/{id}/comments` and the other JSONPlaceholder nested routes.
//! * `POST /{res}` → 201 with the posted object and the next id (`101` for
//!   posts); `PUT`/`PATCH /{res}/{id}` → 200 with the item merged with the
//!   posted object; `DELETE /{res}/{id}` → 200 `{}`. Nothing is stored.
//! * `GET /bigint`: integers beyond 2^53.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{Map, Value};

use crate::fixtures::{join_json, Fixtures, Resource, RESOURCE_NAMES};
use crate::util::{bad_request, json_bytes, not_found_json, parse_id, query_pairs};
use crate::AppState;

/// Nested collection routes: `/{parent}/{id}/{child}` lists the children whose
/// `{foreign_key}` equals `id`.
const NESTED: &[(&str, &str, &str)] = &[
    ("posts", "comments", "postId"),
    ("users", "posts", "userId"),
    ("users", "todos", "userId"),
    ("users", "albums", "userId"),
    ("albums", "photos", "albumId"),
];

/// Body of `GET /bigint`.
const BIGINT: &str =
    r#"{"id": 9007199254740993, "big": 18446744073709551615, "neg": -9007199254740993}"#;

/// Largest request body accepted by the write routes.
const MAX_BODY: usize = 2 * 1024 * 1024;

pub(crate) fn routes(fixtures: &'static Fixtures) -> Router<AppState> {
    let mut router = Router::new();
    for name in RESOURCE_NAMES {
        let res: &'static Resource = fixtures.resource(name).expect("known resource");
        router = router
            .route(
                &format!("/{name}"),
                get(move |uri: Uri| async move { list(res, &uri, None) })
                    .post(move |body: Bytes| async move { create(res, &body) }),
            )
            .route(
                &format!("/{name}/{{id}}"),
                get(move |Path(id): Path<String>| async move { get_one(res, &id) })
                    .put(move |Path(id): Path<String>, body: Bytes| async move {
                        update(res, &id, &body)
                    })
                    .patch(move |Path(id): Path<String>, body: Bytes| async move {
                        update(res, &id, &body)
                    })
                    .delete(move |Path(id): Path<String>| async move { delete(res, &id) }),
            );
    }
    for &(parent, child, foreign_key) in NESTED {
        let res: &'static Resource = fixtures.resource(child).expect("known resource");
        router = router.route(
            &format!("/{parent}/{{id}}/{child}"),
            get(move |Path(id): Path<String>, uri: Uri| async move {
                list(res, &uri, Some((foreign_key, id)))
            }),
        );
    }
    router
        .route(
            "/bigint",
            get(|| async { json_bytes(StatusCode::OK, Bytes::from_static(BIGINT.as_bytes())) }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
}

/// Pagination parameters of json-server.
#[derive(Default)]
struct Page {
    start: Option<usize>,
    end: Option<usize>,
    limit: Option<usize>,
    page: Option<usize>,
}

impl Page {
    fn is_empty(&self) -> bool {
        self.start.is_none() && self.end.is_none() && self.limit.is_none() && self.page.is_none()
    }

    /// The `(skip, take)` window.
    fn window(&self) -> (usize, usize) {
        if let Some(page) = self.page {
            let limit = self.limit.unwrap_or(10);
            return (page.saturating_sub(1).saturating_mul(limit), limit);
        }
        let start = self.start.unwrap_or(0);
        let take = match (self.end, self.limit) {
            (_, Some(limit)) => limit,
            (Some(end), None) => end.saturating_sub(start),
            (None, None) => usize::MAX,
        };
        (start, take)
    }
}

fn list(res: &Resource, uri: &Uri, parent: Option<(&str, String)>) -> Response {
    let pairs = query_pairs(uri);
    let mut filters: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut page = Page::default();
    for (name, value) in &pairs {
        let parsed = || value.trim().parse::<usize>().ok();
        match name.as_str() {
            "_start" => page.start = parsed(),
            "_end" => page.end = parsed(),
            "_limit" => page.limit = parsed(),
            "_page" => page.page = parsed(),
            field => {
                if let Some(field) = res.fields().iter().find(|f| **f == field) {
                    filters.entry(field).or_default().push(value);
                }
            }
        }
    }
    if filters.is_empty() && parent.is_none() && page.is_empty() {
        return json_bytes(StatusCode::OK, res.all_json().clone());
    }
    let (skip, take) = page.window();
    let matching = res
        .items()
        .iter()
        .filter(|item| {
            if let Some((key, id)) = &parent {
                if item.field_str(key).as_deref() != Some(id.as_str()) {
                    return false;
                }
            }
            filters.iter().all(|(field, wanted)| {
                item.field_str(field)
                    .is_some_and(|actual| wanted.iter().any(|w| *w == actual))
            })
        })
        .skip(skip)
        .take(take)
        .map(|item| item.json().as_ref());
    json_bytes(StatusCode::OK, join_json(matching))
}

fn get_one(res: &Resource, id: &str) -> Response {
    match parse_id(id).and_then(|id| res.get(id)) {
        Some(item) => json_bytes(StatusCode::OK, item.json().clone()),
        None => not_found_json(),
    }
}

/// Parses a request body as a JSON object; an empty body is an empty object.
/// The error is the message of a 400 response.
fn parse_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("expected a JSON object".to_owned()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// Serializes `map` with `fields` first (in that order), then any other keys
/// sorted by name.
fn ordered_json(fields: &[&str], map: &Map<String, Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.push(b'{');
    let known = fields.iter().filter_map(|f| map.get_key_value(*f));
    let extra = map.iter().filter(|(k, _)| !fields.contains(&k.as_str()));
    for (i, (key, value)) in known.chain(extra).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, key).expect("string serializes");
        out.push(b':');
        serde_json::to_writer(&mut out, value).expect("value serializes");
    }
    out.push(b'}');
    out
}

fn create(res: &Resource, body: &[u8]) -> Response {
    let mut map = match parse_object(body) {
        Ok(map) => map,
        Err(message) => return bad_request(message),
    };
    map.insert("id".into(), Value::from(res.len() as u64 + 1));
    json_bytes(StatusCode::CREATED, ordered_json(res.fields(), &map))
}

fn update(res: &Resource, id: &str, body: &[u8]) -> Response {
    let Some(item) = parse_id(id).and_then(|id| res.get(id)) else {
        return not_found_json();
    };
    let patch = match parse_object(body) {
        Ok(map) => map,
        Err(message) => return bad_request(message),
    };
    let mut merged = item.value().as_object().cloned().unwrap_or_default();
    merged.extend(patch);
    merged.insert("id".into(), Value::from(item.id()));
    json_bytes(StatusCode::OK, ordered_json(res.fields(), &merged))
}

fn delete(res: &Resource, id: &str) -> Response {
    match parse_id(id).and_then(|id| res.get(id)) {
        Some(_) => json_bytes(StatusCode::OK, Bytes::from_static(b"{}")),
        None => not_found_json(),
    }
}
