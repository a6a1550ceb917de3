//! Opening the microphone: `getUserMedia` for music (echo cancellation, noise suppression and
//! automatic gain control off: they damage it), the browser's failures in words, and the audio
//! graph `MediaStreamAudioSourceNode` → `AudioWorkletNode` (`web/mic-processor.js`) → destination.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, AudioWorkletNode, MediaStream, MediaStreamAudioSourceNode, MediaStreamTrack,
};

use crate::web::dom;

/// Frames per block the worklet posts (~11 ms at 48 kHz).
const CHUNK: u32 = 512;

/// A failure: a short kind for the JSON (`denied`, `no-microphone`, …) and the words shown.
pub type Failure = (&'static str, String);

/// The words for a `getUserMedia` failure, by the DOMException's name.
fn media_error(e: &JsValue) -> Failure {
    let name = dom::get(e, "name").as_string().unwrap_or_default();
    let detail = dom::js_error_text(e);
    match name.as_str() {
        "NotAllowedError" | "PermissionDeniedError" | "SecurityError" => (
            "denied",
            "Microphone access was denied. To listen, allow the microphone for this page in the browser (the icon at the left of the address bar, or the site settings), then press the button again. Dropping a file still works.".into(),
        ),
        "NotFoundError" | "DevicesNotFoundError" | "OverconstrainedError" => (
            "no-microphone",
            "No microphone was found. Plug one in (or enable it in the system settings), then press the button again. Dropping a file still works.".into(),
        ),
        "NotReadableError" | "TrackStartError" | "AbortError" => (
            "unreadable",
            format!("The microphone could not be opened: another application may be using it, or the system blocked it ({detail}). Close the other application, then press the button again."),
        ),
        _ => ("failed", format!("The microphone could not be started: {detail}.")),
    }
}

/// Stops every track of `stream` (the browser's "recording" indicator goes off).
pub fn stop_stream(stream: &MediaStream) {
    for t in stream.get_tracks().iter() {
        let t: MediaStreamTrack = t.unchecked_into();
        t.set_onended(None);
        t.stop();
    }
}

/// Asks for the microphone; the stream and its audio track.
pub async fn open() -> Result<(MediaStream, MediaStreamTrack), Failure> {
    let devices = dom::window()
        .navigator()
        .media_devices()
        .ok()
        .filter(|d| !JsValue::from(d).is_undefined());
    let Some(devices) = devices else {
        return Err((
            "unsupported",
            "This browser gives no access to a microphone here (it needs a secure page: https or localhost).".into(),
        ));
    };
    let audio = js_sys::Object::new();
    for key in ["echoCancellation", "noiseSuppression", "autoGainControl"] {
        js_sys::Reflect::set(&audio, &key.into(), &JsValue::FALSE).ok();
    }
    let constraints = js_sys::Object::new();
    js_sys::Reflect::set(&constraints, &"audio".into(), &audio).ok();
    js_sys::Reflect::set(&constraints, &"video".into(), &JsValue::FALSE).ok();
    let promise = devices
        .get_user_media_with_constraints(constraints.unchecked_ref())
        .map_err(|e| media_error(&e))?;
    let stream: MediaStream = JsFuture::from(promise)
        .await
        .map_err(|e| media_error(&e))?
        .unchecked_into();
    match stream
        .get_audio_tracks()
        .get(0)
        .dyn_into::<MediaStreamTrack>()
    {
        Ok(track) => Ok((stream, track)),
        Err(_) => {
            stop_stream(&stream);
            Err((
                "no-microphone",
                "The browser returned no audio track: no microphone is available.".into(),
            ))
        }
    }
}

/// The audio graph: an AudioContext at the device rate, the worklet module, and
/// source → worklet → destination (the worklet outputs silence; being connected keeps it running).
pub struct Graph {
    pub ctx: AudioContext,
    pub node: AudioWorkletNode,
    _source: MediaStreamAudioSourceNode,
}

impl Graph {
    pub async fn build(stream: &MediaStream) -> Result<Graph, String> {
        let ctx = AudioContext::new().map_err(|e| dom::js_error_text(&e))?;
        let worklet = ctx.audio_worklet().map_err(|e| dom::js_error_text(&e))?;
        let added = worklet
            .add_module("mic-processor.js")
            .map_err(|e| dom::js_error_text(&e))?;
        if let Err(e) = JsFuture::from(added).await {
            let _ = ctx.close();
            return Err(format!(
                "the capture script mic-processor.js could not be loaded ({})",
                dom::js_error_text(&e)
            ));
        }
        let source = ctx
            .create_media_stream_source(stream)
            .map_err(|e| dom::js_error_text(&e))?;
        let options = js_sys::Object::new();
        let processor_options = js_sys::Object::new();
        js_sys::Reflect::set(&processor_options, &"chunk".into(), &JsValue::from(CHUNK)).ok();
        js_sys::Reflect::set(&options, &"processorOptions".into(), &processor_options).ok();
        js_sys::Reflect::set(&options, &"numberOfInputs".into(), &JsValue::from(1)).ok();
        js_sys::Reflect::set(&options, &"numberOfOutputs".into(), &JsValue::from(1)).ok();
        let counts = js_sys::Array::of1(&JsValue::from(1));
        js_sys::Reflect::set(&options, &"outputChannelCount".into(), &counts).ok();
        let node =
            AudioWorkletNode::new_with_options(&ctx, "mic-processor", options.unchecked_ref())
                .map_err(|e| dom::js_error_text(&e))?;
        source
            .connect_with_audio_node(&node)
            .map_err(|e| dom::js_error_text(&e))?;
        node.connect_with_audio_node(&ctx.destination())
            .map_err(|e| dom::js_error_text(&e))?;
        Ok(Graph {
            ctx,
            node,
            _source: source,
        })
    }

    /// A channel whose one end goes to the worklet (its blocks are posted there) and whose
    /// other end is returned, to be handed to the engine.
    pub fn engine_port(&self) -> Result<web_sys::MessagePort, String> {
        let channel = web_sys::MessageChannel::new().map_err(|e| dom::js_error_text(&e))?;
        let msg = js_sys::Object::new();
        js_sys::Reflect::set(&msg, &"port".into(), &channel.port1()).ok();
        self.node
            .port()
            .and_then(|p| {
                p.post_message_with_transferable(&msg, &js_sys::Array::of1(&channel.port1()))
            })
            .map_err(|e| dom::js_error_text(&e))?;
        Ok(channel.port2())
    }

    /// Stops the worklet and closes the context.
    pub fn close(&self) {
        if let Ok(port) = self.node.port() {
            port.post_message(&JsValue::from_str("stop")).ok();
        }
        self.node.disconnect().ok();
        let _ = self.ctx.close();
    }
}
