export {
  type Amount,
  type ParseOptions,
  parseMajor,
  parseMinor,
  formatMajor,
  currencyOf,
  currencyRefusal,
  requireEnabledCurrency,
} from './amount.ts';
export { type Currency, findCurrency, findCurrencyByNumeric, currencyCodes } from './currency.ts';
