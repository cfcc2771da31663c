// Structured logs with redaction: credentials and personal data never reach a log line. Request
// logging keeps method, path, client address and status; bodies, query strings and headers are never
// logged, and what the client sent is escaped and cut by the audit log's sanitiser first.
import pino, { type LoggerOptions } from 'pino';
import { untrustedText } from '../audit/index.ts';
import type { Config } from '../config.ts';

/**
 * Keys whose values never reach a log line, at any depth: credentials, card data (PCI DSS: PAN,
 * security code, expiry) and personal data (SPEC R8.1). Matched ignoring case, `_` and `-`.
 */
export const sensitiveLogKeys = [
  'password', 'token', 'secret', 'kek', 'otp', 'oneTimeCode',
  'pan', 'cardNumber', 'cvv', 'cvc', 'cvv2', 'cvc2', 'securityCode', 'expiry',
  'name', 'idNumber', 'phone', 'mobile', 'realName', 'fullName', 'bankAccount', 'accountNumber',
];

/** Paths pino replaces with "[redacted]": credentials in headers, and the sensitive keys near the top. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-anfu-signature"]',
  'res.headers["set-cookie"]',
  ...sensitiveLogKeys.flatMap((key) => [key, `*.${key}`]),
];

const keyOf = (key: string): string => key.replace(/[_-]/g, '').toLowerCase();
const sensitiveKeys = new Set(sensitiveLogKeys.map(keyOf));
const redactDepthMax = 8;

/**
 * Redacts sensitive keys at any depth of plain objects and arrays, which fixed paths cannot:
 * `{ request: { body: { customer: { name } } } }`. Copies, never mutates; class instances (requests,
 * errors) are left to their serializers.
 */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > redactDepthMax) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, depth + 1));
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = sensitiveKeys.has(keyOf(key)) ? '[redacted]' : redactDeep(item, depth + 1);
  return copy;
}

/**
 * Free text (messages, error messages and stacks, URLs) cannot be redacted by key, so runs of 11–19
 * digits (a mobile number, bank account, PAN or resident ID) are masked in it, keeping only the length.
 */
export function scrubText(text: string): string {
  return text.replace(/[0-9]{11,19}[Xx]?/g, (digits) => `[number:${digits.length}]`);
}

function scrubbedError(error: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(serialized)) if (typeof value === 'string') serialized[key] = scrubText(value);
  return serialized;
}

/** What a request log line says about the request: never the query string, a header or the body. */
export function requestLogFields(req: { method: string; url: string; id: string; ip?: string }): Record<string, string | null> {
  return {
    id: req.id,
    method: req.method,
    url: untrustedText(scrubText(req.url.split('?')[0] ?? ''), 512),
    // The client address (the proxy's, or the forwarded one when ANFU_TRUST_PROXY is on): who to block or trace.
    remoteAddress: typeof req.ip === 'string' ? untrustedText(req.ip, 64) : null,
  };
}

export function loggerOptions(level: Config['logLevel'], stream?: NodeJS.WritableStream): LoggerOptions & { stream?: NodeJS.WritableStream } | boolean {
  if (level === 'silent' && stream === undefined) return false;
  const options: LoggerOptions & { stream?: NodeJS.WritableStream } = {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: {
      req: requestLogFields,
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: scrubbedError,
    },
    formatters: { log: (object) => redactDeep(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg: unknown) => (typeof arg === 'string' ? scrubText(arg) : arg)) as Parameters<typeof method>);
      },
    },
  };
  if (stream !== undefined) options.stream = stream;
  return options;
}
