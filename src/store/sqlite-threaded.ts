// The embedded store with its writes off the event loop: a worker thread owns the connection that
// writes (sqlite-writer-thread.ts), so BEGIN IMMEDIATE, each statement of a transaction and each
// commit's fsync run there while this thread serves HTTP, TLS and JSON. Reads outside a transaction
// stay on this thread's own connection (query_only: a write that slipped here would fail loudly
// rather than wait on the write lock); in WAL mode a reader never waits for the writer.
import Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { AnfuError, type ProblemCode } from '../errors.ts';
import type { Param, Row, SqliteWriterThread, ThreadedSqliteStore, Tx } from './port.ts';
import { bind, exclusiveQueue, openConnection, statementCache } from './sqlite-connection.ts';
import { safetyNetCheckpointPages, startBackgroundCheckpointer } from './sqlite-checkpointer.ts';
import type { SerialisedError, WriterReply, WriterRequest } from './sqlite-writer-protocol.ts';
import type { SqliteOptions } from './sqlite.ts';

type Outbound = WriterRequest extends infer R ? (R extends WriterRequest ? Omit<R, 'id'> : never) : never;

/** The error a caller sees in the writer thread's place: the same class and code it would inline. */
function rebuilt(error: SerialisedError): Error {
  let made: Error;
  const { code, detail, extra } = error;
  if (error.name === 'SqliteError') made = new Database.SqliteError(error.message, code ?? 'SQLITE_ERROR');
  else if (error.name === 'AnfuError') {
    made = new AnfuError(code as ProblemCode, detail, extra as Record<string, unknown> | undefined);
  }
  else {
    made = new Error(error.message);
    made.name = error.name;
    if (error.code !== undefined) Object.assign(made, { code: error.code });
  }
  if (error.stack !== undefined) made.stack = `${error.stack}\n    (in the SQLite writer thread)`;
  return made;
}

/** Rows came through structured clone: BLOB columns are Buffers again, as on the inline store. */
function restoreRow<R extends Row>(row: R): R {
  for (const [column, value] of Object.entries(row)) {
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
      (row as Row)[column] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return row;
}

// Started without the parent's flags, the thread registers tsx itself (as verify-export.ts does), so it
// loads TypeScript alike under bin/anfu.js and `node --import tsx`.
const bootstrap = `const { workerData } = require('node:worker_threads');
import(workerData.loader).then((tsx) => { tsx.register(); return import(workerData.module); });`;
const threadModule = new URL('./sqlite-writer-thread.ts', import.meta.url).href;

interface WriterChannel {
  send<T>(request: Outbound): Promise<T>;
  readonly worker: Worker;
}

function startWriter(path: string, autocheckpointPages: number | undefined): WriterChannel {
  const worker = new Worker(bootstrap, {
    eval: true,
    execArgv: [],
    workerData: { loader: import.meta.resolve('tsx/esm/api'), module: threadModule, path, autocheckpointPages },
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let stopped: Error | undefined;
  const stop = (error: Error) => {
    stopped ??= error;
    for (const call of pending.values()) call.reject(stopped);
    pending.clear();
  };
  worker.on('message', (reply: WriterReply) => {
    const call = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) call?.resolve(reply.value);
    else call?.reject(rebuilt(reply.error));
  });
  worker.on('error', (error) => stop(new Error(`the SQLite writer thread failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => stop(new Error(`the SQLite writer thread stopped (exit code ${code})`)));
  // Idle, the thread must not keep the process alive; a call in flight must.
  worker.unref();
  return {
    worker,
    send<T>(request: Outbound): Promise<T> {
      if (stopped !== undefined) return Promise.reject(stopped);
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        worker.postMessage({ ...request, id });
      }).finally(() => {
        if (pending.size === 0 && stopped === undefined) worker.unref();
      });
    },
  };
}

/** The writer's side of the port: every statement a message, rows restored on arrival. */
function writerQueryable(writer: WriterChannel): Tx {
  return {
    all: async <R extends Row>(sql: string, params?: readonly Param[]) =>
      (await writer.send<R[]>({ op: 'all', sql, params: bind(params) })).map(restoreRow),
    get: async <R extends Row>(sql: string, params?: readonly Param[]) => {
      const row = await writer.send<R | undefined>({ op: 'get', sql, params: bind(params) });
      return row === undefined ? undefined : restoreRow(row);
    },
    run: (sql, params) => writer.send<number>({ op: 'run', sql, params: bind(params) }),
  };
}

/** A statement this thread may answer: read-only, no PRAGMA (those set or read per-connection state). */
function readerOf(reader: Database.Database): (sql: string) => Database.Statement | undefined {
  const prepare = statementCache(reader);
  return (sql) => {
    if (/^\s*pragma\b/i.test(sql)) return undefined;
    try {
      const statement = prepare(sql);
      return statement.readonly ? statement : undefined;
    } catch {
      // The writer gives the same error, or knows a table this connection has not seen yet.
      return undefined;
    }
  };
}

function writerThreadOf(writer: WriterChannel): SqliteWriterThread {
  const loads = new Set<string>();
  return {
    load(moduleUrl) {
      if (loads.has(moduleUrl)) return;
      loads.add(moduleUrl);
      // A failed load shows on every call of its procedures ("no procedure …"); its cause is warned here.
      writer.send({ op: 'load', moduleUrl }).catch((error: unknown) => {
        process.emitWarning(`the SQLite writer thread could not load ${moduleUrl}: ${String(error)}`);
      });
    },
    call: (procedure, args) => writer.send({ op: 'call', procedure, args }),
  };
}

export function openSqliteWithWriterThread(options: SqliteOptions): ThreadedSqliteStore {
  if (options.path === ':memory:') throw new Error('a writer thread needs a database file, not :memory:');
  const background = options.backgroundCheckpoint === true;
  const reader = openConnection(options.path, { queryOnly: true });
  const writer = startWriter(options.path, background ? safetyNetCheckpointPages : undefined);
  const checkpointer = background ? startBackgroundCheckpointer(options.path) : undefined;
  const readHere = readerOf(reader);
  const onWriter = writerQueryable(writer);
  const exclusive = exclusiveQueue();

  return {
    dialect: 'sqlite',
    writer: 'worker',
    description: `sqlite:${options.path}`,
    exclusive,
    writerThread: writerThreadOf(writer),
    all: async <R extends Row>(sql: string, params?: readonly Param[]) => {
      const statement = readHere(sql);
      if (statement === undefined) return exclusive(() => onWriter.all<R>(sql, params));
      return statement.all(...bind(params)) as R[];
    },
    get: async <R extends Row>(sql: string, params?: readonly Param[]) => {
      const statement = readHere(sql);
      if (statement === undefined) return exclusive(() => onWriter.get<R>(sql, params));
      return statement.get(...bind(params)) as R | undefined;
    },
    run: (sql, params) => exclusive(() => onWriter.run(sql, params)),
    transaction: (work) =>
      exclusive(async () => {
        await writer.send({ op: 'begin' });
        try {
          const result = await work(onWriter);
          await writer.send({ op: 'commit' });
          return result;
        } catch (error) {
          await writer.send({ op: 'rollback' }).catch(() => undefined);
          throw error;
        }
      }),
    async close() {
      await checkpointer?.stop();
      await exclusive(async () => {
        await writer.send({ op: 'close' }).catch(() => undefined);
        await writer.worker.terminate();
        reader.close();
      });
    },
  };
}
