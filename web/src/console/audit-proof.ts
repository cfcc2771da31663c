// Checks an audit entry's inclusion proof in the browser, trusting nothing the server says about it:
// the leaf hash is recomputed from the entry's own fields (the canonical text of docs/audit.md), the
// RFC 9162 §2.1.3.2 path is walked to the root, the root must be the checkpoint's, and the checkpoint's
// signature must verify under the published signing key (WebCrypto ECDSA P-256 / SHA-256).

export interface EntryFields {
  readonly seq: string;
  readonly time: string;
  readonly actorType: string;
  readonly actorId: string | null;
  readonly device: string | null;
  readonly ip: string | null;
  readonly action: string;
  readonly target: string | null;
  readonly outcome: string;
  readonly details: string;
  readonly leafHash: string;
}

export interface CheckpointFields {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly chainHash: string;
  readonly time: string;
  readonly algorithm: string;
  readonly keyId: string;
  readonly signature: string;
}

export interface ProofFields {
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: string;
  readonly path: readonly string[];
}

export interface SigningKey {
  readonly algorithm: string;
  readonly keyId: string;
  readonly publicKeyPem: string;
}

/** Each check by name: the console lists them so an operator sees which one failed. */
export interface ProofChecks {
  readonly leaf: boolean;
  readonly path: boolean;
  readonly key: boolean;
  readonly signature: boolean;
}

const text = (value: string | null) => (value === null ? 'null' : JSON.stringify(value));

/** The canonical entry text the leaf hash covers (the same bytes as the server's canonicalEntry). */
export function canonicalEntryText(e: EntryFields): string {
  return (
    `{"v":1,"seq":${e.seq},"time":${Date.parse(e.time)},"actorType":${JSON.stringify(e.actorType)},` +
    `"actorId":${text(e.actorId)},"device":${text(e.device)},"ip":${text(e.ip)},` +
    `"action":${JSON.stringify(e.action)},"target":${text(e.target)},"outcome":${JSON.stringify(e.outcome)},` +
    `"details":${e.details}}`
  );
}

export function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', joined));
}

export async function leafHashOf(e: EntryFields): Promise<string> {
  return toHex(await sha256(new Uint8Array([0]), new TextEncoder().encode(canonicalEntryText(e))));
}

/** RFC 9162 §2.1.3.2: the root an inclusion path leads to, or undefined when the path is malformed. */
export async function rootFromPath(
  leafHex: string,
  leafIndex: number,
  treeSize: number,
  path: readonly string[],
): Promise<string | undefined> {
  if (leafIndex >= treeSize) return undefined;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = hexToBytes(leafHex) as Uint8Array;
  const node = new Uint8Array([1]);
  for (const hex of path) {
    if (sn === 0) return undefined;
    const p = hexToBytes(hex);
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(node, p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(node, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? toHex(r) : undefined;
}

/** The exact bytes a checkpoint signature covers (docs/audit.md). */
export function checkpointNote(c: CheckpointFields): string {
  return `anfu audit checkpoint v1\nsize ${c.treeSize}\nroot ${c.rootHash}\nchain ${c.chainHash}\ntime ${Date.parse(c.time)}\n`;
}

/** A DER ECDSA signature as WebCrypto's r‖s (32 bytes each for P-256). */
export function derToRaw(der: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  if (der[0] !== 0x30) return undefined;
  let at = der[1] === 0x81 ? 3 : 2;
  const out = new Uint8Array(64);
  for (let part = 0; part < 2; part++) {
    if (der[at] !== 0x02) return undefined;
    const length = der[at + 1] ?? 0;
    let value = der.subarray(at + 2, at + 2 + length);
    while (value.length > 32 && value[0] === 0) value = value.subarray(1);
    if (value.length > 32) return undefined;
    out.set(value, part * 32 + (32 - value.length));
    at += 2 + length;
  }
  return out;
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function signatureHolds(c: CheckpointFields, key: SigningKey): Promise<boolean> {
  if (c.algorithm !== 'ecdsa-p256-sha256' || key.algorithm !== 'ecdsa-p256-sha256') return false;
  const spki = base64Bytes(key.publicKeyPem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, ''));
  const raw = derToRaw(base64Bytes(c.signature));
  if (raw === undefined) return false;
  try {
    const imported = await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const note = new TextEncoder().encode(checkpointNote(c));
    return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, imported, raw, note);
  } catch {
    return false;
  }
}

/** Every check of one entry against one signed checkpoint. */
export async function checkInclusion(
  entry: EntryFields,
  proof: ProofFields,
  checkpoint: CheckpointFields,
  key: SigningKey,
): Promise<ProofChecks> {
  const leaf = await leafHashOf(entry);
  const root =
    proof.treeSize === checkpoint.treeSize
      ? await rootFromPath(leaf, Number(entry.seq) - 1, proof.treeSize, proof.path)
      : undefined;
  return {
    leaf: leaf === entry.leafHash && leaf === proof.leafHash,
    path: root !== undefined && root === checkpoint.rootHash,
    key: checkpoint.keyId === key.keyId,
    signature: await signatureHolds(checkpoint, key),
  };
}
