// Opaque pagination cursors: base64url of the last key seen. A cursor that does not decode to the
// expected shape is `invalid_cursor`, never a query with odd input.
import { AnfuError } from '../errors.ts';

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, shape: RegExp = /^[a-z]{2,8}_[0-9a-z]{26}$/): string {
  const key = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!shape.test(key)) throw new AnfuError('invalid_cursor', 'the cursor does not come from this listing');
  return key;
}
