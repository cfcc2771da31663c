// Structured logs with redaction: credentials and personal data never reach a log line. Request
// logging keeps method, route and status; bodies and auth headers are never logged.
import pino, { type LoggerOptions } from 'pino';
import type { Config } from '../config.ts';

/** Paths pino replaces with "[redacted]" wherever they appear in a logged object. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-anfu-signature"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
  '*.pan',
  '*.cvv',
  '*.cvc',
  '*.idNumber',
  '*.phone',
  '*.realName',
  '*.fullName',
  '*.bankAccount',
  '*.otp',
  '*.oneTimeCode',
];

export function loggerOptions(level: Config['logLevel'], stream?: NodeJS.WritableStream): LoggerOptions & { stream?: NodeJS.WritableStream } | boolean {
  if (level === 'silent' && stream === undefined) return false;
  const options: LoggerOptions & { stream?: NodeJS.WritableStream } = {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, url: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  };
  if (stream !== undefined) options.stream = stream;
  return options;
}
