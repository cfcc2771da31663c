/* eslint-disable security/detect-non-literal-fs-filename -- the sink path comes from operator configuration */
// The SMS port. A real deployment plugs in its gateway; development and tests use the file sink,
// which appends each message as a JSON line (tests read the codes from it). Messages are sent after
// the transaction that created them has committed, never inside it.
import { appendFileSync, mkdirSync } from 'node:fs';
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

export function fileSmsSender(path: string, clock: () => number = Date.now): SmsSender {
  return {
    async send(message) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      appendFileSync(path, `${JSON.stringify({ at: clock(), ...message })}\n`, { mode: 0o600 });
    },
  };
}
