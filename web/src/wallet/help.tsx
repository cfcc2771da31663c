// Help: file a complaint about one of the customer's payments (category, the payment picked from the
// history, text), see every ticket with its state and conversation, and answer in it. Everything goes
// through the customer support API (docs/customer-service.md); nothing is kept in storage.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Form, Frame, Notice, ProblemBox } from '../shared/ui.tsx';
import { WalletNav } from './nav.tsx';
import { t } from './texts.ts';

const categories = ['payment_problem', 'unauthorised_payment', 'account', 'merchant', 'fees', 'other'] as const;
type Category = (typeof categories)[number];

interface PaymentRow {
  readonly id: string;
  readonly kind: string;
  readonly amount: string;
  readonly currency: string;
  readonly direction: 'in' | 'out';
  readonly createdAt: string;
}

interface Ticket {
  readonly id: string;
  readonly category: string;
  readonly status: string;
  readonly paymentIds: readonly string[];
  readonly createdAt: string;
  readonly resolutionDueAt: string | null;
  readonly messages: readonly { id: string; from: string; body: string; at: string }[];
}

/** A word for a server value, or the value itself when the dictionary has none. */
function word(prefix: string, value: string): string {
  const key = `${prefix}_${value}`;
  const text = t(key);
  return text === key ? value : text;
}

function when(iso: string, language: string): string {
  return new Date(iso).toLocaleString(language === 'zh' ? 'zh-CN' : 'en-GB');
}

function TextArea(props: { label: string; name: string; value: string; onInput: (value: string) => void }) {
  const id = `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        name={props.name}
        rows={4}
        maxLength={4000}
        required
        value={props.value}
        onInput={(e) => props.onInput((e.currentTarget as HTMLTextAreaElement).value)}
      />
    </div>
  );
}

function paymentLabel(p: PaymentRow, language: string): string {
  const sign = p.direction === 'out' ? '−' : '+';
  return `${when(p.createdAt, language)} · ${t(`kind_${p.kind}`)} · ${sign}${formatAmount(p.amount, p.currency, language as 'zh' | 'en')}`;
}

function NewComplaint(props: { payments: readonly PaymentRow[]; onFiled: () => void }) {
  const language = useSignal(lang);
  const [category, setCategory] = useState<Category>('payment_problem');
  const [paymentId, setPaymentId] = useState('');
  const [text, setText] = useState('');
  const [filed, setFiled] = useState(false);
  const file = async () => {
    const body = { category, text, ...(paymentId === '' ? {} : { paymentIds: [paymentId] }) };
    const answer = await reply(anfu.POST('/v1/support/complaints', { body }));
    if (answer.ok) {
      setText('');
      setPaymentId('');
      setFiled(true);
      props.onFiled();
    }
    return answer;
  };
  return (
    <Form id="complaint" label={t('newComplaint')} submit={t('fileComplaint')} action={file}>
      <h2>{t('newComplaint')}</h2>
      {filed ? (
        <Notice>
          <span data-testid="complaint-filed">{t('complaintFiled')}</span>
        </Notice>
      ) : null}
      <div class="field">
        <label for="f-category">{t('category')}</label>
        <select
          id="f-category"
          name="category"
          value={category}
          onChange={(e) => setCategory((e.currentTarget as HTMLSelectElement).value as Category)}
        >
          {categories.map((c) => (
            <option key={c} value={c}>
              {word('category', c)}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-payment">{t('aboutPayment')}</label>
        <select id="f-payment" name="payment" value={paymentId} onChange={(e) => setPaymentId((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">{t('noPayment')}</option>
          {props.payments.map((p) => (
            <option key={p.id} value={p.id}>
              {paymentLabel(p, language)}
            </option>
          ))}
        </select>
      </div>
      <TextArea label={t('complaintText')} name="complaint-text" value={text} onInput={setText} />
    </Form>
  );
}

function TicketCard(props: { ticket: Ticket; payments: readonly PaymentRow[]; onChanged: () => void }) {
  const language = useSignal(lang);
  const [text, setText] = useState('');
  const { ticket } = props;
  const answer = async () => {
    const sent = await reply(
      anfu.POST('/v1/support/complaints/{caseId}/messages', { params: { path: { caseId: ticket.id } }, body: { text } }),
    );
    if (sent.ok) {
      setText('');
      props.onChanged();
    }
    return sent;
  };
  return (
    <li class="card" data-ticket={ticket.id} data-status={ticket.status}>
      <h3>
        {word('category', ticket.category)} · <span data-testid="ticket-status">{word('status', ticket.status)}</span>
      </h3>
      <p class="muted">
        {t('opened', { when: when(ticket.createdAt, language) })}
        {ticket.resolutionDueAt === null ? '' : ` · ${t('dueBy', { when: when(ticket.resolutionDueAt, language) })}`}
      </p>
      {ticket.paymentIds.map((id) => {
        const known = props.payments.find((p) => p.id === id);
        return (
          <p key={id} data-testid="ticket-payment">
            {t('aboutPayment')}: {known === undefined ? null : `${paymentLabel(known, language)} `}
            <span class="mono">{id}</span>
          </p>
        );
      })}
      <ol class="messages" aria-label={t('conversation')}>
        {ticket.messages.map((m) => (
          <li key={m.id} data-from={m.from}>
            <strong>{word('from', m.from)}</strong> <span class="muted">{when(m.at, language)}</span>
            <p>{m.body}</p>
          </li>
        ))}
      </ol>
      {ticket.status === 'closed' ? null : (
        <Form id={`reply-${ticket.id}`} label={t('replyTo')} submit={t('sendMessage')} action={answer}>
          <TextArea label={t('yourMessage')} name={`reply-${ticket.id}`} value={text} onInput={setText} />
        </Form>
      )}
    </li>
  );
}

export function Help() {
  const [payments, setPayments] = useState<readonly PaymentRow[]>([]);
  const [tickets, setTickets] = useState<readonly Ticket[] | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const loadTickets = () =>
    void reply(anfu.GET('/v1/support/complaints')).then((r) => (r.ok ? setTickets(r.body.items) : setProblem(r.problem)));
  useEffect(() => {
    void reply(anfu.GET('/v1/payments', { params: { query: { limit: '20' } } })).then((r) =>
      r.ok ? setPayments(r.body.items) : setProblem(r.problem),
    );
    loadTickets();
  }, []);
  return (
    <Frame title={t('help')} nav={<WalletNav />}>
      <ProblemBox problem={problem} />
      <NewComplaint payments={payments} onFiled={loadTickets} />
      <h2>{t('tickets')}</h2>
      {tickets === undefined ? null : tickets.length === 0 ? (
        <p class="muted" data-testid="no-tickets">
          {t('noTickets')}
        </p>
      ) : (
        <ul class="tickets" data-testid="tickets" aria-label={t('tickets')}>
          {tickets.map((ticket) => (
            <TicketCard key={ticket.id} ticket={ticket} payments={payments} onChanged={loadTickets} />
          ))}
        </ul>
      )}
    </Frame>
  );
}
