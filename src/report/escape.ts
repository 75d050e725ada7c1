/**
 * Escaping for every output format. Every string that comes from a report (corpus texts, ids, backend
 * names, reasons, environment values) goes through one of these before it reaches a file.
 */

/** Lone surrogates (which UTF-8 cannot encode) as U+FFFD, so files written and read back are equal. */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** C0 controls (except tab, newline, carriage return) and DEL as their visible Unicode "control pictures". */
function controlPictures(s: string): string {
  return wellFormed(s).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) =>
    String.fromCharCode(c === '\u007f' ? 0x2421 : 0x2400 + c.charCodeAt(0)),
  );
}

/** Text or attribute value for HTML: & < > " ' escaped; stray control characters made visible. */
export function escapeHtml(value: unknown): string {
  return controlPictures(String(value ?? '')).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** A corpus text as a person should see it: whitespace and control characters visible, never empty. */
export function visibleText(text: string): string {
  if (text === '') return '∅ (empty)';
  return controlPictures(text.replace(/\r/g, '␍').replace(/\n/g, '␊').replace(/\t/g, '␉'));
}

/** Characters XML 1.0 cannot hold at all, even escaped (C0 controls, lone surrogates, U+FFFE/U+FFFF). */
const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function stripInvalidXml(value: string): string {
  return value.replace(INVALID_XML, '');
}

/** XML character data. */
export function escapeXmlText(value: unknown): string {
  return stripInvalidXml(String(value ?? '')).replace(/[&<>]/g, (c) => XML_TEXT[c]);
}

const XML_TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** XML attribute value (in double quotes); tabs and newlines kept as character references. */
export function escapeXmlAttr(value: unknown): string {
  return stripInvalidXml(String(value ?? '')).replace(/[&<>"'\t\n\r]/g, (c) => XML_ATTR[c]);
}

const XML_ATTR: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/**
 * Inline Markdown (GitHub flavour) that renders as the literal text: table pipes, emphasis, code,
 * link brackets and HTML are escaped, newlines become spaces. Safe in table cells and list items.
 */
export function escapeMarkdown(value: unknown): string {
  return controlPictures(String(value ?? ''))
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/[&<>]/g, (c) => HTML_ENTITIES[c]);
}
