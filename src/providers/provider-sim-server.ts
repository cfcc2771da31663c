// `anfu provider-sim`'s HTTP server on 127.0.0.1: the SMS gateway and identity-provider contracts of
// docs/providers.md, with the signature checked exactly as a real provider must, scripted outcomes,
// delivery receipts sent back (signed), and a test-only read side under /_sim/. Phone numbers and
// identities are held in memory only and never logged.
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { simulatorHeader } from './provider-http.ts';
import { NonceMemory, signRequest, verifySignedRequest, type SigningKey } from './request-signing.ts';
import {
  identityOutcomeFor,
  parseProviderSimRules,
  type IdentityOutcome,
  type ProviderSimRules,
} from './provider-sim-rules.ts';
import { bankCardPath, twoElementPath } from './identity-provider-client.ts';
import { smsSubmitPath } from './sms-gateway-client.ts';

const bodyBytesMax = 64 * 1024;
const receiptAttemptsMax = 3;

interface SimMessage {
  readonly messageId: string;
  readonly clientReference: string;
  readonly to: string;
  readonly text: string;
  readonly purpose: string;
  readonly receivedAt: number;
}

export interface ProviderSimState {
  requests: number;
  signatureFailures: number;
  smsAccepted: number;
  smsDuplicates: number;
  smsFailed: number;
  smsRejected: number;
  receiptsSent: number;
  receiptsFailed: number;
  identityChecks: number;
}

export interface ProviderSim {
  readonly port: number;
  configure(rules: ProviderSimRules): void;
  close(): Promise<void>;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

class Simulator {
  readonly state: ProviderSimState = {
    requests: 0,
    signatureFailures: 0,
    smsAccepted: 0,
    smsDuplicates: 0,
    smsFailed: 0,
    smsRejected: 0,
    receiptsSent: 0,
    receiptsFailed: 0,
    identityChecks: 0,
  };
  readonly #byReference = new Map<string, SimMessage>();
  readonly #lastByPhone = new Map<string, SimMessage>();
  readonly #identityAnswers = new Map<string, Answer>();
  readonly #nonces = new NonceMemory();
  readonly timers = new Set<NodeJS.Timeout>();
  rules: ProviderSimRules;
  failNext: number;

  constructor(
    readonly keys: ReadonlyMap<string, string>,
    rules: ProviderSimRules,
    readonly log: Logger,
  ) {
    this.rules = rules;
    this.failNext = rules.smsFailNext;
  }

  configure(rules: ProviderSimRules): void {
    this.rules = rules;
    this.failNext = rules.smsFailNext;
  }

