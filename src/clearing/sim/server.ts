// The simulator's wire: HTTP on 127.0.0.1 (a loopback stand-in for a bank's host-to-host channel).
// The files are the same bytes a file drop would carry; HTTP adds a synchronous pacs.002 per file and
// needs no SFTP server. POST /v1/messages (pain.001 / pacs.008 → pacs.002), GET /v1/notifications
// (camt.054 or 204), GET /v1/status-reports (a later pacs.002 or 204), POST /v1/end-of-day (camt.053),
// GET /v1/state, PUT /v1/rules.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimBank } from './bank.ts';
import { parseSimRules } from './rules.ts';

const maxBody = 32 * 1024 * 1024;

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new RangeError('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body?: string, type = 'application/xml'): void {
  response.writeHead(status, body === undefined ? {} : { 'content-type': type });
  response.end(body);
}

async function route(
  bank: SimBank,
  request: IncomingMessage,
  response: ServerResponse,
  log: (msg: string, extra?: Record<string, unknown>) => void,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://sim').pathname;
  const key = `${request.method ?? 'GET'} ${path}`;
  switch (key) {
    case 'POST /v1/messages': {
      const report = bank.receive(await bodyOf(request));
      log('message answered', {
        sha256: request.headers['x-anfu-sha256'] ?? null,
        signed: request.headers['x-anfu-signature'] !== undefined,
      });
      return send(response, 200, report);
    }
    case 'GET /v1/notifications': {
      const n = bank.notification();
      return n === undefined ? send(response, 204) : send(response, 200, n);
    }
    case 'GET /v1/status-reports': {
      const [first, ...rest] = bank.laterReports();
      // One per call: the rest stay queued.
      bank.requeue(rest);
      return first === undefined ? send(response, 204) : send(response, 200, first);
    }
    case 'POST /v1/end-of-day':
      return send(response, 200, bank.endOfDay());
    case 'GET /v1/state':
      return send(response, 200, JSON.stringify(bank.state()), 'application/json');
    case 'PUT /v1/rules':
      bank.configure(parseSimRules(JSON.parse(await bodyOf(request))));
      return send(response, 204);
    default:
      return send(response, 404, 'not found', 'text/plain');
  }
}

export interface ClearingSim {
  readonly port: number;
  readonly bank: SimBank;
  close(): Promise<void>;
}

export async function startClearingSim(options: {
  port: number;
  bank: SimBank;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}): Promise<ClearingSim> {
  const server: Server = createServer((request, response) => {
    route(options.bank, request, response, options.log).catch((error: unknown) => {
      // The bank refuses a malformed or unknown file as a bank would: 400 with a short reason.
      options.log('refused', { error: error instanceof Error ? error.message.slice(0, 200) : 'error' });
      if (!response.headersSent)
        send(response, 400, error instanceof Error ? error.message.slice(0, 200) : 'refused', 'text/plain');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    bank: options.bank,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of clients would hold the server open.
        server.closeAllConnections();
      }),
  };
}
