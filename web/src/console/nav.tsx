// The console's navigation: one link per screen, the current one marked for assistive technology.
import type { ComponentChildren } from 'preact';
import { anfu, reply, type Problem } from '../shared/api.ts';
import { Frame, ProblemBox } from '../shared/ui.tsx';
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

/** A page that one screen opens (a batch, a payment, a decision …): its title, the way back, the refusal if any. */
export function DetailPage(props: { title: string; back: string; problem: Problem | undefined; children: ComponentChildren }) {
  return (
    <Frame title={props.title} nav={<Nav />}>
      <p>
        <a href={props.back}>{t('back')}</a>
      </p>
      <ProblemBox problem={props.problem} />
      {props.children}
    </Frame>
  );
}
