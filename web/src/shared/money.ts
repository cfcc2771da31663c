// Amounts arrive from the server as decimal strings in major units ("12.34") and leave as such: the web
// never does arithmetic on money, so it cannot round anything.

const digits = /^[0-9]+$/;

/** A user-typed amount as the API takes it, or undefined when it is not a plain positive decimal. */
export function normaliseAmount(text: string): string | undefined {
  const trimmed = text.trim().replace(/^¥/, '').split(',').join('');
  const [whole = '', fraction, extra] = trimmed.split('.');
  if (extra !== undefined || !digits.test(whole) || whole.length > 16) return undefined;
  if (whole.length > 1 && whole.startsWith('0')) return undefined;
  if (fraction !== undefined && (!digits.test(fraction) || fraction.length > 2)) return undefined;
  if (/^0+$/.test(whole) && (fraction === undefined || /^0+$/.test(fraction))) return undefined;
  return trimmed;
}

function grouped(whole: string): string {
  const parts: string[] = [];
  for (let end = whole.length; end > 0; end -= 3) parts.unshift(whole.slice(Math.max(0, end - 3), end));
  return parts.join(',');
}

export function formatAmount(amount: string, currency: string, _lang: string): string {
  const symbol = currency === 'CNY' ? '¥' : `${currency} `;
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
  return `${negative ? '−' : ''}${symbol}${grouped(whole)}.${fraction.padEnd(2, '0')}`;
}
