// AudioWorklet processor of the live microphone (the only part that must be JavaScript): it
// runs on the audio thread, downmixes each 128-frame render quantum to mono and posts blocks of
// `chunk` frames (default 512, ~11 ms at 48 kHz), transferring the buffers (no copy), to the
// engine's worker over the MessagePort the page hands it ({ port }), so the audio never waits
// for the page's thread. Everything else (resampling, ring buffer, features, model) is Rust, in
// the worker. The posted message is { samples: Float32Array, frame: index of its first frame }.
class MicProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = (options && options.processorOptions) || {};
    this.chunk = opts.chunk || 512;
    this.buf = new Float32Array(this.chunk);
    this.fill = 0;
    this.frame = 0;
    this.running = true;
    this.out = null;
    this.port.onmessage = (e) => {
      if (e.data === 'stop') {
        this.running = false;
        if (this.out) this.out.close();
      } else if (e.data && e.data.port) {
        this.out = e.data.port;
      }
    };
  }

  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0) {
      const channels = input.length;
      const frames = input[0].length;
      const inv = 1 / channels;
      for (let i = 0; i < frames; i++) {
        let s = 0;
        for (let c = 0; c < channels; c++) s += input[c][i];
        this.buf[this.fill++] = s * inv;
        if (this.fill === this.chunk && this.out) {
          this.out.postMessage({ samples: this.buf, frame: this.frame }, [this.buf.buffer]);
          this.frame += this.chunk;
          this.buf = new Float32Array(this.chunk);
          this.fill = 0;
        } else if (this.fill === this.chunk) {
          this.fill = 0; // no engine port yet: nothing to send to
        }
      }
    }
    // outputs stay silent; returning false lets the node be collected after 'stop'
    return this.running;
  }
}

registerProcessor('mic-processor', MicProcessor);
