// Helpers for the end-to-end tests of the page: a static server for dist/, headless Chromium
// through playwright-core (installed by scripts/setup.sh, never downloaded by playwright),
// small WAV files made in code, and the native trainer's answer for a file.

import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = resolve(process.env.GENRE_DIST || join(ROOT, 'dist'));
export const DATA = resolve(process.env.GENRE_DATA || join(ROOT, '..', 'shared', 'data'));
/**
 * A skip reason, or false. With GENRE_REQUIRE_DATA set (CI sets it), a test that would be skipped for
 * missing shared data or a missing trainer fails instead: a skip must not pass for a check there.
 */
export function skipUnless(present, reason) {
  if (present) return false;
  if (process.env.GENRE_REQUIRE_DATA) throw new Error(`${reason}, and GENRE_REQUIRE_DATA says the check must run`);
  return reason;
}
export const TOOLS = process.env.GENRE_TOOLS_DIR || join(homedir(), '.cache', 'genre-tools');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Every temporary folder this process makes (Chromium profiles of a few MB, generated audio) goes
// when it exits, so that repeated runs do not fill /tmp.
const TEMP_DIRS = [];
function makeTemp(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  TEMP_DIRS.push(dir);
  return dir;
}
process.on('exit', () => {
  for (const dir of TEMP_DIRS) {
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* still in use: left behind */ }
  }
});

const require = createRequire(join(TOOLS, 'node_modules', 'noop.js'));
export const { chromium } = require('playwright-core');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.genre': 'application/octet-stream',
};

/** Serves `dir` on 127.0.0.1 (a free port). Resolves to { url, close }. */
export function serve(dir = DIST) {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`${dir}/index.html is missing: build the page first (scripts/e2e.sh runs trunk build --release --offline)`);
  }
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) { res.writeHead(404).end('not found'); return; }
    const body = readFileSync(file);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] || 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-store',
    });
    res.end(body);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    ok({ url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) });
  }));
}

/** Headless Chromium with a fresh profile; `webgpu` adds --enable-unsafe-webgpu, `args` are
 * extra command-line flags (e.g. the fake microphone's). */
export async function launch({ webgpu = true, args: extra = [] } = {}) {
  const args = [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ];
  if (webgpu) args.push('--enable-unsafe-webgpu');
  args.push(...extra);
  const profile = makeTemp('genre-e2e-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1000, height: 900 },
  });
  return context;
}

/** Opens the page and waits until it is ready (model loaded, backend running). */
export async function openPage(context, url, { query = '' } = {}) {
  const page = context.pages()[0] || await context.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  page.logs = logs;
  await page.goto(url + query);
  await waitState(page, ['ready', 'error'], 120_000);
  const state = await page.getAttribute('#app', 'data-state');
  if (state !== 'ready') {
    throw new Error(`page did not get ready: ${await page.textContent('#message')}\n${logs.join('\n')}`);
  }
  return page;
}

export async function waitState(page, states, timeout = 120_000) {
  const list = Array.isArray(states) ? states : [states];
  await page.waitForFunction(
    (s) => s.includes(document.getElementById('app')?.dataset.state),
    list,
    { timeout, polling: 50 },
  );
  return page.getAttribute('#app', 'data-state');
}

/** Chooses `file` with the page's file picker and waits for done or error. */
export async function classify(page, file, timeout = 300_000) {
  // the previous result stays until the new one is done: wait for the state to leave it first
  await page.setInputFiles('#file-input', file);
  await page.waitForFunction(() => document.getElementById('app').dataset.state === 'working'
    || document.getElementById('app').dataset.state === 'error', null, { timeout: 30_000, polling: 10 }).catch(() => {});
  const state = await waitState(page, ['done', 'error'], timeout);
  const result = JSON.parse(await page.textContent('#result'));
  return { state, result };
}

/** Drops `file` onto the page as a person would (a DataTransfer with the file). */
export async function dropFile(page, file, name, mime = 'application/octet-stream') {
  const bytes = readFileSync(file).toString('base64');
  await page.evaluate(async ({ bytes, name, mime }) => {
    const bin = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bin], name, { type: mime }));
    const target = document.getElementById('drop');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, { bytes, name, mime });
}

