// ISO 8583:1987 response codes (field 39) the card link sends or understands.

export const responseCodes = {
  '00': 'approved',
  '05': 'do not honour',
  '09': 'request in progress',
  '12': 'invalid transaction',
  '13': 'invalid amount',
  '14': 'invalid card number',
  '25': 'unable to locate original transaction',
  '30': 'format error',
  '51': 'insufficient funds',
  '54': 'expired card',
  '55': 'incorrect personal identification number',
  '61': 'exceeds withdrawal amount limit',
  '75': 'allowable number of PIN tries exceeded',
  '91': 'issuer or switch inoperative',
  '94': 'duplicate transmission',
  '96': 'system malfunction',
} as const;

export type ResponseCode = keyof typeof responseCodes;

/** Codes a decline rule of the simulator may be configured to answer. */
export const declineCodes = ['05', '12', '13', '14', '51', '54', '61', '91', '96'] as const satisfies readonly ResponseCode[];
export type DeclineCode = (typeof declineCodes)[number];

export function isResponseCode(value: string): value is ResponseCode {
  return Object.hasOwn(responseCodes, value);
}

/** What a response code means, for people; an unknown code says so rather than guessing. */
export function responseMeaning(code: string): string {
  return isResponseCode(code) ? responseCodes[code] : 'unknown response code';
}

/** Declines that say nothing about the card or the customer: a new request later may succeed. */
export function isRetryable(code: string): boolean {
  return code === '91' || code === '96';
}