  later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms);
    this.timers.add(timer);
  }

  verify(request: IncomingMessage, body: string): SigningKey | Answer {
    const now = Math.floor(Date.now() / 1000);
    const check = verifySignedRequest(
      request.headers,
      { method: request.method ?? '', path: request.url ?? '', body },
      {
        keys: (keyId) => this.keys.get(keyId),
        nowSeconds: now,
        seen: (keyId, nonce) => this.#nonces.seen(keyId, nonce, now),
      },
    );
    if (check.ok) return { keyId: check.keyId, secret: this.keys.get(check.keyId) ?? '' };
    this.state.signatureFailures += 1;
    this.log.warn({ path: request.url, reason: check.reason }, 'signature refused');
    if (check.reason === 'replayed')
      return { status: 409, body: { error: 'nonce_reused', message: 'this nonce was used already' } };
    if (check.reason === 'stale')
      return {
        status: 401,
        body: { error: 'timestamp_out_of_window', message: 'the timestamp is outside the 300 s window' },
      };
    return { status: 401, body: { error: 'signature_invalid', message: `signature refused (${check.reason})` } };
  }

  submitSms(key: SigningKey, input: Record<string, unknown>): Answer {
    const { clientReference, to, text, purpose, callbackUrl } = input;
    if (
      typeof clientReference !== 'string' ||
      !/^[A-Za-z0-9_.:-]{1,64}$/.test(clientReference) ||
      typeof text !== 'string' ||
      text.length === 0 ||
      text.length > 1000
    ) {
      return { status: 400, body: { error: 'invalid_request', message: 'clientReference, to and text are required' } };
    }
    const known = this.#byReference.get(clientReference);
    if (known !== undefined) {
      this.state.smsDuplicates += 1;
      return { status: 200, body: { messageId: known.messageId, status: 'accepted', duplicate: true } };
    }
    if (this.failNext > 0) {
      this.failNext -= 1;
      this.state.smsFailed += 1;
      return {
        status: this.rules.smsFailStatus,
        body: { error: this.rules.smsFailStatus === 429 ? 'rate_limited' : 'unavailable', message: 'scripted failure' },
        headers: { 'retry-after': '1' },
      };
    }
    if (typeof to !== 'string' || !/^\+[1-9][0-9]{6,14}$/.test(to))
      return { status: 422, body: { error: 'number_invalid', message: 'to must be E.164' } };
    if (this.rules.smsRejectSuffixes.some((suffix) => to.endsWith(suffix))) {
      this.state.smsRejected += 1;
      return { status: 422, body: { error: 'number_blocked', message: 'the number does not take messages' } };
    }
    const message: SimMessage = {
      messageId: `gw_${randomBytes(12).toString('hex')}`,
      clientReference,
      to,
      text,
      purpose: typeof purpose === 'string' ? purpose : '',
      receivedAt: Date.now(),
    };
    this.#byReference.set(clientReference, message);
    this.#lastByPhone.set(to, message);
    this.state.smsAccepted += 1;
    this.log.info({ messageId: message.messageId, clientReference }, 'sms accepted');
    if (typeof callbackUrl === 'string')
      this.later(this.rules.receiptDelayMs, () => void this.sendReceipt(key, callbackUrl, message));
    return { status: 202, body: { messageId: message.messageId, status: 'accepted' } };
  }

  async sendReceipt(key: SigningKey, callbackUrl: string, message: SimMessage): Promise<void> {
    let url: URL;
    try {
      url = new URL(callbackUrl);
    } catch {
      return;
    }
    // The simulator only ever talks to this machine.
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || !['http:', 'https:'].includes(url.protocol))
      return;
    const failed = this.rules.smsUndeliverableSuffixes.some((suffix) => message.to.endsWith(suffix));
    const receipt = {
      messageId: message.messageId,
      clientReference: message.clientReference,
      status: failed ? 'failed' : 'delivered',
      ...(failed ? { errorCode: 'undeliverable' } : {}),
      at: new Date().toISOString(),
    };
    for (let attempt = 1; attempt <= receiptAttemptsMax; attempt += 1) {
      const status = await postReceipt(url, key, JSON.stringify(receipt));
      if (status !== undefined && status < 300) {
        this.state.receiptsSent += 1;
        return;
      }
      if (status !== undefined && status < 500) break;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
    this.state.receiptsFailed += 1;
    this.log.warn({ messageId: message.messageId }, 'receipt not taken');
  }

  checkIdentity(
    path: string,
    input: Record<string, unknown>,
  ): Answer | Extract<IdentityOutcome, 'timeout' | 'unavailable'> {
    const { requestId, name, idNumber, cardNumber, phone } = input;
    const card = path === bankCardPath;
    if (
      typeof requestId !== 'string' ||
      requestId.length === 0 ||
      requestId.length > 64 ||
      typeof name !== 'string' ||
      typeof idNumber !== 'string' ||
      (card && (typeof cardNumber !== 'string' || !/^[0-9]{12,19}$/.test(cardNumber) || typeof phone !== 'string'))
    ) {
      return {
        status: 400,
        body: {
          error: 'invalid_request',
          message: card
            ? 'requestId, cardNumber, name, idNumber and phone are required'
            : 'requestId, name and idNumber are required',
        },
      };
    }
    const repeated = this.#identityAnswers.get(`${path}\n${requestId}`);
    if (repeated !== undefined) return repeated;
    this.state.identityChecks += 1;
    const outcome = identityOutcomeFor(this.rules, {
      name,
      idNumber,
      ...(card ? { cardNumber: cardNumber as string } : {}),
    });
    if (outcome === 'timeout' || outcome === 'unavailable') return outcome;
    const answer = {
      status: 200,
      body: { requestId, result: outcome, reference: `sim-${randomBytes(8).toString('hex')}` },
    };
    this.#identityAnswers.set(`${path}\n${requestId}`, answer);
    this.log.info({ path, outcome }, 'identity checked');
    return answer;
  }

  lastSms(to: string | null): Answer {
    const message = to === null ? undefined : this.#lastByPhone.get(to);
    if (message === undefined)
      return { status: 404, body: { error: 'not_found', message: 'no message to this number' } };
    return {
      status: 200,
      body: {
        messageId: message.messageId,
        clientReference: message.clientReference,
        purpose: message.purpose,
        text: message.text,
        code: /\b([0-9]{6})\b/.exec(message.text)?.[1] ?? null,
        receivedAt: message.receivedAt,
      },
    };
  }
}

