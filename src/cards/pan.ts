// Card numbers (PANs) under PCI DSS: the full number is only ever revealed on purpose, to encode a
// message; everything that can be printed, logged or serialised sees first 6 / last 4.
import { inspect } from 'node:util';

export const panLengthMin = 12;
export const panLengthMax = 19;

/** First 6 and last 4 digits, the rest as '*'. Short inputs are fully masked (nothing to keep). */
export function maskPan(pan: string): string {
  if (pan.length < panLengthMin) return '*'.repeat(pan.length);
  return `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}

/** Luhn (mod 10) check digit test, as issuers apply it before looking a card up. */
export function luhnValid(pan: string): boolean {
  if (!/^[0-9]+$/.test(pan)) return false;
  let sum = 0;
  for (let i = 0; i < pan.length; i += 1) {
    let digit = pan.charCodeAt(pan.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * A PAN that prints masked through JSON, util.inspect, template strings and loggers, so an object
 * holding one (an authorisation reference, a log context) cannot leak it by accident.
 */
export class CardNumber {
  readonly #digits: string;
  constructor(digits: string) {
    this.#digits = digits;
  }
  reveal(): string {
    return this.#digits;
  }
  get masked(): string {
    return maskPan(this.#digits);
  }
  toJSON(): string {
    return this.masked;
  }
  toString(): string {
    return this.masked;
  }
  [inspect.custom](): string {
    return `CardNumber(${this.masked})`;
  }
}

/** `body` followed by its Luhn check digit: test and demo card numbers that an issuer accepts. */
export function withCheckDigit(body: string): string {
  for (let digit = 0; digit <= 9; digit += 1) if (luhnValid(body + String(digit))) return body + String(digit);
  throw new RangeError('the body of a card number is digits');
}
