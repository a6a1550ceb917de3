//! Which burn device runs the model (in the engine's worker; the page only names them).
//!
//! The automatic choice is WebGPU only on a hardware adapter; a software adapter (SwiftShader,
//! which headless Chromium and some machines without a usable GPU expose) emulates the GPU on the
//! CPU and is slower than the CPU backends, so it is used only when the person picks WebGPU.
//! Otherwise the model runs on the CPU: [`DEFAULT_CPU`] (the faster of ndarray and flex as
//! measured in the browser, see BENCHMARKS.md), with the other selectable.
//!
//! A WebGPU runtime is initialised once per page: burn cannot re-initialise it, so after a lost
//! device WebGPU stays off until the page is reloaded.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::tensor::Device;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::dom;

/// What the person asked for with the backend switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Auto,
    WebGpu,
    Ndarray,
    Flex,
}

impl Choice {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "webgpu" | "wgpu" | "gpu" => Some(Self::WebGpu),
            "ndarray" => Some(Self::Ndarray),
            "flex" | "cpu" => Some(Self::Flex),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::WebGpu => "webgpu",
            Self::Ndarray => "ndarray",
            Self::Flex => "flex",
        }
    }
}

/// The backend actually running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    WebGpu,
    Ndarray,
    Flex,
}

impl Kind {
    /// Machine-readable name (`data-backend`, the result's `backend`).
    pub fn name(self) -> &'static str {
        match self {
            Self::WebGpu => "webgpu",
            Self::Ndarray => "ndarray",
            Self::Flex => "flex",
        }
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Self::WebGpu => "WebGPU",
            Self::Ndarray => "CPU (ndarray)",
            Self::Flex => "CPU (flex)",
        }
    }

    /// The kind [`Self::name`] names.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::WebGpu, Self::Ndarray, Self::Flex]
            .into_iter()
            .find(|k| k.name() == name)
    }

    /// The device of a CPU backend. Panics for WebGPU, which needs [`gpu_device`].
    #[allow(deprecated)] // burn-ndarray is deprecated in burn 0.22 but kept selectable
    pub fn cpu_device(self) -> Device {
        match self {
            Self::Ndarray => Device::ndarray(),
            Self::Flex => Device::flex(),
            Self::WebGpu => panic!("WebGPU is not a CPU backend"),
        }
    }
}

/// The CPU backend the automatic choice uses: flex, measured faster than ndarray in headless
/// Chromium on this project's model (BENCHMARKS.md, "The page").
pub const DEFAULT_CPU: Kind = Kind::Flex;

/// What `navigator.gpu.requestAdapter()` offers.
#[derive(Clone, Debug, Default)]
pub struct AdapterProbe {
    /// An adapter was returned.
    pub available: bool,
    /// It emulates a GPU on the CPU (SwiftShader, or marked as a fallback adapter).
    pub software: bool,
    /// Vendor / architecture / description, for the backend label.
    pub description: String,
    /// Why there is none (no WebGPU in this browser, no adapter, an error).
    pub reason: String,
}

