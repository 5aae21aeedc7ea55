import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toText } from '../../../../engines/export/to-text.js';
import { sampleDocument } from './sample-document.js';

describe('toText', () => {
  test('reading order, paragraphs, form feeds between pages, an empty page for the failed one', () => {
    const text = toText(sampleDocument());
    assert.equal(
      text,
      [
        'Results & <Discussion> "2024"\n\nLeft column line one\nleft column line two\n\nRight column line one\nright column \'quoted\' two',
        '你好世界 OCR 测试\n中文文本识别\n\n项目\t数量\n苹果\t3',
        '',
        'upside down line\nsecond line',
      ].join('\n\f') + '\n',
    );
  });

  test('page separator can be changed', () => {
    const text = toText(sampleDocument(), { pageSeparator: '\n\n=====\n\n' });
    assert.equal(text.split('\n\n=====\n\n').length, 4);
    assert.ok(!text.includes('\f'));
  });
});
