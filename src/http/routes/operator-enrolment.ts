// Operator enrolment: a new operator redeems the single-use code their creator handed over and sets
// their own password and TOTP secret (public, rate-limited like the login); an administrator can
// replace a lost or expired code. Thin: validate, call one use case, map its outcome.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import {
  enrolOperator, enrolmentCodePattern, operatorPasswordLengthMin, renewEnrolmentCode, totpSecretPattern, type Permission,
} from '../../access/index.ts';
import { AnfuError } from '../../errors.ts';
import type { AppContext } from '../context.ts';
import { actorOf } from '../operator-auth.ts';
import { Id, operatorSecurity, problemResponses } from '../schemas.ts';
import { EnrolmentCodeView } from './access-views.ts';

const security = operatorSecurity;
const errors = problemResponses(400, 401, 403, 404, 409, 422);
const OperatorId = Type.Object({ operatorId: Id('opr') });
const EnrolmentBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  code: Type.String({ pattern: enrolmentCodePattern.source, description: 'The single-use enrolment code the creator handed over' }),
  password: Type.String({ minLength: operatorPasswordLengthMin, maxLength: 200, description: 'Chosen by the new operator' }),
  totpSecret: Type.String({ pattern: totpSecretPattern.source, description: 'Base32 secret from the operator\'s own authenticator (at least 160 bits)' }),
  totp: Type.String({ minLength: 1, maxLength: 10, description: 'A current code from that authenticator' }),
}, { additionalProperties: false });

export function operatorEnrolmentRoutes(context: AppContext): FastifyPluginAsync {
  const { store, access, clock } = context;
  const route = (permission: Permission) => ({ config: { auth: 'operator' as const, permission } });
  return async (app) => {
    const tags = ['access'];

    app.post('/operators/:operatorId/enrolment-code', { ...route('operators.create'), schema: { tags, security, summary: 'A fresh enrolment code for an operator who has not enrolled (the old one stops working)', params: OperatorId, response: { 201: EnrolmentCodeView, ...errors } } }, async (request, reply) => {
      const outcome = await renewEnrolmentCode(store, actorOf(request), (request.params as Static<typeof OperatorId>).operatorId, access.enrolmentPolicy, clock());
      if (!outcome.ok) throw new AnfuError(outcome.code);
      return reply.status(201).send({ enrolmentCode: outcome.enrolmentCode, enrolmentExpiresAt: new Date(outcome.enrolmentExpiresAt).toISOString() });
    });

    app.post('/operator-enrolments', {
      // Public: the new operator has no credential yet, only the code. Rate-limited like the login.
      config: { rateLimit: { max: 30, timeWindow: 60_000 } },
      schema: { tags, summary: 'Enrol: redeem the enrolment code and set your own password and TOTP secret', body: EnrolmentBody, response: { 204: Type.Null(), ...errors } },
    }, async (request, reply) => {
      const outcome = await enrolOperator(store, access.totpSecrets, actorOf(request), request.body as Static<typeof EnrolmentBody>, clock());
      if (!outcome.ok) throw new AnfuError(outcome.code);
      return reply.status(204).send();
    });
  };
}
