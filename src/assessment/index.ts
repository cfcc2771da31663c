// Security self-assessment (guideline §5.3, issue 14): live checks on the six indicators, rows in
// the chapters of JR/T 0122-2018, each run stored so the trend shows; JSON, text and HTML renderings.
// The report's meaning: docs/assessment.md.
export {
  indicators,
  results,
  type Assessment,
  type AssessmentProbes,
  type AssessmentRow,
  type AdvisoryReport,
  type Indicator,
  type Listener,
  type Result,
} from './types.ts';
export { runAssessment, checks, summarise, type AssessmentActor } from './run-assessment.ts';
export { latestRun, listRuns, runById, type StoredRun } from './store.ts';
export { renderAssessmentHtml, escapeHtml } from './render-html.ts';
export { npmAudit, parseNpmAudit, cachedAdvisories } from './dependency-advisories.ts';
export { probeListener, tryHandshake, handshakeAttempts } from './tls-probe.ts';
export { weakSettings } from './checks-network.ts';
export { standard, chapterTitles } from './chapters.ts';
export {
  attestedControls,
  attestationStatementCharsMax,
  listAttestations,
  recordAttestation,
  type Attestation,
  type AttestationRequest,
} from './attestations.ts';
export { assessmentProbes, reachableHost, type ProbeParts } from './probes.ts';
