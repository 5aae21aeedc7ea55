/**
 * Recognition / direction-classifier batch-size benchmark on ORT CPU (not a test: prints a table).
 *
 *   node --import tsx tests/bench/rec-batch.ts [--repeats 3] [--threads N] [--rec-only | --cls-only]
 *
 * Renders 132 synthetic lines (English, digits, Chinese; 7 fonts; 16–44 px). Each configuration runs the
 * whole set once to warm every shape, then `repeats` more rounds (round-robin across configurations);
 * it reports the best round per line with its pre/run/post split, the tensor area computed, the number
 * of distinct shapes and runs, and CER (also ignoring spaces, the model's main weakness).
 */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { TextClassifier, rotate180 } from '../../engines/cls/text-classifier.js';
import { ResizeScratch, resizeNormalizeInto } from '../../engines/rec/rec-preprocess.js';
import { TextRecognizer } from '../../engines/rec/text-recognizer.js';
import { resolveModelPaths } from '../../engines/runtime/models.js';
import { createCpuSession } from '../../engines/runtime/session.js';
import type { RgbImage } from '../../engines/types.js';
import { editDistance, renderLine } from '../integration/engines/rec/render-line.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const repeats = arg('repeats', 3);
const only = args.includes('--rec-only') ? 'rec' : args.includes('--cls-only') ? 'cls' : 'all';
const threads = arg('threads', 0);

const EN = [
  'Hello, world! 123', 'The quick brown fox jumps over the lazy dog.', 'Invoice #2024-0117 due 31/12/2024',
  'Total: $1,234.56 (incl. VAT 20%)', 'Section 4.2 describes the results', 'Call +1 (555) 010-9999 today',
  'user@example.com', 'PAGE 7 OF 12', 'Meeting at 10:30 am, room B-204', 'ISBN 978-3-16-148410-0', 'Yes', 'No. 42',
  'It was the best of times, it was the worst of times,', 'Pack my box with five dozen liquor jugs',
  'Sphinx of black quartz, judge my vow.', 'Q3 revenue grew 18% year over year to 4.7 billion',
  'Chapter 11: Recognition and Decoding', '2025-06-30 23:59:59 UTC', 'Order ID: A7X-99213-ZK', 'Mr. Smith & Sons Ltd.',
  'The committee approved the proposal on Tuesday afternoon after a long debate about the budget',
  'All rights reserved.', 'Figure 3. Accuracy versus input width', 'Serial No. 0048213377',
];
const ZH = [
  '今天天气很好', '光学字符识别技术', '北京市海淀区中关村大街1号', '第三章 实验结果与分析', '请于2024年12月31日前付款',
  '人工智能正在改变我们的生活方式', '电话：010-12345678', '中华人民共和国', '本产品仅供研究使用，不得用于商业用途。',
];
const FONTS_EN = ['DejaVu Sans', 'DejaVu Serif', 'Liberation Sans', 'Liberation Serif', 'Liberation Mono'];
const FONTS_ZH = ['Noto Sans CJK SC', 'Noto Serif CJK SC'];

const lines: { text: string; image: RgbImage }[] = [];
let k = 0;
for (const size of [16, 24, 32, 44]) {
  for (const text of EN) lines.push({ text, image: await renderLine(text, { font: FONTS_EN[k++ % FONTS_EN.length]!, sizePx: size }) });
  for (const text of ZH) lines.push({ text, image: await renderLine(text, { font: FONTS_ZH[k++ % FONTS_ZH.length]!, sizePx: size }) });
}
const crops = lines.map((l) => l.image);
const refChars = lines.reduce((s, l) => s + [...l.text].length, 0);
const paths = resolveModelPaths();
const sessionOpts = threads > 0 ? { intraOpNumThreads: threads } : {};
console.log(`${lines.length} lines, ${refChars} characters; best of ${repeats} after a warm-up pass; ORT CPU, threads ${threads || 'default'}`);

// Configurations run round-robin, `repeats` rounds, keeping each one's best round: other processes on a
// shared machine then disturb every configuration alike instead of whichever happened to run last.
// Also the process's CPU time (all ORT threads): on a shared, busy machine wall time inflates with the
// load, CPU time much less, so it is the steadier measure of the work done.
interface Timed { total: number; pre: number; run: number; post: number; cpu: number }
async function bestOf<T>(configs: T[], runOnce: (c: T) => Promise<Omit<Timed, 'cpu'>>): Promise<Timed[]> {
  const best = configs.map(() => ({ total: Infinity, pre: 0, run: 0, post: 0, cpu: Infinity }));
  for (let r = 0; r < repeats; r++) {
    for (let i = 0; i < configs.length; i++) {
      const c0 = process.cpuUsage();
      const t = await runOnce(configs[i]!);
      const c = process.cpuUsage(c0);
      const cpu = (c.user + c.system) / 1000;
      if (t.total < best[i]!.total) best[i] = { ...t, cpu: Math.min(cpu, best[i]!.cpu) };
      else best[i]!.cpu = Math.min(cpu, best[i]!.cpu);
    }
  }
  return best;
}
const n = lines.length;

