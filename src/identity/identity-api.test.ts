// Customer identity through the real app on both stores: registration with real-name checks, login
// with risk-based step-up, TOTP, recovery codes, device certificates, sessions, notices — and the
// attacks: wrong, expired and reused codes, enumeration, brute force, token forgery and reuse.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testStoreKinds } from '../store/testing.ts';
import { totpCode } from './totp.ts';
import type { IdentityVerifier } from './identity-verification.ts';
import { browserDevice, createIdentityTestApp, phoneNumber, registerThroughApi, residentIdNumber, type IdentityTestApp, type RegisteredCustomer } from '../wiring/identity-test-app.ts';

function opensslVerify(caPem: string, certificatePem: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-openssl-'));
  writeFileSync(join(dir, 'ca.pem'), caPem);
  writeFileSync(join(dir, 'device.pem'), certificatePem);
  const result = spawnSync('/usr/bin/openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'device.pem')], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  return result.status === 0 && result.stdout.includes(': OK');
}

/** A device certificate from some other CA, made by openssl itself. */
function selfSignedElsewhere(): string {
  const dir = mkdtempSync(join(tmpdir(), 'anfu-openssl-'));
  spawnSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', '/CN=Anfu Device CA/O=Anfu', '-days', '1'], { encoding: 'utf8' });
  const pem = readFileSync(join(dir, 'c.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return pem;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const otherDevice = { installId: 'install-b', platform: 'iPhone', screen: '390x844' };

async function login(t: IdentityTestApp, c: RegisteredCustomer, device: Record<string, string>, remoteAddress?: string) {
  return t.app.inject({ method: 'POST', url: '/v1/customer-sessions', payload: { phone: c.phone, password: c.password, device }, ...(remoteAddress === undefined ? {} : { remoteAddress }) });
}

async function auditActions(t: IdentityTestApp, action: string): Promise<Array<{ outcome: string; details: string }>> {
  return t.store.all<{ outcome: string; details: string }>('SELECT outcome, details FROM audit_entries WHERE action = ? ORDER BY seq', [action]);
}

for (const kind of testStoreKinds()) {
  describe(`wallet class by verification sources (${kind})`, () => {
    const source = (name: string, stage: 'registration' | 'upgrade', verified = true): IdentityVerifier => ({
      source: name, stage, verify: async (claim) => (verified && claim.evidence?.refuse === undefined ? { verified: true, reference: `${name}-ok` } : { verified: false, reason: 'mismatch' }),
    });
    let t: IdentityTestApp;
    before(async () => {
      t = await createIdentityTestApp(kind, { verifiers: [source('bureau', 'registration'), source('telecom', 'registration'), source('down', 'registration', false), source('bank-card', 'upgrade'), source('social-security', 'upgrade'), source('face', 'upgrade'), source('utility', 'upgrade')] });
    });
    after(async () => t.close());

    test('two registration sources give class I; adding sources upgrades to II and III; a failed source is audited', async () => {
      const c = await registerThroughApi(t);
      const me = (await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(c.accessToken) })).json();
      assert.equal(me.accountClass, 'I');
      assert.deepEqual(me.verificationSources.sort(), ['bureau', 'telecom']);
      const add = (name: string, evidence: Record<string, string> = { cardNumber: '6222020000000000' }) => t.app.inject({ method: 'POST', url: '/v1/me/verifications', headers: bearer(c.accessToken), payload: { source: name, evidence } });
      assert.equal((await add('bank-card', { refuse: 'yes' })).json().code, 'verification_failed');
      assert.equal((await add('nonexistent')).json().code, 'verification_source_unknown');
      assert.equal((await add('bank-card')).json().accountClass, 'II');
      assert.equal((await add('social-security')).json().accountClass, 'II');
      assert.equal((await add('face')).json().accountClass, 'III');
      const notices = (await t.app.inject({ method: 'GET', url: '/v1/me/notices', headers: bearer(c.accessToken) })).json().items as Array<{ kind: string; details: { to?: string } }>;
      assert.deepEqual(notices.filter((n) => n.kind === 'account_class_changed').map((n) => n.details.to), ['III', 'II']);
      // The same person may open another wallet of a class they do not hold yet (class I), but not a second class III.
      const second = await registerThroughApi(t, { idNumber: c.idNumber });
      assert.equal((await t.app.inject({ method: 'POST', url: '/v1/me/verifications', headers: bearer(second.accessToken), payload: { source: 'bank-card', evidence: {} } })).json().accountClass, 'II');
      await t.app.inject({ method: 'POST', url: '/v1/me/verifications', headers: bearer(second.accessToken), payload: { source: 'face', evidence: {} } });
      const third = await t.app.inject({ method: 'POST', url: '/v1/me/verifications', headers: bearer(second.accessToken), payload: { source: 'utility', evidence: {} } });
      assert.equal(third.json().code, 'identity_already_registered');
      assert.ok((await auditActions(t, 'customer.verification.add')).some((e) => e.outcome === 'failure'));
    });
  });

  describe(`customer identity API (${kind})`, () => {
    let t: IdentityTestApp;
    before(async () => {
      t = await createIdentityTestApp(kind);
    });
    after(async () => t.close());

    test('registration verifies the phone by SMS, seals personal data and signs in with two factors', async () => {
      const c = await registerThroughApi(t);
      const row = await t.store.get('SELECT * FROM customers WHERE id = ?', [c.customerId]);
      assert.ok(row !== undefined);
      const stored = JSON.stringify(Object.values(row).map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v))));
      for (const plain of [c.phone.slice(3), c.idNumber, '张三']) assert.ok(!stored.includes(plain), 'personal data stored in plain');
      const me = await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(c.accessToken) });
      assert.equal(me.statusCode, 200);
      assert.deepEqual({ ...(me.json() as Record<string, unknown>), customerId: undefined }, { customerId: undefined, phone: `${c.phone.slice(0, 6)}****${c.phone.slice(-4)}`, name: '*三', accountClass: 'I', verificationSources: ['development-format'], factors: { totp: false, passkeys: 0, recoveryCodes: 0 } });
      const sessions = await t.app.inject({ method: 'GET', url: '/v1/me/sessions', headers: bearer(c.accessToken) });
      assert.deepEqual(sessions.json().items[0].factors, ['password', 'sms']);
      assert.ok((await auditActions(t, 'customer.register')).some((e) => e.outcome === 'success'));
      assert.ok(!t.logs.join('').includes(c.idNumber) && !t.logs.join('').includes(c.phone.slice(3)), 'personal data in logs');
    });

    test('bad registration input is refused with clear codes and creates nothing', async () => {
      const before = await t.store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM customers');
      const phone = phoneNumber();
      const sent = await t.app.inject({ method: 'POST', url: '/v1/sms-codes', payload: { phone, purpose: 'registration' } });
      const base = { phone, smsCodeId: sent.json().codeId, smsCode: t.smsCode(phone), name: '李四', idNumber: residentIdNumber(), password: 'a fine long passphrase', device: browserDevice };
      const cases: Array<[Record<string, unknown>, number, string]> = [
        [{ phone: '12345' }, 422, 'phone_number_invalid'],
        [{ idNumber: `${base.idNumber.slice(0, 17)}${base.idNumber[17] === '0' ? '1' : '0'}` }, 422, 'id_number_invalid'],
        [{ idNumber: residentIdNumber('20150101') }, 422, 'customer_underage'],
        [{ name: '李\u200d四' }, 422, 'name_invalid'],
        [{ name: 'Li四' }, 422, 'name_invalid'],
        [{ password: 'password123' }, 422, 'password_rejected'],
        [{ password: `x${phone.slice(3)}` }, 422, 'password_rejected'],
        [{ name: '李'.repeat(500) }, 400, 'validation_failed'],
        [{ extra: 1 }, 400, 'validation_failed'],
        [{ smsCode: '000000' === base.smsCode ? '000001' : '000000' }, 401, 'code_invalid'],
      ];
      for (const [change, status, code] of cases) {
        const response = await t.app.inject({ method: 'POST', url: '/v1/customers', payload: { ...base, ...change } });
        assert.equal(response.statusCode, status, JSON.stringify(change));
        assert.equal(response.json().code, code, JSON.stringify(change));
        assert.match(String(response.headers['content-type']), /application\/problem\+json/);
      }
      const afterCount = await t.store.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM customers');
      assert.equal(String(afterCount?.n), String(before?.n));
    });

    test('SMS codes: wrong ones count, expire, spend after the attempt limit, and are single use', async () => {
      const phone = phoneNumber();
      const send = () => t.app.inject({ method: 'POST', url: '/v1/sms-codes', payload: { phone, purpose: 'registration' } });
      const first = (await send()).json().codeId as string;
      const code = t.smsCode(phone);
      const register = (codeId: string, smsCode: string) => t.app.inject({ method: 'POST', url: '/v1/customers', payload: { phone, smsCodeId: codeId, smsCode, name: '王五', idNumber: residentIdNumber(), password: 'a fine long passphrase', device: browserDevice } });
      const wrong = code === '111111' ? '222222' : '111111';
      for (let i = 0; i < t.config.smsCodeAttemptsMax; i++) assert.equal((await register(first, wrong)).json().code, 'code_invalid');
      assert.equal((await register(first, code)).json().code, 'code_invalid', 'spent after the attempt limit');
      const second = (await send()).json().codeId as string;
      const secondCode = t.smsCode(phone);
      t.advance(t.config.smsCodeTtlMs + 1);
      assert.equal((await register(second, secondCode)).json().code, 'code_invalid', 'expired');
      const third = (await send()).json().codeId as string;
      assert.equal((await register(third, t.smsCode(phone))).statusCode, 201);
      assert.equal((await register(third, t.smsCode(phone))).json().code, 'code_invalid', 'reused');
    });

    test('one person cannot hold two wallets of the same class; a phone number only one', async () => {
      const c = await registerThroughApi(t);
      await assert.rejects(registerThroughApi(t, { idNumber: c.idNumber }), /409.*identity_already_registered/);
      await assert.rejects(registerThroughApi(t, { phone: c.phone }), /409.*phone_already_registered/);
    });

    test('login: known device is allowed, a new device is challenged and completed by SMS, with a notice', async () => {
      const c = await registerThroughApi(t);
      const known = await login(t, c, browserDevice);
      assert.equal(known.statusCode, 201);
      assert.deepEqual(known.json().factors, ['password']);
      assert.equal(known.json().authenticationStrength, 'single_factor');
      const challenged = await login(t, c, otherDevice);
      assert.equal(challenged.statusCode, 202);
      assert.deepEqual(challenged.json().factors, ['sms']);
      assert.ok(challenged.json().reasons.includes('new_device'));
      const { challengeId } = challenged.json();
      assert.equal((await t.app.inject({ method: 'POST', url: `/v1/login-challenges/${challengeId}`, payload: { factor: 'totp', code: '123456' } })).json().code, 'factor_not_acceptable');
      const sent = await t.app.inject({ method: 'POST', url: `/v1/login-challenges/${challengeId}/sms` });
      assert.equal(sent.statusCode, 202);
      const smsCode = t.smsCode(c.phone);
      const done = await t.app.inject({ method: 'POST', url: `/v1/login-challenges/${challengeId}`, payload: { factor: 'sms', codeId: sent.json().codeId, code: smsCode } });
      assert.equal(done.statusCode, 201);
      assert.deepEqual(done.json().factors, ['password', 'sms']);
      assert.equal(done.json().authenticationStrength, 'two_factors');
      assert.equal((await t.app.inject({ method: 'POST', url: `/v1/login-challenges/${challengeId}`, payload: { factor: 'sms', codeId: sent.json().codeId, code: smsCode } })).json().code, 'challenge_invalid');
      const notices = await t.app.inject({ method: 'GET', url: '/v1/me/notices', headers: bearer(done.json().accessToken) });
      assert.ok(notices.json().items.some((n: { kind: string }) => n.kind === 'new_device_login'));
      assert.match(t.lastSms(c.phone)?.purpose ?? '', /notice:new_device_login/);
      const devices = await t.app.inject({ method: 'GET', url: '/v1/me/devices', headers: bearer(done.json().accessToken) });
      assert.equal(devices.json().items.length, 2);
    });

    test('wrong passwords and unknown phones get the same answer and the same throttling; lockout is audited as brute force', async () => {
      const c = await registerThroughApi(t);
      const unknown = { ...c, phone: phoneNumber() };
      for (const target of [c, unknown]) {
        const codes: string[] = [];
        for (let i = 0; i < 5; i++) {
          const response = await login(t, { ...target, password: 'wrong password!' }, browserDevice, '198.51.100.1');
          codes.push(response.json().code);
        }
        assert.deepEqual(codes, ['login_failed', 'login_failed', 'login_failed', 'login_failed', 'login_throttled']);
      }
      const throttled = await login(t, c, browserDevice, '198.51.100.1');
      assert.equal(throttled.statusCode, 429);
      assert.ok(throttled.json().retryAfterSeconds >= 1);
      for (let i = 0; i < 8; i++) {
        t.advance(31 * 60_000);
        await login(t, { ...c, password: 'wrong password!' }, browserDevice, '198.51.100.1');
      }
      const events = await t.store.all<{ type: string }>("SELECT type FROM security_events WHERE type = 'brute_force'");
      assert.ok(events.length >= 1);
      t.advance(31 * 60_000);
      assert.equal((await login(t, c, browserDevice)).statusCode, 201, 'the lock lifts after the lockout');
      assert.ok((await auditActions(t, 'customer.login')).some((e) => e.outcome === 'denied' && e.details.includes('throttled')));
    });

    test('TOTP enrolment, step-up with TOTP, and no reuse of an accepted code', async () => {
      const c = await registerThroughApi(t);
      const started = await t.app.inject({ method: 'POST', url: '/v1/me/totp', headers: bearer(c.accessToken) });
      assert.equal(started.statusCode, 201);
      const { secret, uri } = started.json();
      assert.match(uri, /^otpauth:\/\/totp\//);
      assert.equal((await t.app.inject({ method: 'POST', url: '/v1/me/totp/confirm', headers: bearer(c.accessToken), payload: { code: '000000' } })).json().code, 'code_invalid');
      const code = totpCode(secret, t.identity.clock());
      assert.equal((await t.app.inject({ method: 'POST', url: '/v1/me/totp/confirm', headers: bearer(c.accessToken), payload: { code } })).statusCode, 204);
      const challenged = await login(t, c, otherDevice);
      assert.ok(challenged.json().factors.includes('totp'));
      const reuse = await t.app.inject({ method: 'POST', url: `/v1/login-challenges/${challenged.json().challengeId}`, payload: { factor: 'totp', code } });
      assert.equal(reuse.json().code, 'code_invalid', 'the enrolment code cannot be replayed');
      t.advance(30_000);
      const fresh = await t.app.inject({ method: 'POST', url: `/v1/login-challenges/${challenged.json().challengeId}`, payload: { factor: 'totp', code: totpCode(secret, t.identity.clock()) } });
      assert.equal(fresh.statusCode, 201);
      assert.deepEqual(fresh.json().factors, ['password', 'totp']);
    });

    test('refresh tokens rotate; reuse ends the session; logout ends access at once', async () => {
      const c = await registerThroughApi(t);
      const refreshed = await t.app.inject({ method: 'POST', url: '/v1/customer-sessions/refresh', payload: { refreshToken: c.refreshToken } });
      assert.equal(refreshed.statusCode, 200);
      assert.notEqual(refreshed.json().refreshToken, c.refreshToken);
      const replay = await t.app.inject({ method: 'POST', url: '/v1/customer-sessions/refresh', payload: { refreshToken: c.refreshToken } });
      assert.equal(replay.json().code, 'refresh_token_invalid');
      assert.equal((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(refreshed.json().accessToken) })).statusCode, 401, 'the family is revoked');
      assert.equal((await t.app.inject({ method: 'POST', url: '/v1/customer-sessions/refresh', payload: { refreshToken: refreshed.json().refreshToken } })).statusCode, 401);
      const session = await login(t, c, browserDevice);
      const token = session.json().accessToken as string;
      assert.equal((await t.app.inject({ method: 'DELETE', url: '/v1/me/session', headers: bearer(token) })).statusCode, 204);
      assert.equal((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) })).statusCode, 401);
    });

    test('access tokens: forged, tampered and expired tokens are refused', async () => {
      const c = await registerThroughApi(t);
      const [body, mac] = c.accessToken.split('.') as [string, string];
      const claims = JSON.parse(Buffer.from(body.slice('anfu_ca_'.length), 'base64url').toString('utf8')) as Record<string, unknown>;
      const forged = `anfu_ca_${Buffer.from(JSON.stringify({ ...claims, e: Number(claims.e) + 3600_000 })).toString('base64url')}.${mac}`;
      for (const token of [forged, `${body}.${mac.slice(0, -2)}AA`, 'anfu_ca_x.y', 'anfu_op_nothing']) {
        assert.equal((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(token) })).statusCode, 401, token);
      }
      t.advance(t.config.customerAccessTokenTtlMs + 1);
      assert.equal((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(c.accessToken) })).statusCode, 401);
    });

    test('device certificate: issued after a second factor, verifies with openssl, answers a challenge by signature; revocation stops it at once', async () => {
      const c = await registerThroughApi(t);
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const single = (await login(t, c, browserDevice)).json().accessToken as string;
      assert.equal((await t.app.inject({ method: 'POST', url: '/v1/me/device-certificate', headers: bearer(single), payload: { publicKey: pem } })).json().code, 'step_up_required');
      assert.equal((await t.app.inject({ method: 'POST', url: '/v1/me/device-certificate', headers: bearer(c.accessToken), payload: { publicKey: 'not a key' } })).json().code, 'device_key_invalid');
      const issued = await t.app.inject({ method: 'POST', url: '/v1/me/device-certificate', headers: bearer(c.accessToken), payload: { publicKey: pem } });
      assert.equal(issued.statusCode, 201);
      const { certificate, caCertificate } = issued.json();
      assert.equal(opensslVerify(caCertificate, certificate), true, 'openssl verify -CAfile accepts the device certificate');
      assert.equal(opensslVerify(caCertificate, selfSignedElsewhere()), false, 'and refuses one of another CA');
      const challenged = await login(t, c, browserDevice, '203.0.113.9');
      assert.equal(challenged.statusCode, 202);
      assert.ok(challenged.json().factors.includes('device_signature'));
      const { challengeId, nonce } = challenged.json();
      const data = Buffer.from(`anfu-login-v1|${challengeId}|${nonce}`);
      const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const answer = (signature: Buffer, cert: string) => t.app.inject({ method: 'POST', url: `/v1/login-challenges/${challengeId}`, payload: { factor: 'device_signature', signature: signature.toString('base64'), certificate: cert } });
      assert.equal((await answer(sign('sha256', data, foreign.privateKey), certificate)).json().code, 'device_certificate_invalid');
      assert.equal((await answer(sign('sha256', data, privateKey), caCertificate)).json().code, 'device_certificate_invalid', 'a certificate that is not the device’s');
      assert.equal((await answer(sign('sha256', data, privateKey), selfSignedElsewhere())).json().code, 'device_certificate_invalid', 'a certificate of another CA with the same name');
      const done = await answer(sign('sha256', data, privateKey), certificate);
      assert.equal(done.statusCode, 201);
      assert.equal(done.json().deviceSigned, true);
      assert.equal(done.json().authenticationStrength, 'certificate_and_factor');
      const revoke = await t.app.inject({ method: 'DELETE', url: `/v1/me/devices/${c.deviceId}`, headers: bearer(c.accessToken) });
      assert.equal(revoke.statusCode, 204);
      assert.equal((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(done.json().accessToken) })).statusCode, 401, 'sessions on the revoked device end');
      const check = await t.identity.store.get('SELECT status FROM customer_devices WHERE id = ?', [c.deviceId]);
      assert.equal(check?.status, 'revoked');
      const { verifyDeviceSignature } = await import('./issue-device-certificate.ts');
      assert.deepEqual(await verifyDeviceSignature(t.identity, { customerId: c.customerId, deviceId: c.deviceId, data, signature: sign('sha256', data, privateKey), certificatePem: certificate }), { ok: false, reason: 'revoked' });
    });

    test('recovery codes complete a challenge once; password change ends other sessions and notifies', async () => {
      const c = await registerThroughApi(t);
      const generated = await t.app.inject({ method: 'POST', url: '/v1/me/recovery-codes', headers: bearer(c.accessToken) });
      const codes = generated.json().codes as string[];
      assert.equal(codes.length, 10);
      const challenged = await login(t, c, otherDevice);
      assert.ok(challenged.json().factors.includes('recovery_code'));
      const use = (id: string) => t.app.inject({ method: 'POST', url: `/v1/login-challenges/${id}`, payload: { factor: 'recovery_code', code: codes[0] } });
      assert.equal((await use(challenged.json().challengeId)).statusCode, 201);
      const again = await login(t, c, { installId: 'install-c' });
      assert.equal((await use(again.json().challengeId)).json().code, 'code_invalid', 'single use');
      const change = await t.app.inject({ method: 'POST', url: '/v1/me/password', headers: bearer(c.accessToken), payload: { currentPassword: c.password, newPassword: 'another long passphrase' } });
      assert.equal(change.statusCode, 204);
      assert.equal((await login(t, c, browserDevice)).json().code, 'login_failed');
      const notices = await t.app.inject({ method: 'GET', url: '/v1/me/notices', headers: bearer(c.accessToken) });
      assert.ok(notices.json().items.some((n: { kind: string }) => n.kind === 'password_changed'));
    });

    test('password reset needs the SMS code and, when enrolled, a second factor; every session ends', async () => {
      const c = await registerThroughApi(t);
      await t.app.inject({ method: 'POST', url: '/v1/me/recovery-codes', headers: bearer(c.accessToken) }).then((r) => r.json().codes as string[]).then(async (codes) => {
        const unknown = await t.app.inject({ method: 'POST', url: '/v1/sms-codes', payload: { phone: phoneNumber(), purpose: 'password_reset' } });
        assert.equal(unknown.statusCode, 202, 'no enumeration: an unknown phone gets the same reply');
        const sent = await t.app.inject({ method: 'POST', url: '/v1/sms-codes', payload: { phone: c.phone, purpose: 'password_reset' } });
        const base = { phone: c.phone, smsCodeId: sent.json().codeId, smsCode: t.smsCode(c.phone), newPassword: 'brand new passphrase' };
        assert.equal((await t.app.inject({ method: 'POST', url: '/v1/password-resets', payload: base })).json().code, 'step_up_required');
        const sent2 = await t.app.inject({ method: 'POST', url: '/v1/sms-codes', payload: { phone: c.phone, purpose: 'password_reset' } });
        const reset = await t.app.inject({ method: 'POST', url: '/v1/password-resets', payload: { ...base, smsCodeId: sent2.json().codeId, smsCode: t.smsCode(c.phone), recoveryCode: codes[1] } });
        assert.equal(reset.statusCode, 204);
      });
      assert.equal((await t.app.inject({ method: 'GET', url: '/v1/me', headers: bearer(c.accessToken) })).statusCode, 401);
      assert.equal((await login(t, { ...c, password: 'brand new passphrase' }, browserDevice)).statusCode, 201);
    });
  });
}
