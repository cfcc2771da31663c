/* eslint-disable security/detect-non-literal-fs-filename -- the sink path comes from operator configuration */
// The SMS port. Production plugs in the gateway adapter (src/providers: through the outbox, with
// delivery receipts); development and tests use the file sink, which never stores a phone number in
// clear: each JSON line holds the number masked and as an HMAC under a key that lives only in this
// process's memory, so the file cannot be joined to people after the process ends. Messages are sent
// after the transaction that created them has committed, never inside it.
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface SmsMessage {
  /** E.164. */
  readonly to: string;
  readonly text: string;
  /** What the message is for, e.g. 'registration', 'notice'. */
  readonly purpose: string;
}

export interface SmsSender {
  send(message: SmsMessage): Promise<void>;
}

/** The development sink: a file of messages, readable back by the process that wrote them. */
export interface DevelopmentSmsSink extends SmsSender {
  /** The newest message this process sent to `phone` (E.164), if any. */
  latest(phone: string): { readonly text: string; readonly purpose: string } | undefined;
}

interface SinkLine {
  readonly at: number;
  /** +86139****5678 */
  readonly to: string;
  readonly toHash: string;
  readonly purpose: string;
  readonly text: string;
}

function masked(phone: string): string {
  return phone.length <= 10 ? '****' : `${phone.slice(0, 6)}****${phone.slice(-4)}`;
}

export function fileSmsSender(
  path: string,
  clock: () => number = Date.now,
  key: Buffer = randomBytes(32),
): DevelopmentSmsSink {
  const hashOf = (phone: string) => createHmac('sha256', key).update(phone, 'utf8').digest('base64url');
  return {
    async send(message) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const line: SinkLine = {
        at: clock(),
        to: masked(message.to),
        toHash: hashOf(message.to),
        purpose: message.purpose,
        text: message.text,
      };
      appendFileSync(path, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    },
    latest(phone) {
      if (!existsSync(path)) return undefined;
      const wanted = hashOf(phone);
      const lines = readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Partial<SinkLine>);
      const found = lines.filter((l) => l.toHash === wanted).at(-1);
      return found === undefined ? undefined : { text: String(found.text), purpose: String(found.purpose) };
    },
  };
}