if (only !== 'cls') {
  // --- Recognition -----------------------------------------------------------------------------------
  const recSession = await createCpuSession(paths.rec, { stage: 'rec', ...sessionOpts });
  const recConfigs: { mode: 'buckets' | 'paddle'; batchSize: number; rec: TextRecognizer; summary: string }[] = [];
  for (const mode of ['buckets', 'paddle'] as const) {
    for (const batchSize of [1, 6, 12, 24]) {
      const rec = await TextRecognizer.create(recSession, paths.dict, { batchSize, ...(mode === 'paddle' ? { widthBucketsPx: null } : {}) });
      const warm = await rec.run(crops); // also tunes every shape once
      const texts = warm.results.map((x) => x.text);
      const errs = lines.reduce((s, l, i) => s + editDistance(l.text, texts[i]!), 0);
      const errsNs = lines.reduce((s, l, i) => s + editDistance(l.text.replace(/ /g, ''), texts[i]!.replace(/ /g, '')), 0);
      const mpx = warm.batchShapes.reduce((s, d) => s + d[0]! * d[2]! * d[3]!, 0) / 1e6;
      const summary =
        `| ${mpx.toFixed(2).padStart(10)} | ${String(new Set(warm.batchShapes.map((d) => d.join('x'))).size).padStart(6)} | ` +
        `${String(warm.batchShapes.length).padStart(4)} | ${((100 * errs) / refChars).toFixed(2).padStart(5)}% | ${((100 * errsNs) / refChars).toFixed(2)}%`;
      recConfigs.push({ mode, batchSize, rec, summary });
    }
  }
  const recBest = await bestOf(recConfigs, async (c) => {
    const t0 = performance.now();
    const out = await c.rec.run(crops);
    return { total: performance.now() - t0, pre: out.timings.preMs, run: out.timings.runMs, post: out.timings.postMs };
  });
  console.log('\nrec (PP-OCRv4)   batch | wall ms/line (pre / run / post)   | CPU ms/line | tensor Mpx | shapes | runs | CER    | CER w/o spaces');
  recConfigs.forEach((c, i) => {
    const b = recBest[i]!;
    console.log(
      `${c.mode.padEnd(8)} ${String(c.batchSize).padStart(13)} | ${(b.total / n).toFixed(1).padStart(7)}  (${(b.pre / n).toFixed(2)} / ${(b.run / n).toFixed(1)} / ${(b.post / n).toFixed(2)})`.padEnd(58) +
        `| ${(b.cpu / n).toFixed(1).padStart(11)} ` + c.summary,
    );
  });
  await recSession.dispose();
}

if (only !== 'rec') {
  // --- Direction classifier ----------------------------------------------------------------------------
  const clsSession = await createCpuSession(paths.cls, { stage: 'cls', ...sessionOpts });
  const flipped = crops.map((c, i) => (i % 2 ? rotate180(c) : c));
  const clsConfigs: { maxWindows: number; batchSize: number; cls: TextClassifier; wrong: number }[] = [];
  for (const maxWindows of [3, 2, 1]) {
    for (const batchSize of [1, 6, 12, 24]) {
      const cls = await TextClassifier.create(clsSession, { batchSize, maxWindows });
      const warm = await cls.run(flipped);
      clsConfigs.push({ maxWindows, batchSize, cls, wrong: warm.results.filter((x, i) => x.angle !== (i % 2 ? 180 : 0)).length });
    }
  }
  const clsBest = await bestOf(clsConfigs, async (c) => {
    const t0 = performance.now();
    const out = await c.cls.run(flipped);
    return { total: performance.now() - t0, pre: out.timings.preMs, run: out.timings.runMs, post: out.timings.postMs };
  });
  console.log(`\ncls (mobile v2.0)  batch | wall ms/line (pre / run) | CPU ms/line | wrong of ${n} (half upside down)`);
  clsConfigs.forEach((c, i) => {
    const b = clsBest[i]!;
    console.log(
      `${(c.maxWindows === 1 ? 'paddle' : `windows≤${c.maxWindows}`).padEnd(10)} ${String(c.batchSize).padStart(8)} | ${(b.total / n).toFixed(2).padStart(5)} (${(b.pre / n).toFixed(2)} / ${(b.run / n).toFixed(2)})`.padEnd(37) + `| ${(b.cpu / n).toFixed(2).padStart(11)} | ${c.wrong}`,
    );
  });
  await clsSession.dispose();
}

if (only === 'all') {
  // --- Resize kernel vs sharp --------------------------------------------------------------------------
  const scratch = new ResizeScratch();
  const out = new Float32Array(3 * 48 * 2048);
  let t0 = performance.now();
  for (let r = 0; r < 5; r++) for (const c of crops) resizeNormalizeInto(c, Math.min(2048, Math.ceil((48 * c.width) / c.height)), 48, out, 0, 2048, 48 * 2048, scratch);
  const kernelMs = (performance.now() - t0) / (5 * crops.length);
  t0 = performance.now();
  for (let r = 0; r < 5; r++) {
    for (const c of crops) {
      await sharp(c.data, { raw: { width: c.width, height: c.height, channels: 3 } })
        .resize(Math.min(2048, Math.ceil((48 * c.width) / c.height)), 48, { fit: 'fill', kernel: 'linear' })
        .raw()
        .toBuffer();
    }
  }
  const sharpMs = (performance.now() - t0) / (5 * crops.length);
  console.log(`\nresize to 48 px high, per line: fused typed-array kernel (resize + normalise + BGR planes) ${kernelMs.toFixed(3)} ms; sharp resize alone (to a Buffer, no normalise) ${sharpMs.toFixed(3)} ms`);
}
