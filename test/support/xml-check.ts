/**
 * A strict little XML 1.0 parser for tests: throws on anything not well-formed (bad nesting,
 * unquoted or duplicate attributes, stray '<' or '&', unknown entities, characters XML cannot
 * hold), and returns a tiny element tree with entities decoded.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const VALID_CHAR = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  return raw.replace(/&([^;]*);|&/g, (match, ref: string | undefined, offset: number) => {
    if (ref === undefined) throw new Error(`bare '&' at ${where + offset}`);
    if (ref in PREDEFINED) return PREDEFINED[ref];
    const m = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref);
    if (!m) throw new Error(`unknown entity &${ref}; at ${where + offset}`);
    const code = m[1] ? parseInt(m[1], 16) : parseInt(m[2], 10);
    const ch = String.fromCodePoint(code);
    if (!VALID_CHAR.test(ch)) throw new Error(`character reference to an invalid character &${ref}; at ${where + offset}`);
    return ch;
  });
}

export function parseXml(xml: string): XmlElement {
  if (!VALID_CHAR.test(xml)) {
    const bad = [...xml].findIndex((c) => !VALID_CHAR.test(c));
    throw new Error(`character not allowed in XML 1.0 (code ${xml.codePointAt(bad)}) at ${bad}`);
  }
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const textEnd = lt < 0 ? xml.length : lt;
    const raw = xml.slice(i, textEnd);
    if (raw.includes('>') && raw.includes(']]>')) throw new Error(`']]>' in text at ${i}`);
    if (stack.length) stack[stack.length - 1].text += decode(raw, i);
    else if (raw.trim() !== '') throw new Error(`text outside the root element at ${i}: ${JSON.stringify(raw.slice(0, 20))}`);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) throw new Error(`unterminated comment at ${i}`);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i);
      if (end < 0 || !stack.length) throw new Error(`bad CDATA at ${i}`);
      stack[stack.length - 1].text += xml.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i);
      if (end < 0) throw new Error(`unterminated processing instruction at ${i}`);
      i = end + 2;
      continue;
    }
    if (xml.startsWith('</', i)) {
      const m = NAME.exec(xml.slice(i + 2));
      if (!m) throw new Error(`bad end tag at ${i}`);
      const after = i + 2 + m[0].length;
      const close = /^\s*>/.exec(xml.slice(after));
      if (!close) throw new Error(`bad end tag at ${i}`);
      const open = stack.pop();
      if (!open || open.name !== m[0]) throw new Error(`</${m[0]}> at ${i} closes <${open?.name ?? 'nothing'}>`);
      i = after + close[0].length;
      continue;
    }
    const m = NAME.exec(xml.slice(i + 1));
    if (!m) throw new Error(`stray '<' at ${i}`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
    i += 1 + m[0].length;
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(i))![0];
      i += ws.length;
      if (xml.startsWith('/>', i) || xml.startsWith('>', i)) break;
      if (!ws) throw new Error(`missing whitespace before attribute at ${i}`);
      const a = /^([A-Za-z_:][A-Za-z0-9_:.-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/.exec(xml.slice(i));
      if (!a) throw new Error(`bad attribute at ${i}: ${JSON.stringify(xml.slice(i, i + 30))}`);
      if (a[1] in el.attrs) throw new Error(`duplicate attribute ${a[1]} at ${i}`);
      el.attrs[a[1]] = decode(a[2] ?? a[3], i);
      i += a[0].length;
    }
    if (stack.length) stack[stack.length - 1].children.push(el);
    else if (root) throw new Error(`second root element <${el.name}> at ${i}`);
    else root = el;
    if (xml.startsWith('/>', i)) i += 2;
    else {
      i += 1;
      stack.push(el);
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (e.name === name) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}
