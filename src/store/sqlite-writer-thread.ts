// The writer thread of the threaded SQLite store (sqlite-threaded.ts): it owns the connection that
// writes, and answers the store's messages one at a time, in the order they were sent. Everything
// here runs synchronously on this thread, so BEGIN IMMEDIATE's busy wait and each commit's fsync
// block this thread, never the event loop that serves HTTP.
import type Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { openConnection, runStatement, statementCache } from './sqlite-connection.ts';
import type { SerialisedError, WriterReply, WriterRequest } from './sqlite-writer-protocol.ts';

type Procedure = (...args: never[]) => unknown;
type ProcedureModule = { writerProcedures?: (db: Database.Database) => Record<string, Procedure> };

const { path, autocheckpointPages } = workerData as { path: string; autocheckpointPages: number | undefined };
const db = openConnection(path, { autocheckpointPages });
const prepare = statementCache(db);
const procedures = new Map<string, Procedure>();
const loaded = new Map<string, Promise<void>>();

function serialised(error: unknown): SerialisedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { code, detail, extra } = error as Error & { code?: unknown; detail?: unknown; extra?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof detail === 'string' ? { detail } : {}),
    ...(extra !== null && typeof extra === 'object' ? { extra: extra as Record<string, unknown> } : {}),
  };
}

async function load(moduleUrl: string): Promise<void> {
  const module = (await import(moduleUrl)) as ProcedureModule;
  if (typeof module.writerProcedures !== 'function') throw new Error(`${moduleUrl} exports no writerProcedures`);
  for (const [name, procedure] of Object.entries(module.writerProcedures(db))) procedures.set(name, procedure);
}

async function answer(request: WriterRequest): Promise<unknown> {
  switch (request.op) {
    case 'begin':
      db.exec('BEGIN IMMEDIATE');
      return undefined;
    case 'commit':
      db.exec('COMMIT');
      return undefined;
    case 'rollback':
      if (db.inTransaction) db.exec('ROLLBACK');
      return undefined;
    // Params arrive structured-cloned: a Buffer as a Uint8Array, which SQLite binds as the same BLOB.
    case 'all':
      return prepare(request.sql).all(...request.params);
    case 'get':
      return prepare(request.sql).get(...request.params);
    case 'run':
      return runStatement(prepare(request.sql), request.params);
    case 'load': {
      let loading = loaded.get(request.moduleUrl);
      if (loading === undefined) loaded.set(request.moduleUrl, (loading = load(request.moduleUrl)));
      return loading;
    }
    case 'call': {
      const procedure = procedures.get(request.procedure);
      if (procedure === undefined) throw new Error(`the SQLite writer thread has no procedure ${request.procedure}`);
      return procedure(...(request.args as never[]));
    }
    case 'close':
      db.close();
      return undefined;
  }
}

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-thread.ts runs as a worker thread');
let tail: Promise<void> = Promise.resolve();
port.on('message', (request: WriterRequest) => {
  tail = tail.then(async () => {
    let reply: WriterReply;
    try {
      reply = { id: request.id, ok: true, value: await answer(request) };
    } catch (error) {
      reply = { id: request.id, ok: false, error: serialised(error) };
    }
    try {
      port.postMessage(reply);
    } catch (error) {
      // An answer that cannot be cloned (a function in a row?) still gets an answer: the failure.
      port.postMessage({ id: request.id, ok: false, error: serialised(error) } satisfies WriterReply);
    }
    if (request.op === 'close') port.close();
  });
});
