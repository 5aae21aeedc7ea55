// The FP16 gate's inputs come from the shipped PNGs (no fonts needed), and match what fonts would render.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  VALIDATION_LINES,
  loadValidationInputs,
  renderValidationImages,
  renderValidationInputs,
  tensorsFromImages,
  validationAssetDirs,
} from '../../../../engines/runtime/validation-inputs.js';

test('the gate inputs load from engines/assets/validation PNGs with the expected tensor shapes', async () => {
  assert.ok(fs.existsSync(validationAssetDirs()[0]!), 'the PNG folder is found next to the sources');
  const v = await loadValidationInputs();
  assert.deepEqual(v.lines, VALIDATION_LINES);
  assert.equal(v.det.length, 2);
  for (const d of v.det) {
    assert.equal(d.dims.length, 4);
    assert.equal(d.dims[1], 3);
    assert.equal(d.dims[2]! % 32, 0);
    assert.equal(d.dims[3]! % 32, 0);
  }
  assert.deepEqual(v.rec[0]!.dims.slice(0, 3), [VALIDATION_LINES.length, 3, 48]);
  assert.deepEqual(v.cls[0]!.dims, [2 * VALIDATION_LINES.length, 3, 48, 192]);
  // Text, not blank images: a good share of dark pixels (normalised below 0) in every line.
  const rec = v.rec[0]!.data as Float32Array;
  let dark = 0;
  for (const x of rec) if (x < -0.5) dark++;
  assert.ok(dark / rec.length > 0.02, `dark share ${dark / rec.length}`);
  // The default path of renderValidationInputs (what the gate calls) is the PNGs.
  const d = await renderValidationInputs();
  assert.deepEqual(Array.from(d.det[0]!.data as Float32Array), Array.from(v.det[0]!.data as Float32Array));
});

test('the shipped PNGs are the generator’s output: identical tensors to rendering with fonts now', async () => {
  const fromFonts = await tensorsFromImages(await renderValidationImages());
  const fromPngs = await loadValidationInputs();
  for (const stage of ['det', 'rec', 'cls'] as const) {
    assert.equal(fromPngs[stage].length, fromFonts[stage].length);
    fromPngs[stage].forEach((t, i) => {
      assert.deepEqual(t.dims, fromFonts[stage][i]!.dims, `${stage}[${i}] dims`);
      const a = t.data as Float32Array;
      const b = fromFonts[stage][i]!.data as Float32Array;
      let maxDiff = 0;
      for (let k = 0; k < a.length; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k]! - b[k]!));
      assert.ok(maxDiff < 1e-6, `${stage}[${i}] max |Δ| ${maxDiff}`);
    });
  }
});

test('a missing PNG folder is a clear error naming where it looked', async () => {
  await assert.rejects(loadValidationInputs({ dir: '/nonexistent/validation' }), /validation images are missing \(looked in \/nonexistent\/validation/);
});
