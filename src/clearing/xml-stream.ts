// A small streaming XML reader for bank files: it takes text in chunks and calls a handler per element
// (local names, prefixes dropped), so a statement of any length is read in bounded memory. It refuses
// what bank messages never need and attacks use: any DOCTYPE (so no entity definitions, no entity
// expansion bombs, no external entities), unknown entity references, unbalanced tags, absurd depth.
export type XmlRefusal = 'bank_file_malformed' | 'bank_file_entities_refused' | 'bank_file_too_large';

export class XmlRefused extends Error {
  readonly code: XmlRefusal;
  constructor(code: XmlRefusal, detail: string) {
    super(detail);
    this.name = 'XmlRefused';
    this.code = code;
  }
}

export interface XmlHandler {
  open(name: string, attributes: ReadonlyMap<string, string>): void;
  text(text: string): void;
  close(name: string): void;
}

export interface XmlLimits {
  readonly maxDepth: number;
  /** The longest single token (a tag, or text between tags) held while waiting for its end. */
  readonly maxTokenChars: number;
  readonly maxTotalChars: number;
}

export const defaultXmlLimits: XmlLimits = { maxDepth: 64, maxTokenChars: 1 << 20, maxTotalChars: 512 * (1 << 20) };

const named: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;&\s]{0,10});?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new XmlRefused('bank_file_malformed', 'a bare & in text');
    const known = named[ref];
    if (known !== undefined) return known;
    const code = /^#x([0-9a-fA-F]{1,6})$/.exec(ref)?.[1] ?? undefined;
    const decimal = /^#([0-9]{1,7})$/.exec(ref)?.[1] ?? undefined;
    const value = code !== undefined ? parseInt(code, 16) : decimal !== undefined ? Number(decimal) : undefined;
    if (value === undefined)
      throw new XmlRefused('bank_file_entities_refused', `entity &${ref.slice(0, 10)}; is not allowed`);
    if (value > 0x10ffff || value === 0)
      throw new XmlRefused('bank_file_malformed', 'a character reference out of range');
    return String.fromCodePoint(value);
  });
}

