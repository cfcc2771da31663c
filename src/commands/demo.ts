// Demo data for a first look, seeded once: a partner bank with its settlement account, the platform's
// revenue and suspense accounts, two real customers (registered through identity's own use cases,
// phone verified by the development SMS sink, wallets funded from the bank) and one merchant
// onboarded with an API key. Passwords and the API key are generated here and shown once. Every step
// looks for what an earlier run made first, so an interrupted seed is completed, never duplicated.
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../http/context.ts';
import {
  findCustomerByPhone,
  registerCustomer,
  requestSmsCode,
  residentIdCheckCharacter,
  type DevelopmentSmsSink,
} from '../identity/index.ts';
import { merchantProtectionWith, onboardMerchant, walletOf } from '../payments/index.ts';
import {
  createOperator,
  enrolOperator,
  issueApiToken,
  newTotpSecret,
  systemActor,
  totpCodeAt,
} from '../access/index.ts';

export interface DemoCustomer {
  readonly customerId: string;
  readonly walletId: string;
  readonly phone: string;
  /** Only when seeded by this call: shown once, never stored in plain. */
  readonly password?: string;
}

export interface DemoAccounts {
  readonly seeded: boolean;
  readonly bank: string;
  readonly customers: readonly DemoCustomer[];
  readonly merchant: { readonly merchantId: string; readonly apiKeyId?: string; readonly apiKey?: string } | undefined;
  /** A demo administrator's API token, only when seeded by this call (development only: production refuses the seed). */
  readonly operatorToken?: string;
  /** Two console operators (a maker and a checker), with password and TOTP secret: only on the run that created them. */
  readonly consoleOperators?: readonly DemoConsoleOperator[];
}

const bankCode = 'bank_settlement:DEMOBANK:CNY';
const demoPeople = [
  { phone: '+8613800000001', name: '李雷', idFirst17: '11010119900307123' },
  { phone: '+8613800000002', name: '韩梅梅', idFirst17: '11010119920815234' },
] as const;
const meta = { ip: '127.0.0.1', userAgent: 'anfu demo seed' };

function latestSmsCode(sms: unknown, phone: string): string {
  const sink = sms as Partial<DevelopmentSmsSink>;
  if (sink.latest === undefined) {
    throw new Error(
      'demo seed: customers register through the development SMS sink; seed without ANFU_SMS_GATEWAY_URL',
    );
  }
  const code = /\d{6}/.exec(sink.latest(phone)?.text ?? '')?.[0];
  if (code === undefined) throw new Error('demo seed: no SMS code reached the development sink');
  return code;
}

async function registerDemoCustomer(context: AppContext, person: (typeof demoPeople)[number]): Promise<DemoCustomer> {
  const known = await findCustomerByPhone(context.identity, person.phone);
  if (known !== undefined)
    return { customerId: known, walletId: (await walletOf(context.ledger, known, 'CNY')).id, phone: person.phone };
  const password = `demo-${randomBytes(12).toString('base64url')}`;
  const sent = await requestSmsCode(context.identity, { phone: person.phone, purpose: 'registration' }, meta);
  const registered = await registerCustomer(
    context.identity,
    {
      phone: person.phone,
      smsCodeId: sent.codeId,
      smsCode: latestSmsCode(context.identity.sms, person.phone),
      name: person.name,
      idNumber: person.idFirst17 + residentIdCheckCharacter(person.idFirst17),
      password,
      device: { platform: 'demo', screen: '1920x1080', timezone: 'Asia/Shanghai' },
    },
    meta,
  );
  const wallet = await walletOf(context.ledger, registered.customerId, 'CNY');
  return { customerId: registered.customerId, walletId: wallet.id, phone: person.phone, password };
}

async function ensureAccount(
  context: AppContext,
  input: Parameters<AppContext['ledger']['openAccount']>[0] & { code: string },
): Promise<{ id: string; created: boolean }> {
  const existing = await context.ledger.accountByCode(input.code);
  return existing !== undefined
    ? { id: existing.id, created: false }
    : { id: (await context.ledger.openAccount(input)).id, created: true };
}

const demoMerchantName = 'Demo Tea House';

async function ensureDemoMerchant(context: AppContext): Promise<DemoAccounts['merchant']> {
  const existing = await context.store.get<{ id: string }>(
    'SELECT id FROM merchants WHERE name = ? ORDER BY created_at LIMIT 1',
    [demoMerchantName],
  );
  if (existing !== undefined) return { merchantId: String(existing.id) };
  const onboarded = await onboardMerchant(
    context.store,
    merchantProtectionWith(context.keyring),
    {
      name: demoMerchantName,
      businessRegistration: '91310000MA1K000000',
      contactEmail: 'ops@tea-house.example',
      settlementAccount: '6222020200112233445',
    },
    'system:demo',
    context.config.merchantFeeBpsDefault,
    context.clock(),
  );
  return { merchantId: onboarded.merchant.id, apiKeyId: onboarded.apiKey.keyId, apiKey: onboarded.apiKey.apiKey };
}

const demoAdministrator = 'demo-admin';

/**
 * A demo administrator with an API token, created once. It enrols itself with a password and TOTP
 * secret nobody keeps (so it has no interactive session: it can read and propose, never approve).
 */
