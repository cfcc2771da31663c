// R6.2: per-day limits of balance payments depend on how the payer authenticated. PBOC 2015 No. 43
// art. 24: a digital certificate or electronic signature plus another factor — limit by agreement;
// two or more factors otherwise — at most 5,000 CNY a day; fewer than two — at most 1,000 CNY a day.
// Payments read the strength recorded on the session.
export type AuthenticationStrength = 'certificate_and_factor' | 'two_factors' | 'single_factor';

export function authenticationStrength(session: { readonly factors: readonly string[]; readonly deviceSigned: boolean }): AuthenticationStrength {
  const classes = new Set(session.factors).size;
  if (session.deviceSigned && classes >= 2) return 'certificate_and_factor';
  if (classes >= 2) return 'two_factors';
  return 'single_factor';
}

/** Minor units (CNY fen); undefined = set by agreement with the customer. */
export const dailyLimitMinorByStrength: Readonly<Record<AuthenticationStrength, bigint | undefined>> = {
  certificate_and_factor: undefined,
  two_factors: 500_000n,
  single_factor: 100_000n,
};
