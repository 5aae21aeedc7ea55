import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { cropQuad } from '../../../../engines/image/crop.js';
import { DEFAULT_REC_PACK_GAP_PX } from '../../../../engines/rec/rec-packing.js';
import { DEFAULT_GPU_REC_BATCH_ROWS, DEFAULT_GPU_REC_CHUNK_WIDTH_PX, GPU_REC_WIDTH_BUCKETS_PX } from '../../../../engines/rec/rec-preprocess.js';
import { TextRecognizer } from '../../../../engines/rec/text-recognizer.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { createCpuSession } from '../../../../engines/runtime/session.js';
import type { OcrSession, RecOutput } from '../../../../engines/stages.js';
import type { Quad, RgbImage } from '../../../../engines/types.js';
import { editDistance, renderLine } from './render-line.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, '../../../fixtures/synthetic/a4-300dpi.png');

let session: OcrSession;
/** The real CPU session, reporting a GPU provider: TextRecognizer picks its GPU defaults from the provider. */
let asGpu: OcrSession;
let crops: RgbImage[];
let truth: string[];
let perLine: RecOutput;

before(async () => {
  const paths = resolveModelPaths();
  session = await createCpuSession(paths.rec, { stage: 'rec' });
  asGpu = { stage: 'rec', provider: { ...session.provider, provider: 'cuda' }, run: (x) => session.run(x), dispose: async () => {} };
  const t = JSON.parse(readFileSync(fixture.replace(/\.png$/, '.truth.json'), 'utf8')) as { lines: string[]; lineQuads: Quad[] };
  const { data, info } = await sharp(fixture).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const page: RgbImage = { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  crops = t.lineQuads.map((q) => cropQuad(page, q).image);
  truth = t.lines;
  perLine = await (await TextRecognizer.create(asGpu, paths.dict, { pack: false })).run(crops);
});
after(() => session.dispose());

const errorsOf = (out: RecOutput, refs: readonly string[]) => out.results.reduce((s, r, i) => s + editDistance(refs[i]!, r.text), 0);

describe('TextRecognizer with packed rows (real PP-OCRv4 rec, ORT CPU)', () => {
  test('GPU providers pack by default: one planned shape, every run that shape, fewer runs and columns than one line per row', async () => {
    const packed = await TextRecognizer.create(asGpu, resolveModelPaths().dict);
    assert.deepEqual(packed.packing, { rowWidthPx: DEFAULT_GPU_REC_CHUNK_WIDTH_PX, rows: DEFAULT_GPU_REC_BATCH_ROWS, gapPx: DEFAULT_REC_PACK_GAP_PX });
    assert.deepEqual(packed.planShapes(), [[DEFAULT_GPU_REC_BATCH_ROWS, 3, 48, DEFAULT_GPU_REC_CHUNK_WIDTH_PX]]);
    const out = await packed.run(crops);
    for (const d of out.batchShapes) assert.deepEqual(d, [DEFAULT_GPU_REC_BATCH_ROWS, 3, 48, DEFAULT_GPU_REC_CHUNK_WIDTH_PX]);
    assert.ok(out.batchShapes.length < perLine.batchShapes.length, `${out.batchShapes.length} packed runs vs ${perLine.batchShapes.length}`);
    const cols = (o: RecOutput) => o.batchShapes.reduce((s, d) => s + d[0]! * d[3]!, 0);
    assert.ok(cols(out) < cols(perLine), `${cols(out)} tensor columns packed vs ${cols(perLine)}`);
    // The CPU EP keeps one line per row unless asked.
    assert.equal((await TextRecognizer.create(session, resolveModelPaths().dict)).packing, null);
  });

  test("each line's text comes back at its own index, as right as one line per row, whatever the packing order", async () => {
    const packed = await TextRecognizer.create(asGpu, resolveModelPaths().dict, { batchSize: 4 });
    const out = await packed.run(crops);
    assert.ok(out.batchShapes.length >= 2, 'several runs');
    const refChars = truth.reduce((s, t) => s + [...t].length, 0);
    assert.ok(errorsOf(perLine, truth) <= 2, `one line per row: ${errorsOf(perLine, truth)} errors`);
    assert.ok(errorsOf(out, truth) <= errorsOf(perLine, truth) + Math.ceil(0.002 * refChars), `packed: ${errorsOf(out, truth)} errors`);
    // Reversed input: the packing changes (ties, neighbours), the texts at each index do not move.
    const reversed = await packed.run([...crops].reverse());
    assert.deepEqual(reversed.results.map((r) => r.text).reverse(), out.results.map((r) => r.text));
  });

  test("chars are fractions of each line's own crop, near where one line per row puts them", async () => {
    const out = await (await TextRecognizer.create(asGpu, resolveModelPaths().dict)).run(crops);
    let compared = 0;
    out.results.forEach((r, k) => {
      const whole = perLine.results[k]!;
      if (r.text !== whole.text) return;
      let last = 0;
      r.chars.forEach((c, i) => {
        assert.ok(c.startFrac >= last && c.endFrac >= c.startFrac && c.endFrac <= 1, `line ${k} char ${i} monotone`);
        last = c.endFrac;
        const centre = ((c.startFrac + c.endFrac) / 2) * crops[k]!.width;
        const wholeCentre = ((whole.chars[i]!.startFrac + whole.chars[i]!.endFrac) / 2) * crops[k]!.width;
        assert.ok(Math.abs(centre - wholeCentre) < 0.5 * crops[k]!.height, `line ${k} char ${i} '${c.text}' at ${centre} vs ${wholeCentre}`);
      });
      compared++;
    });
    assert.ok(compared >= crops.length - 2, `${compared} lines compared`);
  });

  test('lines past the row width are chunked and merged; short ones share their rows', async () => {
    const packed = await TextRecognizer.create(asGpu, resolveModelPaths().dict);
    const long =
      'The committee approved the proposal on Tuesday after a long debate about the budget, and the chair thanked 17 members for their work in 2024.';
    const lines = [long, 'Hello, world! 123', 'Invoice #2024-0117', long.toUpperCase()];
    const images = await Promise.all(lines.map((t) => renderLine(t, { font: 'DejaVu Sans', sizePx: 28 })));
    assert.ok((images[0]!.width / images[0]!.height) * 48 > 2 * DEFAULT_GPU_REC_CHUNK_WIDTH_PX);
    const out = await packed.run(images);
    assert.deepEqual(out.results.map((r) => r.text), lines);
    assert.equal(out.batchShapes.length, 1, 'all pieces and lines fit one run of 8 rows');
  });

  test('packing without a chunk width is refused; GPU_REC_WIDTH_BUCKETS_PX stays the one-line-per-row plan', async () => {
    await assert.rejects(TextRecognizer.create(session, resolveModelPaths().dict, { pack: true }), /chunk width/);
    const rows = await TextRecognizer.create(asGpu, resolveModelPaths().dict, { pack: false });
    assert.deepEqual(rows.planShapes().map((d) => d[3]), [...GPU_REC_WIDTH_BUCKETS_PX]);
  });
});
