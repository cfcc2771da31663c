// Example: a customer's client on @anfu/sdk. It signs in with phone and password, certifies a device
// key (P-256, or SM2 on a `gm` platform) so it can sign payment instructions, finds the order by the
// code the merchant's QR carries, signs an `order_payment` instruction over its RFC 8785 form, and
// pays; when risk control challenges the sign-in or the payment it answers with an authenticator-app code. Run it:
//   ANFU_BASE_URL=https://localhost:8443 ANFU_PHONE=+86… ANFU_PASSWORD=… ANFU_PAYMENT_CODE=… \
//     ANFU_TOTP_CODE=123456 node --import tsx examples/customer-pay.ts
import { fileURLToPath } from 'node:url';
import {
  IdempotencyKeys,
  createAnfuClient,
  data,
  generateP256DeviceKey,
  newInstruction,
  signInstruction,
  type DeviceKey,
} from '@anfu/sdk';
import { sm2DeviceKey } from '@anfu/sdk/sm2';

export interface CustomerOptions {
  readonly baseUrl: string;
  readonly phone: string;
  readonly password: string;
  /** What the merchant's QR code carries. */
  readonly paymentCode: string;
  /** The platform's crypto profile: `intl` (P-256) or `gm` (SM2). */
  readonly profile?: 'intl' | 'gm';
  /** A fresh authenticator-app code, asked when the sign-in or the payment is challenged. */
  readonly totpCode: () => string | Promise<string>;
  /** The device's description, as the login risk rules see it. */
  readonly device?: Record<string, string>;
  /** The server's clock, for the instruction timestamp (default Date.now). */
  readonly now?: () => number;
}

const defaultDevice = { installId: 'example-install', platform: 'Linux x86_64', screen: '1920x1080', timezone: 'Asia/Shanghai' };

/** Phone and password; when the risk rules challenge the sign-in, the authenticator-app code answers. */
async function signIn(options: CustomerOptions) {
  const anonymous = createAnfuClient({ baseUrl: options.baseUrl });
  const login = await data(
    anonymous.POST('/v1/customer-sessions', {
      body: { phone: options.phone, password: options.password, device: options.device ?? defaultDevice },
    }),
  );
  if ('accessToken' in login) return login;
  if (!login.factors.includes('totp')) throw new Error(`sign-in asks for ${login.factors.join(' or ')}`);
  return data(
    anonymous.POST('/v1/login-challenges/{challengeId}', {
      params: { path: { challengeId: login.challengeId } },
      body: { factor: 'totp', code: await options.totpCode() },
    }),
  );
}

export async function signInAndPay(options: CustomerOptions) {
  const now = options.now ?? Date.now;
  const session = await signIn(options);
  const anfu = createAnfuClient({ baseUrl: options.baseUrl, credentials: { kind: 'bearer', token: session.accessToken } });

  // A key made on this device; only its public half leaves it, certified by the platform's device CA.
  const key: DeviceKey = options.profile === 'gm' ? sm2DeviceKey() : await generateP256DeviceKey();
  const certified = await data(anfu.POST('/v1/me/device-certificate', { body: { publicKey: await key.publicKeyPem() } }));

  const order = await data(anfu.GET('/v1/orders/by-code/{code}', { params: { path: { code: options.paymentCode } } }));
  const instruction = newInstruction({
    kind: 'order_payment',
    payer: session.customerId,
    device: certified.deviceId,
    target: order.id,
    amount: order.amount,
    currency: order.currency,
    timestamp: now(),
  });
  const keys = new IdempotencyKeys();
  const payment = await data(
    anfu.POST('/v1/orders/{orderId}/payments', {
      params: { path: { orderId: order.id }, header: { 'idempotency-key': keys.keyFor(`pay ${order.id}`) } },
      body: await signInstruction(key, instruction),
    }),
  );
  if (payment.state !== 'challenged') return payment;
  return data(
    anfu.POST('/v1/payments/{paymentId}/step-up', {
      params: { path: { paymentId: payment.id } },
      body: { kind: 'totp', code: await options.totpCode() },
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = (name: string) => {
    const value = process.env[name];
    if (value === undefined) throw new Error(`set ${name}`);
    return value;
  };
  const paid = await signInAndPay({
    baseUrl: env('ANFU_BASE_URL'),
    phone: env('ANFU_PHONE'),
    password: env('ANFU_PASSWORD'),
    paymentCode: env('ANFU_PAYMENT_CODE'),
    profile: process.env.ANFU_PROFILE === 'gm' ? 'gm' : 'intl',
    totpCode: () => env('ANFU_TOTP_CODE'),
  });
  process.stdout.write(`payment ${paid.id}: ${paid.state}\n`);
}
