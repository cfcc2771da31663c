// The wallet's home: balance and what is available, the account class, every limit with what remains,
// and the payment history with filters.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Frame, ProblemBox } from '../shared/ui.tsx';
import { WalletNav } from './nav.tsx';
import { t } from './texts.ts';

interface Wallet {
  readonly accountClass: string;
  readonly balances: readonly { currency: string; balance: string; available: string }[];
  readonly limits: readonly { name: string; currency: string; limit: string; used: string; remaining: string }[];
}

type PaymentKind = 'transfer' | 'order_payment' | 'collect_payment' | 'top_up' | 'withdrawal' | 'refund';
const kinds: readonly PaymentKind[] = ['transfer', 'order_payment', 'collect_payment', 'top_up', 'withdrawal', 'refund'];

interface PaymentRow {
  readonly id: string;
  readonly kind: string;
  readonly state: string;
  readonly amount: string;
  readonly currency: string;
  readonly direction: 'in' | 'out';
  readonly paymentId: string | null;
  readonly createdAt: string;
}

/** The payment a history entry's receipt is about: a payment itself, or the one a refund returned. */
const receiptOf = (p: PaymentRow): string | null => (p.id.startsWith('pay_') ? p.id : p.paymentId);

export function Home() {
  const language = useSignal(lang);
  const [wallet, setWallet] = useState<Wallet | undefined>(undefined);
  const [payments, setPayments] = useState<readonly PaymentRow[]>([]);
  const [kind, setKind] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    void reply(anfu.GET('/v1/me/wallet')).then((r) => (r.ok ? setWallet(r.body) : setProblem(r.problem)));
  }, []);
  useEffect(() => {
    const query = kind === '' ? { limit: '20' } : { limit: '20', kind: kind as PaymentKind };
    void reply(anfu.GET('/v1/payments', { params: { query } })).then((r) =>
      r.ok ? setPayments(r.body.items) : setProblem(r.problem),
    );
  }, [kind]);
  return (
    <Frame title={t('home')} nav={<WalletNav />}>
      <ProblemBox problem={problem} />
      {wallet === undefined ? null : (
        <section class="card" aria-label={t('balance')}>
          {wallet.balances.map((b) => (
            <div key={b.currency}>
              <div class="muted">{t('balance')}</div>
              <div class="balance" data-testid={`balance-${b.currency}`}>
                {formatAmount(b.balance, b.currency, language)}
              </div>
              <div class="muted">
                {t('available')} {formatAmount(b.available, b.currency, language)}
              </div>
            </div>
          ))}
          <p>{t('accountClass', { cls: wallet.accountClass })}</p>
          <h2>{t('limits')}</h2>
          <ul>
            {wallet.limits.map((l) => (
              <li key={l.name}>
                {t(`limit_${l.name}`)}: {formatAmount(l.limit, l.currency, language)} ·{' '}
                {t('remaining', { amount: formatAmount(l.remaining, l.currency, language) })}
              </li>
            ))}
          </ul>
        </section>
      )}
      <h2>{t('history')}</h2>
      <label for="kind-filter">{t('kind')}</label>
      <select id="kind-filter" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value)}>
        <option value="">{t('all')}</option>
        {kinds.map((k) => (
          <option key={k} value={k}>
            {t(`kind_${k}`)}
          </option>
        ))}
      </select>
      {payments.length === 0 ? (
        <p class="muted">{t('noPayments')}</p>
      ) : (
        <table aria-label={t('history')}>
          <thead>
            <tr>
              <th scope="col">{t('when')}</th>
              <th scope="col">{t('kind')}</th>
              <th scope="col">{t('amount')}</th>
              <th scope="col">{t('state')}</th>
              <th scope="col">{t('receipt')}</th>
            </tr>
          </thead>
          <tbody>
            {payments.map((p) => (
              <tr key={p.id} data-payment={p.id}>
                <td>{new Date(p.createdAt).toLocaleString(language === 'zh' ? 'zh-CN' : 'en-GB')}</td>
                <td>{t(`kind_${p.kind}`)}</td>
                <td>
                  {p.direction === 'out' ? '−' : '+'}
                  {formatAmount(p.amount, p.currency, language)}
                </td>
                <td>{p.state}</td>
                <td>
                  {receiptOf(p) === null ? null : (
                    <a href={`#/receipt/${receiptOf(p) ?? ''}`} data-testid="receipt-link">
                      {t('receipt')}
                    </a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Frame>
  );
}
