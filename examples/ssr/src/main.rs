//! The server's side: renders `www/ssr/index.html` with a recording
//! client, the page's data written as HTML and the responses embedded as
//! a snapshot.
//!
//! `fanout-ssr API TAG OUT`: the dev server's URL, the tag for its
//! `/stats`, the file to write.

#[cfg(not(target_arch = "wasm32"))]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use fanout::snapshot::Record;
    use fanout::{Client, Method};
    use fanout_ssr::{escape, line, load, SNAPSHOT_ID};

    let args: Vec<String> = std::env::args().skip(1).collect();
    let [api, tag, out] = &args[..] else {
        eprintln!("usage: fanout-ssr API TAG OUT");
        return std::process::ExitCode::from(2);
    };
    let client = match Client::builder()
        .base_url(api.as_str())
        .record(Record::new().method(Method::Post))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fanout-ssr: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let page = load(&client, tag).await;
    let items: String = page
        .titles
        .iter()
        .chain(&page.created)
        .enumerate()
        .map(|(i, r)| format!("<li id=\"item-{i}\">{}</li>\n", escape(&line(r))))
        .collect();
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fanout: server-rendered, hydrated from the page</title>
<link rel="icon" href="../favicon.svg" type="image/svg+xml">
</head>
<body data-api="{api}" data-tag="{tag}">
<h1>Rendered on the server</h1>
<p id="status">rendered by fanout-ssr (not hydrated yet)</p>
<ol id="items">
{items}</ol>
{snapshot}
<script type="module" src="main.js"></script>
</body>
</html>
"#,
        api = escape(api),
        tag = escape(tag),
        snapshot = client.snapshot().to_script_tag(SNAPSHOT_ID),
    );
    if let Err(e) = std::fs::write(out, html) {
        eprintln!("fanout-ssr: writing {out}: {e}");
        return std::process::ExitCode::FAILURE;
    }
    println!(
        "fanout-ssr: wrote {out} ({} responses in the snapshot)",
        client.snapshot().len()
    );
    std::process::ExitCode::SUCCESS
}

#[cfg(target_arch = "wasm32")]
fn main() {}
