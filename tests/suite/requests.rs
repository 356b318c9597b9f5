//! Every request method and body kind, checked through `/echo`.

use fanout::Method;
use serde_json::{json, Value};
use wasm_bindgen_test::wasm_bindgen_test;

use super::support::client;
use super::support::FetchJson;

async fn echo(req: fanout::RequestBuilder) -> Value {
    req.fetch_json().await
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn every_method_reaches_the_server() {
    let c = client();
    for (req, name) in [
        (c.get("echo"), "GET"),
        (c.post("echo"), "POST"),
        (c.put("echo"), "PUT"),
        (c.patch("echo"), "PATCH"),
        (c.delete("echo"), "DELETE"),
        (c.request(Method::Options, "echo"), "OPTIONS"),
    ] {
        assert_eq!(echo(req).await["method"], name);
    }
    let head = c.head("echo").send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.text().await.unwrap(), "");
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn jsonplaceholder_writes() {
    let c = client();
    let created = c
        .post("posts")
        .json(&json!({"title": "t", "body": "b", "userId": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let v: Value = created.json().await.unwrap();
    assert_eq!(
        (v["id"].clone(), v["title"].clone()),
        (json!(101), json!("t"))
    );
    let put: Value = echo(c.put("posts/1").json(&json!({"title": "new"}))).await;
    assert_eq!(put["title"], "new");
    let patched: Value = echo(c.patch("posts/1").json(&json!({"title": "p"}))).await;
    assert_eq!(
        (patched["title"].clone(), patched["id"].clone()),
        (json!("p"), json!(1))
    );
    assert_eq!(c.delete("posts/1").send().await.unwrap().status(), 200);
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn query_headers_and_bodies() {
    let c = client();
    let v = echo(c.get("echo?x=0").query(&[("a", "1"), ("b", "x y&z")])).await;
    assert_eq!(v["query"], json!({"x": "0", "a": "1", "b": "x y&z"}));

    let v = echo(
        c.post("echo")
            .header("x-one", "1")
            .headers([("x-two", "2")]),
    )
    .await;
    assert_eq!(
        (v["headers"]["x-one"].clone(), v["headers"]["x-two"].clone()),
        (json!("1"), json!("2"))
    );

    let v = echo(c.post("echo").json(&json!({"k": [1, 2]}))).await;
    assert_eq!(v["headers"]["content-type"], "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(v["body"].as_str().unwrap()).unwrap(),
        json!({"k": [1, 2]})
    );

    let v = echo(c.post("echo").text("plain ünïcode")).await;
    assert_eq!(v["body"], "plain ünïcode");
    assert!(v["headers"]["content-type"]
        .as_str()
        .unwrap()
        .starts_with("text/plain"));

    let v = echo(c.post("echo").form(&[("a", "1"), ("b", "x y")])).await;
    assert_eq!(v["body"], "a=1&b=x+y");
    assert_eq!(
        v["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );

    let v = echo(c.put("echo").bytes(b"raw bytes".to_vec())).await;
    assert_eq!(v["body"], "raw bytes");

    // `FormData` is the platform's: browsers and Node.js only.
    #[cfg(target_arch = "wasm32")]
    {
        let form = fanout::FormData::new().unwrap();
        form.append_with_str("field", "value").unwrap();
        let v = echo(c.post("echo").form_data(&form)).await;
        assert!(v["headers"]["content-type"]
            .as_str()
            .unwrap()
            .starts_with("multipart/form-data; boundary="));
        assert!(v["body"]
            .as_str()
            .unwrap()
            .contains("name=\"field\"\r\n\r\nvalue"));
    }
}

#[wasm_bindgen_test(unsupported = tokio::test)]
async fn bad_request_arguments_come_out_of_send() {
    let c = client();
    let e = c
        .get("echo")
        .header("bad name", "x")
        .send()
        .await
        .unwrap_err();
    assert!(e.is_builder());
    assert_eq!(e.method(), Some(Method::Get));
    let e = c
        .get("echo")
        .timeout(std::time::Duration::ZERO)
        .send()
        .await
        .unwrap_err();
    assert!(e.is_builder());
    let e = c.post("echo").json(&f64::NAN).send().await;
    // serde_json writes NaN as null, which is valid.
    assert!(e.is_ok());
}
