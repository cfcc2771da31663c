// The messages between the threaded SQLite store and its writer thread. Values cross as structured
// clones: bigint, string, number and null as they are, a Buffer as a Uint8Array (made a Buffer again
// on arrival), an error as its name, message, stack and code (made the same class again on arrival).

export type WriterRequest = { readonly id: number } & (
  | { readonly op: 'begin' | 'commit' | 'rollback' | 'close' }
  | { readonly op: 'all' | 'get' | 'run'; readonly sql: string; readonly params: readonly unknown[] }
  | { readonly op: 'load'; readonly moduleUrl: string }
  | { readonly op: 'call'; readonly procedure: string; readonly args: readonly unknown[] }
);

export interface SerialisedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
  readonly detail?: string;
  readonly extra?: Readonly<Record<string, unknown>>;
}

export type WriterReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerialisedError };
