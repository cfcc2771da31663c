// The bank simulator's network face: length-prefixed ISO 8583 over TCP on 127.0.0.1, with the
// configured delays and drops applied around the issuer's decision, and a small HTTP control port
// (state and rules) on 127.0.0.1 for operators and tests.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { decodeMessage, encodeMessage, type Iso8583Message } from './iso8583-codec.ts';
import { FrameReader, frameMessage } from './framing.ts';
import { Issuer } from './bank-sim-issuer.ts';
import { panMatches, parseBankSimRules, BankSimRulesError, type BankSimRules } from './bank-sim-rules.ts';
import { describeMessage as describe } from './card-messages.ts';

export const simConnectionsMax = 256;
export const controlBodyBytesMax = 1_048_576;
const loopback = '127.0.0.1';

export interface BankSimServer {
  readonly port: number;
  readonly controlPort: number | undefined;
  readonly issuer: Issuer;
  /** Replaces the rules whole (as PUT /rules and SIGHUP do); `times` counts of drop rules start again. */
  configure(rules: BankSimRules): void;
  close(): Promise<void>;
}

class Traffic {
  #requests = 0;
  readonly #dropMatches = new Map<number, number>();
  constructor(private readonly issuer: Issuer) {}

  /** Whether this request is to go unanswered, counting `times`-limited drop rules as they fire. */
  dropped(request: Iso8583Message): boolean {
    const rules = this.issuer.rules;
    this.#requests += 1;
    if ((rules.dropEvery ?? 0) > 0 && this.#requests % (rules.dropEvery as number) === 0) return true;
    const drops = rules.drops ?? [];
    for (let i = 0; i < drops.length; i += 1) {
      const rule = drops[i];
      if (rule === undefined || !panMatches(rule, request.fields[2], request.mti)) continue;
      const fired = this.#dropMatches.get(i) ?? 0;
      if (rule.times !== undefined && fired >= rule.times) continue;
      this.#dropMatches.set(i, fired + 1);
      return true;
    }
    return false;
  }

  /** Rules changed: `times` counts start again. */
  reset(): void {
    this.#dropMatches.clear();
  }

  delayMs(request: Iso8583Message): number {
    return (this.issuer.rules.delays ?? []).find((rule) => panMatches(rule, request.fields[2], request.mti))?.ms ?? 0;
  }
}

function serveConnection(socket: Socket, issuer: Issuer, traffic: Traffic, log: Logger, clock: () => number): void {
  const reader = new FrameReader();
  const timers = new Set<NodeJS.Timeout>();
  socket.setNoDelay(true);
  socket.on('close', () => timers.forEach(clearTimeout));
  socket.on('error', (error) => log.warn({ error: error.message }, 'connection error'));
  socket.on('data', (chunk: Buffer) => {
    const { frames, error } = reader.push(chunk);
    for (const frame of frames) {
      const decoded = decodeMessage(frame);
      if (!decoded.ok) {
        // The peer is broken: a reply could not be matched (no trusted STAN), so the connection ends;
        // other connections are unaffected.
        log.warn({ code: decoded.error.code, field: decoded.error.field }, 'malformed message, closing connection');
        socket.destroy();
        return;
      }
      const request = decoded.message;
      const stageDrop = traffic.dropped(request) ? (issuer.rules.dropStage ?? 'response') : undefined;
      if (stageDrop === 'request') {
        log.info({ ...describe(request), dropped: 'request' }, 'request dropped before processing');
        continue;
      }
      const response = issuer.handle(request, clock());
      log.info(describe(request), 'request');
      if (response === undefined) continue;
      if (stageDrop === 'response') {
        log.info({ ...describe(response), dropped: 'response' }, 'response dropped after processing');
        continue;
      }
      const bytes = frameMessage(encodeMessage(response));
      const send = (): void => {
        if (socket.destroyed) return;
        socket.write(bytes);
        log.info(describe(response), 'response');
      };
      const delay = traffic.delayMs(request);
      if (delay === 0) send();
      else {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, delay);
        timers.add(timer);
      }
    }
    if (error !== undefined) {
      log.warn({ code: error }, 'bad frame, closing connection');
      socket.destroy();
    }
  });
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > controlBodyBytesMax) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function control(issuer: Issuer, traffic: Traffic, log: Logger) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (request.method === 'GET' && request.url === '/state') return reply(200, issuer.snapshot());
    if (request.method !== 'PUT' || request.url !== '/rules') return reply(404, { error: 'not_found' });
    const body = await readBody(request);
    if (body === undefined) return reply(413, { error: 'body_too_large' });
    try {
      issuer.configure(parseBankSimRules(JSON.parse(body)));
      traffic.reset();
      log.info('rules replaced');
      return reply(200, { ok: true });
    } catch (error) {
      const problems = error instanceof BankSimRulesError ? error.problems : [error instanceof SyntaxError ? 'not JSON' : 'rejected'];
      return reply(400, { error: 'invalid_rules', problems });
    }
  };
}

function listen(server: Server | HttpServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, loopback, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startBankSim(options: { port: number; controlPort: number | undefined; issuer: Issuer; log: Logger; clock?: () => number }): Promise<BankSimServer> {
  const { issuer, log } = options;
  const clock = options.clock ?? Date.now;
  const traffic = new Traffic(issuer);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    if (sockets.size >= simConnectionsMax) return void socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(socket, issuer, traffic, log, clock);
  });
  const port = await listen(server, options.port);
  let controlServer: HttpServer | undefined;
  let controlPort: number | undefined;
  if (options.controlPort !== undefined) {
    const handler = control(issuer, traffic, log);
    controlServer = createHttpServer((request, response) => void handler(request, response));
    controlPort = await listen(controlServer, options.controlPort);
  }
  const close = async (): Promise<void> => {
    sockets.forEach((socket) => socket.destroy());
    controlServer?.closeAllConnections();
    await Promise.all([server, controlServer].map((s) => new Promise<void>((resolve) => (s === undefined ? resolve() : s.close(() => resolve())))));
  };
  const configure = (rules: BankSimRules): void => {
    issuer.configure(rules);
    traffic.reset();
  };
  return { port, controlPort, issuer, configure, close };
}
