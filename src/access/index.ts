// Operator access: operators and roles, sessions with MFA, API tokens, least-privilege permissions,
// maker–checker approvals, security events and incidents.
export {
  issueApiToken, authenticateApiToken, revokeApiToken, listApiTokens, tokenLifetimeMs, tokenTtlDaysDefault, operatorRoles,
  type OperatorRole, type Principal, type IssuedToken, type IssueTokenOutcome, type RevokeTokenOutcome, type ApiTokenRow,
} from './api-tokens.ts';
export { permissions, roleHolds, isPermission, type Permission } from './permissions.ts';
export { systemActor, credentialOf, type Actor } from './actor.ts';
export {
  createOperator, createFirstAdministrator, renewEnrolmentCode, operatorNamePattern, operatorNameRegex, enrolmentCodePattern, bootstrapAdministratorsMax, type CreatedOperator, type EnrolmentPolicy,
} from './create-operator.ts';
export { operatorRoleGrant } from './grant-operator-role.ts';
export { enrolOperator, operatorPasswordLengthMin, totpSecretPattern, type EnrolmentInput, type EnrolmentOutcome } from './enrol-operator.ts';
export { directMovementRefusal, isPlatformAccount } from './platform-accounts.ts';
export { logInOperator, type LoginOutcome } from './log-in-operator.ts';
export { logOutOperator } from './sessions.ts';
export { listOperatorViews, type OperatorView } from './list-operators.ts';
export { createOperatorAccess, type OperatorAccess } from './operator-access.ts';
export { ledgerAdjustment } from './adjust-ledger.ts';
export { operatorRoleChange } from './change-operator-role.ts';
export { proposeAction, versionedPayload, approveProposal, rejectProposal, executeApprovedProposal, sweepProposals, openProposalWithin, ProposalRegistry, type ApprovalsContext, type ProposalExecutor, type ProposalOutcome, type ProposalRefusal, type ExecutionResult } from './approvals.ts';
export type { ProposalRow as Proposal, ProposalState } from './store.ts';
export { proposalById as findProposal, listProposals, operatorByName as findOperatorByName } from './store.ts';
export { raiseSecurityEvent, reportAuditVerificationFailure, listSecurityEvents, securityEventTypes, severities, type SecurityEvent, type SecurityEventInput, type SecurityEventType, type Severity } from './security-events.ts';
export {
  openIncident, linkSecurityEvent, recordIncidentEntry, closeIncident, incidentDetail, listIncidents, incidentClassifications, incidentEntryKinds, playbooks,
  type IncidentDetail, type IncidentOutcome, type IncidentClassification, type PostIncidentReview, type OpenIncidentInput,
} from './incidents.ts';
export { totpCodeAt, newTotpSecret } from './totp.ts';
export { totpSecretsWith, sealPlaintextTotpSecrets, type TotpSecrets } from './totp-secrets.ts';
