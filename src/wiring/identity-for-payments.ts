// Payments' identity port (src/payments/payment-identity.ts) answered by the real identity
// capability through its door: customers, devices with their certificates, the device CA, payee
// lookup by phone, masked names, customer sessions and payment step-up. Built once per app.
import {
  authenticateBearer,
  authenticationStrength,
  customerStanding,
  deviceCaCertificatePem,
  deviceCredentials,
  findCustomerByPhone,
  maskedNameOf,
  recentFactorChangeAt,
  cardholderOf,
  sendStepUpCode,
  stepUpPasskeyOptions,
  verifyPaymentStepUp,
  type AuthenticationStrength as SessionStrength,
  type Identity,
} from '../identity/index.ts';
import type { LimitTier, PaymentIdentity } from '../payments/index.ts';

/** Identity names the strength of a session; payments' limits name the same three tiers their way. */
const limitTierOf: Readonly<Record<SessionStrength, LimitTier>> = {
  certificate_and_factor: 'certificate',
  two_factors: 'two_factors',
  single_factor: 'weak',
};

export function identityForPayments(identity: Identity): PaymentIdentity {
  return {
    async customer(id) {
      const standing = await customerStanding(identity, id);
      return standing === undefined
        ? undefined
        : {
            id: standing.customerId,
            accountClass: standing.accountClass,
            status: standing.status,
            createdAt: standing.openedAt,
            idNumberHash: standing.idNumberHash,
          };
    },
    async device(id) {
      const device = await deviceCredentials(identity, id);
      return device === undefined
        ? undefined
        : {
            id: device.deviceId,
            customerId: device.customerId,
            status: device.status,
            certificatePem: device.certificatePem,
            createdAt: device.enrolledAt,
          };
    },
    deviceCaCertificatePem: () => deviceCaCertificatePem(identity),
    customerIdByPhone: (phone) => findCustomerByPhone(identity, phone),
    maskedName: (customerId) => maskedNameOf(identity, customerId),
    async authenticate(authorization) {
      const principal = await authenticateBearer(identity, authorization);
      return principal === undefined
        ? undefined
        : {
            customerId: principal.customerId,
            deviceId: principal.deviceId,
            strength: limitTierOf[authenticationStrength(principal)],
          };
    },
    verifyStepUp: ({ ip, ...input }) =>
      verifyPaymentStepUp(identity, { ...input, meta: { ip: ip ?? null, userAgent: null } }),
    sendStepUpCode: ({ customerId, deviceId, paymentId, summary }) =>
      sendStepUpCode(
        identity,
        customerId,
        {
          purpose: 'payment',
          subjectId: paymentId,
          text: `【安付】支付验证码 {code}，用于${summary}，5分钟内有效。请勿告诉他人。`,
        },
        { ip: null, userAgent: null, deviceId },
      ),
    stepUpPasskeyOptions: (customerId, paymentId) =>
      stepUpPasskeyOptions(identity, customerId, { purpose: 'payment', subjectId: paymentId }),
    recentFactorChangeAt: (customerId) => recentFactorChangeAt(identity, customerId),
    cardholder: (customerId) => cardholderOf(identity, customerId),
  };
}
