use super::*;
use crate::Error;
use futures::channel::oneshot;
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// A future that counts how many of its kind are in flight.
struct Tracked {
    rx: oneshot::Receiver<Result<usize, String>>,
    live: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    polled: bool,
}

impl Future for Tracked {
    type Output = Result<usize, Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if !self.polled {
            self.polled = true;
            let live = self.live.fetch_add(1, SeqCst) + 1;
            self.peak.fetch_max(live, SeqCst);
        }
        match Pin::new(&mut self.rx).poll(cx) {
            Poll::Ready(r) => Poll::Ready(match r.expect("sender kept") {
                Ok(v) => Ok(v),
                Err(msg) => Err(Error::builder(msg)),
            }),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if self.polled {
            self.live.fetch_sub(1, SeqCst);
        }
    }
}

struct Harness {
    senders: Vec<Option<oneshot::Sender<Result<usize, String>>>>,
    futures: Vec<Tracked>,
    live: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

fn harness(n: usize) -> Harness {
    let live = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (senders, futures) = (0..n)
        .map(|_| {
            let (tx, rx) = oneshot::channel();
            let f = Tracked {
                rx,
                live: live.clone(),
                peak: peak.clone(),
                polled: false,
            };
            (Some(tx), f)
        })
        .unzip();
    Harness {
        senders,
        futures,
        live,
        peak,
    }
}

type Shared<T> = Rc<RefCell<Option<T>>>;

fn spawn<T: 'static>(pool: &LocalPool, f: impl Future<Output = T> + 'static) -> Shared<T> {
    let out = Rc::new(RefCell::new(None));
    let slot = out.clone();
    pool.spawner()
        .spawn_local(async move {
            *slot.borrow_mut() = Some(f.await);
        })
        .unwrap();
    out
}

#[test]
fn results_in_input_order_whatever_the_completion_order() {
    let mut pool = LocalPool::new();
    let mut h = harness(5);
    let out = spawn(&pool, gather(std::mem::take(&mut h.futures)).into_future());
    pool.run_until_stalled();
    for i in [3, 0, 4, 1, 2] {
        let r = if i == 1 {
            Err("boom".to_string())
        } else {
            Ok(i * 10)
        };
        h.senders[i].take().unwrap().send(r).unwrap();
        pool.run_until_stalled();
    }
    let out = out.borrow_mut().take().unwrap();
    assert_eq!(out.len(), 5);
    assert_eq!(out[0].as_ref().unwrap(), &0);
    assert!(out[1].as_ref().unwrap_err().is_builder());
    assert_eq!(out[4].as_ref().unwrap(), &40);
    assert_eq!(h.peak.load(SeqCst), 5, "no limit: all in flight at once");
}

#[test]
fn limit_bounds_in_flight_and_progress_counts() {
    for limit in [1, 4, 16] {
        let mut pool = LocalPool::new();
        let mut h = harness(50);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let out = spawn(
            &pool,
            gather(std::mem::take(&mut h.futures))
                .limit(limit)
                .on_progress(move |p| s.lock().unwrap().push(p))
                .into_future(),
        );
        pool.run_until_stalled();
        assert_eq!(h.live.load(SeqCst), limit);
        // Complete in reverse order of what is running, a few at a time.
        for i in 0..50 {
            h.senders[i].take().unwrap().send(Ok(i)).unwrap();
            pool.run_until_stalled();
            assert!(h.live.load(SeqCst) <= limit);
        }
        let out = out.borrow_mut().take().unwrap();
        let values: Vec<usize> = out.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(values, (0..50).collect::<Vec<_>>());
        assert_eq!(h.peak.load(SeqCst), limit);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 50);
        assert_eq!(seen.last().unwrap().done, 50);
        assert!(seen.iter().all(|p| p.total == 50 && p.ok));
    }
}

#[test]
fn fail_fast_cancels_in_flight_and_never_starts_the_rest() {
    let mut pool = LocalPool::new();
    let mut h = harness(10);
    let out = spawn(
        &pool,
        gather(std::mem::take(&mut h.futures))
            .limit(3)
            .fail_fast(true)
            .into_future(),
    );
    pool.run_until_stalled();
    h.senders[0].take().unwrap().send(Ok(0)).unwrap();
    pool.run_until_stalled();
    assert_eq!(h.live.load(SeqCst), 3); // 1, 2, 3 running
    h.senders[2]
        .take()
        .unwrap()
        .send(Err("bad".into()))
        .unwrap();
    pool.run_until_stalled();
    assert_eq!(h.live.load(SeqCst), 0, "in-flight futures were dropped");
    let out = out.borrow_mut().take().unwrap();
    assert_eq!(out[0].as_ref().unwrap(), &0);
    assert!(out[2].as_ref().unwrap_err().is_builder());
    for i in [1, 3] {
        assert!(
            out[i].as_ref().unwrap_err().is_cancelled(),
            "{i} was in flight"
        );
    }
    for r in &out[4..] {
        assert!(r.as_ref().unwrap_err().is_cancelled());
    }
    assert_eq!(h.peak.load(SeqCst), 3);
}

