// What the server does on its own for clearing and reconciliation (src/serve.ts, each under a lease so a
// cluster does it once): a clearing run for every active partner (locking its batch; sent, and its pacs.002
// applied, when the partner has an endpoint), and the posting of approved break corrections. A break approved
// through its case (four eyes) is only marked approved inside the case's transaction; its ledger adjustment
// posts here afterwards, idempotent on the break, so a retry or a second process never posts it twice.
import {
  applyStatusReport,
  batchFile,
  httpTransport,
  listPartners,
  markSent,
  requirePartner,
  runClearing,
  type ClearingContext,
  type Transport,
} from '../clearing/index.ts';
import { postApprovedBreaks } from './breaks.ts';

export interface ScheduledRun {
  readonly partnerId: string;
  readonly batchId: string | undefined;
  readonly held: number;
  readonly sent: boolean;
}

/** One clearing run per active partner; a partner's failure is reported and does not stop the others. */
export async function runScheduledClearing(
  ctx: ClearingContext,
  actorId: string,
  onError: (partnerId: string, error: unknown) => void,
  transport: Transport = httpTransport,
): Promise<ScheduledRun[]> {
  const out: ScheduledRun[] = [];
  for (const partner of (await listPartners(ctx.store)).filter((p) => p.status === 'active')) {
    try {
      const run = await runClearing(ctx, partner.id, actorId);
      let sent = false;
      if (run.batch !== undefined && partner.endpoint !== null) {
        const body = (await batchFile(ctx.store, run.batch.id)) as string;
        const { signatureAlgorithm: algorithm, signature, fileSha256: sha256 } = run.batch;
        const report = await transport(partner, body, { algorithm, signature, sha256 });
        await markSent(ctx, run.batch.id);
        await applyStatusReport(ctx, partner.id, report);
        sent = true;
      }
      out.push({ partnerId: partner.id, batchId: run.batch?.id, held: run.held.length, sent });
    } catch (error) {
      onError(partner.id, error);
    }
  }
  return out;
}

/** Posts the adjustments of breaks approved through their cases; returns how many posted. */
export async function postApprovedCorrections(ctx: ClearingContext, actorId: string): Promise<number> {
  return postApprovedBreaks(ctx.store, ctx.ledger, (id) => requirePartner(ctx.store, id), actorId, ctx.clock());
}
