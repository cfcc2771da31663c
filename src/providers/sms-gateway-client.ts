// The SMS gateway contract's client (docs/providers.md, "SMS gateway"): one submission per call.
// The outbox makes the retries; this only says whether an attempt is worth repeating. The gateway
// deduplicates on `clientReference`, so a retry after a lost answer never sends a second SMS.
import { postSigned, type ProviderEndpoint } from './provider-http.ts';

export const smsSubmitPath = '/v1/sms/messages';

export interface SmsSubmission {
  /** Anfu's id of the message; the gateway's idempotency key and the receipt's back-reference. */
  readonly clientReference: string;
  /** E.164. */
  readonly to: string;
  readonly text: string;
  readonly purpose: string;
  /** Where the gateway POSTs the delivery receipt; unset = the gateway sends none. */
  readonly callbackUrl?: string | undefined;
}

export type SmsSubmitOutcome =
  | { readonly outcome: 'accepted'; readonly messageId: string }
  /** The gateway will never take this message (invalid or blocked number, malformed request). */
  | { readonly outcome: 'rejected'; readonly reason: string }
  /** Worth another attempt later: unavailable, rate limited, timeout, signature refused (clock skew, key rollover). */
  | { readonly outcome: 'retry'; readonly reason: string };

export interface SmsGatewayClient {
  submit(message: SmsSubmission, signal?: AbortSignal): Promise<SmsSubmitOutcome>;
}

const messageIdPattern = /^[A-Za-z0-9_.:-]{1,128}$/;
const codePattern = /^[a-z][a-z0-9_]{0,63}$/;

function codeOf(body: Record<string, unknown>, fallback: string): string {
  return typeof body.error === 'string' && codePattern.test(body.error) ? body.error : fallback;
}

export function smsGatewayClient(endpoint: ProviderEndpoint): SmsGatewayClient {
  return {
    async submit(message, signal) {
      const payload = {
        clientReference: message.clientReference,
        to: message.to,
        text: message.text,
        purpose: message.purpose,
        ...(message.callbackUrl === undefined ? {} : { callbackUrl: message.callbackUrl }),
      };
      const answer = await postSigned(endpoint, smsSubmitPath, payload, signal);
      if (answer.kind === 'no_answer') return { outcome: 'retry', reason: answer.reason };
      const { status, body } = answer;
      if (status === 200 || status === 202) {
        if (typeof body.messageId !== 'string' || !messageIdPattern.test(body.messageId))
          return { outcome: 'retry', reason: 'bad_response' };
        return { outcome: 'accepted', messageId: body.messageId };
      }
      if (status === 400 || status === 422) return { outcome: 'rejected', reason: codeOf(body, 'rejected') };
      return { outcome: 'retry', reason: codeOf(body, `http_${status}`) };
    },
  };
}
