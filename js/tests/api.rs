//! The npm package's JS API (this crate's exports) in a browser page, for
//! the browsers that playwright-core cannot drive here: `cargo xtask test
//! firefox` runs it in Firefox. It runs `tests/js/features.probe.js`, the
//! same probe that `tests/e2e/js-api.test.mjs` runs in Chromium (a page and
//! a module worker), against the dev server (`FANOUT_TEST_API`).
#![cfg(target_arch = "wasm32")]

use js_sys::{Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const API: &str = match option_env!("FANOUT_TEST_API") {
    Some(api) => api,
    None => "http://127.0.0.1:8080",
};

const PROBE: &str = include_str!("../../tests/js/features.probe.js");

/// The outbox probe (issue 23), which `tests/e2e/outbox.test.mjs` runs in
/// Chromium (a page and a module worker).
const OUTBOX_PROBE: &str = include_str!("../../tests/js/outbox.probe.js");

fn set(obj: &Object, key: &str, value: &JsValue) {
    Reflect::set(obj, &JsValue::from_str(key), value).unwrap();
}

#[wasm_bindgen_test]
async fn hooks_dedupe_and_auth_as_in_chromium() {
    // The exports as a module would see them: the `Client` class (an
    // instance's constructor) and `retry`.
    let client = JsValue::from(fanout_js::JsClient::new(JsValue::UNDEFINED).unwrap());
    let class = Reflect::get(&client, &JsValue::from_str("constructor")).unwrap();
    let retry = Closure::<dyn Fn() -> JsValue>::new(fanout_js::retry_marker);
    let fanout = Object::new();
    set(&fanout, "Client", &class);
    set(&fanout, "retry", retry.as_ref());

    let run = Function::new_with_args(
        "fanout, api, tag",
        &format!(
            "{PROBE}\nreturn featuresProbe(fanout, api, tag).then((out) => [out, FEATURES_EXPECTED]);"
        ),
    );
    let tag = format!("firefox-features-{}", js_sys::Date::now());
    let api = format!("{}/", API.trim_end_matches('/'));
    let promise = run
        .call3(&JsValue::UNDEFINED, &fanout, &api.into(), &tag.into())
        .unwrap()
        .dyn_into::<Promise>()
        .unwrap();
    let pair = JsFuture::from(promise).await.unwrap_or_else(|e| {
        panic!(
            "the probe failed: {}",
            JSON::stringify(&e).map(String::from).unwrap_or_default()
        )
    });
    let (out, expected) = (
        Reflect::get_u32(&pair, 0).unwrap(),
        Reflect::get_u32(&pair, 1).unwrap(),
    );
    let json = |v: &JsValue| String::from(JSON::stringify(v).unwrap());
    let mut wrong = Vec::new();
    for key in Object::keys(expected.unchecked_ref::<Object>()).iter() {
        let (got, want) = (
            Reflect::get(&out, &key).unwrap(),
            Reflect::get(&expected, &key).unwrap(),
        );
        if json(&got) != json(&want) {
            wrong.push(format!(
                "{}: got {}, want {}",
                key.as_string().unwrap(),
                json(&got),
                json(&want)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("; "));
    assert_eq!(
        Object::keys(out.unchecked_ref::<Object>()).length(),
        Object::keys(expected.unchecked_ref::<Object>()).length()
    );
}

#[wasm_bindgen_test]
async fn the_outbox_as_in_chromium() {
    let client = JsValue::from(fanout_js::JsClient::new(JsValue::UNDEFINED).unwrap());
    let class = Reflect::get(&client, &JsValue::from_str("constructor")).unwrap();
    let fanout = Object::new();
    set(&fanout, "Client", &class);
    let run = Function::new_with_args(
        "fanout, api, tag",
        &format!(
            "{OUTBOX_PROBE}\nreturn outboxProbe(fanout, api, tag).then((out) => [out, OUTBOX_EXPECTED]);"
        ),
    );
    let tag = format!("firefox-outbox-{}", js_sys::Date::now());
    let api = format!("{}/", API.trim_end_matches('/'));
    let promise = run
        .call3(&JsValue::UNDEFINED, &fanout, &api.into(), &tag.into())
        .unwrap()
        .dyn_into::<Promise>()
        .unwrap();
    let pair = JsFuture::from(promise).await.unwrap_or_else(|e| {
        panic!(
            "the probe failed: {}",
            js_sys::Error::from(e.clone())
                .message()
                .as_string()
                .unwrap_or_default()
        )
    });
    let json = |v: &JsValue| String::from(JSON::stringify(v).unwrap());
    let (out, expected) = (
        Reflect::get_u32(&pair, 0).unwrap(),
        Reflect::get_u32(&pair, 1).unwrap(),
    );
    assert_eq!(json(&out), json(&expected));
}
