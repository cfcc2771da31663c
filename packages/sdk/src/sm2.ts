// The SM2 device key (profile `gm`) for Node: GM/T 0003.2 signatures with the default user ID
// "1234567812345678" and SM3, DER-encoded, as the server verifies them. Point multiplication is
// OpenSSL's (node:crypto ECDH on curve "SM2"), SM3 is OpenSSL's; the scalar arithmetic is here.
// A separate entry point (`@anfu/sdk/sm2`) so browser bundles of the SDK need no node:crypto.
import { createECDH, createHash, randomBytes } from 'node:crypto';
import { derSignature, pem, type DeviceKey } from './device-keys.ts';

const hexBig = (hex: string) => BigInt(`0x${hex}`);
const curve = {
  a: hexBig('FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC'),
  b: hexBig('28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93'),
  n: hexBig('FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123'),
  gx: hexBig('32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7'),
  gy: hexBig('BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0'),
};
const defaultUserId = Buffer.from('1234567812345678', 'utf8');
/** SEQUENCE { SEQUENCE { id-ecPublicKey, sm2 curve }, BIT STRING … }: the SPKI prefix of an SM2 point. */
const spkiPrefix = Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d034200', 'hex');

const bytes32 = (value: bigint) => Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
const mod = (value: bigint, m: bigint) => ((value % m) + m) % m;

function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

/** k·G as the uncompressed point 04 ‖ x ‖ y. */
function baseMultiply(scalar: Buffer): Buffer {
  const ecdh = createECDH('SM2');
  ecdh.setPrivateKey(scalar);
  return ecdh.getPublicKey();
}

function randomScalar(): Buffer {
  for (;;) {
    const candidate = randomBytes(32);
    const value = hexBig(candidate.toString('hex'));
    if (value >= 1n && value < curve.n - 1n) return candidate;
  }
}

/** e = SM3(Z ‖ M), Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ xG ‖ yG ‖ xA ‖ yA). */
function digest(publicPoint: Buffer, message: Uint8Array): bigint {
  const entl = Buffer.from([(defaultUserId.length * 8) >> 8, (defaultUserId.length * 8) & 0xff]);
  const z = createHash('sm3')
    .update(Buffer.concat([entl, defaultUserId, ...[curve.a, curve.b, curve.gx, curve.gy].map(bytes32)]))
    .update(publicPoint.subarray(1))
    .digest();
  return hexBig(createHash('sm3').update(z).update(message).digest('hex'));
}

export function sm2Sign(privateScalar: Buffer, publicPoint: Buffer, message: Uint8Array): Uint8Array {
  const d = hexBig(privateScalar.toString('hex'));
  const e = digest(publicPoint, message);
  const inverse = modPow(1n + d, curve.n - 2n, curve.n);
  for (;;) {
    const kBytes = randomScalar();
    const k = hexBig(kBytes.toString('hex'));
    const x1 = hexBig(baseMultiply(kBytes).subarray(1, 33).toString('hex'));
    const r = mod(e + x1, curve.n);
    if (r === 0n || r + k === curve.n) continue;
    const s = mod(inverse * (k - r * d), curve.n);
    if (s !== 0n) return derSignature(bytes32(r), bytes32(s));
  }
}

/** An SM2 device key from a 32-byte private scalar (hex), or a fresh one. Keep the scalar secret. */
export function sm2DeviceKey(
  privateKeyHex: string = randomScalar().toString('hex'),
): DeviceKey & { privateKeyHex: string } {
  if (!/^[0-9a-f]{64}$/i.test(privateKeyHex)) throw new Error('an SM2 private key is 32 bytes of hex');
  const scalar = Buffer.from(privateKeyHex, 'hex');
  const point = baseMultiply(scalar);
  return {
    profile: 'gm',
    privateKeyHex,
    publicKeyPem: async () => pem('PUBLIC KEY', Buffer.concat([spkiPrefix, point])),
    sign: async (data) => sm2Sign(scalar, point, data),
  };
}
