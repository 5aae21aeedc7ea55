/**
 * `npm run eval`: accuracy (CER/WER) and seconds per page of Lucid OCR and Tesseract 5 on the fixture set,
 * per kind of document, in one run on the same machine and the same page images.
 *
 *   npm run eval                    # the full table (markdown on stdout, JSON in tests/.artifacts/eval.json)
 *   npm run eval -- --dpi-sweep     # PDF pages OCR'd at 150/200/300 dpi: picks the default render DPI
 *   npm run eval -- --only pdf      # one kind (substring match; several: --only prose,code)
 *   npm run eval -- --dpi-sweep --dpis 150,200,300,400   # other render resolutions
 *   npm run eval -- --no-tesseract  # Lucid only
 *   npm run eval -- --rec-chunk 960 # long lines recognised in 960 px pieces, as on GPU EPs (CPU default: off)
 *   npm run eval -- --rec-chunk 960 --rec-pack [--rec-pack-gap 48]
 *                                   # and several lines packed per 960 px row, as on GPU EPs
 *
 * Both engines get the identical page image (PDF pages are rendered once by our renderer and written to a
 * PNG for Tesseract), so the timings compare OCR work, not PDF rendering. Scripts print; tests assert.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { openDocument } from '../../engines/input/open-document.js';
import { createOcrPipeline } from '../../engines/pipeline.js';
import type { RgbImage } from '../../engines/types.js';
import { cer, pooled, wer, type ErrorRate } from './metrics.js';

const execFileAsync = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.join(root, 'tests/fixtures');

interface EvalItem {
  kind: string;
  name: string;
  file: string;
  /** 0-based page within the file. */
  page: number;
  truth: string;
  lang: 'eng' | 'chi_sim';
}

/** Kinds, by fixture name: what a reader of the table needs to tell apart. */
function kindOf(dir: string, name: string): string {
  if (dir === 'pdf') return name.includes('rot90') ? 'PDF page, scanned sideways' : 'born-digital PDF page';
  if (name.startsWith('rotated')) return 'rotated page (90/180/270)';
  if (name === 'two-column') return 'two-column page';
  if (name === 'chinese') return 'Chinese page';
  if (name.startsWith('a4')) return 'A4 at 300 dpi, small print';
  if (['noisy', 'skewed-3deg', 'low-res-100dpi'].includes(name)) return 'degraded (noise, skew, 100 dpi)';
  return 'clean page, several fonts';
}

async function collectItems(): Promise<EvalItem[]> {
  const items: EvalItem[] = [];
  for (const dir of ['synthetic', 'pdf']) {
    const folder = path.join(fixtures, dir);
    const names = (await readdir(folder)).filter((n) => n.endsWith('.truth.json')).sort();
    for (const truthName of names) {
      const base = truthName.slice(0, -'.truth.json'.length);
      const files = (await readdir(folder)).filter((n) => n.startsWith(base + '.') && !n.endsWith('.json'));
      if (files.length === 0) continue;
      const truth = JSON.parse(await readFile(path.join(folder, truthName), 'utf8')) as { lines?: string[]; pages?: { lines: string[] }[] };
      const pages = truth.pages ?? [{ lines: truth.lines ?? [] }];
      pages.forEach((p, page) => {
        items.push({
          kind: kindOf(dir, base),
          name: pages.length > 1 ? `${base} p${page + 1}` : base,
          file: path.join(folder, files[0]!),
          page,
          truth: p.lines.join('\n'),
          lang: base.includes('chinese') ? 'chi_sim' : 'eng',
        });
      });
    }
  }
  return items;
}

async function tesseract(pngPath: string, lang: string): Promise<{ text: string; ms: number }> {
  const t0 = performance.now();
  const { stdout } = await execFileAsync('tesseract', [pngPath, 'stdout', '-l', lang], { maxBuffer: 64 << 20 });
  return { text: stdout, ms: performance.now() - t0 };
}

async function writePng(image: RgbImage, file: string): Promise<void> {
  await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).png({ compressionLevel: 1 }).toFile(file);
}

interface Row {
  kind: string;
  pages: number;
  lucid: { cer: ErrorRate; wer: ErrorRate; msPerPage: number };
  tesseract?: { cer: ErrorRate; wer: ErrorRate; msPerPage: number };
}

