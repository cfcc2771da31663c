// The operator API over clearing and reconciliation (docs/banks.md): partners (adding one or changing its net
// debit cap is a maker–checker proposal), clearing runs and their batches, statement import (camt.053,
// camt.054 or CSV as the request body, bounded; refused whole with its code, one transaction per file), and
// the reports: the daily reconciliation report and merchant settlement reports (JSON and CSV). Thin: each
// route validates, calls one clearing or reconciliation function and maps its outcome.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { proposeAction, type Permission, type ProposalOutcome } from '../../access/index.ts';
import { openCase } from '../../cases/index.ts';
import {
  applyNotification,
  applyStatusReport,
  batchById,
  batchInstructions,
  boundedBytes,
  isoDate,
  listBatches,
  listPartners,
  requirePartner,
  runClearing,
  settlementReport,
  type Batch,
  type Instruction,
  type Partner,
} from '../../clearing/index.ts';
import { AnfuError } from '../../errors.ts';
import { dailyReport, reconcileStatement, type CsvColumns } from '../../reconciliation/index.ts';
import type { AppContext } from '../context.ts';
import { actorOf } from '../operator-auth.ts';
import { Id, Nullable, operatorSecurity, PageLimit, problemResponses } from '../schemas.ts';
import { ProposalView, proposalView } from './access-views.ts';

const security = operatorSecurity;
const tags = ['clearing'];
const errors = problemResponses(400, 401, 403, 404, 409, 422);
const route = (permission: Permission) => ({ config: { auth: 'operator' as const, permission } });
const Minor = Type.String({ pattern: '^[0-9]{1,18}$', description: 'Minor units, decimal string' });
const PartnerParams = Type.Object({ partnerId: Id('ptn') });
const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' });

const PartnerView = Type.Object({
  id: Type.String(), name: Type.String(), role: Type.String(), currency: Type.String(), bic: Type.String(),
  accountNumber: Type.String(), messageKind: Type.String(), netDebitCap: Minor, feePerInstruction: Minor,
  settlementDays: Type.Integer(), endpoint: Type.Union([Type.String(), Type.Null()]), status: Type.String(),
  settlementAccountId: Type.String(), inTransitAccountId: Type.String(), feesAccountId: Type.String(),
  suspenseAccountId: Type.String(),
});
const partnerView = (p: Partner) => ({
  ...p, netDebitCap: p.netDebitCap.toString(), feePerInstruction: p.feePerInstruction.toString(),
});

const PartnerBody = Type.Object(
  {
    name: Type.String({ minLength: 2, maxLength: 40 }),
    role: Type.String({ enum: ['clearing_house', 'settlement_bank'] }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    bic: Type.String({ pattern: '^[A-Z0-9]{8}([A-Z0-9]{3})?$' }),
    accountNumber: Type.String({ pattern: '^[A-Za-z0-9]{6,34}$' }),
    netDebitCap: Minor,
    feePerInstruction: Type.Optional(Minor),
    settlementDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 })),
    endpoint: Type.Optional(Type.String({ maxLength: 300, pattern: '^https?://[^\\s]+$' })),
    reason: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);
