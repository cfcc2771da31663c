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

/** Currencies whose minor unit is not a hundredth (ISO 4217); every other has two decimals. */
const exponents: Readonly<Record<string, number>> = { JPY: 0, KRW: 0, BHD: 3, KWD: 3 };

/** An amount in minor units ("1234", clearing and reconciliation) shown as money ("¥12.34"), by moving the point. */
export function formatMinor(minor: string, currency: string, lang: string): string {
  const negative = minor.startsWith('-');
  const exponent = exponents[currency] ?? 2;
  const digitsOnly = (negative ? minor.slice(1) : minor).padStart(exponent + 1, '0');
  const whole = digitsOnly.slice(0, digitsOnly.length - exponent);
  const fraction = digitsOnly.slice(digitsOnly.length - exponent);
  const text = formatAmount(exponent === 0 ? whole : `${whole}.${fraction}`, currency, lang);
  return negative ? `−${text}` : text;
}
