// Mainland China mobile numbers: 11 digits starting 13–19, written with or without +86 / 0086,
// spaces or dashes. Stored and sent as E.164 (+86…); anything else is refused before it is used.
export function parsePhoneNumber(text: string): string | undefined {
  if (text.length > 32) return undefined;
  const compact = text.normalize('NFKC').replace(/[\s-]/g, '');
  const national = /^(?:\+86|0086)?(1[3-9][0-9]{9})$/.exec(compact)?.[1];
  return national === undefined ? undefined : `+86${national}`;
}

/** For messages shown to the customer: +86 138****8000. */
export function maskPhoneNumber(e164: string): string {
  return `${e164.slice(0, 6)}****${e164.slice(-4)}`;
}
