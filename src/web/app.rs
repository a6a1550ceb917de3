//! The page's start-up and what people do: drop or choose a file (a song or a model), switch the
//! backend, remove their model. One action holds the page at a time (`state::Session::busy`),
//! except that a new song replaces the one being decoded or classified.
//!
//! - [`super::models`]: the model and the backend;
//! - [`super::song`]: a song, from the file to the result on screen;
//! - [`super::mic`]: the live microphone;
//! - [`super::status`]: what the page says.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{
    DragEvent, Element, Event, File, HtmlAudioElement, HtmlButtonElement, HtmlInputElement,
    HtmlSelectElement, MouseEvent,
};

use super::backend::Choice;
use super::client;
use super::dom::{self, by_id, listen};
use super::models::{self, initial_model, show_model, start_backend, use_model_bytes};
use super::song::{self, NotASong};
use super::state::with;
use super::status::{fail, progress, set_state, show_error, show_info, status};
use super::teach;

pub async fn run() {
    install_handlers();
    let params = web_sys::UrlSearchParams::new_with_str(
        &dom::window().location().search().unwrap_or_default(),
    )
    .ok();
    let choice = params
        .and_then(|p| p.get("backend"))
        .and_then(|s| Choice::parse(&s))
        .unwrap_or(Choice::Auto);
    by_id::<HtmlSelectElement>("backend").set_value(choice.as_str());
    with(|a| a.choice = Some(choice));
    set_state("loading");
    progress(Some((0.0, 0.0)));
    status("Starting the page's engine…");
    if let Err(e) = client::start().await {
        fail(None, &e);
        status("The page cannot classify without its engine.");
        return;
    }

    let model = match initial_model().await {
        Ok(m) => m,
        Err(e) => {
            fail(None, &e);
            status("The page cannot classify without a model.");
            return;
        }
    };
    show_model(&model);
    with(|a| a.model = Some(model));
    match start_backend(choice).await {
        Ok(()) => {
            progress(None);
            status("Ready: drop a song here, or choose a file.");
            set_state("ready");
        }
        Err(e) => fail(None, &e),
    }
    teach::restore().await;
}

fn install_handlers() {
    super::mic::install();
    teach::install(|name, bytes| {
        // a taught model becomes the page's model like a file the person brings, once the
        // page is free
        spawn_local(async move {
            while with(|a| a.busy) {
                dom::sleep_ms(20).await;
            }
            exclusive(async move {
                if use_model_bytes(name, bytes).await {
                    after_model_change().await;
                }
            });
        });
    });
    let doc = dom::document();
    let body: web_sys::EventTarget = doc.body().expect("a body").into();

    listen::<DragEvent>(&body, "dragover", |e| {
        e.prevent_default();
        if let Some(dt) = e.data_transfer() {
            dt.set_drop_effect("copy");
        }
        by_id::<Element>("app").class_list().add_1("dragging").ok();
    });
    listen::<DragEvent>(&body, "dragleave", |e| {
        if e.related_target().is_none() {
            by_id::<Element>("app")
                .class_list()
                .remove_1("dragging")
                .ok();
        }
    });
    listen::<DragEvent>(&body, "drop", |e| {
        e.prevent_default();
        by_id::<Element>("app")
            .class_list()
            .remove_1("dragging")
            .ok();
        let file = e
            .data_transfer()
            .and_then(|dt| dt.files())
            .and_then(|f| f.get(0));
        match file {
            Some(f) => on_file(f),
            None => show_error(
                "Nothing to read in what was dropped: drop an audio file (or a .genre model file).",
            ),
        }
    });

    let input: HtmlInputElement = by_id("file-input");
    let input2 = input.clone();
    listen::<Event>(&input.into(), "change", move |_| {
        if let Some(f) = input2.files().and_then(|f| f.get(0)) {
            on_file(f);
        }
        input2.set_value("");
    });

    let model_input: HtmlInputElement = by_id("model-input");
    let model_input2 = model_input.clone();
    listen::<Event>(&model_input.into(), "change", move |_| {
        if let Some(f) = model_input2.files().and_then(|f| f.get(0)) {
            on_model_file(f);
        }
        model_input2.set_value("");
    });

    let remove: HtmlButtonElement = by_id("model-remove");
    listen::<Event>(&remove.into(), "click", |_| on_remove_model());

    let select: HtmlSelectElement = by_id("backend");
    let select2 = select.clone();
    listen::<Event>(&select.into(), "change", move |_| {
        let choice = Choice::parse(&select2.value()).unwrap_or(Choice::Auto);
        on_backend_change(choice);
    });

    let timeline: Element = by_id("timeline-segments");
    listen::<MouseEvent>(&timeline.into(), "click", |e| {
        let index = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("[data-index]").ok().flatten())
            .and_then(|t| t.get_attribute("data-index"))
            .and_then(|s| s.parse::<usize>().ok());
        if let Some(i) = index {
            song::select_segment(i, true);
        }
    });

    let player: HtmlAudioElement = by_id("player");
    let player2 = player.clone();
    listen::<Event>(&player.into(), "timeupdate", move |_| {
        song::on_time(&player2)
    });
}

