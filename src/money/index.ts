export { type Amount, type ParseOptions, parseMajor, parseMinor, formatMajor, currencyOf } from './amount.ts';
export { type Currency, findCurrency, findCurrencyByNumeric, currencyCodes } from './currency.ts';
