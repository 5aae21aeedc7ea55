/**
 * Rec shape-plan benchmark (not a test: prints tables). Crops the text lines of a real page (the fixture's
 * ground-truth quads, so no detector is involved) and runs them through TextRecognizer on a forced
 * execution provider, one session per configuration (on CUDA a ShapePooledSession: one ORT session per
 * shape, as the pipeline uses).
 *
 *   node --import tsx tests/bench/gpu-shapes.ts [--ep cuda|cpu|webgpu|...] [--precision fp32|fp16]
 *        [--rows 8,16,32,64] [--buckets 320,480,...] [--repeats 5] [--copies 1] [--no-head] [--head-compare]
 *        [--fold-compare] [--pack-compare] [--no-fold]
 *        [--image PNG (with PNG-minus-.png.truth.json beside it, as the synthetic fixtures have)]
 *
 * Default mode sweeps batch rows × GPU_REC_WIDTH_BUCKETS_PX: for every rows value all planned shapes are
 * warmed first (timed), then each width bucket's lines are run on their own, `repeats` times; it prints
 * the best ms per line per (rows, bucket) and for the whole page (pre/run/post split), with the page's CER
 * against its ground truth. `--copies k` repeats the page's lines k times (fuller batches, as when the
 * pipeline batches several pages).
 *
 * `--fold-compare` instead compares the folded rec model (engines/runtime/graph-fold.ts, what pipelines load)
 * with the file as shipped, under the EP's default batching: rec pre/run/post ms per page, round-robin,
 * and whether the texts are the same. `--no-fold` runs the other modes on the file as shipped.
 *
 * `--pack-compare` instead compares packed rows (several lines per row, rec-packing.ts, the GPU default) with one
 * line per row in width buckets, for each `--rows` value: runs and tensor columns per page, rec pre/run/post ms per
 * line (best page of `repeats`), CER.
 *
 * `--head-compare` instead compares the argmax head with the full-probability model under the EP's default
 * batching (what the pipeline does): rec pre/run/post ms per page and whether the results are identical.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { cropQuad } from '../../engines/image/crop.js';
import { DEFAULT_GPU_REC_CHUNK_WIDTH_PX, GPU_REC_WIDTH_BUCKETS_PX, bucketImgWidth, paddleImgWidth, cropRatio } from '../../engines/rec/rec-preprocess.js';
import { TextRecognizer, type TextRecognizerOptions } from '../../engines/rec/text-recognizer.js';
import type { PlannedProvider } from '../../engines/runtime/execution-providers.js';
import { resolveModelPaths } from '../../engines/runtime/models.js';
import { createSession } from '../../engines/runtime/session.js';
import { EngineCache } from '../../engines/runtime/engine-cache.js';
import { getFoldedModel } from '../../engines/runtime/graph-fold.js';
import type { OcrSession, RecOutput } from '../../engines/stages.js';
import type { ExecutionProviderName, Quad, RgbImage } from '../../engines/types.js';
import { editDistance } from '../integration/engines/rec/render-line.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const ep = opt('ep', 'cuda') as ExecutionProviderName;
const precision = opt('precision', 'fp32') as 'fp32' | 'fp16';
const rowsList = opt('rows', '8,16,32,64').split(',').map(Number);
const repeats = Number(opt('repeats', '5'));
const copies = Number(opt('copies', '1'));
const head = !args.includes('--no-head');
// Width buckets to sweep (default the GPU plan's); the page's CER is printed per configuration.
const buckets = args.includes('--buckets') ? opt('buckets', '').split(',').map(Number) : GPU_REC_WIDTH_BUCKETS_PX;
const here = path.dirname(fileURLToPath(import.meta.url));
const imagePath = opt('image', path.join(here, '../fixtures/synthetic/a4-300dpi.png'));
const truthPath = imagePath.replace(/\.png$/, '.truth.json');

const paths = resolveModelPaths();
const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as { lines: string[]; lineQuads: Quad[] };
const { data, info } = await sharp(imagePath).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const page: RgbImage = { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
const pageCrops = truth.lineQuads.map((q) => cropQuad(page, q).image);
const crops = Array.from({ length: copies }, () => pageCrops).flat();
const refs = Array.from({ length: copies }, () => truth.lines).flat();
const refChars = refs.reduce((s, t) => s + [...t].length, 0);
const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'gpu-shapes-'));

async function openRec(recHead: boolean, fold = !args.includes('--no-fold')): Promise<OcrSession> {
  const c: PlannedProvider = { provider: ep, precision, model: precision === 'fp16' ? 'fp16' : 'original', notes: [] };
  const model = fold ? (await getFoldedModel(paths.rec, { cache: new EngineCache({ rootDir: cacheDir }), stage: 'rec' })).path : paths.rec;
  return createSession(model, { stage: 'rec', plan: [c], cache: cacheDir, recHead, verify: ep === 'cpu' ? 'none' : 'profile' });
}

function cerOf(texts: string[]): number {
  return texts.reduce((s, t, i) => s + editDistance(refs[i]!, t), 0) / refChars;
}

const fmt = (v: number, d = 1) => v.toFixed(d).padStart(8);

/**
 * Runs the page's crops through each recognizer in turn, `repeats` rounds after one warm-up round (round-robin,
 * so load from other processes disturbs all alike): the best pre/run/post ms of each and its last output.
 */
