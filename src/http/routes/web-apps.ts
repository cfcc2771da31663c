/* eslint-disable security/detect-non-literal-fs-filename -- files of the built web apps, listed at start-up */
// The customer wallet (/wallet/) and the operator console (/console/), served by Anfu itself from the
// Vite build in dist/web (built by `npm install` through the `prepare` script, or `npm run build:web`).
// Every file is read once at start-up and answered from memory, compressed when the browser accepts it;
// a path that is not one of those files is never read from disk. The pages get a strict
// Content-Security-Policy: same origin only, no inline script or style, no eval, no frames.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AnfuError } from '../../errors.ts';

export const webAppsCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

interface WebFile {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly etag: string;
  readonly immutable: boolean;
}

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) filesUnder(path, out);
    else out.push(path);
  }
  return out;
}

/** Every built file by its URL path (`/wallet/index.html`, `/assets/wallet-1a2b.js`, …). */
export function loadWebFiles(root: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  if (!existsSync(root)) return files;
  for (const path of filesUnder(root)) {
    const type = types[extname(path)];
    if (type === undefined) continue;
    const body = readFileSync(path);
    const compressible = !type.startsWith('image/png') && body.length > 512;
    files.set(`/${relative(root, path).split('\\').join('/')}`, {
      type,
      body,
      gzip: compressible ? gzipSync(body, { level: 9 }) : undefined,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      immutable: path.includes(`${join(root, 'assets')}`),
    });
  }
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, file: WebFile) {
  reply.header('content-security-policy', webAppsCsp);
  reply.header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  reply.header('etag', file.etag);
  reply.header('vary', 'accept-encoding');
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  const accepts = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (accepts && file.gzip !== undefined) {
    reply.header('content-encoding', 'gzip');
    return reply.type(file.type).send(file.gzip);
  }
  return reply.type(file.type).send(file.body);
}

export function webAppRoutes(root: string): FastifyPluginAsync {
  const files = loadWebFiles(root);
  return async (app) => {
    const hide = { schema: { hide: true } };
    const page = (app: 'wallet' | 'console') => async (request: FastifyRequest, reply: FastifyReply) => {
      const file = files.get(`/${app}/index.html`);
      if (file === undefined) throw new AnfuError('web_not_built', 'run `npm run build:web` (npm install does it)');
      return send(request, reply, file);
    };
    app.get('/', hide, async (_request, reply) => reply.redirect('/wallet/'));
    app.get('/wallet', hide, async (_request, reply) => reply.redirect('/wallet/'));
    app.get('/console', hide, async (_request, reply) => reply.redirect('/console/'));
    app.get('/wallet/', hide, page('wallet'));
    app.get('/console/', hide, page('console'));
    app.get('/assets/*', hide, async (request, reply) => {
      const file = files.get(request.url.split('?')[0] ?? '');
      if (file === undefined) throw new AnfuError('not_found');
      return send(request, reply, file);
    });
  };
}
