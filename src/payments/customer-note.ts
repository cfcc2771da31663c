// A note a customer writes for another (a request for money) is shown on a stranger's phone: it is
// bounded in characters (not UTF-16 units) and refused when it holds control characters, or
// direction-changing and invisible format characters that make one text read as another.
export const noteCharactersMax = 60;

export type NoteCheck =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: 'too_long' | 'control_character' | 'format_character' };

export function checkNote(note: string): NoteCheck {
  const text = note.normalize('NFC');
  if ([...text].length > noteCharactersMax) return { ok: false, reason: 'too_long' };
  if (/\p{Cc}/u.test(text)) return { ok: false, reason: 'control_character' };
  // Cf: bidi overrides and isolates, zero-width joiners and spaces, soft hyphens, tag characters.
  if (/\p{Cf}/u.test(text)) return { ok: false, reason: 'format_character' };
  return { ok: true, text };
}
