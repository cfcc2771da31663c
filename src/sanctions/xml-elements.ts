// A small streamed XML reader for the UN consolidated list: element starts and ends with the text
// directly inside, entities decoded, attributes skipped. Enough for a data file of plain elements;
// it checks well-formedness (every element closed by its own name, one root, nothing after it) so a
// truncated or corrupted file is refused rather than half read.
/* eslint-disable security/detect-non-literal-fs-filename -- list files are named by the operator who loads them */
import { createReadStream } from 'node:fs';
import { ListFormatError } from './list-entry.ts';

export type XmlEvent =
  | { readonly type: 'open'; readonly name: string; readonly path: readonly string[] }
  | { readonly type: 'close'; readonly name: string; readonly text: string; readonly path: readonly string[] };

const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string, file: string, line: number): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/gu, (whole, body: string | undefined) => {
    if (body === undefined) throw new ListFormatError(file, line, 'a bare "&" in text');
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(parseInt(body.slice(1), 10));
    const value = named[body];
    if (value === undefined) throw new ListFormatError(file, line, `unknown entity ${whole}`);
    return value;
  });
}

interface ReaderState {
  buffer: string;
  stack: string[];
  texts: string[];
  line: number;
  rootClosed: boolean;
  sawRoot: boolean;
}

/** Parses one markup item starting at buffer[0] === '<'; returns its length or 0 if incomplete. */
function markup(state: ReaderState, file: string, out: XmlEvent[]): number {
  const b = state.buffer;
  if (b.startsWith('<?')) return end(b, '?>');
  if (b.startsWith('<!--')) return end(b, '-->');
  if (b.startsWith('<![CDATA[')) {
    const length = end(b, ']]>');
    if (length > 0) state.texts[state.texts.length - 1] += b.slice(9, length - 3);
    return length;
  }
  if (b.startsWith('<!')) return end(b, '>');
  const close = tagEnd(b);
  if (close < 0) return 0;
  const tag = b.slice(1, close);
  if (tag.startsWith('/')) {
    const name = tag.slice(1).trim();
    const open = state.stack.pop();
    if (open !== name) throw new ListFormatError(file, state.line, `</${name}> closes <${open ?? 'nothing'}>`);
    const text = decodeEntities(state.texts.pop() ?? '', file, state.line).trim();
    out.push({ type: 'close', name, text, path: [...state.stack] });
    if (state.stack.length === 0) state.rootClosed = true;
    return close + 1;
  }
  const selfClosing = tag.endsWith('/');
  const name = /^[A-Za-z_][\w.-]*/u.exec(tag)?.[0];
  if (name === undefined) throw new ListFormatError(file, state.line, 'a malformed tag');
  if (state.rootClosed || (state.stack.length === 0 && state.sawRoot)) {
    throw new ListFormatError(file, state.line, 'content after the root element');
  }
  state.sawRoot = true;
  out.push({ type: 'open', name, path: [...state.stack] });
  if (selfClosing) out.push({ type: 'close', name, text: '', path: [...state.stack] });
  else {
    state.stack.push(name);
    state.texts.push('');
  }
  return close + 1;
}

function end(b: string, terminator: string): number {
  const at = b.indexOf(terminator);
  return at < 0 ? 0 : at + terminator.length;
}

/** The index of the `>` ending a tag, skipping quoted attribute values; -1 when not yet in the buffer. */
function tagEnd(b: string): number {
  let quote = '';
  for (let i = 1; i < b.length; i += 1) {
    const c = b[i];
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  return -1;
}

function drain(state: ReaderState, file: string, out: XmlEvent[]): void {
  for (;;) {
    const lt = state.buffer.indexOf('<');
    const text = lt < 0 ? state.buffer : state.buffer.slice(0, lt);
    if (text.length > 0) {
      if (state.stack.length > 0) state.texts[state.texts.length - 1] += text;
      else if (text.trim().length > 0) throw new ListFormatError(file, state.line, 'text outside the root element');
      state.line += text.split('\n').length - 1;
      state.buffer = state.buffer.slice(text.length);
    }
    if (lt < 0) return;
    const used = markup(state, file, out);
    if (used === 0) return;
    state.line += state.buffer.slice(0, used).split('\n').length - 1;
    state.buffer = state.buffer.slice(used);
  }
}

export async function* xmlElements(path: string, file: string): AsyncGenerator<XmlEvent> {
  const state: ReaderState = { buffer: '', stack: [], texts: [], line: 1, rootClosed: false, sawRoot: false };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    const text = utf8(decoder, chunk as Buffer, file, state.line);
    state.buffer += text;
    const out: XmlEvent[] = [];
    drain(state, file, out);
    yield* out;
  }
  if (
    utf8(decoder, undefined, file, 0).length > 0 ||
    state.buffer.trim().length > 0 ||
    state.stack.length > 0 ||
    !state.rootClosed
  ) {
    const open = state.stack.at(-1);
    throw new ListFormatError(file, state.line, `the file ends before <${open ?? 'root'}> is closed (truncated)`);
  }
}

/** Strict UTF-8: a byte sequence that is not UTF-8 is a corrupted file, not text to guess at. */
function utf8(
  decoder: InstanceType<typeof TextDecoder>,
  chunk: Buffer | undefined,
  file: string,
  line: number,
): string {
  try {
    return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
  } catch {
    throw new ListFormatError(
      file,
      line,
      chunk === undefined ? 'the file ends inside a UTF-8 character (truncated)' : 'bytes that are not UTF-8 text',
    );
  }
}
