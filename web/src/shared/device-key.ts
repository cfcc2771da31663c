// The device key of this browser (R8.2): a P-256 key pair made by WebCrypto with a non-extractable
// private key, kept in IndexedDB as a key handle (the key's bytes can never be read out by script,
// ours or an injected one). It signs every payment instruction over RFC 8785 canonical JSON; the
// server checks the signature against the certificate it issued for this key. IndexedDB also keeps a
// random install id (what the server fingerprints the device by) and the certificate; nothing personal.
// Signing itself is the SDK's (`p256DeviceKey`, `signInstruction`: RFC 8785 JSON, DER signatures).
const dbName = 'anfu-wallet';
const storeName = 'device';

export interface DeviceRecord {
  readonly customerId: string;
  readonly keys: CryptoKeyPair;
  readonly deviceId?: string;
  readonly certificate?: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(dbName, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(storeName);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB unavailable'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = work(db.transaction(storeName, mode).objectStore(storeName));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

/** A random id for this browser profile, made once. */
export async function installId(): Promise<string> {
  const existing = await withStore<unknown>('readonly', (s) => s.get('install'));
  if (typeof existing === 'string') return existing;
  const fresh = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  await withStore('readwrite', (s) => s.put(fresh, 'install'));
  return fresh;
}

export async function deviceRecord(customerId: string): Promise<DeviceRecord | undefined> {
  const found = await withStore<unknown>('readonly', (s) => s.get(`key:${customerId}`));
  return found === undefined ? undefined : (found as DeviceRecord);
}

/** The customer's key pair on this browser, made (non-extractable) on first use. */
export async function deviceKeys(customerId: string): Promise<DeviceRecord> {
  const existing = await deviceRecord(customerId);
  if (existing !== undefined) return existing;
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const record: DeviceRecord = { customerId, keys };
  await withStore('readwrite', (s) => s.put(record, `key:${customerId}`));
  return record;
}

export async function saveCertificate(record: DeviceRecord, deviceId: string, certificate: string): Promise<DeviceRecord> {
  const next: DeviceRecord = { ...record, deviceId, certificate };
  await withStore('readwrite', (s) => s.put(next, `key:${record.customerId}`));
  return next;
}
