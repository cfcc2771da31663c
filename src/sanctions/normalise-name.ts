// A name as the matcher compares it: case, diacritics, punctuation and script folded away, split into
// tokens with a weight each (name particles such as "al", "bin", "de" count little; legal forms such
// as "Ltd", "S.A." and titles such as "Dr." not at all), plus the compact forms used when one
// spelling writes as one word what another writes as two ("Fang Wei" / "Fangwei").
import { chinesePersonalName, cyrillicToLatin, foldArabic, hanToPinyin, hasHan } from './transliterate.ts';

export interface NameForm {
  readonly tokens: readonly string[];
  readonly weights: readonly number[];
  /** Tokens joined in their order, and sorted then joined. */
  readonly compact: string;
  readonly compactSorted: string;
}

const particles = new Set([
  'al',
  'el',
  'ul',
  'bin',
  'ibn',
  'bint',
  'abu',
  'ben',
  'de',
  'del',
  'della',
  'la',
  'le',
  'van',
  'von',
  'der',
  'den',
  'da',
  'di',
  'du',
  'dos',
  'das',
  'y',
  'e',
  'of',
  'and',
]);
const ignored = new Set([
  'dr',
  'mr',
  'mrs',
  'ms',
  'prof',
  'sheikh',
  'shaykh',
  'haji',
  'hajji',
  'mullah',
  'maulana',
  'general',
  'colonel',
  'ltd',
  'limited',
  'llc',
  'inc',
  'incorporated',
  'co',
  'corp',
  'corporation',
  'company',
  'gmbh',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'plc',
  'jsc',
  'ojsc',
  'cjsc',
  'pjsc',
  'ooo',
  'zao',
  'oao',
  'bv',
  'nv',
  'ag',
  'the',
  'fze',
  'fzco',
  'fzc',
  'llp',
  'lp',
  'pte',
  'pvt',
  'cv',
  'ca',
  'sl',
  'sad',
  'eirl',
  'kg',
  'as',
  'ab',
  'oy',
  'bhd',
  'sdn',
  'youxian',
  'gongsi',
]);
export const particleWeight = 0.3;

/** Case, diacritics, script and punctuation folded; what remains is letters, digits and spaces. */
export function foldName(raw: string): string {
  let text = raw.normalize('NFKC');
  if (hasHan(text)) text = chinesePersonalName(text.trim()) ?? hanToPinyin(text);
  text = cyrillicToLatin(text.toLowerCase());
  text = text.normalize('NFKD').replace(/\p{M}+/gu, '');
  text = text
    .replace(/ß/gu, 'ss')
    .replace(/[æ]/gu, 'ae')
    .replace(/[ø]/gu, 'o')
    .replace(/[łı]/gu, (c) => (c === 'ł' ? 'l' : 'i'));
  text = text.replace(/đ/gu, 'd').replace(/œ/gu, 'oe').replace(/þ/gu, 'th');
  text = foldArabic(text);
  // "S.A." → "sa", "O'Brien" → "obrien"; every other punctuation mark separates words.
  text = text.replace(/(\p{L})[.'’`](?=\p{L})/gu, '$1').replace(/\.(?=\s|$)/gu, '');
  return text.replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

export function nameForm(raw: string): NameForm {
  const tokens: string[] = [];
  const weights: number[] = [];
  for (const token of foldName(raw).split(' ')) {
    if (token.length === 0 || ignored.has(token)) continue;
    tokens.push(token);
    weights.push(particles.has(token) ? particleWeight : 1);
  }
  return {
    tokens,
    weights,
    compact: tokens.join(''),
    compactSorted: [...tokens].sort().join(''),
  };
}

/** Letters grouped by how they sound (Soundex-like, first letter coded too so K/Q/G and C/K agree). */
const soundClass: Record<string, string> = {
  b: '1',
  f: '1',
  p: '1',
  v: '1',
  c: '2',
  g: '2',
  j: '2',
  k: '2',
  q: '2',
  s: '2',
  x: '2',
  z: '2',
  d: '3',
  t: '3',
  l: '4',
  m: '5',
  n: '5',
  r: '6',
};

/** The blocking key of a token: its consonant classes in order, repeats collapsed; non-Latin tokens as they are. */
export function phoneticKey(token: string): string {
  if (!/^[a-z0-9]+$/u.test(token)) return token;
  let key = /^[aeiouyhw]/u.test(token) ? 'v' : '';
  let last = '';
  for (const letter of token) {
    const code = soundClass[letter];
    if (code === undefined) {
      if (letter !== 'h' && letter !== 'w') last = '';
      continue;
    }
    if (code !== last) key += code;
    last = code;
    if (key.length >= 6) break;
  }
  return key.length === 0 ? token : key;
}