const CapBody = Type.Object(
  { netDebitCap: Minor, reason: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);

const BatchView = Type.Object({
  id: Type.String(), partnerId: Type.String(), currency: Type.String(), messageId: Type.String(),
  messageKind: Type.String(), count: Type.Integer(), total: Minor, grossDebit: Minor, grossCredit: Minor,
  netDebit: Type.String({
    pattern: '^-?[0-9]{1,18}$',
    description: 'grossDebit − grossCredit in minor units; negative when the partner owes us',
  }),
  state: Type.String({ enum: ['locked', 'sent', 'answered'] }), valueDate: Type.String(), fileSha256: Type.String(),
  signatureAlgorithm: Type.String(),
});
const batchView = (b: Batch) => {
  const { signature: _signature, ...rest } = b;
  return {
    ...rest, total: b.total.toString(), grossDebit: b.grossDebit.toString(), grossCredit: b.grossCredit.toString(),
    netDebit: b.netDebit.toString(),
  };
};
const RunBody = Type.Object({ partnerId: Id('ptn') }, { additionalProperties: false });
const SettlementRunBody = Type.Object(
  { partnerId: Id('ptn'), reason: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);
const StatusReportView = Type.Object({
  fileId: Type.String(), batchId: Type.String(), accepted: Type.Integer(), rejected: Type.Integer(),
  pending: Type.Integer(),
});
const RunView = Type.Object({
  partnerId: Type.String(),
  batch: Type.Union([BatchView, Type.Null()], { description: 'Null when nothing was due' }),
  held: Type.Array(Type.String(), { description: 'Instructions held back by the net debit cap' }),
  overdue: Type.Array(Type.Object({ instructionId: Type.String(), caseId: Type.String() }), {
    description: 'Held longer than ANFU_CLEARING_HOLD_MAX_MS: each with its clearing_hold case',
  }),
});

const StatementQuery = Type.Object(
  {
    kind: Type.String({ enum: ['camt.053', 'camt.054', 'csv'] }),
    statementId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:/-]{1,64}$' })),
    statementDate: Type.Optional(Day),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'CSV: the lines\' currency' })),
    delimiter: Type.Optional(Type.String({ enum: [',', ';', '|', 'tab'] })),
    closing: Type.Optional(Type.String({ pattern: '^-?[0-9]{1,18}$' })),
    columns: Type.Optional(
      Type.String({
        maxLength: 500,
        description: 'CSV column map: field=Header pairs joined by "," (fields: bookingDate, valueDate, amount, ' +
          'direction, currency, endToEndId, counterparty, bankCode)',
      }),
    ),
  },
  { additionalProperties: false },
);
const ImportView = Type.Object({
  kind: Type.String(), fileId: Type.String(), lines: Type.Integer(),
  matched: Type.Optional(Type.Integer()), breaks: Type.Optional(Type.Integer()),
  balanced: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  booked: Type.Optional(Type.Integer()), returned: Type.Optional(Type.Integer()),
  unknown: Type.Optional(Type.Integer()),
  announced: Type.Optional(Type.Integer({
    description: 'camt.054: unknown bookings moved through in-transit for the end-of-day statement to settle',
  })),
});

const Counted = Type.Object({ count: Type.Integer(), amount: Type.String() });
const DailyReportView = Type.Object({
  partnerId: Type.String(), date: Type.String(),
  statements: Type.Array(Type.Object({
    fileId: Type.String(), lines: Type.Integer(), closing: Type.Union([Type.String(), Type.Null()]),
    ledgerImplied: Type.Union([Type.String(), Type.Null()]), balanced: Type.Union([Type.Boolean(), Type.Null()]),
  })),
  matched: Counted, unmatched: Counted,
  breaksByClass: Type.Record(Type.String(), Counted),
  openByAge: Type.Record(Type.String(), Type.Integer()),
  openPastDeadline: Type.Integer(),
});
const SettlementRow = Type.Object({
  reportId: Type.String(), instructionId: Type.String(), currency: Type.String(), gross: Type.String(),
  fee: Type.String(), net: Type.String(), payments: Type.Integer(), periodEnd: Type.String(), state: Type.String(),
  createdAt: Type.String(),
});
const MerchantParams = Type.Object({ merchantId: Id('mch') });
const FormatQuery = Type.Object(
  { format: Type.Optional(Type.String({ enum: ['json', 'csv'] })) }, { additionalProperties: false },
);

const columnFields = new Set(['bookingDate', 'valueDate', 'amount', 'direction', 'currency', 'endToEndId',
  'counterparty', 'bankCode']);