function fmtPct(r: ErrorRate): string {
  return `${(r.rate * 100).toFixed(2)}%`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const useTesseract = !args.includes('--no-tesseract');
  const dpiSweep = args.includes('--dpi-sweep');
  let items = await collectItems();
  if (only) {
    const wanted = only.split(',');
    items = items.filter((i) => wanted.some((w) => i.kind.includes(w) || i.name.includes(w)));
  }
  const dpis = args.includes('--dpis') ? args[args.indexOf('--dpis') + 1]!.split(',').map(Number) : [150, 200, 250, 300];
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'lucid-eval-'));
  const tEngine = performance.now();
  const recChunk = args.includes('--rec-chunk') ? Number(args[args.indexOf('--rec-chunk') + 1]) : undefined;
  if (recChunk !== undefined && !(recChunk > 0)) throw new Error('--rec-chunk takes a width in px, e.g. 960');
  const recPack = args.includes('--rec-pack');
  if (recPack && recChunk === undefined) throw new Error('--rec-pack needs --rec-chunk (the row width), e.g. --rec-chunk 960 --rec-pack');
  const packGap = args.includes('--rec-pack-gap') ? Number(args[args.indexOf('--rec-pack-gap') + 1]) : undefined;
  const pipeline = await createOcrPipeline({
    ...(recChunk === undefined ? {} : { recChunkWidthPx: recChunk }),
    ...(recPack ? { recPack: true } : {}),
    ...(packGap === undefined ? {} : { recPackGapPx: packGap }),
  });
  const engineStartMs = performance.now() - tEngine;
  let tesseractVersion = '';
  if (useTesseract) {
    try {
      tesseractVersion = (await execFileAsync('tesseract', ['--version'])).stdout.split('\n')[0] ?? '';
    } catch {
      console.error('tesseract not found: install Debian tesseract-ocr, tesseract-ocr-eng, tesseract-ocr-chi-sim, or pass --no-tesseract');
      process.exit(1);
    }
  }

  try {
    if (dpiSweep) {
      await sweepDpi(pipeline, items.filter((i) => i.file.endsWith('.pdf')), dpis);
      return;
    }
    const perItem: { item: EvalItem; lucid: { text: string; ms: number }; tess?: { text: string; ms: number } }[] = [];
    for (const item of items) {
      const reader = await openDocument(item.file);
      const rendered = await reader.renderPage(item.page, { dpi: 300 });
      await reader.close();
      const t0 = performance.now();
      const page = await pipeline.recognizeImage(rendered.image, { index: item.page });
      const lucid = { text: page.text, ms: performance.now() - t0 };
      let tess: { text: string; ms: number } | undefined;
      if (useTesseract) {
        const png = path.join(tmp, `${item.name.replace(/\W+/g, '_')}.png`);
        await writePng(rendered.image, png);
        tess = await tesseract(png, item.lang);
      }
      perItem.push({ item, lucid, tess });
      const c = cer(item.truth, lucid.text);
      const ct = tess ? cer(item.truth, tess.text) : undefined;
      process.stderr.write(
        `${item.name.padEnd(28)} lucid CER ${fmtPct(c).padStart(7)} ${lucid.ms.toFixed(0).padStart(6)} ms` +
          (ct && tess ? ` | tesseract CER ${fmtPct(ct).padStart(7)} ${tess.ms.toFixed(0).padStart(6)} ms` : '') + '\n',
      );
    }
    const kinds = [...new Set(perItem.map((p) => p.item.kind))];
    const rows: Row[] = kinds.map((kind) => {
      const ps = perItem.filter((p) => p.item.kind === kind);
      const row: Row = {
        kind,
        pages: ps.length,
        lucid: {
          cer: pooled(ps.map((p) => cer(p.item.truth, p.lucid.text))),
          wer: pooled(ps.map((p) => wer(p.item.truth, p.lucid.text))),
          msPerPage: ps.reduce((s, p) => s + p.lucid.ms, 0) / ps.length,
        },
      };
      if (useTesseract) {
        row.tesseract = {
          cer: pooled(ps.map((p) => cer(p.item.truth, p.tess!.text))),
          wer: pooled(ps.map((p) => wer(p.item.truth, p.tess!.text))),
          msPerPage: ps.reduce((s, p) => s + p.tess!.ms, 0) / ps.length,
        };
      }
      return row;
    });
    const all: Row = {
      kind: '**all pages**',
      pages: perItem.length,
      lucid: {
        cer: pooled(perItem.map((p) => cer(p.item.truth, p.lucid.text))),
        wer: pooled(perItem.map((p) => wer(p.item.truth, p.lucid.text))),
        msPerPage: perItem.reduce((s, p) => s + p.lucid.ms, 0) / perItem.length,
      },
      ...(useTesseract
        ? {
            tesseract: {
              cer: pooled(perItem.map((p) => cer(p.item.truth, p.tess!.text))),
              wer: pooled(perItem.map((p) => wer(p.item.truth, p.tess!.text))),
              msPerPage: perItem.reduce((s, p) => s + p.tess!.ms, 0) / perItem.length,
            },
          }
        : {}),
    };
    rows.push(all);

    const machine = `${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.arch()}, Node ${process.version}`;
    const lines = [
      `Machine: ${machine}. Lucid: PP-OCRv4 on ONNX Runtime ${pipeline.info().onnxruntimeVersion} (CPU EP, FP32${recChunk ? `, rec chunked at ${recChunk} px` : ''}), engine start ${(engineStartMs / 1000).toFixed(1)} s (not in the per-page times).` +
        (useTesseract ? ` Tesseract: ${tesseractVersion} (\`-l eng\`, \`-l chi_sim\` for Chinese, default page segmentation).` : ''),
      '',
      useTesseract
        ? '| kind | pages | Lucid CER | Tesseract CER | Lucid WER | Tesseract WER | Lucid s/page | Tesseract s/page |'
        : '| kind | pages | Lucid CER | Lucid WER | Lucid s/page |',
      useTesseract ? '|---|---:|---:|---:|---:|---:|---:|---:|' : '|---|---:|---:|---:|---:|',
      ...rows.map((r) =>
        useTesseract && r.tesseract
          ? `| ${r.kind} | ${r.pages} | ${fmtPct(r.lucid.cer)} | ${fmtPct(r.tesseract.cer)} | ${fmtPct(r.lucid.wer)} | ${fmtPct(r.tesseract.wer)} | ${(r.lucid.msPerPage / 1000).toFixed(2)} | ${(r.tesseract.msPerPage / 1000).toFixed(2)} |`
          : `| ${r.kind} | ${r.pages} | ${fmtPct(r.lucid.cer)} | ${fmtPct(r.lucid.wer)} | ${(r.lucid.msPerPage / 1000).toFixed(2)} |`,
      ),
    ];
    console.log(lines.join('\n'));
    await mkdir(path.join(root, 'tests/.artifacts'), { recursive: true });
    await writeFile(
      path.join(root, 'tests/.artifacts/eval.json'),
      JSON.stringify({ machine, tesseractVersion, rows, items: perItem.map((p) => ({ name: p.item.name, kind: p.item.kind, truth: p.item.truth, lucid: p.lucid, tesseract: p.tess })) }, null, 1),
    );
  } finally {
    await pipeline.dispose();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** OCR of the PDF fixtures at several render resolutions: accuracy against time. */
async function sweepDpi(pipeline: Awaited<ReturnType<typeof createOcrPipeline>>, items: EvalItem[], dpis: number[]): Promise<void> {
  console.log('| dpi | pages | CER | WER | render s/page | OCR s/page |\n|---:|---:|---:|---:|---:|---:|');
  for (const dpi of dpis) {
    const c: ErrorRate[] = [];
    const w: ErrorRate[] = [];
    let renderMs = 0;
    let ocrMs = 0;
    for (const item of items) {
      const reader = await openDocument(item.file);
      const t0 = performance.now();
      const rendered = await reader.renderPage(item.page, { dpi });
      renderMs += performance.now() - t0;
      await reader.close();
      const t1 = performance.now();
      const page = await pipeline.recognizeImage(rendered.image, { index: item.page });
      ocrMs += performance.now() - t1;
      c.push(cer(item.truth, page.text));
      w.push(wer(item.truth, page.text));
      process.stderr.write(`${dpi} dpi ${item.name.padEnd(28)} CER ${fmtPct(c.at(-1)!).padStart(7)} ${(performance.now() - t1).toFixed(0).padStart(6)} ms\n`);
    }
    const n = items.length;
    console.log(`| ${dpi} | ${n} | ${fmtPct(pooled(c))} | ${fmtPct(pooled(w))} | ${(renderMs / n / 1000).toFixed(2)} | ${(ocrMs / n / 1000).toFixed(2)} |`);
  }
}

await main();
