// The operators' ledger API: accounts, funding from a bank settlement account, transfers, holds,
// journals and verification. Thin: validate by schema, call the ledger, map its outcome. Operators
// move money directly only between the platform's own accounts; a customer's or merchant's account
// changes by hand only through an approved `ledger.adjustment`. Every movement is audited with the
// operator, the session or token, and the client address.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { AnfuError } from '../../errors.ts';
import { accountKinds, type TransferOutcome, type TransferRequest } from '../../ledger/index.ts';
import { parseMajor, requireEnabledCurrency } from '../../money/index.ts';
import { directMovementRefusal, type Permission } from '../../access/index.ts';
import type { AppContext } from '../context.ts';
import { Amount, Currency, Cursor, IdempotencyHeaders, Id, PageLimit, operatorSecurity, problemResponses } from '../schemas.ts';
import { actorOf } from '../operator-auth.ts';
import { AccountView, HoldView, JournalPage, AccountPage, TransferView, VerifyView, accountView, holdView, transferView, verifyView } from './ledger-views.ts';

const AccountId = Id('acc', 'Account id');
/** On SQLite an account's entries are found bucket by bucket (docs/ARCHITECTURE.md, migration 214). */
const journalPaging = 'Follow `nextCursor` until it is null. A page may hold fewer entries than `limit`, even none, '
  + 'while `nextCursor` is set: on SQLite each page probes a bounded stretch of the journal, so an account with '
  + 'no entries across a very long stretch of history (tens of millions of transfers) is walked over several pages.';
const Seq = Type.String({ pattern: '^[1-9][0-9]{0,18}$', description: 'Journal sequence number' });
const Reference = Type.Optional(Type.String({ minLength: 1, maxLength: 140 }));
const Limit = PageLimit(200);
const security = operatorSecurity;
const errors = problemResponses(401, 404, 409, 422);

const TransferBody = Type.Object(
  { debitAccountId: AccountId, creditAccountId: AccountId, amount: Amount, currency: Currency, reference: Reference },
  { additionalProperties: false },
);
const HoldBody = Type.Object(
  { ...TransferBody.properties, timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })) },
  { additionalProperties: false },
);
const FundingBody = Type.Object(
  { bankAccountId: AccountId, accountId: AccountId, amount: Amount, currency: Currency, reference: Reference },
  { additionalProperties: false },
);

/** Idempotency keys are scoped to the caller, so two callers can never replay each other's results. */
function scopedKey(request: FastifyRequest): string {
  return `${request.principal?.id ?? 'anonymous'}:${(request.headers as Static<typeof IdempotencyHeaders>)['idempotency-key']}`;
}

function limitOf(text: string | undefined): number {
  return text === undefined ? 50 : Number(text);
}