/** `amount=Betrag,bookingDate=Datum` → the column map; anything else is refused before the import begins. */
export function columnsOf(text: string | undefined): CsvColumns {
  if (text === undefined) throw new AnfuError('validation_failed', 'columns: a CSV statement needs its column map');
  const map: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const [field, header, extra] = pair.split('=');
    if (field === undefined || header === undefined || extra !== undefined || !columnFields.has(field) ||
      !/^[^\r\n"=,]{1,64}$/.test(header))
      throw new AnfuError('validation_failed', 'columns: field=Header pairs of known fields');
    map[field] = header;
  }
  if (map.amount === undefined || map.bookingDate === undefined)
    throw new AnfuError('validation_failed', 'columns: amount and bookingDate are required');
  return map as CsvColumns;
}

function proposalResult(outcome: ProposalOutcome) {
  if (!outcome.ok) throw new AnfuError(outcome.code);
  return proposalView(outcome.proposal);
}

function partnerRoutes(app: FastifyInstance, context: AppContext): void {
  const { store, clock, access } = context;
  const listSchema = {
    tags, security, summary: 'List clearing partners (clearing houses and settlement banks)',
    response: { 200: Type.Object({ items: Type.Array(PartnerView) }), ...errors },
  };
  app.get('/clearing/partners', { ...route('clearing.read'), schema: listSchema }, async () => ({
    items: (await listPartners(store)).map(partnerView),
  }));
  const proposeSchema = {
    tags, security, body: PartnerBody,
    summary: 'Propose a new partner (maker); it exists once a second operator approves clearing.partner_create',
    response: { 201: ProposalView, ...errors },
  };
  app.post('/clearing/partners', { ...route('clearing.operate'), schema: proposeSchema }, async (request, reply) => {
    const { reason, ...payload } = request.body as Static<typeof PartnerBody>;
    const outcome = await proposeAction(
      access.approvals, actorOf(request), { kind: 'clearing.partner_create', payload, reason }, clock(),
    );
    return reply.status(201).send(proposalResult(outcome));
  });
  const capSchema = {
    tags, security, params: PartnerParams, body: CapBody,
    summary: "Propose a partner's new net debit cap (maker); a second operator approves clearing.partner_cap",
    response: { 201: ProposalView, ...errors },
  };
  app.post('/clearing/partners/:partnerId/cap', { ...route('clearing.operate'), schema: capSchema },
    async (request, reply) => {
      const { partnerId } = request.params as Static<typeof PartnerParams>;
      const body = request.body as Static<typeof CapBody>;
      await requirePartner(store, partnerId);
      const outcome = await proposeAction(
        access.approvals, actorOf(request),
        { kind: 'clearing.partner_cap', payload: { partnerId, netDebitCap: body.netDebitCap }, reason: body.reason },
        clock(),
      );
      return reply.status(201).send(proposalResult(outcome));
    });
}

function settlementRunRoute(app: FastifyInstance, context: AppContext): void {
  const { store, clock, access } = context;
  const schema = {
    tags, security, body: SettlementRunBody,
    summary: "Propose a merchant settlement run for a partner (maker); it pays out once a second operator " +
      'approves clearing.settle_merchants',
    response: { 201: ProposalView, ...errors },
  };
  app.post('/clearing/settlement-runs', { ...route('clearing.operate'), schema }, async (request, reply) => {
    const { partnerId, reason } = request.body as Static<typeof SettlementRunBody>;
    await requirePartner(store, partnerId);
    const outcome = await proposeAction(
      access.approvals, actorOf(request), { kind: 'clearing.settle_merchants', payload: { partnerId }, reason },
      clock(),
    );
    return reply.status(201).send(proposalResult(outcome));
  });
}

function runRoutes(app: FastifyInstance, context: AppContext): void {
  const { clearing } = context;
  const runSchema = {
    tags, security, body: RunBody,
    summary: "Start a clearing run for a partner: lock what is due into a signed batch (under the net debit cap)",
    response: { 201: RunView, ...errors },
  };
  app.post('/clearing/runs', { ...route('clearing.operate'), schema: runSchema }, async (request, reply) => {
    const { partnerId } = request.body as Static<typeof RunBody>;
    const run = await runClearing(clearing, partnerId, actorOf(request).principal?.id ?? 'operator');
    return reply.status(201).send({
      partnerId, batch: run.batch === undefined ? null : batchView(run.batch), held: [...run.held],
      overdue: [...run.overdue],
    });
  });
  batchRoutes(app, context);
}

const BatchInstructionView = Type.Object({
  id: Type.String(), kind: Type.String(), endToEndId: Type.String(), currency: Type.String(), amount: Minor,
  fee: Minor, state: Type.String(), reasonCode: Nullable(Type.String()), valueDate: Nullable(Type.String()),
});
const instructionView = (i: Instruction) => ({
  id: i.id, kind: i.kind, endToEndId: i.endToEndId, currency: i.currency, amount: i.amount.toString(),
  fee: i.fee.toString(), state: i.state, reasonCode: i.reasonCode, valueDate: i.valueDate,
});
const BatchDetailView = Type.Intersect([BatchView, Type.Object({ instructions: Type.Array(BatchInstructionView) })]);
const BatchListQuery = Type.Object(
  {
    partnerId: Type.Optional(Id('ptn')),
    state: Type.Optional(Type.String({ enum: ['locked', 'sent', 'answered'] })),
    cursor: Type.Optional(Id('cbt', 'the previous nextCursor')),
    limit: PageLimit(200),
  },
  { additionalProperties: false },
);

/** Batches newest first (keyset pages) and one batch with the instructions it carries. */
function batchRoutes(app: FastifyInstance, context: AppContext): void {
  const { clearing } = context;
  const listSchema = {
    tags, security, querystring: BatchListQuery,
    summary: 'Clearing batches, newest first, by partner and state (keyset pagination: pass nextCursor as cursor)',
    response: { 200: Type.Object({ items: Type.Array(BatchView), nextCursor: Nullable(Type.String()) }), ...errors },
  };
  app.get('/clearing/batches', { ...route('clearing.read'), schema: listSchema }, async (request) => {
    const q = request.query as Static<typeof BatchListQuery>;
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    const rows = await listBatches(clearing.store, {
      partnerId: q.partnerId, state: q.state as Batch['state'] | undefined, before: q.cursor, limit,
    });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(batchView), nextCursor: rows.length > limit && last ? last.id : null };
  });
  const BatchParams = Type.Object({ batchId: Id('cbt') });
  const batchSchema = {
    tags, security, params: BatchParams,
    summary: "A clearing batch: its state (locked, sent, answered), net position, message hash and instructions",
    response: { 200: BatchDetailView, ...errors },
  };
  app.get('/clearing/batches/:batchId', { ...route('clearing.read'), schema: batchSchema }, async (request) => {
    const batch = await batchById(clearing.store, (request.params as Static<typeof BatchParams>).batchId);
    if (batch === undefined) throw new AnfuError('clearing_batch_not_found');
    const instructions = await batchInstructions(clearing.store, batch.id);
    return { ...batchView(batch), instructions: instructions.map(instructionView) };
  });
}