const attributePattern = /([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/g;
const tagName = /^[A-Za-z_][\w.:-]*/;

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

export class XmlStream {
  #buffer = '';
  #total = 0;
  #stack: string[] = [];
  #rootSeen = false;
  readonly #handler: XmlHandler;
  readonly #limits: XmlLimits;

  constructor(handler: XmlHandler, limits: XmlLimits = defaultXmlLimits) {
    this.#handler = handler;
    this.#limits = limits;
  }

  write(chunk: string): void {
    this.#total += chunk.length;
    if (this.#total > this.#limits.maxTotalChars)
      throw new XmlRefused('bank_file_too_large', 'the file is larger than allowed');
    this.#buffer += chunk;
    this.#drain(false);
    if (this.#buffer.length > this.#limits.maxTokenChars)
      throw new XmlRefused('bank_file_too_large', 'a token is longer than allowed');
  }

  end(): void {
    this.#drain(true);
    if (this.#buffer.trim() !== '')
      throw new XmlRefused('bank_file_malformed', 'the file ends inside a tag or after the root');
    if (!this.#rootSeen || this.#stack.length > 0)
      throw new XmlRefused('bank_file_malformed', 'the document is incomplete');
  }

  #drain(final: boolean): void {
    let at = 0;
    const b = this.#buffer;
    for (;;) {
      const lt = b.indexOf('<', at);
      if (lt < 0) {
        // Text without its end yet stays buffered; at the end it is all there is.
        if (final) {
          this.#textOutside(b.slice(at));
          at = b.length;
        }
        break;
      }
      if (lt > at) this.#emitText(b.slice(at, lt));
      const consumed = this.#markup(b, lt);
      if (consumed < 0) {
        at = lt;
        break;
      }
      at = consumed;
    }
    this.#buffer = b.slice(at);
  }

  #textOutside(text: string): void {
    if (this.#stack.length > 0) this.#emitText(text);
    else if (text.trim() !== '') throw new XmlRefused('bank_file_malformed', 'text outside the root element');
  }

  #emitText(raw: string): void {
    if (this.#stack.length === 0) {
      if (raw.trim() !== '') throw new XmlRefused('bank_file_malformed', 'text outside the root element');
      return;
    }
    this.#handler.text(decodeEntities(raw));
  }

  /** Handles the markup at `lt`; returns the index after it, or -1 when it is not complete yet. */
  #markup(b: string, lt: number): number {
    if (b.startsWith('<?', lt)) {
      const end = b.indexOf('?>', lt);
      return end < 0 ? -1 : end + 2;
    }
    if (b.startsWith('<!--', lt)) {
      const end = b.indexOf('-->', lt);
      return end < 0 ? -1 : end + 3;
    }
    if (b.startsWith('<![CDATA[', lt)) {
      const end = b.indexOf(']]>', lt);
      if (end < 0) return -1;
      if (this.#stack.length === 0) throw new XmlRefused('bank_file_malformed', 'CDATA outside the root');
      this.#handler.text(b.slice(lt + 9, end));
      return end + 3;
    }
    if (b.startsWith('<!', lt)) {
      const head = b.slice(lt, lt + 9);
      if (head.length < 9 && ['<!--', '<![CDATA[', '<!DOCTYPE'].some((m) => m.startsWith(head))) return -1;
      throw new XmlRefused('bank_file_entities_refused', 'a DOCTYPE or declaration is not allowed in bank files');
    }
    const end = tagEnd(b, lt);
    if (end < 0) return -1;
    this.#tag(b.slice(lt + 1, end));
    return end + 1;
  }

  #tag(inner: string): void {
    if (inner.startsWith('/')) {
      const name = localName(inner.slice(1).trim());
      const open = this.#stack.pop();
      if (open !== name) throw new XmlRefused('bank_file_malformed', `closing tag does not match its opening tag`);
      this.#handler.close(name);
      return;
    }
    const selfClosing = inner.endsWith('/');
    const body = selfClosing ? inner.slice(0, -1) : inner;
    const qname = tagName.exec(body)?.[0];
    if (qname === undefined) throw new XmlRefused('bank_file_malformed', 'a tag without a name');
    if (this.#stack.length === 0 && this.#rootSeen)
      throw new XmlRefused('bank_file_malformed', 'a second root element');
    const attributes = new Map<string, string>();
    const rest = body.slice(qname.length);
    const leftover = rest.replace(attributePattern, (_m, name: string, _q, d?: string, s?: string) => {
      attributes.set(
        localName(name) === name ? name : name.startsWith('xmlns:') ? name : localName(name),
        decodeEntities(d ?? s ?? ''),
      );
      return '';
    });
    if (leftover.trim() !== '') throw new XmlRefused('bank_file_malformed', 'malformed attributes');
    const name = localName(qname);
    this.#rootSeen = true;
    if (this.#stack.length >= this.#limits.maxDepth)
      throw new XmlRefused('bank_file_too_large', 'elements nested too deep');
    this.#stack.push(name);
    this.#handler.open(name, attributes);
    if (selfClosing) {
      this.#stack.pop();
      this.#handler.close(name);
    }
  }
}

/** The index of the `>` closing the tag at `lt`, skipping quoted attribute values; -1 if not yet read. */
function tagEnd(b: string, lt: number): number {
  let quote = '';
  for (let i = lt + 1; i < b.length; i += 1) {
    const c = b[i];
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
    else if (c === '<') throw new XmlRefused('bank_file_malformed', 'a < inside a tag');
  }
  return -1;
}

/** Reads a whole string (small messages: pacs.002) through a handler. */
export function readXml(text: string, handler: XmlHandler, limits: XmlLimits = defaultXmlLimits): void {
  const stream = new XmlStream(handler, limits);
  stream.write(text);
  stream.end();
}

/** Element events with their path and the element's whole text (text split across chunks joined). */
export interface PathEvents {
  open?(path: readonly string[], attributes: ReadonlyMap<string, string>): void;
  /** At an element's end: its text (trimmed) and the attributes it opened with. */
  close(path: readonly string[], text: string, attributes: ReadonlyMap<string, string>): void;
}

export function pathHandler(events: PathEvents): XmlHandler {
  const path: string[] = [];
  const texts: string[] = [];
  const attrs: ReadonlyMap<string, string>[] = [];
  return {
    open(name, attributes) {
      path.push(name);
      texts.push('');
      attrs.push(attributes);
      events.open?.(path, attributes);
    },
    text(text) {
      const last = texts.length - 1;
      if (last >= 0 && (texts[last] as string).length < 1 << 16) texts[last] += text;
    },
    close() {
      const text = (texts.pop() ?? '').trim();
      events.close(path, text, attrs.pop() ?? new Map());
      path.pop();
    },
  };
}
