// The one sanitiser for request data (headers, addresses, paths) on its way into an audit entry or
// a log line. A client controls these bytes, so they must neither break the write (the audit log
// refuses control characters) nor fool a reader (CR/LF forging a log line, bidi overrides reordering
// text on screen). Such characters are escaped as \u{…}, and the text is cut to a length bound.

/** C0 and C1 controls, DEL, bidi marks and overrides, zero-width and line/paragraph separators, BOM. */
const unsafeCharacter = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\\]/u;
const loneSurrogate = /[\ud800-\udfff]/u;
const unsafeForDisplay =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ud800-\udfff]/u;

/** The marker that ends a text cut to its bound. */
export const cutMarker = '…';

function escapeOf(character: string): string {
  if (character === '\\') return '\\\\';
  return `\\u{${(character.codePointAt(0) ?? 0).toString(16)}}`;
}

/**
 * Printable, bounded text: unsafe characters escaped, the result at most `lengthMax` UTF-16 units
 * (ending in `…` when cut, never in the middle of an escape or a surrogate pair). A backslash is
 * doubled, so an escape in the output always stands for a character the client sent.
 */
export function untrustedText(value: string, lengthMax: number): string {
  if (value.length <= lengthMax && !unsafeCharacter.test(value) && !loneSurrogate.test(value)) return value;
  let out = '';
  // Iterating by code point keeps pairs whole; in a `u` pattern only a lone surrogate matches.
  for (const character of value) {
    const safe = unsafeCharacter.test(character) || loneSurrogate.test(character) ? escapeOf(character) : character;
    if (out.length + safe.length > lengthMax - cutMarker.length) return out + cutMarker;
    out += safe;
  }
  return out;
}

/**
 * Whether text is already fit for the audit log as it stands: within the bound and nothing a reader's
 * screen would act on. Text `untrustedText` produced always is, so the log's last check leaves it alone.
 */
export function isDisplaySafe(value: string, lengthMax: number): boolean {
  return value.length <= lengthMax && !unsafeForDisplay.test(value);
}

/** A header value (or undefined/array) as an audit `device` or log field: sanitised, or null when absent. */
export function untrustedHeader(value: string | readonly string[] | undefined, lengthMax: number): string | null {
  if (value === undefined) return null;
  return untrustedText(typeof value === 'string' ? value : value.join(', '), lengthMax);
}
