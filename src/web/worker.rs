//! The workers' side of [`super::protocol`]'s messages, shared by the engine
//! ([`super::engine`]) and the teacher (`super::teacher`): read each request with its
//! attachments, post replies with theirs (transferred, not copied).

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent, MessagePort};

use super::dom;
use super::protocol::{Reply, Request, envelope};

/// A request and what came with it.
pub struct Incoming {
    pub id: u32,
    pub request: Request,
    pub samples: Option<Vec<f32>>,
    pub bytes: Option<Vec<u8>>,
    pub port: Option<MessagePort>,
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts `reply` for request `id`.
pub fn post(id: u32, reply: &Reply) {
    post_with(id, reply, None, None);
}

/// Posts `reply` for request `id` with `samples` as its `f32` and `bytes` as its `bytes`.
pub fn post_with(id: u32, reply: &Reply, samples: Option<&[f32]>, bytes: Option<&[u8]>) {
    let json = serde_json::to_string(reply).unwrap_or_else(|e| {
        format!(r#"{{"kind":"error","message":"reply not serialisable: {e}","backend":null}}"#)
    });
    let (msg, transfer) = envelope(id, &json, samples.map(js_sys::Float32Array::from), bytes);
    scope().post_message_with_transfer(&msg, &transfer).ok();
}

/// Hands every request to `handle` (an unreadable one is answered with an error), then says
/// the worker is ready (reply id 0).
pub fn serve(mut handle: impl FnMut(Incoming) + 'static) {
    console_error_panic_hook::set_once();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let data = e.data();
        let id = dom::get(&data, "id").as_f64().unwrap_or(0.0) as u32;
        let json = dom::get(&data, "json").as_string().unwrap_or_default();
        match serde_json::from_str::<Request>(&json) {
            Ok(request) => handle(Incoming {
                id,
                request,
                samples: dom::get(&data, "f32")
                    .dyn_into::<js_sys::Float32Array>()
                    .ok()
                    .map(|a| a.to_vec()),
                bytes: dom::get(&data, "bytes")
                    .dyn_into::<js_sys::Uint8Array>()
                    .ok()
                    .map(|a| a.to_vec()),
                port: dom::get(&data, "port").dyn_into::<MessagePort>().ok(),
            }),
            Err(e) => post(
                id,
                &Reply::Error {
                    message: format!("the worker did not understand a request: {e}"),
                    backend: None,
                },
            ),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget(); // a worker lives as long as the page
    post(0, &Reply::Ready);
}