export function ledgerRoutes(context: AppContext): FastifyPluginAsync {
  const { ledger, config, metrics, access } = context;
  const amountOf = (text: string, currency: string) => parseMajor(text, currency, { maxMinor: config.amountMaxMinor, currencies: config.currencies }).minor;

  /** Refuses (and audits) a direct movement that touches an account not the platform's own. */
  async function onlyPlatformAccounts(http: FastifyRequest, accountIds: readonly string[]) {
    const accounts = await Promise.all(accountIds.map((id) => ledger.account(id)));
    const refusal = directMovementRefusal(accounts.flatMap((a) => (a === undefined ? [] : [a.kind])));
    if (refusal === undefined) return;
    const kinds = accounts.map((a) => a?.kind ?? null);
    await access.auditRefusal(actorOf(http), { action: 'ledger.movement', target: accountIds.join(' '), outcome: 'denied', details: { reason: refusal, route: http.routeOptions.url ?? null, kinds } });
    throw new AnfuError(refusal, "propose a ledger.adjustment: another operator approves it, both in sessions with password and TOTP");
  }

  async function submit(request: TransferRequest, reply: FastifyReply, http: FastifyRequest) {
    const outcome: TransferOutcome = await ledger.submit(request);
    metrics.ledgerTransfers.inc({ kind: request.kind, outcome: outcome.ok ? (outcome.replayed ? 'replayed' : 'applied') : outcome.code });
    const line = outcome.ok
      ? { outcome: 'success' as const, details: { kind: request.kind, seq: outcome.transfer.seq.toString(), amountMinor: outcome.transfer.amount.toString(), currency: outcome.transfer.currency, replayed: outcome.replayed } }
      : { outcome: 'failure' as const, details: { kind: request.kind, reason: outcome.code } };
    const target = outcome.ok ? `${outcome.transfer.debitAccountId} ${outcome.transfer.creditAccountId}` : null;
    await access.auditRefusal(actorOf(http), { action: 'ledger.movement', target, ...line });
    if (!outcome.ok) throw new AnfuError(outcome.code, outcome.detail);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    reply.status(outcome.replayed ? 200 : 201);
    return transferView(outcome.transfer);
  }

  return async (app) => {
    const route = (permission: Permission) => ({ config: { auth: 'operator' as const, permission } });
    const tags = ['ledger'];

    app.post('/accounts', {
      ...route('ledger.accounts.open'),
      schema: {
        tags, security, summary: 'Open a ledger account',
        body: Type.Object({ kind: Type.String({ enum: [...accountKinds] }), currency: Currency, name: Type.String({ minLength: 1, maxLength: 100 }), code: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })), ownerId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })) }, { additionalProperties: false }),
        response: { 201: AccountView, ...errors },
      },
    }, async (request, reply) => {
      const body = request.body as { kind: (typeof accountKinds)[number]; currency: string; name: string; code?: string; ownerId?: string };
      requireEnabledCurrency(body.currency, config.currencies);
      const account = await ledger.openAccount(body);
      await access.auditRefusal(actorOf(request), { action: 'ledger.account.open', target: account.id, outcome: 'success', details: { kind: account.kind, currency: account.currency } });
      return reply.status(201).send(accountView(account));
    });

    app.get('/accounts', {
      ...route('ledger.read'),
      schema: { tags, security, summary: 'List accounts', querystring: Type.Object({ kind: Type.Optional(Type.String({ enum: [...accountKinds] })), ownerId: Type.Optional(Type.String({ maxLength: 64 })), cursor: Cursor, limit: Limit }, { additionalProperties: false }), response: { 200: AccountPage, ...errors } },
    }, async (request) => {
      const query = request.query as { kind?: (typeof accountKinds)[number]; ownerId?: string; cursor?: string; limit?: string };
      const page = await ledger.listAccounts({ kind: query.kind, ownerId: query.ownerId, cursor: query.cursor, limit: limitOf(query.limit) });
      return { items: page.items.map(accountView), nextCursor: page.nextCursor };
    });

    app.get('/accounts/:accountId', {
      ...route('ledger.read'),
      schema: { tags, security, summary: 'An account with its balances', params: Type.Object({ accountId: AccountId }), response: { 200: AccountView, ...errors } },
    }, async (request) => {
      const account = await ledger.account((request.params as { accountId: string }).accountId);
      if (account === undefined) throw new AnfuError('account_not_found');
      return accountView(account);
    });

    app.get('/accounts/:accountId/journal', {
      ...route('ledger.read'),
      schema: { tags, security, summary: "An account's journal, newest first", description: journalPaging, params: Type.Object({ accountId: AccountId }), querystring: Type.Object({ cursor: Cursor, limit: Limit }, { additionalProperties: false }), response: { 200: JournalPage, ...errors } },
    }, async (request) => {
      const { accountId } = request.params as { accountId: string };
      const query = request.query as { cursor?: string; limit?: string };
      if ((await ledger.account(accountId)) === undefined) throw new AnfuError('account_not_found');
      const page = await ledger.journal(accountId, { cursor: query.cursor, limit: limitOf(query.limit) });
      return { items: page.items.map(transferView), nextCursor: page.nextCursor };
    });

    app.post('/fundings', {
      ...route('ledger.funding'),
      schema: { tags, security, summary: 'Fund an account from a partner bank settlement account', headers: IdempotencyHeaders, body: FundingBody, response: { 200: TransferView, 201: TransferView, ...errors } },
    }, async (request, reply) => {
      const body = request.body as Static<typeof FundingBody>;
      const amount = amountOf(body.amount, body.currency);
      const bank = await ledger.account(body.bankAccountId);
      if (bank === undefined) throw new AnfuError('account_not_found', 'bank settlement account not found');
      if (bank.kind !== 'bank_settlement') throw new AnfuError('funding_source_invalid');
      await onlyPlatformAccounts(request, [body.accountId]);
      return submit({ kind: 'single', key: scopedKey(request), debitAccountId: bank.id, creditAccountId: body.accountId, amount, currency: body.currency, reference: body.reference }, reply, request);
    });

    app.post('/transfers', {
      ...route('ledger.transfer'),
      schema: { tags, security, summary: 'Move money from one account to another', headers: IdempotencyHeaders, body: TransferBody, response: { 200: TransferView, 201: TransferView, ...errors } },
    }, async (request, reply) => {
      const body = request.body as Static<typeof TransferBody>;
      const amount = amountOf(body.amount, body.currency);
      await onlyPlatformAccounts(request, [body.debitAccountId, body.creditAccountId]);
      return submit({ kind: 'single', key: scopedKey(request), ...body, amount }, reply, request);
    });

    app.get('/transfers/:transferId', {
      ...route('ledger.read'),
      schema: { tags, security, summary: 'A journal entry', params: Type.Object({ transferId: Seq }), response: { 200: TransferView, ...errors } },
    }, async (request) => {
      const transfer = await ledger.transfer(BigInt((request.params as { transferId: string }).transferId));
      if (transfer === undefined) throw new AnfuError('not_found', 'no such transfer');
      return transferView(transfer);
    });

    app.post('/holds', {
      ...route('ledger.transfer'),
      schema: { tags, security, summary: 'Reserve money (first phase of a two-phase transfer)', headers: IdempotencyHeaders, body: HoldBody, response: { 200: TransferView, 201: TransferView, ...errors } },
    }, async (request, reply) => {
      const { timeoutSeconds, ...body } = request.body as Static<typeof HoldBody>;
      const timeoutMs = timeoutSeconds === undefined ? config.holdTimeoutMsDefault : timeoutSeconds * 1000;
      if (timeoutMs > config.holdTimeoutMsMax) throw new AnfuError('validation_failed', `timeoutSeconds may be at most ${config.holdTimeoutMsMax / 1000}`);
      const amount = amountOf(body.amount, body.currency);
      await onlyPlatformAccounts(request, [body.debitAccountId, body.creditAccountId]);
      return submit({ kind: 'hold', key: scopedKey(request), ...body, amount, timeoutMs }, reply, request);
    });

    app.get('/holds/:holdId', {
      ...route('ledger.read'),
      schema: { tags, security, summary: 'A hold and its state', params: Type.Object({ holdId: Seq }), response: { 200: HoldView, ...errors } },
    }, async (request) => {
      const hold = await ledger.hold(BigInt((request.params as { holdId: string }).holdId));
      if (hold === undefined) throw new AnfuError('hold_not_found');
      return holdView(hold);
    });

    app.post('/holds/:holdId/post', {
      ...route('ledger.transfer'),
      schema: { tags, security, summary: 'Post a hold, in full or in part', headers: IdempotencyHeaders, params: Type.Object({ holdId: Seq }), body: Type.Object({ amount: Type.Optional(Amount) }, { additionalProperties: false }), response: { 200: TransferView, 201: TransferView, ...errors } },
    }, async (request, reply) => {
      const holdSeq = BigInt((request.params as { holdId: string }).holdId);
      const body = request.body as { amount?: string };
      const hold = await ledger.hold(holdSeq);
      if (hold === undefined) throw new AnfuError('hold_not_found');
      const amount = body.amount === undefined ? undefined : amountOf(body.amount, hold.currency);
      // A payment's hold on a wallet is the payment's to post or void, not an operator's.
      await onlyPlatformAccounts(request, [hold.debitAccountId, hold.creditAccountId]);
      return submit({ kind: 'post', key: scopedKey(request), holdSeq, amount }, reply, request);
    });

    app.post('/holds/:holdId/void', {
      ...route('ledger.transfer'),
      schema: { tags, security, summary: 'Release a hold', headers: IdempotencyHeaders, params: Type.Object({ holdId: Seq }), response: { 200: TransferView, 201: TransferView, ...errors } },
    }, async (request, reply) => {
      const holdSeq = BigInt((request.params as { holdId: string }).holdId);
      const hold = await ledger.hold(holdSeq);
      if (hold !== undefined) await onlyPlatformAccounts(request, [hold.debitAccountId, hold.creditAccountId]);
      return submit({ kind: 'void', key: scopedKey(request), holdSeq }, reply, request);
    });

    app.get('/ledger/verification', {
      ...route('ledger.verify'),
      schema: { tags, security, summary: 'Prove the journal sums to the balances and money is conserved per currency', response: { 200: VerifyView, ...errors } },
    }, async () => verifyView(await ledger.verify()));
  };
}