async function bestOfRounds<K extends string>(recs: Record<K, TextRecognizer>, kinds: readonly K[]) {
  const best = {} as Record<K, { pre: number; run: number; post: number }>;
  const last = {} as Partial<Record<K, RecOutput>>;
  for (let k = 0; k <= repeats; k++) {
    for (const kind of kinds) {
      const r = await recs[kind].run(crops);
      last[kind] = r;
      if (k === 0) continue;
      const b = (best[kind] ??= { pre: Infinity, run: Infinity, post: Infinity });
      b.pre = Math.min(b.pre, r.timings.preMs);
      b.run = Math.min(b.run, r.timings.runMs);
      b.post = Math.min(b.post, r.timings.postMs);
    }
  }
  return { best, last };
}
console.log(`${path.basename(imagePath)}: ${pageCrops.length} lines × ${copies} = ${crops.length}; EP ${ep}/${precision}, ${head ? 'argmax head' : 'full probabilities'}; best of ${repeats}; width buckets ${buckets.join(',')}`);

try {
  if (args.includes('--fold-compare')) {
    const kinds = ['shipped', 'folded'] as const;
    const sessions = { shipped: await openRec(head, false), folded: await openRec(head, true) };
    const recs = { shipped: await TextRecognizer.create(sessions.shipped, paths.dict), folded: await TextRecognizer.create(sessions.folded, paths.dict) };
    if (ep !== 'cpu') for (const r of Object.values(recs)) await r.warmUp();
    const { best, last } = await bestOfRounds(recs, kinds);
    const texts = { shipped: last.shipped!.results.map((x) => x.text), folded: last.folded!.results.map((x) => x.text) };
    console.log('model         rec pre ms  rec run ms rec post ms   (best per page)   CER');
    for (const kind of kinds) {
      const b = best[kind]!;
      console.log(`${kind.padEnd(12)}${fmt(b.pre)}    ${fmt(b.run)}    ${fmt(b.post)}                  ${(cerOf(texts[kind]!) * 100).toFixed(2)} %`);
    }
    const differ = texts.shipped!.filter((t, i) => t !== texts.folded![i]).length;
    console.log(`lines whose text differs: ${differ} of ${crops.length}`);
    await Promise.all(Object.values(sessions).map((s) => s.dispose()));
  } else if (args.includes('--pack-compare')) {
    // Packed rows (rec-packing.ts) against one line per row in width buckets, per rows value, on the same crops.
    console.log('mode       rows  shapes  runs/page  tensor cols/page  rec pre  rec run  rec post ms/line (best page)   CER');
    for (const rows of rowsList) {
      const sessions = { rows: await openRec(head), packed: await openRec(head) };
      const recs = {
        // Both as a GPU EP plans them, whatever --ep says (the CPU EP's own defaults differ).
        rows: await TextRecognizer.create(sessions.rows, paths.dict, {
          batchSize: rows,
          chunkWidthPx: DEFAULT_GPU_REC_CHUNK_WIDTH_PX,
          widthBucketsPx: GPU_REC_WIDTH_BUCKETS_PX,
          batchSizeBuckets: [rows],
          maxBatchWidthPx: rows * DEFAULT_GPU_REC_CHUNK_WIDTH_PX,
          pack: false,
        }),
        packed: await TextRecognizer.create(sessions.packed, paths.dict, { batchSize: rows, chunkWidthPx: DEFAULT_GPU_REC_CHUNK_WIDTH_PX, pack: true }),
      };
      const shapes = { rows: ep !== 'cpu' ? (await recs.rows.warmUp()).length : 0, packed: ep !== 'cpu' ? (await recs.packed.warmUp()).length : 0 };
      const { best, last } = await bestOfRounds(recs, ['rows', 'packed'] as const);
      const n = crops.length;
      for (const kind of ['rows', 'packed'] as const) {
        const b = best[kind]!, r = last[kind]!;
        const cols = r.batchShapes.reduce((a, d) => a + d[0]! * d[3]!, 0);
        console.log(
          `${kind.padEnd(8)} ${String(rows).padStart(5)} ${String(shapes[kind]).padStart(7)} ${fmt(r.batchShapes.length / copies, 1)}   ${fmt(cols / copies, 0)}        ${fmt(b.pre / n, 3)} ${fmt(b.run / n, 3)} ${fmt(b.post / n, 3)}              ${(cerOf(r.results.map((x) => x.text)) * 100).toFixed(2)} %`,
        );
      }
      await Promise.all(Object.values(sessions).map((x) => x.dispose()));
    }
  } else if (args.includes('--head-compare')) {
    const out: Record<string, { pre: number; run: number; post: number; texts: string[]; json: string }> = {};
    const sessions = { probs: await openRec(false), argmax: await openRec(true) };
    const recs = {
      probs: await TextRecognizer.create(sessions.probs, paths.dict),
      argmax: await TextRecognizer.create(sessions.argmax, paths.dict),
    };
    if (ep !== 'cpu') for (const r of Object.values(recs)) await r.warmUp();
    const { best, last } = await bestOfRounds(recs, ['probs', 'argmax'] as const);
    for (const kind of ['probs', 'argmax'] as const) {
      const r = last[kind]!;
      out[kind] = { pre: r.timings.preMs, run: r.timings.runMs, post: r.timings.postMs, texts: r.results.map((x) => x.text), json: JSON.stringify(r.results) };
    }
    console.log('output        rec pre ms  rec run ms rec post ms   (best per page)   CER');
    for (const kind of ['probs', 'argmax'] as const) {
      const b = best[kind]!;
      console.log(`${kind.padEnd(12)}${fmt(b.pre)}    ${fmt(b.run)}    ${fmt(b.post)}                  ${(cerOf(out[kind]!.texts) * 100).toFixed(2)} %`);
    }
    console.log(`results identical (text, confidence, char extents): ${out.probs!.json === out.argmax!.json}`);
    await Promise.all(Object.values(sessions).map((s) => s.dispose()));
  } else {
    const byBucket = new Map<number, number[]>();
    crops.forEach((c, i) => {
      const w = bucketImgWidth(paddleImgWidth(cropRatio(c)), buckets);
      byBucket.set(w, [...(byBucket.get(w) ?? []), i]);
    });
    const widths = [...byBucket.keys()].sort((a, b) => a - b);
    console.log(`lines per width bucket: ${widths.map((w) => `${w}:${byBucket.get(w)!.length}`).join('  ')}`);
    console.log(`\n rows  warm-up ms (shapes)  page ms/line (pre/run/post)   CER   | ms/line per width bucket:${widths.map((w) => String(w).padStart(8)).join('')}`);
    for (const rows of rowsList) {
      const session = await openRec(head);
      const o: TextRecognizerOptions = { batchSize: rows, batchSizeBuckets: [rows], widthBucketsPx: buckets, maxBatchWidthPx: Number.MAX_SAFE_INTEGER, pack: false };
      const rec = await TextRecognizer.create(session, paths.dict, o);
      const tw = performance.now();
      const shapes = await rec.warmUp();
      const warmMs = performance.now() - tw;
      let page = { pre: Infinity, run: Infinity, post: Infinity, total: Infinity };
      const perBucket = new Map<number, number>();
      let texts: string[] = [];
      for (let k = 0; k <= repeats; k++) {
        const t0 = performance.now();
        const r = await rec.run(crops);
        const total = performance.now() - t0;
        texts = r.results.map((x) => x.text);
        if (k > 0 && total < page.total) page = { pre: r.timings.preMs, run: r.timings.runMs, post: r.timings.postMs, total };
        for (const w of widths) {
          const idx = byBucket.get(w)!;
          const tb = performance.now();
          await rec.run(idx.map((i) => crops[i]!));
          const ms = (performance.now() - tb) / idx.length;
          if (k > 0) perBucket.set(w, Math.min(perBucket.get(w) ?? Infinity, ms));
        }
      }
      const n = crops.length;
      console.log(
        `${String(rows).padStart(5)} ${fmt(warmMs, 0)} (${String(shapes.length).padStart(2)})    ${fmt(page.total / n, 2)} (${(page.pre / n).toFixed(2)}/${(page.run / n).toFixed(2)}/${(page.post / n).toFixed(2)})  ${(cerOf(texts) * 100).toFixed(2).padStart(5)} % |${' '.repeat(25)}${widths.map((w) => fmt(perBucket.get(w)!, 2)).join('')}`,
      );
      await session.dispose();
    }
  }
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
