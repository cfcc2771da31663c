// Customer identity and authentication: the only door other folders use (R3, R6.2).
export { openIdentity, type Identity, type OpenIdentityOptions, type RequestMeta } from './identity.ts';
export type {
  ApplicantScreening, FactorChangeRisk, IdNumberBlocked, FailedAttemptRisk, RegistrationRating,
} from './identity.ts';
export { registerCustomer, type RegistrationInput, type Registered } from './register-customer.ts';
export { requestSmsCode, type SentSmsCode } from './sms-codes.ts';
export { logInCustomer, type LoginResult } from './log-in-customer.ts';
export {
  completeLoginChallenge,
  sendChallengeSms,
  liveChallenge,
  deviceChallengeData,
  type ChallengeAnswer,
} from './complete-login-challenge.ts';
export {
  authenticateCustomer,
  authenticateBearer,
  refreshSession,
  endSession,
  requireSecondFactor,
  type CustomerPrincipal,
  type IssuedSession,
  type FactorClass,
} from './sessions.ts';
export { startTotpEnrolment, confirmTotpEnrolment, removeTotp } from './enrol-totp.ts';
export { generateRecoveryCodes } from './recovery-codes.ts';
export { passkeyRegistrationOptions, registerPasskey, passkeyAuthenticationOptions } from './passkeys.ts';
export {
  issueDeviceCertificate,
  verifyDeviceSignature,
  type DeviceSignatureCheck,
  type IssuedDeviceCertificate,
} from './issue-device-certificate.ts';
export { listDevices, listSessions, revokeCustomerDevice } from './manage-devices.ts';
export { endCustomerSessions } from './end-customer-sessions.ts';
export { changePassword, resetPassword, type PasswordResetInput } from './change-password.ts';
export { customerProfile, addVerificationSource, listNotices, type CustomerProfile } from './customer-profile.ts';
export { recordNotice, noticeKinds, type NoticeKind } from './notices.ts';
export {
  accountClasses,
  accountClassFor,
  developmentVerifiers,
  type AccountClass,
  type IdentityVerifier,
  type IdentityClaim,
  type VerificationResult,
} from './identity-verification.ts';
export { fileSmsSender, type SmsSender, type SmsMessage, type DevelopmentSmsSink } from './sms-sender.ts';
export {
  authenticationStrength,
  dailyLimitMinorByStrength,
  type AuthenticationStrength,
} from './authentication-strength.ts';
// What payments (and other capabilities) may look up: standing, device credentials, payee by phone, masked name, payment step-up.
export { customerStanding, type CustomerStanding } from './customer-standing.ts';
export { deviceCredentials, deviceCaCertificatePem, type DeviceCredentials } from './device-credentials.ts';
export { findCustomerByPhone } from './find-customer-by-phone.ts';
export { maskedNameOf, maskLegalName } from './masked-name.ts';
export { verifyPaymentStepUp, type PaymentStepUp, type PaymentStepUpVerdict } from './verify-payment-step-up.ts';
export { sendStepUpCode, stepUpPasskeyOptions, type StepUpFactor } from './step-up-factors.ts';
export {
  recentFactorChangeAt,
  stepUpSession,
  sendSessionStepUpCode,
  sessionStepUpPasskeyOptions,
} from './factor-changes.ts';
export { cardholderOf } from './cardholder-of.ts';
export { checkCharacter as residentIdCheckCharacter } from './resident-id.ts';
export { totpCode } from './totp.ts';
export { customersToScreen, type CustomerToScreen } from './screening-parties.ts';
