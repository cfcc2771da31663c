import type { Migration } from './index.ts';
import { ledgerApplyFence } from './202-ledger-apply-fence.ts';

// Rebuilds anfu_ledger_apply (202's body) so a sum past an account's BIGINT totals is refused with
// `account_totals_overflow`, as decide.ts refuses it, instead of raising "bigint out of range" and
// failing the whole batch. Even a refused linked unit raised: its first leg was added before a later
// leg refused it. (A condition holding CASE is in parentheses: PL/pgSQL ends an ELSIF at the first
// THEN it sees.) The available balance of an account that may go negative is no longer computed
// (it can itself fall below the BIGINT range). Only the lines below change.
const postExceeds = "          ELSIF a > h_amt[h] THEN code := 'post_exceeds_hold'; "
  + "detail := 'the amount to post exceeds the amount held';";
const declarations = `
  big CONSTANT BIGINT := 9223372036854775807;
  overflow_detail CONSTANT TEXT := 'the transfer would take an account''s totals past the 64-bit limit';`;
const edits: readonly (readonly [string, string])[] = [
  [
    `        ELSIF NOT a_neg[d] AND cp[d] - dp[d] - dpe[d] < amt[i] THEN
          code := 'insufficient_funds'; detail := 'the debit account lacks the available balance';
        ELSE`,
    `        ELSIF (CASE WHEN a_neg[d] THEN false ELSE cp[d] - dp[d] - dpe[d] < amt[i] END) THEN
          code := 'insufficient_funds'; detail := 'the debit account lacks the available balance';
        ELSIF (CASE WHEN k[i] = 1 THEN dp[d] > big - amt[i] OR cp[c] > big - amt[i]
                    ELSE dpe[d] > big - amt[i] OR cpe[c] > big - amt[i] END) THEN
          code := 'account_totals_overflow'; detail := overflow_detail;
        ELSE`,
  ],
  [
    `${postExceeds}
          ELSE`,
    `${postExceeds}
          ELSIF k[i] = 3 AND (dp[h_d[h]] > big - a OR cp[h_c[h]] > big - a) THEN
            code := 'account_totals_overflow'; detail := overflow_detail;
          ELSE`,
  ],
];

function rebuilt(body: string): string {
  let out = body;
  for (const [from, to] of edits) {
    if (out.split(from).length !== 2) {
      throw new Error('migration 203: the body of migration 202 is not the one it rebuilds');
    }
    out = out.replace(from, to);
  }
  const declare = /\nDECLARE\n/;
  if (!declare.test(out)) throw new Error('migration 203: the function has no DECLARE section');
  return out.replace(declare, `\nDECLARE${declarations}\n`);
}

export const ledgerApplyOverflow: Migration = {
  id: 203,
  name: 'ledger-apply-overflow',
  sql: '',
  postgresSql: rebuilt(ledgerApplyFence.postgresSql ?? ''),
};
