// Keys and rotations (`GET /v1/keys`, administrators and auditors): every key the platform holds by
// purpose, version, algorithm, profile and state, the KEK that wraps them by id, and the latest key
// events. The server sends names, states and dates only; there is no key material to show.
import { useEffect, useState } from 'preact/hooks';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { useSignal } from '../shared/signal.ts';
import { Frame, ProblemBox } from '../shared/ui.tsx';
import { Nav } from './nav.tsx';
import { t } from './texts.ts';

interface KeyRow {
  readonly id: string;
  readonly purpose: string;
  readonly kind: string;
  readonly algorithm: string;
  readonly profile: string;
  readonly state: string;
  readonly createdAt: string;
}

interface Rotation {
  readonly operation: string;
  readonly purpose: string;
  readonly version: number | null;
  readonly actor: string;
  readonly at: string;
}

export function Keys() {
  useSignal(lang);
  const [kekId, setKekId] = useState('');
  const [keys, setKeys] = useState<readonly KeyRow[]>([]);
  const [rotations, setRotations] = useState<readonly Rotation[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  useEffect(() => {
    void reply(anfu.GET('/v1/keys')).then((r) => {
      if (!r.ok) return setProblem(r.problem);
      setKekId(r.body.kekId);
      setKeys(r.body.keys);
      setRotations(r.body.rotations);
    });
  }, []);
  return (
    <Frame title={t('keys')} nav={<Nav />}>
      <ProblemBox problem={problem} />
      {kekId === '' ? null : (
        <p>
          KEK: <span class="mono" data-testid="kek-id">{kekId}</span>
        </p>
      )}
      <table aria-label={t('keys')}>
        <thead>
          <tr>
            <th scope="col">{t('key')}</th>
            <th scope="col">{t('purpose')}</th>
            <th scope="col">{t('algorithm')}</th>
            <th scope="col">{t('profile')}</th>
            <th scope="col">{t('state')}</th>
            <th scope="col">{t('created')}</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-key={k.id}>
              <td class="mono">{k.id}</td>
              <td>{k.purpose}</td>
              <td>{k.algorithm}</td>
              <td>{k.profile}</td>
              <td data-testid="key-state">{t(`key_${k.state}`)}</td>
              <td>{new Date(k.createdAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t('rotations')}</h2>
      {rotations.length === 0 ? <p class="muted">{t('noRotations')}</p> : null}
      <table aria-label={t('rotations')}>
        <thead>
          <tr>
            <th scope="col">{t('when')}</th>
            <th scope="col">{t('operation')}</th>
            <th scope="col">{t('key')}</th>
            <th scope="col">{t('actor')}</th>
          </tr>
        </thead>
        <tbody>
          {rotations.map((e, n) => (
            <tr key={n}>
              <td>{new Date(e.at).toLocaleString()}</td>
              <td>{e.operation}</td>
              <td class="mono">{e.version === null ? e.purpose : `${e.purpose}:v${e.version}`}</td>
              <td>{e.actor}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Frame>
  );
}