/**
 * The request body as it arrives, never buffered whole: refused at once when it declares more than the
 * bound, and as soon as it passes it when it does not say (chunked).
 */
function uploadOf(request: FastifyRequest, bytesMax: number): AsyncIterable<Buffer> {
  const body = request.body as AsyncIterable<Buffer> | undefined;
  if (body === undefined || typeof body[Symbol.asyncIterator] !== 'function')
    throw new AnfuError('bank_file_malformed', 'the file is the request body');
  if (Number(request.headers['content-length'] ?? 0) > bytesMax)
    throw new AnfuError('bank_file_too_large', `the file is larger than ${bytesMax} bytes`);
  return boundedBytes(body, bytesMax);
}

async function importStatement(context: AppContext, request: FastifyRequest) {
  const { partnerId } = request.params as Static<typeof PartnerParams>;
  const q = request.query as Static<typeof StatementQuery>;
  const csv = q.kind === 'csv' ? columnsOf(q.columns) : undefined;
  const body = uploadOf(request, context.config.statementBytesMax);
  if (q.kind === 'camt.054') {
    const outcome = await applyNotification(context.clearing, partnerId, body);
    return { kind: q.kind, fileId: outcome.fileId, lines: outcome.booked + outcome.returned + outcome.unknown,
      booked: outcome.booked, returned: outcome.returned, unknown: outcome.unknown, announced: outcome.announced };
  }
  const caseOpener = openCase;
  const options = csv !== undefined
    ? {
      format: 'csv' as const, caseOpener,
      csv: {
        columns: csv, statementId: q.statementId, statementDate: q.statementDate,
        currency: q.currency,
        delimiter: q.delimiter === 'tab' ? '\t' : q.delimiter,
        closing: q.closing === undefined ? undefined : BigInt(q.closing),
      },
    }
    : { caseOpener };
  const outcome = await reconcileStatement(context.clearing, partnerId, body, options);
  return { kind: q.kind, fileId: outcome.fileId, lines: outcome.lines, matched: outcome.matched,
    breaks: outcome.breaks.length, balanced: outcome.balanced ?? null };
}

