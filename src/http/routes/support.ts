// Customer service on the API (docs/customer-service.md). Customers (their access token): open
// complaints, claims on their own payments and disputes of merchant payments, read their tickets,
// write messages, attach files, rate the service. Operators: open tickets and claims on a customer's
// behalf, reply (optionally waiting on the customer), read a ticket and its attachments, the
// complaint report, and run the merchant-debt recovery. Decisions go through /v1/cases.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { caseSla, getCase } from '../../cases/index.ts';
import { AnfuError, isProblemCode } from '../../errors.ts';
import {
  addAttachment,
  attachmentBytesMax,
  attachmentTypes,
  attachmentsOf,
  complaintReport,
  customerHistory,
  customerCase,
  customerMessage,
  disputeByCase,
  disputeReasons,
  messagesOf,
  readAttachment,
  openClaim,
  openComplaint,
  openDispute,
  operatorReply,
  rateSatisfaction,
  recoverMerchantDebts,
  ticketByCase,
  ticketCategories,
  ticketsOf,
  type SupportContext,
  type SupportOutcome,
  type TicketCategory,
  type DisputeReason,
} from '../../support/index.ts';
import { customerOf } from '../customer-auth.ts';
import { paymentsContextOf, type AppContext } from '../context.ts';
import { actorOf } from '../operator-auth.ts';
import { Id, customerSecurity, operatorSecurity, problemResponses } from '../schemas.ts';
import { OperatorTicketView, TicketView, ticketView } from './support-views.ts';