fn busy_message() {
    show_info("Still working on the previous request: wait until it is done.");
}

/// Runs `task` unless the page is busy, with the busy flag held meanwhile.
fn exclusive(task: impl std::future::Future<Output = ()> + 'static) {
    let was_busy = with(|a| std::mem::replace(&mut a.busy, true));
    if was_busy {
        busy_message();
        return;
    }
    spawn_local(async move {
        task.await;
        with(|a| a.busy = false);
    });
}

fn on_file(file: File) {
    super::mic::stop_for_file();
    if file.name().to_ascii_lowercase().ends_with(".genre") {
        on_model_file(file);
        return;
    }
    if with(|a| a.model.is_none() || !a.engine_ready) && !with(|a| a.busy) {
        show_error("No model is loaded, so nothing can be classified. Reload the page.");
        return;
    }
    // a song being read, decoded or classified gives way to the new one
    if song::in_progress() {
        song::cancel();
        spawn_local(async move {
            while with(|a| a.busy) {
                dom::sleep_ms(5).await;
            }
            exclusive(file_task(file));
        });
        return;
    }
    exclusive(file_task(file));
}

/// A dropped file: a song, or a model whatever its name.
async fn file_task(file: File) {
    if let Some(NotASong::Model(name, bytes)) = song::classify_file(file).await
        && use_model_bytes(name, bytes).await
    {
        after_model_change().await;
    }
}

fn on_backend_change(choice: Choice) {
    let was_busy = with(|a| std::mem::replace(&mut a.busy, true));
    if was_busy {
        busy_message();
        return;
    }
    spawn_local(async move {
        with(|a| a.choice = Some(choice));
        set_state("loading");
        let result = start_backend(choice).await;
        match result {
            Err(e) => fail(None, &e),
            Ok(()) => {
                if song::has_song() {
                    song::classify_song().await;
                } else {
                    status("Ready: drop a song here, or choose a file.");
                    set_state("ready");
                }
            }
        }
        with(|a| a.busy = false);
    });
}

fn on_model_file(file: File) {
    exclusive(async move {
        let name = file.name();
        let bytes = match song::read_file(&file).await {
            Ok(b) => js_sys::Uint8Array::new(&b).to_vec(),
            Err(e) => return show_error(&e),
        };
        if use_model_bytes(name, bytes).await {
            after_model_change().await;
        }
    });
}

fn on_remove_model() {
    exclusive(async move {
        set_state("loading");
        match models::remove_own_model().await {
            Ok(()) => after_model_change().await,
            Err(e) => fail(None, &e),
        }
    });
}

/// After the model changed: the current song is classified again (its labels may differ).
async fn after_model_change() {
    teach::model_changed();
    progress(None);
    if song::has_song() {
        song::classify_song().await;
    } else {
        status("Ready: drop a song here, or choose a file.");
        set_state("ready");
    }
}