/**
 * One signed receipt POST; the status, or undefined without an answer. Loopback only, so the
 * development server's self-signed certificate is accepted (the receipt itself is signed).
 */
function postReceipt(url: URL, key: SigningKey, body: string): Promise<number | undefined> {
  const headers = {
    'content-type': 'application/json',
    ...signRequest(
      key,
      { method: 'POST', path: `${url.pathname}${url.search}`, body },
      Math.floor(Date.now() / 1000),
      randomBytes(18).toString('base64url'),
    ),
  };
  return new Promise((resolve) => {
    const options = { method: 'POST', headers, timeout: 5_000, rejectUnauthorized: false };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
    request.end(body);
  });
}

function send(response: ServerResponse, answer: Answer): void {
  response.writeHead(answer.status, {
    'content-type': 'application/json',
    [simulatorHeader]: 'anfu-provider-sim',
    ...answer.headers,
  });
  response.end(JSON.stringify(answer.body));
}

async function readText(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > bodyBytesMax) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

async function handleControl(sim: Simulator, request: IncomingMessage, url: URL, text: string): Promise<Answer> {
  if (request.method === 'GET' && url.pathname === '/_sim/sms/last') return sim.lastSms(url.searchParams.get('to'));
  if (request.method === 'GET' && url.pathname === '/_sim/state')
    return { status: 200, body: { ...sim.state, smsFailNext: sim.failNext } };
  if (request.method === 'PUT' && url.pathname === '/_sim/rules') {
    try {
      sim.configure(parseProviderSimRules(jsonObject(text) ?? {}));
      return { status: 200, body: { ok: true } };
    } catch (error) {
      return {
        status: 400,
        body: { error: 'invalid_rules', message: error instanceof Error ? error.message : 'invalid rules' },
      };
    }
  }
  return { status: 404, body: { error: 'not_found', message: 'no such simulator route' } };
}

async function handle(sim: Simulator, request: IncomingMessage, response: ServerResponse): Promise<void> {
  sim.state.requests += 1;
  const text = await readText(request);
  if (text === undefined)
    return send(response, { status: 413, body: { error: 'invalid_request', message: 'body too large' } });
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (url.pathname.startsWith('/_sim/')) return send(response, await handleControl(sim, request, url, text));
  const known = [smsSubmitPath, twoElementPath, bankCardPath];
  if (request.method !== 'POST' || !known.includes(url.pathname))
    return send(response, { status: 404, body: { error: 'not_found', message: 'no such endpoint' } });
  const key = sim.verify(request, text);
  if ('status' in key) return send(response, key);
  const input = jsonObject(text);
  if (input === undefined)
    return send(response, {
      status: 400,
      body: { error: 'invalid_request', message: 'the body is not a JSON object' },
    });
  if (url.pathname === smsSubmitPath) return send(response, sim.submitSms(key, input));
  const outcome = sim.checkIdentity(url.pathname, input);
  if (outcome === 'unavailable')
    return send(response, { status: 503, body: { error: 'unavailable', message: 'scripted outage' } });
  if (outcome === 'timeout')
    return sim.later(sim.rules.timeoutHoldMs, () =>
      send(response, { status: 504, body: { error: 'unavailable', message: 'scripted timeout' } }),
    );
  return send(response, outcome);
}

export async function startProviderSim(options: {
  port: number;
  keys: ReadonlyMap<string, string>;
  rules: ProviderSimRules;
  log: Logger;
}): Promise<ProviderSim> {
  const sim = new Simulator(options.keys, options.rules, options.log);
  const server = createServer((request, response) => {
    handle(sim, request, response).catch(() => {
      if (!response.headersSent)
        send(response, { status: 500, body: { error: 'unavailable', message: 'simulator error' } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    configure: (rules) => sim.configure(rules),
    async close() {
      for (const timer of sim.timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
