// One persistent TCP connection to the card bank, shared by concurrent requests and multiplexed by
// correlation key (message class, STAN, transmission time, terminal). Why one connection and not
// one per request: bank host links are long-lived sessions (that is what 0800 echo is for), a
// connect per authorisation adds a round trip and a socket in TIME_WAIT to every top-up, and STAN
// correlation is what ISO 8583 provides for exactly this. A lost connection fails its requests at
// once as unanswered (the caller reverses) and the next request reconnects.
import { connect, type Socket } from 'node:net';
import { decodeMessage, encodeMessage, type Iso8583Message } from './iso8583-codec.ts';
import { FrameReader, frameMessage } from './framing.ts';
import { correlationKey, describeMessage } from './card-messages.ts';

/** The subset of a pino logger the link uses; every object passed in is free of PANs. */
export interface LinkLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export const silentLog: LinkLog = { info: () => {}, warn: () => {}, error: () => {} };

export type LinkOutcome =
  | { readonly kind: 'answered'; readonly response: Iso8583Message }
  /** Sent (or possibly sent) and no answer in time, or the connection broke: the issuer may have acted. */
  | { readonly kind: 'no_answer'; readonly reason: 'timeout' | 'connection_lost' }
  /** Certainly not sent: the issuer knows nothing of it. */
  | { readonly kind: 'not_sent'; readonly reason: 'connect_failed' | 'closed' | 'key_in_flight' };

interface Pending {
  readonly socket: Socket;
  readonly resolve: (outcome: LinkOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

export class LinkConnection {
  #socket: Socket | undefined;
  #connecting: Promise<Socket | undefined> | undefined;
  #closed = false;
  readonly #pending = new Map<string, Pending>();

  constructor(private readonly options: { host: string; port: number; connectTimeoutMs: number; log: LinkLog }) {}

  async request(message: Iso8583Message, timeoutMs: number): Promise<LinkOutcome> {
    if (this.#closed) return { kind: 'not_sent', reason: 'closed' };
    const key = correlationKey(message);
    if (this.#pending.has(key)) return { kind: 'not_sent', reason: 'key_in_flight' };
    const bytes = frameMessage(encodeMessage(message)); // throws only on the caller's invalid values
    const socket = await this.#connection();
    if (socket === undefined) return { kind: 'not_sent', reason: this.#closed ? 'closed' : 'connect_failed' };
    if (this.#pending.has(key)) return { kind: 'not_sent', reason: 'key_in_flight' };
    return new Promise<LinkOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        resolve({ kind: 'no_answer', reason: 'timeout' });
      }, timeoutMs);
      this.#pending.set(key, { socket, resolve, timer });
      socket.write(bytes);
    });
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  close(): void {
    this.#closed = true;
    this.#socket?.destroy();
  }

  #connection(): Promise<Socket | undefined> {
    if (this.#socket !== undefined && !this.#socket.destroyed) return Promise.resolve(this.#socket);
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  #open(): Promise<Socket | undefined> {
    const { host, port, connectTimeoutMs, log } = this.options;
    return new Promise((resolve) => {
      const socket = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        if (this.#closed) {
          socket.destroy();
          resolve(undefined);
          return;
        }
        this.#attach(socket);
        resolve(socket);
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        if (this.#socket !== socket) {
          log.warn({ host, port, error: error.message }, 'card bank connection failed');
          resolve(undefined);
        }
      });
    });
  }

  #attach(socket: Socket): void {
    const reader = new FrameReader();
    this.#socket = socket;
    socket.on('error', (error) => this.options.log.warn({ error: error.message }, 'card bank connection error'));
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#failPending(socket);
    });
    socket.on('data', (chunk: Buffer) => {
      const { frames, error } = reader.push(chunk);
      for (const frame of frames) this.#receive(frame, socket);
      if (error !== undefined) {
        this.options.log.error({ code: error }, 'bad frame from the card bank, reconnecting');
        socket.destroy();
      }
    });
  }

  #receive(frame: Buffer, socket: Socket): void {
    const decoded = decodeMessage(frame);
    if (!decoded.ok) {
      // Framing may be intact but nothing on this session can be trusted now.
      this.options.log.error({ code: decoded.error.code, field: decoded.error.field }, 'malformed message from the card bank, reconnecting');
      socket.destroy();
      return;
    }
    if (decoded.message.mti[2] !== '1') {
      this.options.log.warn({ mti: decoded.message.mti }, 'the card bank sent a request; only answers are expected');
      return;
    }
    const key = correlationKey(decoded.message);
    const pending = this.#pending.get(key);
    if (pending === undefined) {
      this.options.log.warn(describeMessage(decoded.message), 'answer nobody waits for (late, after a timeout?)');
      return;
    }
    this.#pending.delete(key);
    clearTimeout(pending.timer);
    pending.resolve({ kind: 'answered', response: decoded.message });
  }

  /** Every request on a broken connection may or may not have reached the issuer. */
  #failPending(socket: Socket): void {
    for (const [key, pending] of this.#pending) {
      if (pending.socket !== socket) continue;
      clearTimeout(pending.timer);
      this.#pending.delete(key);
      pending.resolve({ kind: 'no_answer', reason: 'connection_lost' });
    }
  }
}
