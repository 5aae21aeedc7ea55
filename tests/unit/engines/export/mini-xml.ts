// A strict little XML parser for the exporter tests: throws on anything not well-formed that our exporters could
// get wrong (unbalanced or misnested tags, unquoted or duplicate attributes, bare '&' or '<', unknown entities,
// characters XML 1.0 forbids), and returns a tree to query.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Character data directly inside this element, entities decoded, in order. */
  text: string;
  /** Raw character data between child elements: texts[i] precedes children[i]; the last follows the last child. */
  texts: string[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NAME = /^[A-Za-z_:][\w.:-]*/;

function decode(raw: string, where: number): string {
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(raw)) throw new Error(`forbidden character near ${where}`);
  if (raw.includes('<')) throw new Error(`bare '<' near ${where}`);
  return raw.replace(/&([^;\s]*);?/g, (m, name: string) => {
    if (!m.endsWith(';')) throw new Error(`bare '&' near ${where}`);
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const e = ENTITIES[name];
    if (e === undefined) throw new Error(`unknown entity &${name}; near ${where}`);
    return e;
  });
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const skipProlog = () => {
    for (;;) {
      while (/\s/.test(source[i] ?? '')) i++;
      if (source.startsWith('<?', i)) i = source.indexOf('?>', i) + 2;
      else if (source.startsWith('<!DOCTYPE', i)) i = source.indexOf('>', i) + 1;
      else if (source.startsWith('<!--', i)) i = source.indexOf('-->', i) + 3;
      else return;
    }
  };
  const element = (): XmlElement => {
    if (source[i] !== '<') throw new Error(`expected '<' at ${i}`);
    i++;
    const name = NAME.exec(source.slice(i))?.[0];
    if (!name) throw new Error(`bad tag name at ${i}`);
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      const ws = /^\s*/.exec(source.slice(i))![0];
      i += ws.length;
      if (source.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [], text: '', texts: [''] };
      }
      if (source[i] === '>') {
        i++;
        break;
      }
      if (!ws) throw new Error(`missing space before attribute at ${i}`);
      const attr = /^([A-Za-z_:][\w.:-]*)="([^"]*)"/.exec(source.slice(i));
      if (!attr) throw new Error(`bad attribute at ${i}: ${source.slice(i, i + 30)}`);
      if (attr[1]! in attrs) throw new Error(`duplicate attribute ${attr[1]} at ${i}`);
      attrs[attr[1]!] = decode(attr[2]!, i);
      i += attr[0].length;
    }
    const children: XmlElement[] = [];
    const texts: string[] = [];
    let raw = '';
    for (;;) {
      const lt = source.indexOf('<', i);
      if (lt < 0) throw new Error(`unclosed <${name}>`);
      raw += source.slice(i, lt);
      i = lt;
      if (source.startsWith('</', i)) {
        const close = new RegExp(`^</${name.replace(/[.:-]/g, '\\$&')}\\s*>`).exec(source.slice(i));
        if (!close) throw new Error(`misnested: expected </${name}> at ${i}, found ${source.slice(i, i + 20)}`);
        i += close[0].length;
        texts.push(decode(raw, i));
        return { name, attrs, children, text: texts.join(''), texts };
      }
      texts.push(decode(raw, i));
      raw = '';
      children.push(element());
    }
  };
  skipProlog();
  const root = element();
  skipProlog();
  if (i !== source.length) throw new Error(`content after the root element at ${i}`);
  return root;
}

/** All descendants (depth first, document order) matching a predicate. */
export function findAll(root: XmlElement, match: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (match(e)) out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}
