// Timing of the page in headless Chromium: `node tests/e2e/bench.mjs [clip] [runs]` after
// `trunk build --release --offline`. For a 30-s clip (a GTZAN clip by default) on flex, ndarray
// and WebGPU, the time from the file being chosen to the result, split into decoding, features
// and inference (as the page measures them), plus the wasm and model download sizes (raw and
// gzip). Prints a Markdown table (and writes it to $BENCH_OUT when set).

import { readdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { DATA, DIST, classify, launch, openPage, serve } from './lib.mjs';

function defaultClip() {
  const dir = join(DATA, 'gtzan', 'blues');
  if (!existsSync(dir)) throw new Error(`no clip given and no ${dir}`);
  return join(dir, readdirSync(dir).filter((n) => n.endsWith('.ogg')).sort()[0]);
}

const clip = process.argv[2] || defaultClip();
const runs = Number(process.argv[3] || 5);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const fmt = (x) => x.toFixed(0);

const server = await serve();
const rows = [];
for (const backend of ['flex', 'ndarray', 'webgpu']) {
  const context = await launch({ webgpu: true });
  const page = await openPage(context, server.url, { query: `?backend=${backend}` });
  const running = await page.getAttribute('#backend-label', 'data-backend');
  const samples = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = Date.now();
    const { state, result } = await classify(page, clip);
    const wall = Date.now() - t0;
    if (state !== 'done') throw new Error(`${backend}: ${JSON.stringify(result)}`);
    if (i > 0) samples.push({ ...result.timings_ms, wall, segments: result.segments.length, top: result.top });
  }
  await context.close();
  const m = (k) => median(samples.map((s) => s[k]));
  rows.push({ backend: running, decode: m('decode'), features: m('features'), inference: m('inference'), first: m('first_answer'), after: m('after_decode'), total: m('total'), wall: m('wall'), segments: samples[0].segments, top: samples[0].top });
  console.error(`${backend}: ${JSON.stringify(rows.at(-1))}`);
}
await server.close();

const wasm = readdirSync(DIST).filter((n) => n.endsWith('.wasm')).map((n) => readFileSync(join(DIST, n)));
const model = readFileSync(join(DIST, 'model', 'model.genre'));
const size = (b) => `${(b.length / 1e6).toFixed(2)} MB raw, ${(gzipSync(b, { level: 9 }).length / 1e6).toFixed(2)} MB gzip`;

let md = `### The page in headless Chromium (${new Date().toISOString().slice(0, 10)})\n\n`;
md += `Clip: \`${clip.split('/').slice(-2).join('/')}\` (${rows[0].segments} segments of 3 s); median of ${runs} runs after one warm-up, `;
md += `times as the page measures them (\`timings_ms\` in its result). "after decode" = features + inference + page updates.\n\n`;
md += '| backend | decode (ms) | features (ms) | inference (ms) | first overall answer after decode (ms) | after decode (ms) | file chosen → result (ms) | top |\n|---|---|---|---|---|---|---|---|\n';
for (const r of rows) md += `| ${r.backend} | ${fmt(r.decode)} | ${fmt(r.features)} | ${fmt(r.inference)} | ${fmt(r.first)} | ${fmt(r.after)} | ${fmt(r.total)} | ${r.top} |\n`;
md += `\nDownload sizes: wasm ${wasm.map(size).join(' + ')}; model ${size(model)}.\n`;
console.log(md);
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, md);
