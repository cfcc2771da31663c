/* eslint-disable security/detect-non-literal-fs-filename -- fixed files shipped with the code */
// A minimal page for passkey enrolment and sign-in (and what the browser test drives): HTML, our
// glue script and the @simplewebauthn/browser bundle, all same-origin so the strict CSP holds.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyPluginAsync } from 'fastify';

const page = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>安付 Anfu — passkeys</title>
<script src="/web/simplewebauthn-browser.js"></script><script src="/web/passkey.js" defer></script></head>
<body><h1>安付 Anfu</h1><p id="status">Loading…</p></body></html>`;

function browserBundle(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@simplewebauthn/browser');
    const marker = '/@simplewebauthn/browser/';
    return readFileSync(`${entry.slice(0, entry.indexOf(marker) + marker.length)}dist/bundle/index.umd.min.js`, 'utf8');
  } catch {
    return undefined;
  }
}

export function passkeyPageRoutes(): FastifyPluginAsync {
  const glue = readFileSync(new URL('../web/passkey.js', import.meta.url), 'utf8');
  const bundle = browserBundle();
  return async (app) => {
    const hide = { schema: { hide: true } };
    app.get('/web/passkey', hide, async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
    app.get('/web/passkey.js', hide, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(glue));
    app.get('/web/simplewebauthn-browser.js', hide, async (_request, reply) => {
      if (bundle === undefined) return reply.status(404).type('text/plain').send('passkey support is not installed');
      return reply.type('text/javascript; charset=utf-8').send(bundle);
    });
  };
}
