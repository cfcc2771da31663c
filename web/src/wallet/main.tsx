// The customer wallet: a hash-routed single page. Logged out, only login and registration are shown.
import { render } from 'preact';
import { route, useSignal } from '../shared/signal.ts';
import { lang } from '../shared/i18n.ts';
import { Cards } from './cards.tsx';
import { Help } from './help.tsx';
import { Home } from './home.tsx';
import { Login, Register } from './login.tsx';
import { Pay } from './pay.tsx';
import { Security } from './security.tsx';
import { Receipt } from './receipt.tsx';
import { Requests } from './requests.tsx';
import { session } from './session.ts';
import { Transfer } from './transfer.tsx';

function Wallet() {
  const path = useSignal(route);
  const who = useSignal(session);
  useSignal(lang);
  if (who === undefined) return path === '/register' ? <Register /> : <Login />;
  if (path.startsWith('/receipt/')) return <Receipt key={path} paymentId={path.slice('/receipt/'.length)} />;
  switch (path) {
    case '/transfer':
      return <Transfer />;
    case '/pay':
      return <Pay />;
    case '/cards':
      return <Cards />;
    case '/requests':
      return <Requests />;
    case '/help':
      return <Help />;
    case '/security':
      return <Security />;
    default:
      return <Home />;
  }
}

document.documentElement.lang = lang.get() === 'zh' ? 'zh-CN' : 'en';
const root = document.getElementById('app');
if (root !== null) render(<Wallet />, root);
