// Where sanctions hits become cases: the shared case system's door (src/cases), behind one function
// so the rest of this capability does not depend on its details.
import type { Queryable } from '../store/index.ts';

export interface ComplianceCaseInput {
  readonly kind: 'sanctions_hit' | 'aml_alert';
  readonly dedupeKey: string;
  readonly title: string;
  readonly subject: { readonly type: string; readonly id: string };
  readonly customerId?: string | undefined;
  readonly severity: 'low' | 'medium' | 'high' | 'critical';
  readonly amount?: { readonly minor: bigint; readonly currency: string } | undefined;
  readonly evidence?: ReadonlyArray<{ readonly type: string; readonly ref: string; readonly note?: string }>;
  readonly openedBy: string;
  readonly details?: Record<string, unknown>;
}

/** Opens (or finds, by kind and dedupe key) the case, inside the caller's transaction. */
export async function openComplianceCase(
  tx: Queryable,
  input: ComplianceCaseInput,
  now: number,
): Promise<{ id: string }> {
  // Replaced by the shared case system's openCase when src/cases lands (see CASES.md).
  void tx;
  void now;
  return { id: `pending:${input.kind}:${input.dedupeKey}` };
}
