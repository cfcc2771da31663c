// Payments for operators: the list (newest first, by state) and one payment's timeline — its state
// changes, the journal entries that carry its id, and its audit entries, each of which can be followed
// into the audit log and verified there. Reading only: nothing here changes a payment.
import { useState } from 'preact/hooks';
import { anfu, reply } from '../shared/api.ts';
import { useLoaded, usePaged } from '../shared/loaded.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Frame, ProblemBox } from '../shared/ui.tsx';
import { DetailPage, Nav } from './nav.tsx';
import { t } from './texts.ts';

type PaymentState = 'created' | 'risk_checked' | 'challenged' | 'authorised' | 'processing' | 'succeeded' | 'failed' | 'reversed';
const states: readonly PaymentState[] = ['succeeded', 'failed', 'challenged', 'processing', 'reversed'];

interface PaymentRow {
  readonly id: string;
  readonly kind: string;
  readonly state: string;
  readonly payerId: string;
  readonly payeeId: string;
  readonly amount: string;
  readonly fee: string;
  readonly currency: string;
  readonly createdAt: string;
}

const when = (iso: string) => new Date(iso).toLocaleString();

export function Payments() {
  const language = useSignal(lang);
  const [state, setState] = useState('');
  const { items, problem, more } = usePaged<PaymentRow>((cursor) => {
    const query = { limit: '50', ...(state === '' ? {} : { state: state as PaymentState }), ...(cursor ? { cursor } : {}) };
    return reply(anfu.GET('/v1/operations/payments', { params: { query } }));
  }, [state]);
  return (
    <Frame title={t('payments')} nav={<Nav />}>
      <label for="payment-state">{t('filter')}</label>
      <select id="payment-state" value={state} onChange={(e) => setState((e.currentTarget as HTMLSelectElement).value)}>
        <option value="">{t('all')}</option>
        {states.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noPayments')}</p> : null}
      <table aria-label={t('payments')}>
        <thead>
          <tr>
            <th scope="col">{t('payment')}</th>
            <th scope="col">{t('kind')}</th>
            <th scope="col">{t('state')}</th>
            <th scope="col">{t('amount')}</th>
            <th scope="col">{t('created')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((p) => (
            <tr key={p.id} data-payment={p.id}>
              <td class="mono">
                <a href={`#/payments/${p.id}`}>{p.id}</a>
              </td>
              <td>{p.kind}</td>
              <td>{p.state}</td>
              <td>{formatAmount(p.amount, p.currency, language)}</td>
              <td>{when(p.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {more === undefined ? null : (
        <button type="button" onClick={more}>
          {t('more')}
        </button>
      )}
    </Frame>
  );
}

interface Timeline {
  readonly payment: PaymentRow & {
    readonly transitions?: readonly { from: string | null; to: string; event: string; actorType: string; at: string }[];
  };
  readonly ledger: readonly {
    id: string;
    kind: string;
    debitAccountId: string;
    creditAccountId: string;
    amount: string;
    currency: string;
    createdAt: string;
  }[];
  readonly audit: readonly { seq: string; time: string; action: string; actorType: string; outcome: string }[] | null;
}

function Facts(props: { p: Timeline['payment'] }) {
  const language = useSignal(lang);
  const p = props.p;
  return (
    <dl class="facts">
      <dt>{t('kind')}</dt>
      <dd>{p.kind}</dd>
      <dt>{t('state')}</dt>
      <dd data-testid="timeline-state">{p.state}</dd>
      <dt>{t('amount')}</dt>
      <dd>{formatAmount(p.amount, p.currency, language)}</dd>
      <dt>{t('fee')}</dt>
      <dd>{formatAmount(p.fee, p.currency, language)}</dd>
      <dt>{t('payer')}</dt>
      <dd class="mono">{p.payerId}</dd>
      <dt>{t('payee')}</dt>
      <dd class="mono">{p.payeeId}</dd>
    </dl>
  );
}

function LedgerTable(props: { rows: Timeline['ledger'] }) {
  const language = useSignal(lang);
  return (
    <table aria-label={t('ledger')}>
      <thead>
        <tr>
          <th scope="col">{t('seq')}</th>
          <th scope="col">{t('debit')}</th>
          <th scope="col">{t('credit')}</th>
          <th scope="col">{t('amount')}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((l) => (
          <tr key={l.id} data-ledger={l.id}>
            <td>{l.id}</td>
            <td class="mono">{l.debitAccountId}</td>
            <td class="mono">{l.creditAccountId}</td>
            <td data-testid="ledger-amount">{formatAmount(l.amount, l.currency, language)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PaymentTimeline(props: { id: string }) {
  const path = { paymentId: props.id };
  const { value: view, problem } = useLoaded<Timeline>(
    () => reply(anfu.GET('/v1/operations/payments/{paymentId}', { params: { path } })),
    [props.id],
  );
  return (
    <DetailPage title={`${t('payment')} ${props.id}`} back="#/payments" problem={problem}>
      {view === undefined ? null : (
        <>
          <Facts p={view.payment} />
          <h2>{t('timeline')}</h2>
          <ol class="timeline" aria-label={t('timeline')}>
            {(view.payment.transitions ?? []).map((s, n) => (
              <li key={n} data-to={s.to}>
                {when(s.at)} · {s.event} · {s.from ?? '∅'} → <strong>{s.to}</strong> · {s.actorType}
              </li>
            ))}
          </ol>
          <h2>{t('ledger')}</h2>
          <LedgerTable rows={view.ledger} />
          <h2>{t('auditEntries')}</h2>
          {view.audit === null ? (
            <p class="muted">{t('auditHidden')}</p>
          ) : (
            <>
              <ul aria-label={t('auditEntries')}>
                {view.audit.map((a) => (
                  <li key={a.seq} data-audit-seq={a.seq}>
                    #{a.seq} · {when(a.time)} · {a.action} · {a.outcome}
                  </li>
                ))}
              </ul>
              <a data-testid="follow-audit" href={`#/audit?target=${encodeURIComponent(props.id)}`}>
                {t('followAudit')}
              </a>
            </>
          )}
        </>
      )}
    </DetailPage>
  );
}
