//! The page's side of its workers: the engine ([`super::engine`], started with the page) and the
//! teacher (`super::teacher`, started when a person first teaches). Requests become futures of
//! their replies, with a callback for progress and, for the engine, a subscription for the
//! microphone's events.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use super::dom;
use super::protocol::{LiveEvent, Progress, Reply, Request, envelope};

/// A worker of the page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Which {
    Engine,
    Teacher,
}

impl Which {
    /// Its script, next to the page (copied by trunk from `web/`).
    fn url(self) -> &'static str {
        match self {
            Which::Engine => "worker.js",
            Which::Teacher => "teach-worker.js",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Which::Engine => "engine",
            Which::Teacher => "teacher",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

struct Pending {
    resolve: js_sys::Function,
    on_progress: Option<Box<dyn FnMut(Progress)>>,
}

/// Gets a live event and its attached `f32` (the window's mel picture).
pub type OnLive = Box<dyn FnMut(LiveEvent, Option<js_sys::Float32Array>)>;

struct Client {
    worker: Worker,
    next_id: u32,
    pending: HashMap<u32, Pending>,
    /// Listening requests and their handlers.
    live: HashMap<u32, OnLive>,
}

thread_local! {
    static CLIENTS: RefCell<[Option<Client>; 2]> = const { RefCell::new([None, None]) };
    /// The listening request whose events are delivered (0: none).
    static LISTENING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// `f` on the client of `which`, if it runs.
fn with_client<R>(which: Which, f: impl FnOnce(&mut Client) -> R) -> Option<R> {
    CLIENTS.with(|c| c.borrow_mut()[which.slot()].as_mut().map(f))
}

/// The worker of `which` runs.
pub fn is_running(which: Which) -> bool {
    with_client(which, |_| ()).is_some()
}

/// Starts the engine and waits until it takes requests.
pub async fn start() -> Result<(), String> {
    start_worker(Which::Engine).await
}

/// Starts the worker `which` and waits until it takes requests.
pub async fn start_worker(which: Which) -> Result<(), String> {
    let opts = WorkerOptions::new();
    opts.set_type(WorkerType::Module);
    let worker = Worker::new_with_options(which.url(), &opts).map_err(|e| {
        format!(
            "The page's {} (a Web Worker) could not start: {}",
            which.name(),
            dom::js_error_text(&e)
        )
    })?;
    let (ready, resolve_ready) = promise();
    CLIENTS.with(|c| {
        let mut pending = HashMap::new();
        pending.insert(
            0,
            Pending {
                resolve: resolve_ready,
                on_progress: None,
            },
        );
        c.borrow_mut()[which.slot()] = Some(Client {
            worker: worker.clone(),
            next_id: 1,
            pending,
            live: HashMap::new(),
        });
    });
    let on_message =
        Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| on_message(which, e));
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
        let text = e.message();
        let text = if text.is_empty() {
            // a script that failed to load says nothing more
            format!("its script {} could not be run", which.url())
        } else {
            text
        };
        fail_all(
            which,
            &format!("the page's {} stopped: {text}", which.name()),
        );
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    let result = match parse(JsFuture::from(ready).await) {
        Reply::Ready => Ok(()),
        Reply::Error { message, .. } => Err(format!(
            "The page's {} could not start: {message}",
            which.name()
        )),
        other => Err(format!(
            "The page's {} said {other:?} instead of ready",
            which.name()
        )),
    };
    if result.is_err() {
        worker.terminate();
        CLIENTS.with(|c| c.borrow_mut()[which.slot()] = None);
    }
    result
}

fn promise() -> (js_sys::Promise, js_sys::Function) {
    let mut resolve = None;
    let p = js_sys::Promise::new(&mut |res, _rej| resolve = Some(res));
    (p, resolve.expect("the executor runs at once"))
}

/// A reply and the message it came in (its attachments: `f32`, `bytes`).
pub fn parse(msg: Result<JsValue, JsValue>) -> Reply {
    let text = msg
        .ok()
        .and_then(|m| dom::get(&m, "json").as_string())
        .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|e| Reply::Error {
        message: format!("the page's engine gave an unreadable reply ({e})"),
        backend: None,
    })
}

fn on_message(which: Which, e: MessageEvent) {
    let data = e.data();
    let id = dom::get(&data, "id").as_f64().unwrap_or(-1.0) as u32;
    let json = dom::get(&data, "json").as_string().unwrap_or_default();
    // live events go to their subscription, progress to the request's callback; anything else
    // settles the request
    if json.starts_with(r#"{"kind":"live""#) {
        let Ok(Reply::Live { event }) = serde_json::from_str::<Reply>(&json) else {
            return;
        };
        let mel = dom::get(&data, "f32")
            .dyn_into::<js_sys::Float32Array>()
            .ok();
        // the handler is taken out while it runs (it may stop listening, or start again)
        let handler = with_client(which, |c| c.live.remove(&id)).flatten();
        if let Some(mut f) = handler {
            f(event, mel);
            with_client(which, |c| {
                if LISTENING.with(|l| l.get()) == id {
                    c.live.entry(id).or_insert(f);
                }
            });
        }
        return;
    }
    if json.starts_with(r#"{"kind":"progress""#) {
        let Ok(Reply::Progress(p)) = serde_json::from_str::<Reply>(&json) else {
            return;
        };
        let callback = with_client(which, |c| {
            c.pending.get_mut(&id).and_then(|p| p.on_progress.take())
        })
        .flatten();
        if let Some(mut f) = callback {
            f(p);
            with_client(which, |c| {
                if let Some(p) = c.pending.get_mut(&id) {
                    p.on_progress = Some(f);
                }
            });
        }
        return;
    }
    let pending = with_client(which, |c| c.pending.remove(&id)).flatten();
    if let Some(p) = pending {
        let _ = p.resolve.call1(&JsValue::NULL, &data);
    }
}

/// Settles every waiting request with an error (the worker died).
fn fail_all(which: Which, message: &str) {
    dom::log(message);
    let pending: Vec<Pending> =
        with_client(which, |c| c.pending.drain().map(|(_, p)| p).collect()).unwrap_or_default();
    let reply = serde_json::to_string(&Reply::Error {
        message: message.to_string(),
        backend: None,
    })
    .unwrap_or_default();
    for p in pending {
        let msg = js_sys::Object::new();
        js_sys::Reflect::set(&msg, &"json".into(), &JsValue::from_str(&reply)).ok();
        let _ = p.resolve.call1(&JsValue::NULL, &msg);
    }
}

/// `samples` in a new `Float32Array` (to transfer to the engine), copied 1 M samples at a time
/// with the event loop handed back between (a 20-minute song is 26 M samples).
pub async fn float32_yielding(samples: &[f32]) -> js_sys::Float32Array {
    const STEP: usize = 1 << 20;
    let out = js_sys::Float32Array::new_with_length(samples.len() as u32);
    for (k, chunk) in samples.chunks(STEP).enumerate() {
        let at = (k * STEP) as u32;
        out.subarray(at, at + chunk.len() as u32).copy_from(chunk);
        if samples.len() > STEP {
            dom::yield_now().await;
        }
    }
    out
}

/// Sends `req` to the engine (with `samples` or `bytes` transferred) and returns its id and its
/// reply's future.
pub fn send(
    req: &Request,
    samples: Option<js_sys::Float32Array>,
    bytes: Option<&[u8]>,
    on_progress: Option<Box<dyn FnMut(Progress)>>,
) -> (u32, impl std::future::Future<Output = Reply> + use<>) {
    let (id, raw) = send_to(Which::Engine, req, samples, bytes, on_progress);
    (id, async move { parse(raw.await) })
}

/// Sends `req` to `which`; its id and the future of the reply's whole message (parse it with
/// [`parse`]; its attachments are its `f32` and `bytes`).
pub fn send_to(
    which: Which,
    req: &Request,
    samples: Option<js_sys::Float32Array>,
    bytes: Option<&[u8]>,
    on_progress: Option<Box<dyn FnMut(Progress)>>,
) -> (
    u32,
    impl std::future::Future<Output = Result<JsValue, JsValue>> + use<>,
) {
    let (p, resolve) = promise();
    let id = with_client(which, |client| {
        let id = client.next_id;
        client.next_id += 1;
        client.pending.insert(
            id,
            Pending {
                resolve,
                on_progress,
            },
        );
        let json = serde_json::to_string(req).unwrap_or_default();
        let (msg, transfer) = envelope(id, &json, samples, bytes);
        if let Err(e) = client.worker.post_message_with_transfer(&msg, &transfer) {
            client.pending.remove(&id);
            dom::log(&format!(
                "post to the {} failed: {}",
                which.name(),
                dom::js_error_text(&e)
            ));
            return None;
        }
        Some(id)
    })
    .flatten();
    let future = async move {
        match id {
            Some(_) => JsFuture::from(p).await,
            None => {
                let msg = js_sys::Object::new();
                let json = serde_json::to_string(&Reply::Error {
                    message: format!("the page's {} is not running", which.name()),
                    backend: None,
                })
                .unwrap_or_default();
                js_sys::Reflect::set(&msg, &"json".into(), &JsValue::from_str(&json)).ok();
                Ok(msg.into())
            }
        }
    };
    (id.unwrap_or(0), future)
}

/// Asks the engine to listen to the AudioWorklet blocks that arrive on `port` (transferred to
/// the worker) at `device_rate`; `on_event` gets its events until [`unlisten`]. Returns false
/// when the engine is not running.
pub fn listen(device_rate: f32, port: web_sys::MessagePort, on_event: OnLive) -> bool {
    let req = Request::Listen { device_rate };
    with_client(Which::Engine, |client| {
        let id = client.next_id;
        client.next_id += 1;
        let json = serde_json::to_string(&req).unwrap_or_default();
        let (msg, transfer) = envelope(id, &json, None, None);
        js_sys::Reflect::set(&msg, &"port".into(), &port).ok();
        transfer.push(&port);
        if let Err(e) = client.worker.post_message_with_transfer(&msg, &transfer) {
            dom::log(&format!(
                "listen request to the engine failed: {}",
                dom::js_error_text(&e)
            ));
            return false;
        }
        client.live.clear();
        client.live.insert(id, on_event);
        LISTENING.with(|l| l.set(id));
        true
    })
    .unwrap_or(false)
}

/// Stops the engine listening; no more live events are delivered.
pub fn unlisten() {
    LISTENING.with(|l| l.set(0));
    with_client(Which::Engine, |c| c.live.clear());
    let _ = send(&Request::Unlisten, None, None, None);
}

/// Sends `req` and waits for its reply.
pub async fn request(
    req: &Request,
    samples: Option<js_sys::Float32Array>,
    bytes: Option<&[u8]>,
) -> Reply {
    send(req, samples, bytes, None).1.await
}
