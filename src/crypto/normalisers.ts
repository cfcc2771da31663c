// How a personal value is normalised before its blind index is computed, so the ways people write
// the same value (spaces, dashes, +86, full-width digits, case) find the same record.
export const normaliserNames = ['name', 'id-number', 'phone', 'bank-account', 'card', 'exact'] as const;
export type NormaliserName = (typeof normaliserNames)[number];

export function isNormaliserName(name: string): name is NormaliserName {
  return (normaliserNames as readonly string[]).includes(name);
}

const digitsOnly = (text: string): string => text.normalize('NFKC').replace(/[\s\-._/()]/g, '');

export function normalise(name: NormaliserName, value: string): string {
  switch (name) {
    case 'name':
      return value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
    case 'id-number':
      return digitsOnly(value).toUpperCase();
    case 'phone': {
      const digits = digitsOnly(value).replace(/^\+/, '');
      // A mainland mobile number with its country code (86) is the same number without it.
      return /^861[0-9]{10}$/.test(digits) ? digits.slice(2) : digits;
    }
    case 'bank-account':
    case 'card':
      return digitsOnly(value);
    case 'exact':
      return value;
  }
}