#[test]
fn abort_signal_cuts_the_batch_short_and_reports_each_input() {
    let mut pool = LocalPool::new();
    let mut h = harness(6);
    let controller = crate::AbortController::new().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let out = spawn(
        &pool,
        gather(std::mem::take(&mut h.futures))
            .limit(3)
            .abort_signal(&controller.signal())
            .on_progress(move |p| s.lock().unwrap().push(p))
            .detailed(),
    );
    pool.run_until_stalled();
    h.senders[1].take().unwrap().send(Ok(10)).unwrap();
    pool.run_until_stalled();
    assert_eq!(h.live.load(SeqCst), 3, "0, 2 and 3 running");
    controller.abort();
    pool.run_until_stalled();
    assert_eq!(h.live.load(SeqCst), 0, "in-flight futures were dropped");
    let out = out.borrow_mut().take().expect("the batch ended");
    assert_eq!(out[1].result.as_ref().unwrap(), &10, "a result is kept");
    for (i, o) in out.iter().enumerate().filter(|(i, _)| *i != 1) {
        let e = o.result.as_ref().unwrap_err();
        assert!(e.is_cancelled() && e.is_aborted(), "{i}: {e}");
        let in_flight = [0, 2, 3].contains(&i);
        assert_eq!(o.started_ms.is_some(), in_flight, "{i}");
        let said = if in_flight {
            "aborted in flight"
        } else {
            "never sent"
        };
        assert!(e.to_string().contains(said), "{i}: {e}");
    }
    let seen = seen.lock().unwrap();
    let order: Vec<(usize, bool)> = seen.iter().map(|p| (p.index, p.ok)).collect();
    assert_eq!(
        order,
        [
            (1, true),
            (0, false),
            (2, false),
            (3, false),
            (4, false),
            (5, false)
        ],
        "every input reported once, the cut ones in input order"
    );
    assert_eq!(seen.last().unwrap().done, 6);
    assert_eq!(h.peak.load(SeqCst), 3, "4 and 5 never started");
}

#[test]
fn an_aborted_signal_starts_nothing() {
    let mut h = harness(3);
    let controller = crate::AbortController::new().unwrap();
    controller.abort();
    let out = futures::executor::block_on(
        gather(std::mem::take(&mut h.futures))
            .abort_signal(&controller.signal())
            .into_future(),
    );
    assert_eq!(out.len(), 3);
    assert!(out.iter().all(|r| r.as_ref().unwrap_err().is_cancelled()));
    assert_eq!(h.peak.load(SeqCst), 0, "nothing was polled");
}

#[test]
fn ten_thousand_inputs_with_failures_in_place() {
    let mut pool = LocalPool::new();
    let futs = (0..10_000usize).map(|i| async move {
        if i % 10 == 7 {
            Err(Error::builder(format!("fail {i}")))
        } else {
            Ok(i)
        }
    });
    let out = spawn(&pool, gather(futs).limit(100).detailed());
    pool.run();
    let out = out.borrow_mut().take().unwrap();
    assert_eq!(out.len(), 10_000);
    for (i, o) in out.iter().enumerate() {
        assert_eq!(o.index, i);
        assert_eq!(o.result.is_err(), i % 10 == 7);
        assert!(o.started_ms.is_some() && o.ended_ms >= o.started_ms.unwrap());
    }
}

#[test]
fn empty_batch() {
    let out: Vec<Result<u8, Error>> = futures::executor::block_on(
        gather(Vec::<std::future::Ready<Result<u8, Error>>>::new()).into_future(),
    );
    assert!(out.is_empty());
}

#[test]
fn cancelled_converts_into_foreign_errors() {
    #[derive(Debug)]
    struct MyErr;
    impl From<Cancelled> for MyErr {
        fn from(_: Cancelled) -> MyErr {
            MyErr
        }
    }
    let futs = vec![
        Box::pin(async { Err::<u8, MyErr>(MyErr) }) as BoxFuture<'_, _>,
        Box::pin(std::future::pending()),
    ];
    let out = futures::executor::block_on(gather(futs).fail_fast(true).into_future());
    assert!(matches!(out[1], Err(MyErr)));
}
