// Scripts other than Latin brought to the Latin letters the lists use: Chinese to pinyin (surname,
// then the given name written as one word, as OFAC and the UN write Chinese names), Cyrillic by a
// BGN/PCGN-like table. Arabic stays in its own script (the UN list publishes names in original
// script; they are matched script to script), with letter variants folded.
import { pinyin } from 'pinyin-pro';

const hanRun = /[\u3400-\u9fff\uf900-\ufaff]+/gu;
const hanOnly = /^[\u3400-\u9fff\uf900-\ufaff]{2,4}$/u;
const compoundSurnames = new Set([
  '欧阳',
  '司马',
  '诸葛',
  '上官',
  '东方',
  '皇甫',
  '尉迟',
  '公孙',
  '慕容',
  '令狐',
  '夏侯',
  '长孙',
  '宇文',
  '司徒',
  '西门',
  '歐陽',
  '諸葛',
  '東方',
  '長孫',
]);

function syllables(text: string): string[] {
  return pinyin(text, { toneType: 'none', type: 'array', mode: 'surname', v: true }).filter((s) => s.length > 0);
}

/** A Chinese personal name (2–4 characters): `surname givenname`, e.g. 李方伟 → `li fangwei`. */
export function chinesePersonalName(name: string): string | undefined {
  if (!hanOnly.test(name)) return undefined;
  const surnameLength = name.length >= 3 && compoundSurnames.has(name.slice(0, 2)) ? 2 : 1;
  const surname = syllables(name.slice(0, surnameLength)).join('');
  const given = syllables(name.slice(surnameLength)).join('');
  return `${surname} ${given}`;
}

/** Every run of Chinese characters replaced by its pinyin syllables, space separated. */
export function hanToPinyin(text: string): string {
  return text.replace(hanRun, (run) => ` ${syllables(run).join(' ')} `);
}

export function hasHan(text: string): boolean {
  return /[\u3400-\u9fff\uf900-\ufaff]/u.test(text);
}

const cyrillic: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  ж: 'zh',
  з: 'z',
  и: 'i',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
  і: 'i',
  ї: 'yi',
  є: 'ye',
  ґ: 'g',
  ў: 'u',
};

export function cyrillicToLatin(text: string): string {
  return text.replace(/[\u0400-\u04ff]/gu, (letter) => cyrillic[letter.toLowerCase()] ?? letter);
}

/** Arabic letter variants that spellings of one name differ by: alef forms, teh marbuta, alef maksura. */
export function foldArabic(text: string): string {
  return text
    .replace(/[\u0622\u0623\u0625\u0671]/gu, '\u0627')
    .replace(/\u0629/gu, '\u0647')
    .replace(/\u0649/gu, '\u064a')
    .replace(/\u0640/gu, '');
}
