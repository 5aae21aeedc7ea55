import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { JSON_KEY_ORDER, toJson, toJsonValue } from '../../../../engines/export/to-json.js';
import { RESULT_SCHEMA_ID, type OcrDocument } from '../../../../engines/types.js';
import { validate } from './json-schema-subset.js';
import { sampleDocument } from './sample-document.js';

const schema = JSON.parse(readFileSync(new URL('../../../../engines/export/schema/document.v1.schema.json', import.meta.url), 'utf8')) as Record<string, any>;

/** Reverses key insertion order everywhere, as objects built in another order would have it. */
function reversedKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(reversedKeys) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversedKeys(x)])) as T;
  return v;
}

describe('document.v1.schema.json', () => {
  test('describes the schema id and every property', () => {
    assert.equal(schema.$id, RESULT_SCHEMA_ID);
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    const missing: string[] = [];
    const walk = (s: Record<string, any>, path: string): void => {
      for (const [k, p] of Object.entries<Record<string, any>>(s.properties ?? {})) {
        // A property documents itself, or through the definition it refers to.
        const target = p.$ref ? schema.$defs[p.$ref.split('/').pop()] : undefined;
        if (!p.description && !target?.description && !p.const) missing.push(`${path}.${k}`);
        walk(p, `${path}.${k}`);
        if (p.items?.properties) walk(p.items, `${path}.${k}[]`);
      }
    };
    walk(schema, '$');
    for (const [name, def] of Object.entries<Record<string, any>>(schema.$defs)) walk(def, name);
    assert.deepEqual(missing, []);
  });

  test('a real-shaped document validates', () => {
    const doc = sampleDocument();
    assert.deepEqual(validate(schema, JSON.parse(toJson(doc))), []);
    // The sample covers the optional parts: sizePt, dpi, detScore, flipped, failures with cause, rotated pages.
    const json = toJson(doc);
    for (const key of ['"sizePt"', '"dpi"', '"detScore"', '"flipped"', '"cause"', '"fallbacks"', '"rotation": 180', '"kind": "table-row"']) assert.ok(json.includes(key), key);
  });

  test('the validator and schema reject what types.ts does not allow', () => {
    const cases: [string, (d: any) => void][] = [
      ['missing required field', (d) => delete d.pages[0].blocks[0].lines[0].confidence],
      ['unknown field', (d) => (d.pages[0].extra = 1)],
      ['bad rotation', (d) => (d.pages[0].rotation = 45)],
      ['bad block kind', (d) => (d.pages[0].blocks[0].kind = 'figure')],
      ['quad with three points', (d) => d.pages[0].blocks[0].lines[0].quad.pop()],
      ['point with a string', (d) => (d.pages[0].blocks[0].lines[0].words[0].quad[0][1] = '3')],
      ['confidence above 1', (d) => (d.pages[0].blocks[0].lines[0].words[0].confidence = 1.5)],
      ['bad line id', (d) => (d.pages[0].blocks[0].lines[0].id = 'line-0')],
      ['bad provider', (d) => (d.engine.providers[0].provider = 'opencl')],
      ['bad error code', (d) => (d.failures[0].error.code = 'OOPS')],
      ['bad date', (d) => (d.createdAt = 'yesterday')],
      ['bad sha256', (d) => (d.source.sha256 = 'XYZ')],
      ['wrong schema id', (d) => (d.$schema = 'https://example.com/other')],
      ['non-integer page index', (d) => (d.pages[0].index = 0.5)],
      ['NaN written as null', (d) => (d.pages[0].timings.totalMs = null)],
    ];
    for (const [name, mutate] of cases) {
      const d = JSON.parse(toJson(sampleDocument()));
      mutate(d);
      assert.notDeepEqual(validate(schema, d), [], name);
    }
  });

  test('JSON key order is the schema’s property order, for every object type', () => {
    const props = (name: string) => Object.keys(name === 'OcrDocument' ? schema.properties : schema.$defs[name].properties);
    for (const [name, keys] of Object.entries(JSON_KEY_ORDER)) assert.deepEqual([...keys], props(name), name);
  });
});

describe('toJson', () => {
  test('stable: the same result built in any key order gives identical bytes', () => {
    const doc = sampleDocument();
    assert.equal(toJson(reversedKeys(doc)), toJson(doc));
    const parsed = JSON.parse(toJson(reversedKeys(doc)));
    assert.deepEqual(Object.keys(parsed), [...JSON_KEY_ORDER.OcrDocument]);
    assert.deepEqual(Object.keys(parsed.pages[0]), JSON_KEY_ORDER.Page.filter((k) => k !== 'sizePt'));
    assert.deepEqual(Object.keys(parsed.pages[0].blocks[0].lines[0]), [...JSON_KEY_ORDER.Line]);
  });

  test('round-trips to the same data; quads print on one line; ends with a newline', () => {
    const doc = sampleDocument();
    const text = toJson(doc);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(doc)));
    assert.ok(text.endsWith('}\n'));
    assert.match(text, /\n {14}"quad": \[\[200, 40\], \[800, 40\], \[800, 80\], \[200, 80\]\],\n/);
    assert.match(text, /^\{\n {2}"\$schema": "https:\/\/lucid-ocr\.dev\/schema\/document\/v1",\n {2}"schemaVersion": 1,\n/);
  });

  test('fields added after this exporter are kept, after the known ones', () => {
    const doc = sampleDocument() as OcrDocument & { zeta?: number; alpha?: number };
    doc.zeta = 1;
    doc.alpha = 2;
    assert.deepEqual(Object.keys(toJsonValue(doc) as object).slice(-3), ['createdAt', 'alpha', 'zeta']);
  });
});
