/**
 * All XML of the local OSS is built and parsed here: response bodies (`xmlDocument`) and the small request bodies
 * OSS accepts (CompleteMultipartUpload, Tagging, versioning, encryption, restore). The parser only handles the
 * element-and-text subset those bodies use; anything else is rejected as MalformedXML by the caller.
 */
export type XmlValue = string | number | boolean | undefined | null | XmlNode | XmlValue[];
/** An element's children in order; an array value repeats the element name once per item. */
export interface XmlNode { [name: string]: XmlValue }

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function renderValue(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => renderValue(name, v)).join('');
  if (typeof value === 'object') return `<${name}>${renderChildren(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function renderChildren(node: XmlNode): string {
  return Object.entries(node).map(([k, v]) => renderValue(k, v)).join('');
}

/** `<?xml …?>` + one root element, as OSS sends it. */
export function xmlDocument(root: string, body: XmlValue): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderValue(root, body)}`;
}

/** A parsed element: its name, its text (entity-decoded) and its child elements in order. */
export interface XmlElement { name: string; text: string; children: XmlElement[] }

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

export class XmlSyntaxError extends Error {}

/** Parses a document into its root element. Throws XmlSyntaxError on anything malformed. */
export function parseXml(text: string): XmlElement {
  const src = text.replace(/^\uFEFF/, '').replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '');
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)(\s[^>]*?)?(\/?)>/g;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let last = 0;
  for (let m = tag.exec(src); m; m = tag.exec(src)) {
    const between = src.slice(last, m.index);
    if (stack.length) stack[stack.length - 1]!.text += unescapeXml(between.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1'));
    else if (between.trim()) throw new XmlSyntaxError('text outside the root element');
    last = tag.lastIndex;
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name) throw new XmlSyntaxError(`unexpected </${name}>`);
      if (!stack.length) root = open;
      continue;
    }
    if (root) throw new XmlSyntaxError('more than one root element');
    const el: XmlElement = { name: name!, text: '', children: [] };
    if (stack.length) stack[stack.length - 1]!.children.push(el);
    if (selfClosing) { if (!stack.length) root = el; } else stack.push(el);
  }
  if (stack.length || !root) throw new XmlSyntaxError('unterminated document');
  if (src.slice(last).trim()) throw new XmlSyntaxError('text after the root element');
  return root;
}

export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}
export function childText(el: XmlElement, name: string): string | undefined {
  const c = child(el, name);
  return c ? c.text.trim() : undefined;
}
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
