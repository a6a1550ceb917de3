//! The page's side of the engine ([`super::engine`], in a module worker): starts the worker and
//! turns requests into futures of their replies, with a callback for a classification's progress.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use super::dom;
use super::protocol::{Progress, Reply, Request};

/// The worker's script, next to the page (copied by trunk from `web/worker.js`).
const WORKER_URL: &str = "worker.js";

struct Pending {
    resolve: js_sys::Function,
    on_progress: Option<Box<dyn FnMut(Progress)>>,
}

struct Client {
    worker: Worker,
    next_id: u32,
    pending: HashMap<u32, Pending>,
}

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
}

/// Starts the worker and waits until its engine takes requests.
pub async fn start() -> Result<(), String> {
    let opts = WorkerOptions::new();
    opts.set_type(WorkerType::Module);
    let worker = Worker::new_with_options(WORKER_URL, &opts).map_err(|e| {
        format!(
            "The page's engine (a Web Worker) could not start: {}",
            dom::js_error_text(&e)
        )
    })?;
    let (ready, resolve_ready) = promise();
    CLIENT.with(|c| {
        let mut pending = HashMap::new();
        pending.insert(
            0,
            Pending {
                resolve: resolve_ready,
                on_progress: None,
            },
        );
        *c.borrow_mut() = Some(Client {
            worker: worker.clone(),
            next_id: 1,
            pending,
        });
    });
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(|e: web_sys::ErrorEvent| {
        fail_all(&format!("the page's engine stopped: {}", e.message()));
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    match parse(JsFuture::from(ready).await) {
        Reply::Ready => Ok(()),
        Reply::Error { message, .. } => {
            Err(format!("The page's engine could not start: {message}"))
        }
        other => Err(format!("The page's engine said {other:?} instead of ready")),
    }
}

fn promise() -> (js_sys::Promise, js_sys::Function) {
    let mut resolve = None;
    let p = js_sys::Promise::new(&mut |res, _rej| resolve = Some(res));
    (p, resolve.expect("the executor runs at once"))
}

fn parse(msg: Result<JsValue, JsValue>) -> Reply {
    let text = msg
        .ok()
        .and_then(|m| dom::get(&m, "json").as_string())
        .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|e| Reply::Error {
        message: format!("the page's engine gave an unreadable reply ({e})"),
        backend: None,
    })
}

fn on_message(e: MessageEvent) {
    let data = e.data();
    let id = dom::get(&data, "id").as_f64().unwrap_or(-1.0) as u32;
    let json = dom::get(&data, "json").as_string().unwrap_or_default();
    // progress goes to the request's callback; anything else settles it
    if json.starts_with(r#"{"kind":"progress""#) {
        let Ok(Reply::Progress(p)) = serde_json::from_str::<Reply>(&json) else {
            return;
        };
        let callback = CLIENT.with(|c| {
            c.borrow_mut()
                .as_mut()
                .and_then(|c| c.pending.get_mut(&id))
                .and_then(|p| p.on_progress.take())
        });
        if let Some(mut f) = callback {
            f(p);
            CLIENT.with(|c| {
                if let Some(p) = c.borrow_mut().as_mut().and_then(|c| c.pending.get_mut(&id)) {
                    p.on_progress = Some(f);
                }
            });
        }
        return;
    }
    let pending = CLIENT.with(|c| c.borrow_mut().as_mut().and_then(|c| c.pending.remove(&id)));
    if let Some(p) = pending {
        let _ = p.resolve.call1(&JsValue::NULL, &data);
    }
}

/// Settles every waiting request with an error (the worker died).
fn fail_all(message: &str) {
    dom::log(message);
    let pending: Vec<Pending> = CLIENT.with(|c| {
        c.borrow_mut()
            .as_mut()
            .map(|c| c.pending.drain().map(|(_, p)| p).collect())
            .unwrap_or_default()
    });
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

/// Sends `req` (with `samples` or `bytes` transferred) and returns its id and its reply's future.
pub fn send(
    req: &Request,
    samples: Option<js_sys::Float32Array>,
    bytes: Option<&[u8]>,
    on_progress: Option<Box<dyn FnMut(Progress)>>,
) -> (u32, impl std::future::Future<Output = Reply> + use<>) {
    let (p, resolve) = promise();
    let id = CLIENT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(client) = c.as_mut() else {
            return None;
        };
        let id = client.next_id;
        client.next_id += 1;
        client.pending.insert(
            id,
            Pending {
                resolve,
                on_progress,
            },
        );
        let msg = js_sys::Object::new();
        let transfer = js_sys::Array::new();
        js_sys::Reflect::set(&msg, &"id".into(), &JsValue::from(id)).ok();
        let json = serde_json::to_string(req).unwrap_or_default();
        js_sys::Reflect::set(&msg, &"json".into(), &JsValue::from_str(&json)).ok();
        if let Some(a) = samples {
            transfer.push(&a.buffer());
            js_sys::Reflect::set(&msg, &"f32".into(), &a).ok();
        }
        if let Some(b) = bytes {
            let a = js_sys::Uint8Array::from(b);
            transfer.push(&a.buffer());
            js_sys::Reflect::set(&msg, &"bytes".into(), &a).ok();
        }
        if let Err(e) = client.worker.post_message_with_transfer(&msg, &transfer) {
            client.pending.remove(&id);
            dom::log(&format!(
                "post to the engine failed: {}",
                dom::js_error_text(&e)
            ));
            return None;
        }
        Some(id)
    });
    let future = async move {
        match id {
            Some(_) => parse(JsFuture::from(p).await),
            None => Reply::Error {
                message: "the page's engine is not running".into(),
                backend: None,
            },
        }
    };
    (id.unwrap_or(0), future)
}

/// Sends `req` and waits for its reply.
pub async fn request(
    req: &Request,
    samples: Option<js_sys::Float32Array>,
    bytes: Option<&[u8]>,
) -> Reply {
    send(req, samples, bytes, None).1.await
}
