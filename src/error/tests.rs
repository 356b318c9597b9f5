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

#[cfg(feature = "websocket")]
#[test]
fn websocket_kinds_have_predicates_and_js_names() {
    let cases = [
        Error::new(Kind::Connect { status: Some(403) }, "refused"),
        Error::new(
            Kind::Closed {
                code: 4001,
                reason: "bye".into(),
            },
            "closed",
        ),
        Error::new(Kind::BufferFull { limit: 3 }, "full"),
        Error::new(Kind::Unsupported, "none"),
    ];
    let names: Vec<_> = cases.iter().map(|e| e.js_name()).collect();
    assert_eq!(
        names,
        [
            "ConnectError",
            "ClosedError",
            "BufferFullError",
            "NotSupportedError"
        ]
    );
    let flags: Vec<_> = cases
        .iter()
        .map(|e| {
            [
                e.is_connect(),
                e.is_closed(),
                e.is_buffer_full(),
                e.is_unsupported(),
            ]
        })
        .collect();
    for (i, f) in flags.iter().enumerate() {
        for (j, on) in f.iter().enumerate() {
            assert_eq!(*on, i == j, "{:?}", cases[i]);
        }
    }
    assert_eq!(cases[0].status(), Some(403));
    assert_eq!(cases[1].close_code(), Some(4001));
    assert_eq!(cases[1].close_reason(), Some("bye"));
    assert_eq!(cases[2].close_code(), None);
    #[cfg(feature = "serde")]
    for e in &cases {
        let back: Error = serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap();
        assert_eq!(back.js_name(), e.js_name());
        assert_eq!(back.close_code(), e.close_code());
        assert_eq!(back.status(), e.status());
    }
}

#[test]
fn error_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Error>();
}
