// Pay a merchant's order: scan its QR code with the camera where the browser can read QR codes
// (BarcodeDetector), or type the payment code printed under it. The order is shown as the server
// holds it (merchant's description, amount) before anything is signed.
import { useEffect, useRef, useState } from 'preact/hooks';
import { anfu, reply } from '../shared/api.ts';
import { lang } from '../shared/i18n.ts';
import { formatAmount } from '../shared/money.ts';
import { useSignal } from '../shared/signal.ts';
import { Field, Form, Frame, Notice } from '../shared/ui.tsx';
import { WalletNav } from './nav.tsx';
import { newIntent, PaymentOutcome, sendIntent, type Intent, type PaymentBody } from './sign-payment.tsx';
import { t } from './texts.ts';

interface Order {
  readonly id: string;
  readonly amount: string;
  readonly currency: string;
  readonly description: string;
  readonly merchantReference: string;
  readonly state: string;
}

interface Detector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}

/** "anfu://pay?code=AF…" (what the QR carries) or the bare code. */
export function paymentCodeOf(text: string): string {
  const match = /AF[0-9A-F]{20}/.exec(text.trim().toUpperCase());
  return match?.[0] ?? text.trim().toUpperCase();
}

function Scanner(props: { found: (text: string) => void; stop: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const Ctor = (globalThis as unknown as { BarcodeDetector?: new (o: object) => Detector }).BarcodeDetector;
    if (Ctor === undefined || navigator.mediaDevices === undefined) return undefined;
    const detector = new Ctor({ formats: ['qr_code'] });
    let stream: MediaStream | undefined;
    let running = true;
    void navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(async (s) => {
      stream = s;
      if (video.current === null) return;
      video.current.srcObject = s;
      await video.current.play();
      while (running) {
        const codes = await detector.detect(video.current).catch(() => []);
        if (codes[0] !== undefined) {
          props.found(codes[0].rawValue);
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    });
    return () => {
      running = false;
      stream?.getTracks().forEach((track) => track.stop());
    };
  }, []);
  return (
    <div class="card">
      <video ref={video} muted playsInline aria-label={t('scan')} width={320} height={240} />
      <button type="button" onClick={props.stop}>
        {t('stopScan')}
      </button>
    </div>
  );
}

export function Pay() {
  const language = useSignal(lang);
  const [code, setCode] = useState('');
  const [scanning, setScanning] = useState(false);
  const [order, setOrder] = useState<Order | undefined>(undefined);
  const [intent, setIntent] = useState<Intent | undefined>(undefined);
  const [payment, setPayment] = useState<PaymentBody | undefined>(undefined);
  const canScan = 'BarcodeDetector' in globalThis;
  const find = async (text = code) => {
    const answer = await reply(anfu.GET('/v1/orders/by-code/{code}', { params: { path: { code: paymentCodeOf(text) } } }));
    if (answer.ok) setOrder(answer.body);
    return answer;
  };
  const pay = async () => {
    if (order === undefined) return undefined;
    let current = intent;
    if (current === undefined) {
      const fields = { kind: 'order_payment' as const, target: order.id, amount: order.amount, currency: order.currency };
      const made = await newIntent({ kind: 'order', orderId: order.id }, fields);
      if (!('key' in made)) return made;
      current = made;
      setIntent(made);
    }
    const answer = await sendIntent(current);
    if (answer.ok) setPayment(answer.body);
    return answer;
  };
  return (
    <Frame title={t('pay')} nav={<WalletNav />}>
      {payment !== undefined ? (
        <PaymentOutcome payment={payment} onChange={setPayment} />
      ) : order === undefined ? (
        <>
          {scanning ? (
            <Scanner
              found={(text) => {
                setScanning(false);
                setCode(paymentCodeOf(text));
                void find(text);
              }}
              stop={() => setScanning(false)}
            />
          ) : canScan ? (
            <button type="button" onClick={() => setScanning(true)}>
              {t('scan')}
            </button>
          ) : (
            <p class="muted">{t('noCamera')}</p>
          )}
          <Form id="find-order" label={t('findOrder')} submit={t('findOrder')} action={() => find()}>
            <Field label={t('paymentCode')} name="payment-code" value={code} onInput={setCode} />
          </Form>
        </>
      ) : (
        <Form id="pay-order" label={t('pay')} submit={t('payOrder', { amount: formatAmount(order.amount, order.currency, language) })} action={pay}>
          <Notice>
            <span data-testid="order-description">
              {t('orderFrom', { description: order.description, reference: order.merchantReference })}
            </span>
          </Notice>
        </Form>
      )}
    </Frame>
  );
}
