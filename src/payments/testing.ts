// Test support for payments: an in-memory identity (customers, devices with certificates from a
// throw-away device CA, sessions by bearer token) and a helper that signs instructions like a device.
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { cryptoProfile, type PrivateKey } from '../crypto/index.ts';
import { newId } from '../ids.ts';
import type { AccountClass, LimitTier } from './payment-limits.ts';
import type { PayingCustomer, PaymentCustomer, PaymentDevice, PaymentIdentity } from './payment-identity.ts';
import { canonicalJsonOf, type Instruction } from './verify-instruction.ts';
import type { TokenVault } from '../crypto/index.ts';
import type { Store, Tx } from '../store/index.ts';
import { cardByToken, insertCard, type PaymentCard } from './store/funding.ts';
import { insertPayment, type Payment } from './store/payments.ts';
import { recordCreation, type TransitionActor } from './record-transition.ts';
import { createSignatureCheckPool, type SignatureChecks } from './signature-check-pool.ts';
import type { Keyring } from '../crypto/index.ts';
import { createCheckoutOrder, type CheckoutOrder } from './checkout-orders.ts';
import { merchantProtectionFor } from './merchant-protection.ts';
import { onboardMerchant, type Merchant } from './onboard-merchant.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface TestCustomer {
  readonly customer: PaymentCustomer;
  readonly device: PaymentDevice;
  readonly privateKey: PrivateKey;
  readonly principal: PayingCustomer;
  readonly token: string;
  readonly phone: string;
}

export interface TestIdentity extends PaymentIdentity {
  readonly profile: 'intl' | 'gm';
  addCustomer(options?: {
    accountClass?: AccountClass;
    strength?: LimitTier;
    certificateValidMs?: number;
    deviceAgeMs?: number;
    now?: number;
  }): Promise<TestCustomer>;
  stepUpCode: string;
}

/** The resident ID number the test identity reports for a customer: 17 digits from its id, then a check position. */
export function testCardholderIdNumber(customerId: string): string {
  let digits = '';
  for (const char of customerId) digits += String(char.charCodeAt(0) % 10);
  return `110101${digits.slice(-11).padStart(11, '0')}0`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

export async function createTestIdentity(profileName: 'intl' | 'gm' = 'intl'): Promise<TestIdentity> {
  const profile = cryptoProfile(profileName);
  const caKeys = (await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Test Device CA',
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 10 * 365 * 86_400_000),
    signingAlgorithm: ecdsa,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const customers = new Map<string, PaymentCustomer>();
  const devices = new Map<string, PaymentDevice>();
  const sessions = new Map<string, PayingCustomer>();
  const phones = new Map<string, string>();
  const identity: TestIdentity = {
    profile: profileName,
    stepUpCode: '123456',
    customer: async (id) => customers.get(id),
    device: async (id) => devices.get(id),
    deviceCaCertificatePem: async () => ca.toString('pem'),
    customerIdByPhone: async (phone) => phones.get(phone),
    maskedName: async (id) => (customers.has(id) ? '*三' : undefined),
    authenticate: async (header) =>
      header?.startsWith('Bearer ') === true ? sessions.get(header.slice(7)) : undefined,
    verifyStepUp: async ({ factor }) =>
      'code' in factor && factor.code === identity.stepUpCode
        ? { outcome: 'passed' }
        : { outcome: 'failed', attemptsLeft: 1 },
    sendStepUpCode: async () => ({ codeId: 'suc_test', expiresAt: Date.now() + 300_000 }),
    stepUpPasskeyOptions: async () => ({}),
    recentFactorChangeAt: async () => undefined,
    // Every test customer is 张三 with a resident ID derived from the customer id (docs: bank-sim rules list the same).
    cardholder: async (id) => (customers.has(id) ? { name: '张三', idNumber: testCardholderIdNumber(id) } : undefined),
    async addCustomer(options = {}) {
      const at = options.now ?? Date.now();
      const customer: PaymentCustomer = {
        id: newId('cus', at),
        accountClass: options.accountClass ?? 'III',
        status: 'active',
        createdAt: at - 365 * 86_400_000,
        // Stands in for the keyed blind index of the ID number (risk's `id` list).
        idNumberHash: randomBytes(32).toString('hex'),
      };
      const keys = profile.generateSigningKeyPair();
      const deviceId = newId('dev', at);
      const certificate = await x509.X509CertificateGenerator.create({
        serialNumber: randomBytes(8)
          .toString('hex')
          .replace(/^[89a-f]/, '1'),
        subject: `CN=${deviceId}`,
        issuer: ca.subject,
        notBefore: new Date(at - 86_400_000),
        notAfter: new Date(at + (options.certificateValidMs ?? 365 * 86_400_000)),
        signingAlgorithm: ecdsa,
        publicKey: pemBody(profile.exportPublicKey(keys.publicKey)),
        signingKey: caKeys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        ],
      });
      const device: PaymentDevice = {
        id: deviceId,
        customerId: customer.id,
        status: 'active',
        certificatePem: certificate.toString('pem'),
        createdAt: at - (options.deviceAgeMs ?? 30 * 86_400_000),
      };
      const principal: PayingCustomer = {
        customerId: customer.id,
        deviceId,
        strength: options.strength ?? 'certificate',
      };
      const token = randomBytes(16).toString('hex');
      const phone = `+86138${String(customers.size).padStart(8, '0')}`;
      customers.set(customer.id, customer);
      devices.set(deviceId, device);
      sessions.set(token, principal);
      phones.set(phone, customer.id);
      return { customer, device, privateKey: keys.privateKey, principal, token, phone };
    },
  };
  return identity;
}

