// Clearing and reconciliation: partners with their caps, clearing batches newest first and one batch's
// detail (net position, message hash, instructions), a clearing run and a merchant settlement run (a
// maker–checker proposal: the server's answer is shown), each partner's reconciliation report, and a
// bank file (camt.053, CSV statement, pacs.002) uploaded as it is — the server judges it and its
// refusal is shown as it comes. Nothing is checked here that the server checks.
import { useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { useLoaded, usePaged } from '../shared/loaded.ts';
import { lang } from '../shared/i18n.ts';
import { formatMinor } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Frame, Notice, ProblemBox } from '../shared/ui.tsx';
import { DetailPage, Nav } from './nav.tsx';
import { t } from './texts.ts';

interface PartnerRow {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly currency: string;
  readonly bic: string;
  readonly netDebitCap: string;
  readonly status: string;
}

interface BatchRow {
  readonly id: string;
  readonly partnerId: string;
  readonly currency: string;
  readonly messageId: string;
  readonly messageKind: string;
  readonly count: number;
  readonly grossDebit: string;
  readonly grossCredit: string;
  readonly netDebit: string;
  readonly state: string;
  readonly valueDate: string;
  readonly fileSha256: string;
  readonly signatureAlgorithm: string;
}

function PartnerActions(props: { partner: PartnerRow; ran: () => void }) {
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [said, setSaid] = useState<string | undefined>(undefined);
  const partnerId = props.partner.id;
  const run = async () => {
    setProblem(undefined);
    const r = await reply(anfu.POST('/v1/clearing/runs', { body: { partnerId } }));
    if (!r.ok) return setProblem(r.problem);
    const b = r.body.batch;
    setSaid(b === null ? t('runNothing', { held: String(r.body.held.length) }) : t('runBatch', { id: b.id, count: String(b.count) }));
    props.ran();
  };
  const settle = async () => {
    setProblem(undefined);
    const body = { partnerId, reason: 'merchant settlement run requested in the console' };
    const r = await reply(anfu.POST('/v1/clearing/settlement-runs', { body }));
    if (r.ok) setSaid(t('settlementProposed', { id: r.body.id, state: r.body.state }));
    else setProblem(r.problem);
  };
  return (
    <div class="row">
      <button type="button" onClick={() => void run()}>
        {t('startRun')}
      </button>
      <button type="button" onClick={() => void settle()}>
        {t('proposeSettlement')}
      </button>
      <ProblemBox problem={problem} />
      {said === undefined ? null : (
        <Notice>
          <span data-testid="clearing-said">{said}</span>
        </Notice>
      )}
    </div>
  );
}

function Partners(props: { items: readonly PartnerRow[]; ran: () => void }) {
  const language = useSignal(lang);
  return (
    <>
      <h2>{t('partners')}</h2>
      {props.items.length === 0 ? <p class="muted">{t('noPartners')}</p> : null}
      {props.items.map((p) => (
        <section class="card" key={p.id} data-partner={p.id} aria-label={p.name}>
          <h3>
            {p.name} · {p.currency}
          </h3>
          <p>
            {p.role} · BIC <span class="mono">{p.bic}</span> · {t('state')}: {p.status} · {t('netDebitCap')}:{' '}
            <span data-testid="partner-cap">{formatMinor(p.netDebitCap, p.currency, language)}</span>
          </p>
          <p>
            <a href={`#/clearing/reconciliation/${p.id}`}>{t('reconciliation')}</a>
          </p>
          <PartnerActions partner={p} ran={props.ran} />
        </section>
      ))}
    </>
  );
}

