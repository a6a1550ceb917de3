// The teacher's thread: the teaching wasm (the library built with the `teach` feature, see
// scripts/build_teach.sh), started by the page only when a person teaches (src/web/teacher.rs).
import init, { teach_main } from './teach/genre_teach.js';

await init();
teach_main();
