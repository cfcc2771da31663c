// Amounts arrive from the server as decimal strings in major units ("12.34") and leave as such: the web
// never does arithmetic on money, so it cannot round anything.

const amountPattern = /^(0|[1-9][0-9]{0,15})(\.[0-9]{1,2})?$/;

/** A user-typed amount as the API takes it, or undefined when it is not a plain positive decimal. */
export function normaliseAmount(text: string): string | undefined {
  const trimmed = text.trim().replace(/^¥/, '').replace(/,/g, '');
  if (!amountPattern.test(trimmed) || /^0(\.0{1,2})?$/.test(trimmed)) return undefined;
  return trimmed;
}

export function formatAmount(amount: string, currency: string, lang: string): string {
  const symbol = currency === 'CNY' ? '¥' : `${currency} `;
  const [whole = '0', fraction = ''] = amount.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'zh' ? ',' : ',');
  return `${symbol}${grouped}.${fraction.padEnd(2, '0')}`;
}