/// Asks the browser for a WebGPU adapter and whether it is a software one.
pub async fn probe_adapter() -> AdapterProbe {
    // the window's or the worker's navigator: Chromium offers WebGPU in dedicated workers too
    let navigator = dom::get(&js_sys::global(), "navigator");
    let gpu = dom::get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return AdapterProbe {
            reason: "this browser has no WebGPU".into(),
            ..Default::default()
        };
    }
    let request = dom::get(&gpu, "requestAdapter");
    let Ok(request) = request.dyn_into_function() else {
        return AdapterProbe {
            reason: "this browser has no WebGPU".into(),
            ..Default::default()
        };
    };
    let promise = match request.call0(&gpu) {
        Ok(p) => js_sys::Promise::from(p),
        Err(e) => {
            return AdapterProbe {
                reason: dom::js_error_text(&e),
                ..Default::default()
            };
        }
    };
    let adapter = match JsFuture::from(promise).await {
        Ok(a) if !a.is_null() && !a.is_undefined() => a,
        Ok(_) => {
            return AdapterProbe {
                reason: "no WebGPU adapter is available".into(),
                ..Default::default()
            };
        }
        Err(e) => {
            return AdapterProbe {
                reason: dom::js_error_text(&e),
                ..Default::default()
            };
        }
    };
    let info = dom::get(&adapter, "info");
    let text = |v: JsValue| v.as_string().unwrap_or_default();
    let vendor = text(dom::get(&info, "vendor"));
    let architecture = text(dom::get(&info, "architecture"));
    let description = text(dom::get(&info, "description"));
    let fallback = dom::get(&info, "isFallbackAdapter")
        .as_bool()
        .unwrap_or(false)
        || dom::get(&adapter, "isFallbackAdapter")
            .as_bool()
            .unwrap_or(false);
    let software = fallback
        || [&vendor, &architecture, &description]
            .iter()
            .any(|s| s.to_ascii_lowercase().contains("swiftshader"));
    let parts: Vec<&str> = [vendor.as_str(), architecture.as_str(), description.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    AdapterProbe {
        available: true,
        software,
        description: if parts.is_empty() {
            "unnamed adapter".into()
        } else {
            parts.join(" ")
        },
        reason: String::new(),
    }
}

trait DynIntoFunction {
    fn dyn_into_function(self) -> Result<js_sys::Function, JsValue>;
}

impl DynIntoFunction for JsValue {
    fn dyn_into_function(self) -> Result<js_sys::Function, JsValue> {
        use wasm_bindgen::JsCast;
        self.dyn_into::<js_sys::Function>()
    }
}

static GPU_LOST: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The page's WebGPU device once initialised (burn initialises a runtime only once).
    static GPU: RefCell<Option<Result<(Device, burn::tensor::wgpu::wgpu::Device), String>>> =
        const { RefCell::new(None) };
    static LOST_REASON: RefCell<String> = const { RefCell::new(String::new()) };
}

/// True once the WebGPU device was lost (driver reset, destroyed, out of memory).
pub fn gpu_lost() -> bool {
    GPU_LOST.load(Ordering::SeqCst)
}

pub fn gpu_lost_reason() -> String {
    LOST_REASON.with(|r| r.borrow().clone())
}

/// Records that the WebGPU device is gone (the lost callback, or a failed run).
pub fn mark_lost(reason: String) {
    dom::log(&format!("WebGPU device lost: {reason}"));
    LOST_REASON.with(|r| *r.borrow_mut() = reason);
    GPU_LOST.store(true, Ordering::SeqCst);
}

/// The WebGPU device, initialised on first use. Fails when WebGPU is unavailable, failed
/// before, or was lost.
pub async fn gpu_device() -> Result<Device, String> {
    if gpu_lost() {
        return Err(format!(
            "the WebGPU device was lost ({}); reload the page to try WebGPU again",
            gpu_lost_reason()
        ));
    }
    if let Some(cached) = GPU.with(|g| g.borrow().clone()) {
        return cached.map(|(d, _)| d);
    }
    let result = match Device::wgpu_options().init_with_setup_async().await {
        Ok((device, setup)) => {
            setup.device.set_device_lost_callback(|reason, message| {
                mark_lost(format!(
                    "{reason:?}{}",
                    if message.is_empty() {
                        String::new()
                    } else {
                        format!(": {message}")
                    }
                ));
            });
            Ok((device, setup.device.clone()))
        }
        Err(e) => Err(format!("WebGPU could not start: {e}")),
    };
    GPU.with(|g| *g.borrow_mut() = Some(result.clone()));
    result.map(|(d, _)| d)
}

/// See [`crate::web::debug_lose_gpu_device`].
pub fn destroy_gpu_device_for_test() -> bool {
    GPU.with(|g| match &*g.borrow() {
        Some(Ok((_, device))) => {
            device.destroy();
            true
        }
        _ => false,
    })
}
