// The one place errors become RFC 9457 problem+json. Expected failures carry their registered code;
// anything else is `internal_error` with no detail (the log has it, with secrets redacted).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AnfuError, problems, type ProblemCode } from '../errors.ts';
import { StoreNotDurable, isStoreUnavailable } from '../store/index.ts';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export const problemContentType = 'application/problem+json; charset=utf-8';

export function problemOf(code: ProblemCode, detail?: string, extra?: Readonly<Record<string, unknown>>): ProblemBody {
  const definition = problems[code];
  return {
    ...extra,
    type: `https://anfu.dev/problems/${code}`,
    title: definition.title,
    status: definition.status,
    code,
    ...(detail === undefined ? {} : { detail }),
  };
}

const fastifyCodes: Readonly<Record<string, ProblemCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
};

type Validation = NonNullable<FastifyError['validation']>;

/** A schema violation on an amount field is reported as `invalid_amount`, the code clients handle. */
function validationProblem(validation: Validation, context: string | undefined): ProblemBody {
  const first = validation[0];
  const path = first === undefined ? '' : first.instancePath || (typeof first.params?.missingProperty === 'string' ? `/${first.params.missingProperty}` : '');
  const where = `${context ?? 'body'}${path.replaceAll('/', '.')}`;
  const message = first?.message ?? 'invalid';
  if (/\/amount$/.test(path)) return problemOf('invalid_amount', `${where}: amounts are decimal strings such as "12.34"`);
  return problemOf('validation_failed', `${where} ${message}`.slice(0, 300));
}

export function toProblem(error: unknown): ProblemBody {
  if (error instanceof AnfuError) return problemOf(error.code, error.detail, error.extra);
  const fastifyError = error as Partial<FastifyError> & { validationContext?: string };
  if (fastifyError.validation !== undefined) return validationProblem(fastifyError.validation, fastifyError.validationContext);
  const mapped = fastifyError.code === undefined ? undefined : fastifyCodes[fastifyError.code];
  if (mapped !== undefined) return problemOf(mapped);
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) return problemOf('malformed_json');
  // A failover or a cluster that cannot make writes durable: the outcome of a keyed write is safe to ask again.
  if (error instanceof StoreNotDurable) return problemOf('store_unavailable', error.reason);
  if (isStoreUnavailable(error)) return problemOf('store_unavailable');
  if (fastifyError.statusCode === 429) return problemOf('rate_limited');
  if (fastifyError.statusCode === 404) return problemOf('not_found');
  if (fastifyError.statusCode === 405) return problemOf('method_not_allowed');
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return problemOf('validation_failed', 'the request could not be processed');
  }
  return problemOf('internal_error');
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const body = toProblem(error);
  body.instance = request.url.split('?')[0];
  if (body.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: body.code }, 'request refused');
  return reply.status(body.status).type(problemContentType).send(body);
}
