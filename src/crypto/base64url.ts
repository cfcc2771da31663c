// Strict base64url (RFC 4648 §5, no padding): each byte string has exactly one accepted spelling.
// Node's decoder is lenient (it skips unknown characters, accepts padding and ignores the spare low
// bits of the last character), so a token checked with it alone can be altered and still accepted.

const alphabet = /^[A-Za-z0-9_-]*$/;

/** The bytes of `text` if it is the canonical unpadded base64url of them, else undefined. */
export function decodeCanonicalBase64url(text: string): Buffer | undefined {
  if (!alphabet.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
