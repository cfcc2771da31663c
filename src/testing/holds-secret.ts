// Whether a text (log lines, a database's raw bytes) holds a secret. A short secret such as a
// four-digit CVV also turns up by chance inside timestamps, random key material, ciphertexts and ids
// (CI once found "8264" in a PostgreSQL row), so one shorter than eight characters counts only where
// it stands alone: not flanked by letters or digits, as it would stand in JSON, a form or a sentence.

const alphanumeric = /[A-Za-z0-9]/;

export function holdsSecret(text: string, secret: string): boolean {
  if (secret.length >= 8) return text.includes(secret);
  for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
    const before = text.charAt(at - 1);
    const after = text.charAt(at + secret.length);
    if (!alphanumeric.test(before) && !alphanumeric.test(after)) return true;
  }
  return false;
}
