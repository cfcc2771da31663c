// The wallet's navigation, shown once logged in.
import { route, useSignal } from '../shared/signal.ts';
import { logOut } from './session.ts';
import { t } from './texts.ts';

const links = [
  ['/', 'home'],
  ['/transfer', 'transfer'],
  ['/pay', 'pay'],
  ['/cards', 'cards'],
  ['/requests', 'requests'],
  ['/help', 'help'],
  ['/security', 'security'],
] as const;

export function WalletNav() {
  const current = useSignal(route);
  return (
    <>
      {links.map(([path, key]) => (
        <a key={path} href={`#${path}`} aria-current={current === path ? 'page' : undefined}>
          {t(key)}
        </a>
      ))}
      <button type="button" class="lang" onClick={() => void logOut()}>
        {t('logout')}
      </button>
    </>
  );
}
