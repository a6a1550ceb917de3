// Timing of the live microphone in headless Chromium: `node tests/e2e/mic-bench.mjs [clip] [seconds]`
// after `trunk build --release --offline`. Chromium's fake microphone plays the clip (a GTZAN
// clip by default) in a loop; for ndarray, flex and WebGPU (SwiftShader here) the page listens
// for `seconds` and reports, from its #live-result: the update rate, the latency from a
// window's end (the arrival of its last audio block on the page) to the bars changing, and the
// features / model times of one window. Prints a Markdown table (and writes it to $BENCH_OUT).

import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DATA, decodeToWav, fakeMic, launch, live, openPage, serve, tempDir, waitLive } from './lib.mjs';

const clip = process.argv[2] || join(DATA, 'gtzan', 'classical', 'classical.00000.ogg');
const seconds = Number(process.argv[3] || 20);
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

const server = await serve();
const helper = await launch({ webgpu: false });
const wav = await decodeToWav(helper, clip, join(tempDir(), 'bench.wav'));
await helper.close();
const rows = [];
for (const backend of ['ndarray', 'flex', 'webgpu']) {
  const context = await launch({ webgpu: true, args: fakeMic(wav) });
  const page = await openPage(context, server.url, { query: `?backend=${backend}` });
  await page.click('#mic-toggle');
  await waitLive(page, (r) => r.updates >= 3, 60_000);
  await page.waitForTimeout(seconds * 1000);
  const r = await live(page);
  const lat = r.latency_ms.recent; // the last 64 updates
  await context.close();
  rows.push({
    backend: r.backend, rate: r.updates_per_s, updates: r.updates, skipped: r.skipped,
    median: q(lat, 0.5), p95: q(lat, 0.95), features: r.compute_ms.features, model: r.compute_ms.model, device: r.device_rate, interval: r.interval_ms,
  });
  console.error(`${backend}: ${JSON.stringify(rows.at(-1))}`);
}
await server.close();

const f1 = (x) => x.toFixed(1);
let md = `### The live microphone in headless Chromium (${new Date().toISOString().slice(0, 10)})\n\n`;
md += `Chromium's fake microphone playing \`${clip.split('/').slice(-2).join('/')}\` (decoded to a 48 kHz WAV) in a loop; `;
md += `the page captured at ${rows[0].device} Hz, classified the latest 3-s window at most every ${rows[0].interval} ms, for ${seconds} s per backend (after the first 3 updates). `;
md += 'Latency (median and 95th percentile of the last 64 updates) = from the arrival of a window\'s last audio block on the page to the bars changing (features + model + drawing); '
  + `the worklet posts blocks of 512 frames, so the capture adds up to ${(512000 / rows[0].device).toFixed(1)} ms before that. `
  + `Load average of this 2-core machine at the end: ${loadavg().map((x) => x.toFixed(1)).join(', ')} (shared with other builds).\n\n`;
md += '| backend | updates/s | skipped windows | latency median (ms) | latency p95 (ms) | features (ms) | model (ms) |\n|---|---|---|---|---|---|---|\n';
for (const r of rows) md += `| ${r.backend} | ${r.rate.toFixed(2)} | ${r.skipped} | ${f1(r.median)} | ${f1(r.p95)} | ${f1(r.features)} | ${f1(r.model)} |\n`;
console.log(md);
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, md);
