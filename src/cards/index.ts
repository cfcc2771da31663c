// Card numbers (PANs): the one place for their rules — length, Luhn check digit, first-6/last-4
// masking, and a wrapper that never prints the full number. Used by the token vault, the bank
// link and identity's card verification alike.
export { CardNumber, luhnValid, maskPan, panLengthMax, panLengthMin, withCheckDigit } from './pan.ts';
