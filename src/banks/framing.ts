// Message framing on the TCP link: each message is preceded by its length as 2 bytes, big-endian.
// The reader bounds what it buffers, so a peer announcing a huge frame cannot make us hold memory.

/** Our largest message is under 300 bytes; anything far beyond is a broken or hostile peer. */
export const frameBytesMax = 2048;

export type FrameError = 'frame_empty' | 'frame_too_large';

export function frameMessage(payload: Uint8Array): Buffer {
  if (payload.length === 0 || payload.length > frameBytesMax) throw new RangeError(`frame payload of ${payload.length} bytes is outside 1..${frameBytesMax}`);
  const header = Buffer.alloc(2);
  header.writeUInt16BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

/** Accumulates TCP chunks and yields whole frame payloads. After an error the stream is unusable. */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { frames: Buffer[]; error?: FrameError } {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const frames: Buffer[] = [];
    while (this.#buffer.length >= 2) {
      const length = this.#buffer.readUInt16BE(0);
      if (length === 0) return { frames, error: 'frame_empty' };
      if (length > frameBytesMax) return { frames, error: 'frame_too_large' };
      if (this.#buffer.length < 2 + length) break;
      frames.push(this.#buffer.subarray(2, 2 + length));
      this.#buffer = this.#buffer.subarray(2 + length);
    }
    return { frames };
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }
}