/** A 16-bit PCM WAV of `channels` × `seconds` at `rate`, sample `f(t, channel)`. */
export function writeWav(path, { rate = 44100, channels = 2, seconds = 1.5, f = () => 0 }) {
  const n = Math.round(rate * seconds);
  const data = Buffer.alloc(n * channels * 2);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) {
      const v = Math.max(-1, Math.min(1, f(i / rate, c)));
      data.writeInt16LE(Math.round(v * 32767), (i * channels + c) * 2);
    }
  }
  return writePcmWav(path, rate, data, channels);
}

/** Writes interleaved 16-bit PCM samples (a Buffer) as a plain WAV file; returns `path`. */
export function writePcmWav(path, rate, data, channels = 1) {
  const head = Buffer.alloc(44);
  head.write('RIFF', 0); head.writeUInt32LE(36 + data.length, 4); head.write('WAVE', 8);
  head.write('fmt ', 12); head.writeUInt32LE(16, 16); head.writeUInt16LE(1, 20); head.writeUInt16LE(channels, 22);
  head.writeUInt32LE(rate, 24); head.writeUInt32LE(rate * channels * 2, 28); head.writeUInt16LE(channels * 2, 32);
  head.writeUInt16LE(16, 34); head.write('data', 36); head.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([head, data]));
  return path;
}

export function tempDir() {
  return makeTemp('genre-e2e-files-');
}

/** The trainer binary: $TRAINER_BIN, else target/release/trainer under $CARGO_TARGET_DIR or ./target. */
export function trainerBin() {
  const candidates = [
    process.env.TRAINER_BIN,
    process.env.CARGO_TARGET_DIR && join(process.env.CARGO_TARGET_DIR, 'release', 'trainer'),
    join(ROOT, 'target', 'release', 'trainer'),
  ].filter(Boolean);
  return candidates.find((p) => existsSync(p));
}

/** What the native trainer says for `file` with the shipped model: {top, labels, probabilities, ...}. */
export function nativeClassify(file, model = join(ROOT, 'web', 'model', 'model.genre')) {
  const bin = trainerBin();
  if (!bin) throw new Error('no trainer binary: build it with `cargo build -p trainer --release` or set TRAINER_BIN');
  const out = execFileSync(bin, ['classify', '--json', '--model', model, file], { encoding: 'utf8', cwd: ROOT });
  return JSON.parse(out.trim().split('\n').pop());
}

/** Largest |a_i − b_i|. */
export function maxDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

// ---------------------------------------------------------------------------------------------
// The live microphone

/** Decodes `file` with the browser's own decoder at `rate` (mono) and writes a 16-bit WAV. */
export async function decodeToWav(context, file, out, rate = 48_000) {
  const page = await context.newPage();
  await page.goto('about:blank');
  const b64 = await page.evaluate(async ({ bytes, rate }) => {
    const bin = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
    const ctx = new OfflineAudioContext(1, 1, rate);
    const buf = await ctx.decodeAudioData(bin.buffer);
    const n = buf.length;
    const mono = new Float32Array(n);
    for (let c = 0; c < buf.numberOfChannels; c++) {
      const d = buf.getChannelData(c);
      for (let i = 0; i < n; i++) mono[i] += d[i] / buf.numberOfChannels;
    }
    const pcm = new Int16Array(n);
    for (let i = 0; i < n; i++) pcm[i] = Math.round(Math.max(-1, Math.min(1, mono[i])) * 32767);
    const u8 = new Uint8Array(pcm.buffer);
    let s = '';
    for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
    return btoa(s);
  }, { bytes: readFileSync(file).toString('base64'), rate });
  await page.close();
  return writePcmWav(out, rate, Buffer.from(b64, 'base64'));
}

export const fakeMic = (wav) => [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  `--use-file-for-fake-audio-capture=${wav}`,
  '--autoplay-policy=no-user-gesture-required',
];

export async function live(page) {
  return JSON.parse(await page.textContent('#live-result'));
}

/** Waits until the live result satisfies `pred`. */
export async function waitLive(page, pred, timeout = 60_000) {
  const t0 = Date.now();
  for (;;) {
    const r = await live(page);
    if (pred(r)) return r;
    if (Date.now() - t0 > timeout) throw new Error(`live state not reached in ${timeout} ms: ${JSON.stringify(r)}\n${page.logs?.join('\n')}`);
    await page.waitForTimeout(100);
  }
}
