// Ending every live session of a customer at another capability's request — customer service does it
// when an unauthorised-payment claim opens (whoever holds the sessions may not be the customer). In the
// caller's transaction, audited like identity's other session ends, with a notice the customer reads.
import { appendAudit } from '../audit/index.ts';
import type { Tx } from '../store/index.ts';
import { recordNotice } from './notices.ts';
import { endSessions } from './store.ts';

/** Ends all of `customerId`'s live sessions (their access and refresh tokens stop working); the count. */
export async function endCustomerSessions(tx: Tx, customerId: string, reason: string, now: number): Promise<number> {
  const ended = await endSessions(tx, { customerId }, reason, now);
  await appendAudit(
    tx,
    [
      {
        actorType: 'system',
        actorId: 'identity',
        action: 'customer.sessions.end',
        target: customerId,
        outcome: 'success',
        ip: null,
        device: null,
        details: { reason, sessionsEnded: ended },
      },
    ],
    now,
  );
  if (ended > 0) await recordNotice(tx, customerId, 'sessions_ended', { reason, sessionsEnded: ended }, now);
  return ended;
}