function statementRoutes(app: FastifyInstance, context: AppContext): void {
  // Bank files are not parsed by Fastify: the route gets the request stream and the streamed parsers read it.
  app.addContentTypeParser(['application/xml', 'text/xml', 'text/csv'], (_request, payload, done) =>
    done(null, payload));
  const schema = {
    tags, security, params: PartnerParams, querystring: StatementQuery,
    consumes: ['application/xml', 'text/xml', 'text/csv'],
    summary: 'Import a bank statement (camt.053 reconciled, camt.054 applied, or CSV) streamed as the request ' +
      'body; all or nothing; larger than ANFU_STATEMENT_BYTES_MAX: 413 bank_file_too_large',
    response: { 201: ImportView, ...errors },
  };
  app.post('/clearing/partners/:partnerId/statements', { ...route('clearing.operate'), schema },
    async (request, reply) => reply.status(201).send(await importStatement(context, request)));
}

/** A pacs.002 that reached us out of band (e-mail, the bank's portal): applied whole or refused whole. */
function statusReportRoute(app: FastifyInstance, context: AppContext): void {
  const schema = {
    tags, security, params: PartnerParams, consumes: ['application/xml', 'text/xml'],
    summary: 'Apply a pacs.002 status report (the XML request body, streamed) received out of band; all or ' +
      'nothing, a replay is refused; larger than ANFU_STATEMENT_BYTES_MAX: 413 bank_file_too_large',
    response: { 201: StatusReportView, ...errors },
  };
  app.post('/clearing/partners/:partnerId/status-reports', { ...route('clearing.operate'), schema },
    async (request, reply) => {
      const { partnerId } = request.params as Static<typeof PartnerParams>;
      const body = uploadOf(request, context.config.statementBytesMax);
      return reply.status(201).send(await applyStatusReport(context.clearing, partnerId, body));
    });
}

function reportRoutes(app: FastifyInstance, context: AppContext): void {
  const { store, clock } = context;
  const DailyQuery = Type.Object({ date: Type.Optional(Day) }, { additionalProperties: false });
  const dailySchema = {
    tags, security, params: PartnerParams, querystring: DailyQuery,
    summary: 'The daily reconciliation report: matched and unmatched counts and amounts, breaks by class and age',
    response: { 200: DailyReportView, ...errors },
  };
  app.get('/clearing/partners/:partnerId/reconciliation-report', { ...route('clearing.read'), schema: dailySchema },
    async (request) => {
      const { partnerId } = request.params as Static<typeof PartnerParams>;
      await requirePartner(store, partnerId);
      const date = (request.query as Static<typeof DailyQuery>).date ?? isoDate(clock());
      return dailyReport(store, partnerId, date, clock());
    });
  const settlementSchema = {
    tags, security, params: MerchantParams, querystring: FormatQuery, produces: ['application/json', 'text/csv'],
    summary: "A merchant's settlement report (gross, fee, net per payout), JSON or CSV",
    response: { 200: Type.Union([Type.Object({ items: Type.Array(SettlementRow) }), Type.String()]), ...errors },
  };
  app.get('/clearing/merchants/:merchantId/settlements', { ...route('clearing.read'), schema: settlementSchema },
    async (request, reply) => {
      const { merchantId } = request.params as Static<typeof MerchantParams>;
      const format = (request.query as Static<typeof FormatQuery>).format === 'csv' ? 'csv' : 'json';
      const report = await settlementReport(store, merchantId, format);
      if (typeof report !== 'string') return { items: report };
      return reply.type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="settlements-${merchantId}.csv"`).send(report);
    });
}

export function clearingRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    partnerRoutes(app, context);
    runRoutes(app, context);
    settlementRunRoute(app, context);
    statementRoutes(app, context);
    statusReportRoute(app, context);
    reportRoutes(app, context);
  };
}
