//! One connection over the platform's `WebSocket` (a Window, a Worker,
//! Node.js 22): its events land in a queue that the core polls.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use super::core::ConnEvent;
use super::Message;
use crate::error::{Error, Kind};
use crate::sys;

#[derive(Default)]
struct Events {
    queue: VecDeque<ConnEvent>,
    waker: Option<Waker>,
    closed: bool,
}

impl Events {
    fn push(&mut self, e: ConnEvent) {
        if self.closed {
            return;
        }
        self.closed = matches!(e, ConnEvent::Closed { .. });
        self.queue.push_back(e);
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

pub(crate) struct Conn {
    ws: WebSocket,
    events: Rc<RefCell<Events>>,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_error: Closure<dyn FnMut()>,
}

impl Conn {
    pub(crate) fn open(url: &str, protocols: &[String]) -> Result<Conn, Error> {
        if !sys::has_websocket() {
            return Err(Error::new(
                Kind::Unsupported,
                "this platform has no WebSocket: Node.js has a global WebSocket from version \
                 22 (in 20 and 21 with --experimental-websocket)",
            )
            .with_url(url));
        }
        let ws = if protocols.is_empty() {
            WebSocket::new(url)
        } else {
            let list = js_sys::Array::new();
            for p in protocols {
                list.push(&JsValue::from_str(p));
            }
            WebSocket::new_with_str_sequence(url, &list)
        }
        .map_err(|e| {
            Error::builder(format!(
                "the WebSocket could not be made: {}",
                sys::js_message(&e)
            ))
            .with_url(url)
        })?;
        ws.set_binary_type(BinaryType::Arraybuffer);
        let events = Rc::new(RefCell::new(Events::default()));

        let (e, w) = (events.clone(), ws.clone());
        let on_open = Closure::<dyn FnMut()>::new(move || {
            e.borrow_mut().push(ConnEvent::Open {
                protocol: w.protocol(),
            })
        });
        let e = events.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |m: MessageEvent| {
            let data = m.data();
            let msg = match data.as_string() {
                Some(s) => Message::Text(s),
                None => Message::Binary(js_sys::Uint8Array::new(&data).to_vec()),
            };
            e.borrow_mut().push(ConnEvent::Message(msg));
        });
        let (e, w) = (events.clone(), ws.clone());
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |c: CloseEvent| {
            e.borrow_mut().push(ConnEvent::Closed {
                code: c.code(),
                reason: c.reason(),
                unsent: u64::from(w.buffered_amount()),
                status: None,
            })
        });
        // An `error` is always a failed connection (1006); Node.js 20's
        // WebSocket fires no `close` after a refused upgrade, so the error
        // is the close (a `close` after it is ignored).
        let (e, w) = (events.clone(), ws.clone());
        let on_error = Closure::<dyn FnMut()>::new(move || {
            e.borrow_mut().push(ConnEvent::Closed {
                code: 1006,
                reason: String::new(),
                unsent: u64::from(w.buffered_amount()),
                status: None,
            })
        });
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Conn {
            ws,
            events,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        })
    }

    pub(crate) fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<ConnEvent> {
        let mut ev = self.events.borrow_mut();
        match ev.queue.pop_front() {
            Some(e) => Poll::Ready(e),
            None => {
                ev.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.ws.ready_state() == WebSocket::OPEN
    }

    /// Hands `msg` to the socket's `send`.
    pub(crate) fn send(&mut self, msg: &Message) -> Result<(), ()> {
        match msg {
            Message::Text(s) => self.ws.send_with_str(s),
            Message::Binary(b) => self.ws.send_with_u8_array(b),
        }
        .map_err(|_| ())
    }

    /// `bufferedAmount`: the bytes handed to `send` that have not left.
    pub(crate) fn buffered(&self) -> u64 {
        u64::from(self.ws.buffered_amount())
    }

    /// Starts the closing handshake; the `Closed` event follows.
    pub(crate) fn close(&mut self, code: u16, reason: &str) {
        let _ = self.ws.close_with_code_and_reason(code, reason);
    }

    /// Gives the connection up at once (it counts as dropped): what it
    /// had not sent.
    pub(crate) fn abandon(self) -> u64 {
        self.buffered()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let state = self.ws.ready_state();
        if state == WebSocket::CONNECTING || state == WebSocket::OPEN {
            let _ = self.ws.close_with_code(1000);
        }
    }
}
