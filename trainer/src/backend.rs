//! Choosing where training runs: a real GPU through wgpu when there is one, else the CPU.
//! Software adapters (lavapipe, llvmpipe, SwiftShader) are correct but slower than the CPU
//! backends, so automatic choice never picks them.

use anyhow::{Result, bail};
use burn::tensor::Device;
use burn::tensor::wgpu::wgpu;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// wgpu on a hardware GPU if one is found, else flex on the CPU (measured: burn-ndarray's
    /// convolution backward pass is a naive single-threaded loop, many times slower).
    Auto,
    /// wgpu (GPU; a software adapter is used only when forced this way).
    Wgpu,
    /// ndarray on the CPU.
    Ndarray,
    /// burn-flex, the pure-Rust CPU backend.
    Flex,
}

/// The name of the first hardware (non-CPU) wgpu adapter, if any.
pub fn hardware_adapter() -> Option<String> {
    let instance = wgpu::Instance::default();
    let adapters = pollster_block(instance.enumerate_adapters(wgpu::Backends::all()));
    adapters
        .into_iter()
        .map(|a| a.get_info())
        .find(|i| i.device_type != wgpu::DeviceType::Cpu)
        .map(|i| format!("{} ({:?})", i.name, i.backend))
}

fn pollster_block<F: std::future::Future>(f: F) -> F::Output {
    // wgpu's native enumerate future is ready at once; a tiny executor avoids a dependency.
    use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
    fn noop(_: *const ()) {}
    fn clone(p: *const ()) -> RawWaker {
        RawWaker::new(p, &VTABLE)
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) };
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// The device to train or classify on, and a one-line description of it.
#[allow(deprecated)] // ndarray stays selectable: the page's fallback, compared in tests
pub fn device(choice: BackendChoice) -> Result<(Device, String)> {
    match choice {
        BackendChoice::Ndarray => Ok((Device::ndarray(), "ndarray (CPU)".into())),
        BackendChoice::Flex => Ok((Device::flex(), "flex (CPU)".into())),
        BackendChoice::Wgpu => match Device::wgpu_options().init() {
            Ok(d) => Ok((
                d,
                format!(
                    "wgpu ({})",
                    hardware_adapter().unwrap_or_else(|| "software adapter".into())
                ),
            )),
            Err(e) => bail!("--backend wgpu: no usable wgpu adapter: {e}"),
        },
        BackendChoice::Auto => match hardware_adapter() {
            Some(name) => match Device::wgpu_options().init() {
                Ok(d) => Ok((d, format!("wgpu ({name})"))),
                Err(e) => {
                    eprintln!(
                        "note: the GPU {name} could not be started ({e}); using the CPU (flex)"
                    );
                    Ok((Device::flex(), "flex (CPU)".into()))
                }
            },
            None => {
                eprintln!("note: no GPU adapter found; running on the CPU (flex)");
                Ok((Device::flex(), "flex (CPU)".into()))
            }
        },
    }
}