async function ensureDemoOperatorToken(context: AppContext): Promise<string | undefined> {
  const { store, access, clock } = context;
  const created = await createOperator(
    store,
    systemActor,
    { name: demoAdministrator, role: 'administrator' },
    access.enrolmentPolicy,
    clock(),
  );
  if (!created.ok) return undefined;
  const totpSecret = newTotpSecret();
  const enrolment = {
    name: demoAdministrator,
    code: created.operator.enrolmentCode,
    password: randomBytes(24).toString('base64url'),
    totpSecret,
    totp: totpCodeAt(totpSecret, clock()),
  };
  const enrolled = await enrolOperator(store, access.totpSecrets, systemActor, enrolment, clock());
  if (!enrolled.ok) throw new Error(`demo seed: operator enrolment failed: ${enrolled.code}`);
  const issued = await issueApiToken(
    store,
    systemActor,
    { operator: { id: enrolled.operatorId }, name: 'demo (development only)', maxDays: access.tokenDaysMax },
    clock(),
  );
  if (!issued.ok) throw new Error(`demo seed: token refused: ${issued.code}`);
  return issued.issued.token;
}

export interface DemoConsoleOperator {
  readonly name: string;
  readonly role: 'operations' | 'administrator';
  readonly password: string;
  readonly totpSecret: string;
}

/** Two operators for the console, so four eyes can be tried: one proposes, the other approves. */
async function ensureDemoConsoleOperators(context: AppContext): Promise<DemoConsoleOperator[]> {
  const { store, access, clock } = context;
  const made: DemoConsoleOperator[] = [];
  for (const [name, role] of [
    ['demo-maker', 'operations'],
    ['demo-checker', 'administrator'],
  ] as const) {
    const created = await createOperator(store, systemActor, { name, role }, access.enrolmentPolicy, clock());
    if (!created.ok) continue;
    const password = randomBytes(15).toString('base64url');
    const totpSecret = newTotpSecret();
    const code = created.operator.enrolmentCode;
    const enrolled = await enrolOperator(
      store,
      access.totpSecrets,
      systemActor,
      { name, code, password, totpSecret, totp: totpCodeAt(totpSecret, clock()) },
      clock(),
    );
    if (!enrolled.ok) throw new Error(`demo seed: operator enrolment failed: ${enrolled.code}`);
    made.push({ name, role, password, totpSecret });
  }
  return made;
}

export async function seedDemo(context: AppContext): Promise<DemoAccounts> {
  // Known phone numbers and printed passwords have no place in a live deployment.
  if (context.config.environment === 'production')
    throw new Error('demo data is refused in production (ANFU_ENV=production)');
  const bank = await ensureAccount(context, {
    kind: 'bank_settlement',
    currency: 'CNY',
    name: 'Demo Bank settlement (CNY)',
    code: bankCode,
    ownerId: 'bank_demo',
  });
  await ensureAccount(context, {
    kind: 'platform_revenue',
    currency: 'CNY',
    name: 'Platform revenue (CNY)',
    code: 'platform:revenue:CNY',
  });
  await ensureAccount(context, {
    kind: 'suspense',
    currency: 'CNY',
    name: 'Suspense (CNY)',
    code: 'platform:suspense:CNY',
  });
  const customers: DemoCustomer[] = [];
  for (const [n, person] of demoPeople.entries()) {
    const customer = await registerDemoCustomer(context, person);
    // The idempotency key makes funding happen once however often the seed runs.
    const funded = await context.ledger.submit({
      kind: 'single',
      key: `demo:fund:${n}`,
      debitAccountId: bank.id,
      creditAccountId: customer.walletId,
      amount: 100_000n * BigInt(n + 1),
      currency: 'CNY',
      reference: 'demo funding',
    });
    if (!funded.ok) throw new Error(`demo funding failed: ${funded.code}`);
    customers.push(customer);
  }
  const merchant = await ensureDemoMerchant(context);
  const operatorToken = await ensureDemoOperatorToken(context);
  const consoleOperators = await ensureDemoConsoleOperators(context);
  const seeded =
    bank.created ||
    customers.some((c) => c.password !== undefined) ||
    merchant?.apiKey !== undefined ||
    operatorToken !== undefined;
  const extra = {
    ...(operatorToken === undefined ? {} : { operatorToken }),
    ...(consoleOperators.length === 0 ? {} : { consoleOperators }),
  };
  return { seeded, bank: bank.id, customers, merchant, ...extra };
}

/** What `npm start` prints about the demo data: the credentials only on the run that created them. */
export function describeDemo(demo: DemoAccounts): string {
  const lines = [
    '',
    demo.seeded
      ? 'Demo data seeded (passwords and API key shown once):'
      : 'Demo data already present (passwords and API key were shown when it was seeded):',
    `  bank settlement account ${demo.bank}`,
  ];
  for (const c of demo.customers)
    lines.push(
      `  customer ${c.customerId}  phone ${c.phone}${c.password === undefined ? '' : `  password ${c.password}`}  wallet ${c.walletId}`,
    );
  if (demo.merchant !== undefined)
    lines.push(
      `  merchant ${demo.merchant.merchantId}${demo.merchant.apiKey === undefined ? '' : `  API key id ${demo.merchant.apiKeyId ?? ''}  API key ${demo.merchant.apiKey}`}`,
    );
  if (demo.operatorToken !== undefined) {
    lines.push(
      `  DEVELOPMENT ONLY: operator API token of ${demoAdministrator} (administrator; reads and proposes, cannot approve):`,
      `    ${demo.operatorToken}`,
    );
  }
  for (const op of demo.consoleOperators ?? []) {
    lines.push(
      `  DEVELOPMENT ONLY: console operator ${op.name} (${op.role})  password ${op.password}  TOTP secret ${op.totpSecret}`,
    );
  }
  if ((demo.consoleOperators ?? []).length > 0)
    lines.push('    (a code for the console: oathtool --totp -b <secret>, or add the secret to an authenticator app)');
  return lines.join('\n');
}
