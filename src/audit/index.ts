// The audit capability's only door: append entries in the caller's transaction, sign checkpoints,
// prove inclusion and consistency, export, and verify (live or offline). Format: docs/audit.md.
export type { AuditEvent, ActorType, Outcome, AuditRecord } from './canonical-entry.ts';
export { actorTypes, outcomes, auditLimits, canonicalEntry } from './canonical-entry.ts';
export { appendAudit, sqliteAuditAppender, appendAuditWithClient } from './append-audit.ts';
export { createCheckpoint, startCheckpointer, checkpointNote, type Checkpointer, type CheckpointActor } from './checkpoint.ts';
export { fileAuditSigner, ephemeralAuditSigner, auditKeyPath, checkpointVerifier, type AuditSigner } from './audit-signer.ts';
export { keyringAuditSigner, adoptPlainAuditKey, AuditKeyConflictError } from './keyring-signer.ts';
export { inclusionProof, consistencyProof, type InclusionProof, type ConsistencyProof, type ProofOutcome, type ProofFailureCode } from './proofs.ts';
export { verifyInclusion, verifyConsistency, leafHashOfText, chainHash, nodeHash } from './merkle.ts';
export { listEntries, listCheckpoints, searchEntries, type AuditEntryPage, type AuditSearch } from './list-entries.ts';
export { verifyAuditLog } from './verify-audit-log.ts';
export { exportAudit } from './export-audit.ts';
export { verifyAuditExport, verifyAuditExportParallel } from './verify-export.ts';
export type { AuditVerification, AuditProblem, CheckpointFailure } from './log-scanner.ts';
export type { StoredCheckpoint, StoredEntry } from './store.ts';
export { latestCheckpoint } from './store.ts';
export { AuditIntegrityError } from './tree.ts';
export { entriesByAction, latestEntryOf, type ActionEntry, type LatestEntry } from './entries-by-action.ts';
export { untrustedText, untrustedHeader } from './untrusted-text.ts';
export { openRefusalLog, RefusalWindows, type RefusalLog, type RepeatedRefusals } from './refusal-windows.ts';
