// ISO 4217 currencies the platform knows, with their minor-unit exponent. CNY first;
// adding a currency is adding a line here (multi-currency ready, R1.4).

export interface Currency {
  readonly code: string;
  readonly numeric: string;
  readonly exponent: number;
}

const table: readonly Currency[] = [
  { code: 'CNY', numeric: '156', exponent: 2 },
  { code: 'HKD', numeric: '344', exponent: 2 },
  { code: 'USD', numeric: '840', exponent: 2 },
  { code: 'EUR', numeric: '978', exponent: 2 },
  { code: 'GBP', numeric: '826', exponent: 2 },
  { code: 'JPY', numeric: '392', exponent: 0 },
  { code: 'KRW', numeric: '410', exponent: 0 },
  { code: 'SGD', numeric: '702', exponent: 2 },
  { code: 'KWD', numeric: '414', exponent: 3 },
];

const byCode = new Map(table.map((c) => [c.code, c]));
const byNumeric = new Map(table.map((c) => [c.numeric, c]));

export function findCurrency(code: string): Currency | undefined {
  return byCode.get(code);
}

export function findCurrencyByNumeric(numeric: string): Currency | undefined {
  return byNumeric.get(numeric);
}

export const currencyCodes: readonly string[] = table.map((c) => c.code);
