// Least privilege: every operator route names one permission, and this table says which roles
// hold it. The auth hook checks it; a route with `auth` but no permission is refused to everyone
// (and fails the route × role test). docs/SECURITY.md renders the same table.
import type { OperatorRole } from './api-tokens.ts';

export const permissions = {
  'ledger.read': ['administrator', 'operations', 'risk_analyst', 'customer_service', 'auditor'],
  'ledger.accounts.open': ['administrator', 'operations'],
  'ledger.funding': ['administrator', 'operations'],
  'ledger.transfer': ['administrator', 'operations'],
  'ledger.verify': ['administrator', 'operations', 'auditor'],
  'session.self': ['administrator', 'operations', 'risk_analyst', 'customer_service', 'auditor'],
  'operators.read': ['administrator', 'auditor'],
  'operators.create': ['administrator'],
  'tokens.read': ['administrator', 'auditor'],
  'proposals.read': ['administrator', 'operations', 'risk_analyst', 'auditor'],
  'proposals.create': ['administrator', 'operations', 'risk_analyst'],
  'proposals.decide': ['administrator', 'operations', 'risk_analyst'],
  'security.events.read': ['administrator', 'risk_analyst', 'auditor'],
  'incidents.read': ['administrator', 'operations', 'risk_analyst', 'auditor'],
  'incidents.manage': ['administrator', 'operations', 'risk_analyst'],
  'audit.read': ['administrator', 'auditor'],
  'audit.checkpoint': ['administrator', 'auditor'],
  'webhooks.read': ['administrator', 'operations', 'customer_service', 'auditor'],
  'webhooks.manage': ['administrator', 'operations'],
  'cases.read': ['administrator', 'operations', 'risk_analyst', 'customer_service', 'auditor'],
  'cases.work': ['administrator', 'operations', 'risk_analyst', 'customer_service'],
  'cases.decide': ['administrator', 'operations', 'risk_analyst', 'customer_service'],
  /** GET /metrics: request counts, latencies and security-event counts are reconnaissance for an attacker. */
  'risk.read': ['administrator', 'risk_analyst', 'auditor'],
  'risk.manage': ['administrator', 'risk_analyst'],
  'metrics.read': ['administrator', 'operations', 'risk_analyst', 'auditor'],
  // sanctions screening and AML (src/sanctions, src/aml): compliance work is the risk analysts'
  'sanctions.read': ['administrator', 'risk_analyst', 'auditor'],
  'sanctions.search': ['administrator', 'risk_analyst'],
  /** Start a re-screening of every customer and merchant against the lists in force. */
  'sanctions.rescreen': ['administrator', 'risk_analyst'],
  'aml.report': ['administrator', 'risk_analyst'],
  /** Issue 14: the self-assessment, operational reports and backup jobs. */
  'assessment.read': ['administrator', 'operations', 'auditor'],
  'assessment.verify': ['administrator', 'operations', 'auditor'],
  /** Vouching for a control no live check sees (physical security, chapters 7–9); auditors only read it. */
  'assessment.attest': ['administrator', 'operations'],
  'clearing.read': ['administrator', 'operations', 'auditor'],
  'clearing.operate': ['administrator', 'operations'],
  'reports.read': ['administrator', 'operations', 'risk_analyst', 'auditor'],
  'backups.read': ['administrator', 'operations', 'auditor'],
  'backups.run': ['administrator', 'operations'],
  /** GET /v1/keys: which keys exist, their states and rotations (no material) — security review, audit. */
  'keys.read': ['administrator', 'auditor'],
} as const satisfies Record<string, readonly OperatorRole[]>;

export type Permission = keyof typeof permissions;

export function isPermission(name: string): name is Permission {
  return Object.hasOwn(permissions, name);
}

export function roleHolds(role: OperatorRole, permission: Permission): boolean {
  return (permissions[permission] as readonly OperatorRole[]).includes(role);
}
