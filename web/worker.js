// The engine's thread: the page's own wasm module, loaded again in this module worker, where it
// computes the features and runs the model (src/web/engine.rs) while the page only draws.
// Trunk writes the module as genre.js / genre_bg.wasm next to this file (Trunk.toml: filehash off).
import init, { engine_main } from './genre.js';

await init();
engine_main();
