// One ledger account's journal, newest first, page by page: each entry with its other side, the
// direction as seen from this account, and the reference that ties it to a payment.
import { anfu, reply } from '../shared/api.ts';
import { usePaged } from '../shared/loaded.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { DetailPage } from './nav.tsx';
import { t } from './texts.ts';

interface Entry {
  readonly id: string;
  readonly kind: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: string;
  readonly currency: string;
  readonly reference: string | null;
  readonly createdAt: string;
}

export function Journal(props: { accountId: string }) {
  const language = useSignal(lang);
  const { items, problem, more } = usePaged<Entry>((cursor) => {
    const path = { accountId: props.accountId };
    const query = { limit: '50', ...(cursor === undefined ? {} : { cursor }) };
    return reply(anfu.GET('/v1/accounts/{accountId}/journal', { params: { path, query } }));
  }, [props.accountId]);
  return (
    <DetailPage title={`${t('journal')} ${props.accountId}`} back="#/accounts" problem={problem}>
      {items.length === 0 ? <p class="muted">{t('noEntries')}</p> : null}
      <table aria-label={t('journal')}>
        <thead>
          <tr>
            <th scope="col">{t('seq')}</th>
            <th scope="col">{t('when')}</th>
            <th scope="col">{t('kind')}</th>
            <th scope="col">{t('counterAccount')}</th>
            <th scope="col">{t('amount')}</th>
            <th scope="col">{t('reference')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => {
            const credit = e.creditAccountId === props.accountId;
            const signed = credit ? e.amount : `-${e.amount}`;
            const reference = e.reference ?? '';
            return (
              <tr key={e.id} data-journal={e.id} data-direction={credit ? 'credit' : 'debit'}>
                <td>{e.id}</td>
                <td>{new Date(e.createdAt).toLocaleString()}</td>
                <td>{e.kind}</td>
                <td class="mono">{credit ? e.debitAccountId : e.creditAccountId}</td>
                <td data-testid="journal-amount">{formatAmount(signed, e.currency, language)}</td>
                <td class="mono">
                  {reference.startsWith('pay_') ? <a href={`#/payments/${reference}`}>{reference}</a> : reference}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {more === undefined ? null : (
        <button type="button" onClick={more}>
          {t('more')}
        </button>
      )}
    </DetailPage>
  );
}
