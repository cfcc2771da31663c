// Free text from customers, operators and merchants: bounded, and cleaned before it is stored — no
// control characters (other than line breaks and tabs), no bidirectional overrides or zero-width
// characters that could make a message read differently than it is, NFC-normalised. Empty after
// cleaning is no text.
const unsafe = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

export const textMax = 4000;

export function sanitisedText(text: string, max = textMax): string | undefined {
  const clean = text.normalize('NFC').replace(/\r\n?/g, '\n').replace(unsafe, '').trim();
  if (clean.length === 0 || clean.length > max) return undefined;
  return clean;
}