function Batches(props: { partners: readonly PartnerRow[]; version: number }) {
  const language = useSignal(lang);
  const [partnerId, setPartnerId] = useState('');
  const { items, problem, more } = usePaged<BatchRow>((cursor) => {
    const query = { ...(partnerId === '' ? {} : { partnerId }), ...(cursor === undefined ? {} : { cursor }), limit: '20' };
    return reply(anfu.GET('/v1/clearing/batches', { params: { query } }));
  }, [partnerId, props.version]);
  return (
    <>
      <h2>{t('batches')}</h2>
      <label for="batch-partner">{t('partner')}</label>
      <select id="batch-partner" value={partnerId} onChange={(e) => setPartnerId(e.currentTarget.value)}>
        <option value="">{t('all')}</option>
        {props.partners.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
      <ProblemBox problem={problem} />
      {items.length === 0 ? <p class="muted">{t('noBatches')}</p> : null}
      <table aria-label={t('batches')}>
        <thead>
          <tr>
            <th scope="col">{t('batch')}</th>
            <th scope="col">{t('state')}</th>
            <th scope="col">{t('count')}</th>
            <th scope="col">{t('netPosition')}</th>
            <th scope="col">{t('valueDate')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((b) => (
            <tr key={b.id} data-batch={b.id}>
              <td class="mono">
                <a href={`#/clearing/batches/${b.id}`}>{b.id}</a>
              </td>
              <td>{b.state}</td>
              <td>{b.count}</td>
              <td>{formatMinor(b.netDebit, b.currency, language)}</td>
              <td>{b.valueDate}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {more === undefined ? null : (
        <button type="button" onClick={more}>
          {t('more')}
        </button>
      )}
    </>
  );
}

export function Clearing() {
  useSignal(lang);
  const loaded = useLoaded(() => reply(anfu.GET('/v1/clearing/partners')), []);
  const partners: readonly PartnerRow[] = loaded.value?.items ?? [];
  const problem = loaded.problem;
  const [version, setVersion] = useState(0);
  return (
    <Frame title={t('clearing')} nav={<Nav />}>
      <ProblemBox problem={problem} />
      <Partners items={partners} ran={() => setVersion((v) => v + 1)} />
      <Batches partners={partners} version={version} />
    </Frame>
  );
}

interface BatchDetailBody extends BatchRow {
  readonly instructions: readonly {
    readonly id: string;
    readonly kind: string;
    readonly endToEndId: string;
    readonly currency: string;
    readonly amount: string;
    readonly fee: string;
    readonly state: string;
    readonly reasonCode: string | null;
  }[];
}

function BatchFacts(props: { batch: BatchDetailBody }) {
  const language = useSignal(lang);
  const b = props.batch;
  const money = (v: string) => formatMinor(v, b.currency, language);
  return (
    <dl class="facts">
      <dt>{t('state')}</dt>
      <dd data-testid="batch-state">{b.state}</dd>
      <dt>{t('message')}</dt>
      <dd class="mono">
        {b.messageKind} · {b.messageId}
      </dd>
      <dt>SHA-256</dt>
      <dd class="mono" data-testid="batch-hash">
        {b.fileSha256}
      </dd>
      <dt>{t('signature')}</dt>
      <dd>{b.signatureAlgorithm}</dd>
      <dt>{t('grossDebit')}</dt>
      <dd>{money(b.grossDebit)}</dd>
      <dt>{t('grossCredit')}</dt>
      <dd>{money(b.grossCredit)}</dd>
      <dt>{t('netPosition')}</dt>
      <dd data-testid="batch-net">{money(b.netDebit)}</dd>
      <dt>{t('valueDate')}</dt>
      <dd>{b.valueDate}</dd>
    </dl>
  );
}

export function BatchDetail(props: { id: string }) {
  const language = useSignal(lang);
  const path = { batchId: props.id };
  const { value: batch, problem } = useLoaded<BatchDetailBody>(
    () => reply(anfu.GET('/v1/clearing/batches/{batchId}', { params: { path } })),
    [props.id],
  );
  return (
    <DetailPage title={`${t('batch')} ${props.id}`} back="#/clearing" problem={problem}>
      {batch === undefined ? null : (
        <>
          <BatchFacts batch={batch} />
          <h2>{t('instructions')}</h2>
          <table aria-label={t('instructions')}>
            <thead>
              <tr>
                <th scope="col">{t('reference')}</th>
                <th scope="col">{t('kind')}</th>
                <th scope="col">{t('amount')}</th>
                <th scope="col">{t('state')}</th>
              </tr>
            </thead>
            <tbody>
              {batch.instructions.map((i) => (
                <tr key={i.id} data-instruction={i.id}>
                  <td class="mono">{i.endToEndId}</td>
                  <td>{i.kind}</td>
                  <td>{formatMinor(i.amount, i.currency, language)}</td>
                  <td>{i.reasonCode === null ? i.state : `${i.state} (${i.reasonCode})`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </DetailPage>
  );
}
