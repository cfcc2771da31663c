// The schemas every route file shares: ids, the idempotency header, a signed customer instruction,
// pages (cursor, limit, next cursor), amounts and currencies, and the problem responses a route
// declares. Written once here so two routes cannot disagree on what an id or a key looks like.
import { Type, type TSchema } from 'typebox';
import { currencyCodes } from '../money/index.ts';

/** An id with its prefix and 26 lowercase base-32 characters (src/ids.ts). */
export const Id = (prefix: string, description?: string) => {
  return Type.String({ pattern: `^${prefix}_[0-9a-z]{26}$`, ...(description === undefined ? {} : { description }) });
};

const idempotencyKeyPattern = '^[A-Za-z0-9_.:-]{8,128}$';
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.String({
    pattern: idempotencyKeyPattern,
    description: 'Client-chosen key; a retry with the same key and body returns the first result',
  }),
});

/** A customer instruction (RFC 8785 canonical JSON) and its device signature. */
export const SignedBody = Type.Object(
  { instruction: Type.Object({}, { additionalProperties: true }), signature: Type.String({ maxLength: 400 }) },
  { additionalProperties: false },
);

export const Amount = Type.String({
  maxLength: 40,
  description: 'Decimal string in major units, e.g. "12.34"',
  examples: ['12.34'],
});
export const Currency = Type.String({
  pattern: '^[A-Z]{3}$',
  description: `ISO 4217 code: ${currencyCodes.join(', ')}`,
});

const limitPatterns = {
  100: '^([1-9]|[1-9][0-9]|100)$',
  200: '^([1-9]|[1-9][0-9]|1[0-9][0-9]|200)$',
  500: '^([1-9]|[1-9][0-9]|[1-4][0-9][0-9]|500)$',
} as const;

/** The `limit` query parameter: a decimal string from 1 to `max` (the default is the route's). */
export const PageLimit = (max: keyof typeof limitPatterns) => {
  return Type.Optional(Type.String({ pattern: limitPatterns[max], description: `Page size, 1–${max} (default 50)` }));
};
export const Cursor = Type.Optional(Type.String({ maxLength: 64 }));

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A page of `item`s and the cursor of the next page (null on the last). */
export const Page = <T extends TSchema>(item: T) => {
  return Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });
};

type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 422 | 503;

/** The error statuses a route declares; each is RFC 9457 problem+json rendered by src/http/problem.ts. */
export function problemResponses<S extends ProblemStatus>(...statuses: S[]): Record<S, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, Type.Any()])) as unknown as Record<S, TSchema>;
}

export const operatorSecurity = [{ operatorToken: [] }];
export const customerSecurity = [{ customerToken: [] }];
