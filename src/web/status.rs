//! What the page says: `#app[data-state]` (`loading` | `ready` | `working` | `done` | `error`),
//! the status line, the progress bar, the message box, the backend notice and the result JSON
//! (`<script type="application/json" id="result">`).

use serde_json::json;
use web_sys::{Element, HtmlElement, HtmlSelectElement};

use super::dom::{self, by_id, set_hidden, set_text};

pub fn set_state(state: &str) {
    by_id::<Element>("app")
        .set_attribute("data-state", state)
        .ok();
    let busy = state == "loading" || state == "working";
    by_id::<HtmlSelectElement>("backend").set_disabled(busy);
    by_id::<Element>("app")
        .set_attribute("aria-busy", if busy { "true" } else { "false" })
        .ok();
}

pub fn status(text: &str) {
    set_text("status", text);
}

/// Shows progress `done / total` (an indeterminate bar when `total` is 0); `None` hides it.
pub fn progress(value: Option<(f64, f64)>) {
    dom::show_progress("progress", value);
}

pub fn show_error(text: &str) {
    dom::show_message("message", text, "error");
}

pub fn show_info(text: &str) {
    dom::show_message("message", text, "info");
}

pub fn clear_message() {
    set_hidden("message", true);
}

pub fn backend_notice(text: Option<&str>) {
    let n: HtmlElement = by_id("backend-notice");
    n.set_text_content(text);
    n.set_hidden(text.is_none());
}

pub fn set_result_json(value: &serde_json::Value) {
    set_text("result", &value.to_string());
}

/// A failed action: the message, `data-state="error"`, and the error in `#result`.
pub fn fail(file: Option<&str>, text: &str) {
    show_error(text);
    progress(None);
    status("Drop another file, or choose one.");
    set_result_json(&json!({ "error": text, "file": file }));
    set_state("error");
}