/** An instruction as a device would build it, with a fresh nonce and the given clock. */
export function instructionFor(
  who: TestCustomer,
  fields: { kind: Instruction['kind']; target: string; amount: string; currency?: string; memo?: string },
  now: number = Date.now(),
): Instruction {
  return {
    version: 1,
    kind: fields.kind,
    payer: who.customer.id,
    device: who.device.id,
    target: fields.target,
    amount: fields.amount,
    currency: fields.currency ?? 'CNY',
    nonce: randomBytes(16).toString('base64url'),
    timestamp: now,
    ...(fields.memo === undefined ? {} : { memo: fields.memo }),
  };
}

/** The device signature (base64) over the canonical JSON of `instruction`. */
export function signInstruction(
  profileName: 'intl' | 'gm',
  who: Pick<TestCustomer, 'privateKey'>,
  instruction: object,
): string {
  return cryptoProfile(profileName)
    .sign(who.privateKey, Buffer.from(canonicalJsonOf(instruction), 'utf8'))
    .toString('base64');
}

/**
 * A card already bound and verified by its issuer, written straight to the store: for tests of
 * top-ups and withdrawals that are not about binding (flows/bind-card.ts is tested on its own).
 */
export async function verifiedTestCard(
  store: Store,
  vault: TokenVault,
  customerId: string,
  card: { pan: string; expiryMonth: number; expiryYear: number; bank: string },
): Promise<PaymentCard> {
  const { token, maskedPan } = await vault.tokenise({
    pan: card.pan,
    expiryMonth: card.expiryMonth,
    expiryYear: card.expiryYear,
  });
  const now = Date.now();
  await insertCard(store, {
    id: newId('card', now),
    customerId,
    cardToken: token,
    maskedPan,
    bank: card.bank,
    status: 'active',
    verifiedAt: now,
    createdAt: now,
  });
  const stored = await cardByToken(store, customerId, token);
  if (stored === undefined) throw new Error('test card vanished');
  return stored;
}

/** Rows written as they are, for tests that need a card or a funding payment in a given state. */
export { insertCard as seedTestCard, insertFunding as seedTestFunding } from './store/funding.ts';

/** A payment row written as it is, with its creating transition and audit entry (timeline tests). */
export async function seedTestPayment(tx: Tx, payment: Payment, actor: TransitionActor, now: number): Promise<void> {
  await insertPayment(tx, payment);
  await recordCreation(tx, payment, actor, now);
}

let testPool: SignatureChecks | undefined;

/**
 * The signature-check pool when the tests run with ANFU_TEST_VERIFY_WORKERS > 0 (one pool for the test
 * process; idle workers do not keep it alive), otherwise undefined: the check runs inline as by default.
 */
export function testSignatureChecks(): SignatureChecks | undefined {
  const workers = Number(process.env.ANFU_TEST_VERIFY_WORKERS ?? '0');
  if (!(workers > 0)) return undefined;
  testPool ??= createSignatureCheckPool({ workers });
  return testPool;
}

/** A merchant onboarded (by `opr_test`, 0.6 % fee) with one open checkout order for `amount` (tests). */
export async function testMerchantOrder(
  store: Store,
  keyring: Keyring,
  shop: { readonly name: string; readonly registration: string; readonly settlementAccount: string },
  order: { readonly reference: string; readonly amount: bigint; readonly description: string },
  now: number,
): Promise<{ merchant: Merchant; order: CheckoutOrder }> {
  const protection = await merchantProtectionFor(keyring);
  const input = {
    name: shop.name, businessRegistration: shop.registration, settlementAccount: shop.settlementAccount,
    contactEmail: `ops@${shop.name.toLowerCase().replace(/[^a-z]+/g, '')}.example`,
  };
  const { merchant } = await onboardMerchant(store, protection, input, 'opr_test', 60, now);
  const created = await createCheckoutOrder(store, {
    merchantId: merchant.id, merchantReference: order.reference, amount: order.amount, currency: 'CNY',
    description: order.description, ttlMs: 3_600_000,
  }, now);
  return { merchant, order: created };
}
