import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fixLatinMisreads, normalizeLatinPunctuation } from '../../../../engines/rec/latin-punctuation.js';
import type { RecResult } from '../../../../engines/stages.js';

/** A result whose characters sit evenly along the crop. */
function rec(text: string): RecResult {
  const cps = Array.from(text);
  return {
    text,
    confidence: 0.9,
    chars: cps.map((t, i) => ({ text: t, startFrac: i / cps.length, endFrac: (i + 1) / cps.length, confidence: 0.9 })),
  };
}

function fixed(text: string): string {
  const r = fixLatinMisreads(rec(text));
  assert.equal(r.text, r.chars.map((c) => c.text).join(''), 'text and chars agree');
  return r.text;
}

describe('normalizeLatinPunctuation', () => {
  test('fullwidth punctuation in Latin text becomes ASCII; beside CJK it stays', () => {
    assert.equal(normalizeLatinPunctuation(rec('a，b（c）')).text, 'a,b(c)');
    assert.equal(normalizeLatinPunctuation(rec('中文，文字')).text, '中文，文字');
  });
});

describe('fixLatinMisreads', () => {
  test('URL schemes split as ": //" are joined, and spaces inside the URL before "." or "/" dropped', () => {
    assert.equal(fixed('see http: //www .gnuplot.info/demo/ for more'), 'see http://www.gnuplot.info/demo/ for more');
    assert.equal(fixed('at https: //example.org'), 'at https://example.org');
    // Not a URL: prose with a colon keeps its space.
    assert.equal(fixed('Note: //comments start a line'), 'Note: //comments start a line');
    // The URL ends at a space before a word.
    assert.equal(fixed('http: //a.org and .b'), 'http://a.org and .b');
  });

  test('a straight quote closing a curly one becomes curly; apostrophes inside words stay', () => {
    assert.equal(fixed("‘-3**2' is ‘9', not ‘-9'."), '‘-3**2’ is ‘9’, not ‘-9’.');
    assert.equal(fixed('“penguin" said'), '“penguin” said');
    assert.equal(fixed("‘don't' ok"), '‘don\'t’ ok');
    // No opening curly quote: straight quotes stay straight (code).
    assert.equal(fixed("plot 'data'"), "plot 'data'");
  });

  test('theta and slashed O standing alone in Latin text are zeros', () => {
    assert.equal(fixed('.slice(θ, limit)'), '.slice(0, limit)');
    assert.equal(fixed('x = Ø;'), 'x = 0;');
    // Inside a word (Danish) or in Greek text they stay.
    assert.equal(fixed('Søren Ø'), 'Søren Ø');
    assert.equal(fixed('θ = α + β'), 'θ = α + β');
  });

  test('a lone o or O the model was unsure of, beside a digit or code punctuation, is a zero', () => {
    /** `text` with the model's confidence 0.3 on the character at `at` (a dotted zero reads "o" at 0.30). */
    const unsure = (text: string, at: number): string => {
      const r = rec(text);
      r.chars[at] = { ...r.chars[at]!, confidence: 0.3 };
      return fixLatinMisreads(r).text;
    };
    assert.equal(unsure('.slice(o, limit);', 7), '.slice(0, limit);');
    assert.equal(unsure('a[O] = 1', 2), 'a[0] = 1');
    assert.equal(unsure('x = 1o', 5), 'x = 10');
    // Sure of it, or inside a word, or with no number or code beside it: a letter.
    assert.equal(fixed('.slice(o, limit);'), '.slice(o, limit);');
    assert.equal(unsure('a dog', 3), 'a dog');
    assert.equal(unsure('type o blood', 5), 'type o blood');
  });

  test('a lone capital O after a digit or beside an operator is a zero', () => {
    assert.equal(fixed('N = O; load'), 'N = 0; load');
    assert.equal(fixed('print $O, "$1"'), 'print $0, "$1"');
    assert.equal(fixed('1O items'), '10 items');
    assert.equal(fixed('x + O'), 'x + 0');
    // Letters, names and formulas stay.
    assert.equal(fixed('type O blood'), 'type O blood');
    assert.equal(fixed('H2O and O2'), 'H2O and O2');
    assert.equal(fixed("O'Neill"), "O'Neill");
    assert.equal(fixed('Oxygen (O) is'), 'Oxygen (O) is');
  });

  test('o and O inside a number are zeros', () => {
    assert.equal(fixed('which expected 2,4oo kg'), 'which expected 2,400 kg');
    assert.equal(fixed('(3oo) at 10:3o.'), '(300) at 10:30.');
    assert.equal(fixed('pH 7.o and 1O5'), 'pH 7.0 and 105');
    // Words with other letters, or that start with a letter, are not numbers.
    assert.equal(fixed('2 of 1oz H2O O2 No.5'), '2 of 1oz H2O O2 No.5');
  });

  test('one-character degree units are written °C and °F, and a doubled degree sign goes', () => {
    assert.equal(fixed('at 220 °℃ for'), 'at 220 °C for');
    assert.equal(fixed('between 5℃ and 41℉'), 'between 5°C and 41°F');
    const r = fixLatinMisreads(rec('at 190℃'));
    // The two characters share the unit's extent.
    const deg = r.chars.find((c) => c.text === '°')!;
    const c = r.chars.find((ch) => ch.text === 'C')!;
    assert.equal(deg.endFrac, c.startFrac);
    assert.equal(c.endFrac, 1);
    // Beside CJK the dictionary's form stays.
    assert.equal(fixed('气温 25℃'), '气温 25℃');
  });

  test('CJK lines and unchanged lines come back as they were', () => {
    const cjk = rec('中文 O = 1');
    assert.equal(fixLatinMisreads(cjk), cjk);
    const plain = rec('Nothing to fix here.');
    assert.equal(fixLatinMisreads(plain), plain);
  });
});
