// NIST SP 800-63B-4 §3.1.1.2 for customer passwords: length is what counts (8 code points when the
// password is one factor of several, 15 when it stands alone; at least 64 accepted), every character
// is allowed (compared after NFKC), and a password on the shipped common/breached list or built from
// the customer's own phone or ID number is refused. No composition rules and no expiry.
import { readFileSync } from 'node:fs';

export const passwordLengthMin = { multiFactor: 8, standalone: 15 } as const;
export const passwordLengthMax = 128;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'personal_data';
export type PasswordVerdict = { readonly ok: true; readonly password: string } | { readonly ok: false; readonly problem: PasswordProblem };

let commonPasswords: ReadonlySet<string> | undefined;

/** The shipped list (src/identity/data/common-passwords.txt), loaded once. */
export function commonPasswordList(): ReadonlySet<string> {
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a fixed file shipped beside this module
  commonPasswords ??= new Set(readFileSync(new URL('./data/common-passwords.txt', import.meta.url), 'utf8').split('\n').filter((line) => line.length > 0));
  return commonPasswords;
}

export function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Fragments of the customer's own numbers a password must not be built from. */
function personalFragments(personal: { phone?: string | undefined; idNumber?: string | undefined }): string[] {
  const fragments: string[] = [];
  if (personal.phone !== undefined) {
    const national = personal.phone.replace(/^\+86/, '');
    fragments.push(national, national.slice(-6), national.slice(0, 7));
  }
  if (personal.idNumber !== undefined) {
    const id = personal.idNumber.toLowerCase();
    fragments.push(id, id.slice(-6), id.slice(6, 14), id.slice(0, 6));
  }
  return fragments.filter((fragment) => fragment.length >= 6);
}

export interface PasswordContext {
  readonly standalone?: boolean;
  readonly phone?: string | undefined;
  readonly idNumber?: string | undefined;
}

export function checkPassword(candidate: string, context: PasswordContext = {}): PasswordVerdict {
  const password = normalisePassword(candidate);
  const length = [...password].length;
  if (length < (context.standalone === true ? passwordLengthMin.standalone : passwordLengthMin.multiFactor)) return { ok: false, problem: 'too_short' };
  if (length > passwordLengthMax) return { ok: false, problem: 'too_long' };
  const lower = password.toLowerCase();
  if (commonPasswordList().has(lower)) return { ok: false, problem: 'common' };
  for (const fragment of personalFragments(context)) {
    // Built from the number: the whole number anywhere, or a part of it making up half the password.
    if (lower.includes(fragment) && (fragment.length >= 11 || fragment.length * 2 >= length)) return { ok: false, problem: 'personal_data' };
  }
  return { ok: true, password };
}

export const passwordProblemText: Readonly<Record<PasswordProblem, string>> = {
  too_short: `use at least ${passwordLengthMin.multiFactor} characters; a longer passphrase is better`,
  too_long: `use at most ${passwordLengthMax} characters`,
  common: 'this password is on a list of common or breached passwords; choose another',
  personal_data: 'the password must not be built from your phone or ID number',
};
