/**
 * Full-text search across every open document's recognised words.
 *
 * Case-insensitive and width-insensitive (NFKC + locale-free lower case), so "ＡＢＣ" finds "abc".
 * A query may span several words of one line ("hello world"): each line is searched as its words
 * joined the way they read (a space between Latin words, nothing between CJK characters), and a hit
 * names every word it overlaps so the viewer can highlight exactly those boxes.
 * A line whose text the user edited is searched by its edited text; its hits highlight the whole line
 * (the word boxes no longer correspond to the edited characters).
 */
import type { Page } from '../../engines/types.js';

export interface SearchHit {
  /** Stable for one search result set: `${documentId}:${pageIndex}:${lineId}:${start}`. */
  id: string;
  documentId: string;
  pageIndex: number;
  lineId: string;
  /** Indices into line.words covered by the match; empty when the whole line is meant (edited line). */
  wordIndices: number[];
  /** The line's text (edited if edited), for the hit list. */
  lineText: string;
  /** Match range within lineText (UTF-16 offsets) for highlighting in the list. */
  start: number;
  end: number;
}

export interface SearchablePage {
  documentId: string;
  page: Page;
}

export interface SearchOptions {
  /** Edited line texts by document, then line id. */
  edits?: Record<string, Record<string, string>>;
  /** Stop after this many hits (the list stays responsive on huge batches). */
  maxHits?: number;
}

export const DEFAULT_MAX_HITS = 2000;

export function normalizeForSearch(s: string): string {
  return s.normalize('NFKC').toLowerCase();
}

// CJK ideographs, kana, hangul, fullwidth forms: scripts written without spaces between words.
const NO_SPACE_SCRIPT = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/u;

/** Joiner between two adjacent words as they would read in the line. */
export function wordJoiner(left: string, right: string): string {
  const a = left.at(-1) ?? '';
  const b = right[0] ?? '';
  return NO_SPACE_SCRIPT.test(a) && NO_SPACE_SCRIPT.test(b) ? '' : ' ';
}

interface JoinedLine {
  text: string;
  /** [start, end) of each word within text. */
  spans: [number, number][];
}

export function joinWords(words: readonly { text: string }[]): JoinedLine {
  let text = '';
  const spans: [number, number][] = [];
  words.forEach((w, i) => {
    if (i > 0) text += wordJoiner(words[i - 1]!.text, w.text);
    const start = text.length;
    text += w.text;
    spans.push([start, text.length]);
  });
  return { text, spans };
}

/**
 * Every occurrence of `query` (non-overlapping, left to right) in reading order of documents as given,
 * then pages, then lines. An empty or whitespace-only query returns no hits.
 */
export function searchPages(pages: readonly SearchablePage[], query: string, opts: SearchOptions = {}): SearchHit[] {
  const needle = normalizeForSearch(query.trim().replace(/\s+/g, ' '));
  if (needle.length === 0) return [];
  const maxHits = opts.maxHits ?? DEFAULT_MAX_HITS;
  const hits: SearchHit[] = [];

  for (const { documentId, page } of pages) {
    const docEdits = opts.edits?.[documentId];
    for (const block of page.blocks) {
      for (const line of block.lines) {
        const edited = docEdits?.[line.id];
        if (edited !== undefined) {
          for (const [start, end] of findAll(edited, needle)) {
            hits.push(makeHit(documentId, page.index, line.id, [], edited, start, end));
            if (hits.length >= maxHits) return hits;
          }
          continue;
        }
        const joined = line.words.length > 0 ? joinWords(line.words) : { text: line.text, spans: [] };
        for (const [start, end] of findAll(joined.text, needle)) {
          const wordIndices: number[] = [];
          joined.spans.forEach(([s, e], i) => {
            if (s < end && e > start) wordIndices.push(i);
          });
          hits.push(makeHit(documentId, page.index, line.id, wordIndices, joined.text, start, end));
          if (hits.length >= maxHits) return hits;
        }
      }
    }
  }
  return hits;
}

function makeHit(
  documentId: string,
  pageIndex: number,
  lineId: string,
  wordIndices: number[],
  lineText: string,
  start: number,
  end: number,
): SearchHit {
  return { id: `${documentId}:${pageIndex}:${lineId}:${start}`, documentId, pageIndex, lineId, wordIndices, lineText, start, end };
}

/**
 * Offsets of `needle` (already normalised) in `haystack`, mapped back to haystack's own UTF-16 offsets.
 * NFKC can change lengths (e.g. "ﬁ" → "fi"), so matching runs on the normalised string and an offset
 * map translates the result.
 */
function findAll(haystack: string, needle: string): [number, number][] {
  const { text, origin } = normalizeWithOffsets(haystack);
  const out: [number, number][] = [];
  let from = 0;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at < 0) break;
    const endN = at + needle.length;
    // The end maps to the source char after the match, so a match ending inside one char's
    // expansion still covers that whole source char.
    out.push([origin[at]!, endN < origin.length ? nextOrigin(origin, endN, haystack.length) : haystack.length]);
    from = endN;
  }
  return out;
}

function nextOrigin(origin: number[], i: number, sourceLength: number): number {
  const here = origin[i]!;
  // Inside an expansion (previous output char came from the same source char): skip to the next source char.
  if (i > 0 && origin[i - 1] === here) {
    let k = i;
    while (k < origin.length && origin[k] === here) k++;
    return k < origin.length ? origin[k]! : sourceLength;
  }
  return here;
}

/** Normalise char by char (code point by code point), recording each output char's source offset. */
function normalizeWithOffsets(s: string): { text: string; origin: number[] } {
  let text = '';
  const origin: number[] = [];
  let i = 0;
  for (const cp of s) {
    const n = normalizeForSearch(cp);
    for (let k = 0; k < n.length; k++) origin.push(i);
    text += n;
    i += cp.length;
  }
  return { text, origin };
}
