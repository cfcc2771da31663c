// The console's navigation: one link per screen, the current one marked for assistive technology.
import { anfu, reply } from '../shared/api.ts';
import { route, useSignal } from '../shared/signal.ts';
import { end, splitRoute } from './session.ts';
import { t } from './texts.ts';

const links = [
  ['/', 'inbox'],
  ['/dashboards', 'dashboards'],
  ['/payments', 'payments'],
  ['/cases', 'cases'],
  ['/risk', 'risk'],
  ['/aml', 'aml'],
  ['/audit', 'audit'],
  ['/accounts', 'accounts'],
  ['/events', 'events'],
  ['/incidents', 'incidents'],
  ['/clearing', 'clearing'],
  ['/backups', 'backups'],
  ['/assessment', 'assessment'],
  ['/keys', 'keys'],
  ['/operators', 'operators'],
] as const;

export function Nav() {
  const current = splitRoute(useSignal(route)).path;
  const section = current === '/' ? '/' : `/${current.split('/')[1] ?? ''}`;
  return (
    <>
      {links.map(([path, key]) => (
        <a key={path} href={`#${path}`} aria-current={section === path ? 'page' : undefined}>
          {t(key)}
        </a>
      ))}
      <button
        type="button"
        class="lang"
        onClick={() => void reply(anfu.DELETE('/v1/operator-sessions/current')).then(end)}
      >
        {t('logout')}
      </button>
    </>
  );
}