const errors = problemResponses(400, 401, 403, 404, 409, 422);
const tags = ['customer service'];
const Text = Type.String({ minLength: 1, maxLength: 4000 });
const PaymentId = Id('pay');
const CustomerId = Type.String({ pattern: '^cus_[0-9a-z]{26}$' });
const CaseParams = Type.Object({ caseId: Id('cas') });
const ComplaintBody = Type.Object(
  {
    category: Type.String({ enum: [...ticketCategories] }),
    paymentIds: Type.Optional(Type.Array(PaymentId, { maxItems: 20 })),
    text: Text,
  },
  { additionalProperties: false },
);
const OnBehalfBody = Type.Object(
  { customerId: CustomerId, ...ComplaintBody.properties },
  { additionalProperties: false },
);
const ClaimBody = Type.Object({ paymentId: PaymentId, text: Text }, { additionalProperties: false });
const OnBehalfClaimBody = Type.Object(
  { customerId: CustomerId, paymentId: PaymentId, text: Text },
  { additionalProperties: false },
);
const DisputeBody = Type.Object(
  {
    paymentId: PaymentId,
    reason: Type.String({ enum: [...disputeReasons] }),
    text: Text,
  },
  { additionalProperties: false },
);
const MessageBody = Type.Object({ text: Text }, { additionalProperties: false });
const ReplyBody = Type.Object(
  { text: Text, waitForCustomer: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const AttachmentBody = Type.Object(
  {
    mediaType: Type.String({ enum: [...attachmentTypes] }),
    // Twice the allowed size passes the schema, so an oversized file gets its own code (and audit entry).
    contentBase64: Type.String({ minLength: 4, maxLength: Math.ceil((2 * attachmentBytesMax) / 3) * 4 }),
  },
  { additionalProperties: false },
);
const SatisfactionBody = Type.Object(
  { score: Type.Integer({ minimum: 1, maximum: 5 }) },
  { additionalProperties: false },
);
const ReportQuery = Type.Object(
  {
    from: Type.String({ format: 'date-time', maxLength: 40 }),
    to: Type.String({ format: 'date-time', maxLength: 40 }),
  },
  { additionalProperties: false },
);
const IdView = Type.Object({ id: Type.String() });

/** Customers authenticate as payments see them (the paying-customer hook), like the payments routes. */
const payer = { config: { auth: 'paying-customer' as const } };

const idOf = (request: FastifyRequest) => (request.params as Static<typeof CaseParams>).caseId;

function valueOf<T>(outcome: SupportOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new AnfuError(isProblemCode(outcome.code) ? outcome.code : 'validation_failed');
}

export async function ticketOf(support: SupportContext, caseId: string) {
  const [ticket, record] = [await ticketByCase(support.store, caseId), await getCase(support.store, caseId)];
  if (ticket === undefined || record === undefined) throw new AnfuError('case_not_found');
  const parts = {
    messages: await messagesOf(support.store, caseId),
    attachments: await attachmentsOf(support.store, caseId),
    dispute: await disputeByCase(support.store, caseId),
    sla: await caseSla(support.cases, support.store, record, support.clock()),
  };
  return ticketView(ticket, record, parts);
}

function customerRoutes(app: FastifyInstance, context: AppContext): void {
  const { support } = context;
  const security = customerSecurity;
  const who = async (request: FastifyRequest) => (await customerOf(paymentsContextOf(context), request)).customerId;
  const created = { 201: TicketView, ...errors };
  app.post(
    '/support/complaints',
    { ...payer, schema: { tags, security, summary: 'Open a complaint', body: ComplaintBody, response: created } },
    async (request, reply) => {
      const customerId = await who(request);
      const body = request.body as Static<typeof ComplaintBody>;
      const input = {
        customerId,
        category: body.category as TicketCategory,
        paymentIds: body.paymentIds ?? [],
        text: body.text,
      };
      const record = valueOf(await openComplaint(support, { type: 'customer', id: customerId, ip: request.ip }, input));
      return reply.status(201).send(await ticketOf(support, record.id));
    },
  );
  app.post(
    '/support/claims',
    {
      ...payer,
      schema: { tags, security, summary: 'Claim a payment you did not authorise', body: ClaimBody, response: created },
    },
    async (request, reply) => {
      const customerId = await who(request);
      const actor = { type: 'customer' as const, id: customerId, ip: request.ip };
      const opened = valueOf(await openClaim(support, actor, customerId, request.body as Static<typeof ClaimBody>));
      return reply.status(201).send({ ...(await ticketOf(support, opened.case.id)), proposalId: opened.proposalId });
    },
  );
  app.post(
    '/support/disputes',
    {
      ...payer,
      schema: { tags, security, summary: 'Dispute a merchant payment', body: DisputeBody, response: created },
    },
    async (request, reply) => {
      const customerId = await who(request);
      const body = request.body as Static<typeof DisputeBody>;
      const opened = valueOf(await openDispute(support, customerId, { ...body, reason: body.reason as DisputeReason }));
      return reply.status(201).send(await ticketOf(support, opened.case.id));
    },
  );
  customerReads(app, context, who);
  customerWrites(app, context, who);
}

function customerWrites(app: FastifyInstance, context: AppContext, who: (r: FastifyRequest) => Promise<string>): void {
  const { support } = context;
  const security = customerSecurity;
  const schema = (summary: string, body: object) => ({
    tags,
    security,
    summary,
    params: CaseParams,
    body,
    response: { 200: IdView, ...errors },
  });
  app.post(
    '/support/complaints/:caseId/messages',
    { ...payer, schema: schema('Write to customer service', MessageBody) },
    async (request) => ({
      id: valueOf(
        await customerMessage(
          support,
          await who(request),
          idOf(request),
          (request.body as Static<typeof MessageBody>).text,
        ),
      ),
    }),
  );
  const attachmentLimit = Math.ceil((2 * attachmentBytesMax) / 3) * 4 + 4096;
  app.post(
    '/support/complaints/:caseId/attachments',
    { ...payer, bodyLimit: attachmentLimit, schema: schema('Attach a PNG, JPEG or PDF (≤ 1 MiB)', AttachmentBody) },
    async (request) => {
      const customerId = await who(request);
      const upload = request.body as Static<typeof AttachmentBody>;
      return {
        id: valueOf(
          await addAttachment(support, { type: 'customer', id: customerId, ip: request.ip }, idOf(request), upload),
        ),
      };
    },
  );
  app.post(
    '/support/complaints/:caseId/satisfaction',
    { ...payer, schema: schema('Rate the service (1–5) once the ticket is resolved', SatisfactionBody) },
    async (request) => {
      const { score } = request.body as Static<typeof SatisfactionBody>;
      return { id: String(valueOf(await rateSatisfaction(support, await who(request), idOf(request), score))) };
    },
  );
}

function operatorRoutes(app: FastifyInstance, context: AppContext): void {
  const { support } = context;
  const security = operatorSecurity;
  const route = (permission: 'cases.read' | 'cases.work' | 'ledger.transfer') => ({
    config: { auth: 'operator' as const, permission },
  });
  app.post(
    '/support/tickets',
    {
      ...route('cases.work'),
      schema: {
        tags,
        security,
        summary: "Open a ticket on a customer's behalf",
        body: OnBehalfBody,
        response: { 201: TicketView, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof OnBehalfBody>;
      const input = {
        customerId: body.customerId,
        category: body.category as TicketCategory,
        paymentIds: body.paymentIds ?? [],
        text: body.text,
      };
      const record = valueOf(await openComplaint(support, actorOf(request), input));
      return reply.status(201).send(await ticketOf(support, record.id));
    },
  );
  app.post(
    '/support/tickets/claims',
    {
      ...route('cases.work'),
      schema: {
        tags,
        security,
        summary: "Open an unauthorised-payment claim on a customer's behalf",
        body: OnBehalfClaimBody,
        response: { 201: TicketView, ...errors },
      },
    },
    async (request, reply) => {
      const { customerId, ...input } = request.body as Static<typeof OnBehalfClaimBody>;
      const opened = valueOf(await openClaim(support, actorOf(request), customerId, input));
      return reply.status(201).send({ ...(await ticketOf(support, opened.case.id)), proposalId: opened.proposalId });
    },
  );
  operatorTicketRoutes(app, context);
  operatorReads(app, context);
}

function operatorReads(app: FastifyInstance, context: AppContext): void {
  const { support } = context;
  const security = operatorSecurity;
  const AttachmentParams = Type.Object({ caseId: Id('cas'), attachmentId: Id('att') });
  const AttachmentContent = Type.Object({ id: Type.String(), mediaType: Type.String(), contentBase64: Type.String() });
  app.get(
    '/support/tickets/:caseId/attachments/:attachmentId',
    {
      config: { auth: 'operator', permission: 'cases.read' },
      schema: {
        tags,
        security,
        summary: 'An attachment, decrypted (audited)',
        params: AttachmentParams,
        response: { 200: AttachmentContent, ...errors },
      },
    },
    async (request) => {
      const { caseId, attachmentId } = request.params as Static<typeof AttachmentParams>;
      const opened = valueOf(await readAttachment(support, actorOf(request), caseId, attachmentId));
      return { id: attachmentId, mediaType: opened.mediaType, contentBase64: opened.bytes.toString('base64') };
    },
  );
  app.get(
    '/support/report',
    {
      config: { auth: 'operator', permission: 'cases.read' },
      schema: {
        tags,
        security,
        summary: 'Complaint report: counts by category, SLA compliance, money paid',
        querystring: ReportQuery,
        response: { 200: Type.Any(), ...errors },
      },
    },
    async (request) => {
      const { from, to } = request.query as Static<typeof ReportQuery>;
      return complaintReport(support, Date.parse(from), Date.parse(to));
    },
  );
  app.post(
    '/support/merchant-debts/recoveries',
    {
      config: { auth: 'operator', permission: 'ledger.transfer' },
      schema: {
        tags,
        security,
        summary: 'Recover what merchants owe after dispute refunds from their balance',
        response: { 200: Type.Object({ recoveredMinor: Type.String() }), ...errors },
      },
    },
    async () => ({ recoveredMinor: (await recoverMerchantDebts(support)).recovered.toString() }),
  );
}

function customerReads(app: FastifyInstance, context: AppContext, who: (r: FastifyRequest) => Promise<string>): void {
  const { support } = context;
  const security = customerSecurity;
  app.get(
    '/support/complaints',
    {
      ...payer,
      schema: {
        tags,
        security,
        summary: 'Your tickets, newest first',
        response: { 200: Type.Object({ items: Type.Array(TicketView) }), ...errors },
      },
    },
    async (request) => {
      const tickets = await ticketsOf(support.store, await who(request), 100);
      return { items: await Promise.all(tickets.map((t) => ticketOf(support, t.caseId))) };
    },
  );
  app.get(
    '/support/complaints/:caseId',
    {
      ...payer,
      schema: {
        tags,
        security,
        summary: 'One of your tickets',
        params: CaseParams,
        response: { 200: TicketView, ...errors },
      },
    },
    async (request) => {
      if ((await customerCase(support, await who(request), idOf(request))) === undefined)
        throw new AnfuError('case_not_found');
      return ticketOf(support, idOf(request));
    },
  );
}

function operatorTicketRoutes(app: FastifyInstance, context: AppContext): void {
  const { support } = context;
  const security = operatorSecurity;
  const route = (permission: 'cases.read' | 'cases.work') => ({ config: { auth: 'operator' as const, permission } });
  app.get(
    '/support/tickets/:caseId',
    {
      ...route('cases.read'),
      schema: {
        tags,
        security,
        summary: "A ticket with its conversation and the customer's history, masked",
        params: CaseParams,
        response: { 200: OperatorTicketView, ...errors },
      },
    },
    async (request) => {
      const ticket = await ticketOf(support, idOf(request));
      const customerId = (await ticketByCase(support.store, idOf(request)))?.customerId ?? '';
      const history = await customerHistory(support, customerId);
      const iso = (ms: number) => new Date(ms).toISOString();
      return {
        ...ticket,
        history: {
          tickets: history.tickets
            .filter((t) => t.id !== ticket.id)
            .map((t) => ({ ...t, createdAt: iso(t.createdAt) })),
          payments: history.payments.map((p) => ({ ...p, createdAt: iso(p.createdAt) })),
        },
      };
    },
  );
  app.post(
    '/support/tickets/:caseId/replies',
    {
      ...route('cases.work'),
      schema: {
        tags,
        security,
        summary: 'Reply to the customer',
        params: CaseParams,
        body: ReplyBody,
        response: { 200: IdView, ...errors },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof ReplyBody>;
      return {
        id: valueOf(
          await operatorReply(support, actorOf(request), idOf(request), body.text, body.waitForCustomer === true),
        ),
      };
    },
  );
}

export function supportRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    customerRoutes(app, context);
    operatorRoutes(app, context);
  };
}
