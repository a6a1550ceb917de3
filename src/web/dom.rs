//! Small DOM helpers.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Document, Element, HtmlElement, Window};

pub fn window() -> Window {
    web_sys::window().expect("a window")
}

pub fn document() -> Document {
    window().document().expect("a document")
}

/// The element with `id`, cast to `T`. The page's static elements are in `index.html`; a
/// missing one is a bug in the page, not an input error.
pub fn by_id<T: JsCast>(id: &str) -> T {
    document()
        .get_element_by_id(id)
        .unwrap_or_else(|| panic!("index.html has no #{id}"))
        .dyn_into::<T>()
        .unwrap_or_else(|_| panic!("#{id} has an unexpected element type"))
}

pub fn set_text(id: &str, text: &str) {
    by_id::<Element>(id).set_text_content(Some(text));
}

pub fn set_hidden(id: &str, hidden: bool) {
    by_id::<HtmlElement>(id).set_hidden(hidden);
}

/// A new element with a class (and text).
pub fn el(tag: &str, class: &str, text: Option<&str>) -> HtmlElement {
    let e: HtmlElement = document()
        .create_element(tag)
        .expect("create_element")
        .unchecked_into();
    if !class.is_empty() {
        e.set_class_name(class);
    }
    if let Some(t) = text {
        e.set_text_content(Some(t));
    }
    e
}

pub fn clear(e: &Element) {
    e.set_inner_html("");
}

thread_local! {
    /// The page's or the worker's `performance`.
    static PERFORMANCE: web_sys::Performance =
        get(&js_sys::global(), "performance").unchecked_into();
}

/// Milliseconds since the page (or the worker) started (`performance.now()`).
pub fn now_ms() -> f64 {
    PERFORMANCE.with(|p| p.now())
}

/// Milliseconds since the Unix epoch, at `performance.now()`'s precision: comparable between the
/// page and the worker, whose `now_ms` origins differ.
pub fn epoch_ms() -> f64 {
    PERFORMANCE.with(|p| p.time_origin() + p.now())
}

/// A User Timing mark (`performance.mark`): the page's steps show in the browser's profiler and
/// the end-to-end tests line long tasks up with them.
pub fn mark(name: &str) {
    PERFORMANCE.with(|p| {
        if let Ok(f) = get(p, "mark").dyn_into::<js_sys::Function>() {
            let _ = f.call1(p, &JsValue::from_str(name));
        }
    });
}

/// Resolves after `ms` milliseconds: hands the event loop back to the browser so that the page
/// repaints and reacts to input (and the worker reads its messages) between batches of work.
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = get(&global, "setTimeout").unchecked_into();
        let _ = set_timeout.call2(&global, &resolve, &JsValue::from(ms));
    });
    let _ = JsFuture::from(promise).await;
}

pub async fn yield_now() {
    sleep_ms(0).await;
}

/// Text of a JS error value (an `Error`'s message, a DOMException's name and message, or
/// whatever it prints as).
pub fn js_error_text(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        let name: String = err.name().into();
        let msg: String = err.message().into();
        return if msg.is_empty() {
            name
        } else {
            format!("{name}: {msg}")
        };
    }
    if let Some(s) = e.as_string() {
        return s;
    }
    js_sys::JSON::stringify(e)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

pub fn log(msg: &str) {
    web_sys::console::log_1(&JsValue::from_str(msg));
}

/// Reads a JS property (`undefined` when absent).
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Shows `text` in the message box `id` (class "message error" or "message info").
pub fn show_message(id: &str, text: &str, kind: &str) {
    let m: HtmlElement = by_id(id);
    m.set_text_content(Some(text));
    m.set_class_name(&format!("message {kind}"));
    m.set_hidden(false);
}

/// Calls `f` on every `event` at `target`, for as long as the page lives.
pub fn listen<E: JsCast + wasm_bindgen::convert::FromWasmAbi + 'static>(
    target: &web_sys::EventTarget,
    event: &str,
    f: impl FnMut(E) + 'static,
) {
    let closure = wasm_bindgen::closure::Closure::<dyn FnMut(E)>::new(f);
    target
        .add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())
        .ok();
    closure.forget(); // the page's handlers live as long as the page
}

/// Shows the progress bar `id` at `done / total` (indeterminate when `total` is 0); `None`
/// hides it.
pub fn show_progress(id: &str, value: Option<(f64, f64)>) {
    let p: web_sys::HtmlProgressElement = by_id(id);
    match value {
        None => p.set_hidden(true),
        Some((_, total)) if total <= 0.0 => {
            p.remove_attribute("value").ok();
            p.set_hidden(false);
        }
        Some((done, total)) => {
            p.set_max(total);
            p.set_value(done);
            p.set_hidden(false);
        }
    }
}
