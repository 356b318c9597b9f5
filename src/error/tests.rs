use super::*;

#[test]
fn display_names_method_and_url() {
    let e = Error::new(
        Kind::Status {
            status: 503,
            status_text: "Service Unavailable".into(),
        },
        "HTTP 503 Service Unavailable",
    )
    .with_request(Method::Get, "http://h/posts/7");
    assert_eq!(
        e.to_string(),
        "GET http://h/posts/7: HTTP 503 Service Unavailable"
    );
    assert!(e.is_status());
    assert_eq!(e.status(), Some(503));
    assert_eq!(e.js_name(), "HTTPError");
}

#[test]
fn cancelled_is_aborted() {
    for cause in [CancelCause::Failure, CancelCause::Signal] {
        let e: Error = Cancelled {
            started: false,
            cause,
        }
        .into();
        assert!(e.is_cancelled() && e.is_aborted());
        assert_eq!(e.js_name(), "AbortError");
    }
}

#[test]
fn error_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Error>();
}
