// Attachments: a few document and image types, bounded in size, recognised by their content (the
// leading bytes), never by the name or the declared type — a declared type that differs from the
// content is refused — and stored sealed with the keyring ('pii' purpose, bound to the attachment id)
// so a database copy alone does not reveal them.
import { createHash } from 'node:crypto';
import type { Keyring } from '../crypto/index.ts';

export const attachmentBytesMax = 1024 * 1024;
export const attachmentTypes = ['image/png', 'image/jpeg', 'application/pdf'] as const;
export type AttachmentType = (typeof attachmentTypes)[number];

const signatures: readonly [AttachmentType, Buffer][] = [
  ['image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['image/jpeg', Buffer.from([0xff, 0xd8, 0xff])],
  ['application/pdf', Buffer.from('%PDF-', 'latin1')],
];

/** Pure: the type the bytes are, or undefined for anything not accepted. */
export function detectType(bytes: Buffer): AttachmentType | undefined {
  return signatures.find(
    ([, magic]) => bytes.length > magic.length && bytes.subarray(0, magic.length).equals(magic),
  )?.[0];
}

export type AttachmentRefusal =
  'attachment_too_large' | 'attachment_type_not_allowed' | 'attachment_type_mismatch' | 'validation_failed';

/** Pure: decodes and checks an upload; the bytes and their type, or why not. */
export function checkAttachment(
  declared: string,
  base64: string,
): { ok: true; bytes: Buffer; type: AttachmentType } | { ok: false; code: AttachmentRefusal } {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0)
    return { ok: false, code: 'validation_failed' };
  if ((base64.length / 4) * 3 > attachmentBytesMax + 2) return { ok: false, code: 'attachment_too_large' };
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) return { ok: false, code: 'validation_failed' };
  if (bytes.length > attachmentBytesMax) return { ok: false, code: 'attachment_too_large' };
  const type = detectType(bytes);
  if (type === undefined) return { ok: false, code: 'attachment_type_not_allowed' };
  if (type !== declared) return { ok: false, code: 'attachment_type_mismatch' };
  return { ok: true, bytes, type };
}

const contextOf = (id: string) => Buffer.from(`support-attachment:${id}`, 'utf8');

export async function sealAttachment(keyring: Keyring, id: string, bytes: Buffer) {
  return {
    sealed: await keyring.seal('pii', bytes, contextOf(id)),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

export async function openAttachment(keyring: Keyring, id: string, sealed: Buffer): Promise<Buffer> {
  return keyring.open('pii', sealed, contextOf(id));
}
