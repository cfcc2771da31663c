// Legal names as printed on a resident ID card: Han characters, with the middle dot that joins the
// parts of many minority names (买买提·艾力), or a Latin-script name. NFKC first; invisible,
// control and bidirectional characters and mixed scripts are refused, so two names that look the
// same cannot be two different strings.
const hanName = /^[\p{Script=Han}·]+$/u;
const latinName = /^[\p{Script=Latin} '\-·]+$/u;
/** Separators join parts: never first, last or doubled. */
const separatorMisplaced = /^[ '\-·]|[ '\-·]$|[ '\-·]{2}/u;
const invisible = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;
export const nameLengthMax = 60;

export function parseLegalName(text: string): string | undefined {
  if (text.length > nameLengthMax * 2) return undefined;
  if (invisible.test(text)) return undefined;
  // Full-width and katakana middle dots are the same mark on an ID card.
  const name = text.normalize('NFKC').trim().replace(/[・•‧∙]/g, '·').replace(/\s+/g, ' ');
  const length = [...name].length;
  if (separatorMisplaced.test(name)) return undefined;
  if (hanName.test(name)) return length >= 2 && length <= 30 ? name : undefined;
  if (latinName.test(name)) return length >= 2 && length <= nameLengthMax ? name : undefined;
  return undefined;
}
