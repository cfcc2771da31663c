// Both languages of the web apps. The language follows the browser (中文 for zh-*, English otherwise)
// until the person picks one; the choice is kept in localStorage (a preference, nothing personal).
// Problem codes from the server get a sentence in the person's language and what to do next; a code
// without one shows the server's own title, so nothing the server refuses is ever hidden.
import { signal } from './signal.ts';

export type Lang = 'zh' | 'en';

function initial(): Lang {
  const saved = globalThis.localStorage?.getItem('anfu.lang');
  if (saved === 'zh' || saved === 'en') return saved;
  return (globalThis.navigator?.language ?? 'zh').toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export const lang = signal<Lang>(initial());

export function setLang(next: Lang): void {
  globalThis.localStorage?.setItem('anfu.lang', next);
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  lang.set(next);
}

type Dictionary = Record<string, string>;

export function translator(dictionaries: Record<Lang, Dictionary>) {
  return (key: string, params: Record<string, string> = {}): string => {
    const text = dictionaries[lang.get()][key] ?? dictionaries.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? '');
  };
}

/** What a refusal means and what to do next, by the server's stable code. */
const problems: Record<Lang, Record<string, string>> = {
  zh: {
    network_error: '无法连接服务器。请检查网络后重试。',
    unauthenticated: '登录已失效，请重新登录。',
    customer_login_failed: '手机号或密码不正确。',
    login_failed: '手机号或密码不正确。',
    insufficient_funds: '余额不足。请先充值或减少金额。',
    limit_exceeded: '超过限额。可查看“限额”了解剩余额度，或升级账户等级。',
    step_up_required: '此操作需要再次验证身份。',
    step_up_failed: '验证码不正确，请重试。',
    challenge_expired: '验证已过期，请重新发起。',
    payee_not_found: '未找到该收款人，请检查手机号。',
    rate_limited: '操作太频繁，请稍后再试。',
    validation_failed: '输入格式不正确，请检查后重试。',
    device_not_certified: '此设备尚未认证：请在“安全”中认证本设备。',
    signature_invalid: '设备签名无效：请在“安全”中重新认证本设备。',
    order_not_found: '未找到订单，请检查付款码。',
    sms_code_invalid: '短信验证码不正确或已过期。',
    password_too_weak: '密码太弱：至少 8 个字符，且不要使用常见密码。',
    phone_taken: '该手机号已注册，请直接登录。',
    operator_login_failed: '用户名、密码或动态码不正确。',
    proposal_self_approval: '不能审批自己发起的申请（四眼原则）。',
    proposal_related_approval: '不能审批与您相关的申请（四眼原则）。',
    mfa_required: '此操作需要密码加动态码登录的会话。',
    card_number_invalid: '卡号不正确，请核对后重新输入。',
    card_expiry_invalid: '有效期格式为 月/年，例如 12/30。',
    card_holder_mismatch: '持卡人信息与您的实名信息不符：只能绑定本人的银行卡。',
    card_security_code_invalid: '卡号、有效期或安全码不正确，请核对后重试。',
    card_otp_invalid: '银行验证码不正确，请重新输入。',
    card_otp_attempts_exhausted: '银行验证码错误次数过多，请重新绑定。',
    card_binding_not_found: '绑卡已过期，请重新开始。',
    card_bound_elsewhere: '此卡已绑定在其他账户，不能重复绑定。',
    card_bind_attempts_exceeded: '今天绑卡尝试次数太多，请明天再试。',
    card_declined: '银行拒绝了这笔交易，请换一张卡或联系发卡行。',
    card_issuer_unavailable: '银行暂时无法连接，请稍后再试。',
    card_unverified: '这张卡尚未验证，请先完成绑卡。',
    card_not_found: '未找到这张卡，请重新选择。',
    payout_failed: '提现失败，资金已退回余额。',
    instruction_replayed: '这笔指令已提交过。',
    collect_request_not_pending: '这笔收款请求已处理或已过期，无需再付。',
    collect_request_not_found: '未找到这笔收款请求。',
    collect_request_throttled: '收款请求发得太频繁，请稍后再试。',
    payee_is_payer: '不能向自己收款或付款。',
    payment_not_owned: '这笔交易不是您的，请从您的交易记录中选择。',
    case_not_found: '未找到该工单。',
    case_closed: '该工单已关闭，如有新问题请重新提交。',
    claim_exists: '这笔交易已提交过非本人交易申诉，请在“帮助”中查看处理进度。',
    dispute_exists: '这笔交易已在争议处理中。',
    dispute_not_disputable: '只有成功的商户付款可以提出争议。',
    attachment_too_large: '附件太大（最大 1 MiB）。',
    attachment_type_not_allowed: '附件只能是 PNG、JPEG 或 PDF。',
    attachment_type_mismatch: '附件内容与声明的类型不符。',
    passkey_failed: '通行密钥验证未通过，请重试或改用其他验证方式。',
    passkey_cancelled: '未使用通行密钥（已取消或此设备没有可用的通行密钥）。可重试或改用其他验证方式。',
    passkey_not_registered: '未能添加通行密钥（已取消或浏览器不支持）。',
  },
  en: {
    network_error: 'The server cannot be reached. Check the connection and try again.',
    unauthenticated: 'Your session has ended. Please log in again.',
    customer_login_failed: 'The phone number or password is not correct.',
    login_failed: 'The phone number or password is not correct.',
    insufficient_funds: 'Not enough balance. Top up first or pay less.',
    limit_exceeded: 'Over your limit. See "Limits" for what remains, or upgrade your account class.',
    step_up_required: 'This needs you to confirm it is you again.',
    step_up_failed: 'That code is not correct. Try again.',
    challenge_expired: 'The confirmation expired. Start again.',
    payee_not_found: 'No customer with that number. Check it and try again.',
    rate_limited: 'Too many attempts. Wait a little and try again.',
    validation_failed: 'Something in the form is not in the right format.',
    device_not_certified: 'This device is not certified yet: certify it under "Security".',
    signature_invalid: 'The device signature was refused: certify this device again under "Security".',
    order_not_found: 'No order with that code. Check the payment code.',
    sms_code_invalid: 'The SMS code is wrong or has expired.',
    password_too_weak: 'That password is too weak: at least 8 characters, not a common one.',
    phone_taken: 'That number is already registered. Log in instead.',
    operator_login_failed: 'The name, password or one-time code is not correct.',
    proposal_self_approval: 'You cannot approve your own proposal (four eyes).',
    proposal_related_approval: 'You cannot approve a proposal related to you (four eyes).',
    mfa_required: 'This needs a session opened with password and one-time code.',
    card_number_invalid: 'That card number is not valid. Check it and type it again.',
    card_expiry_invalid: 'Type the expiry as month/year, e.g. 12/30.',
    card_holder_mismatch: 'The cardholder is not you: only a card in your own name can be bound.',
    card_security_code_invalid: 'Card number, expiry or security code is not correct. Check them and try again.',
    card_otp_invalid: "The bank's code is not correct. Type it again.",
    card_otp_attempts_exhausted: "Too many wrong bank codes. Start binding the card again.",
    card_binding_not_found: 'That binding has expired. Start again.',
    card_bound_elsewhere: 'This card is bound to another account and cannot be bound again.',
    card_bind_attempts_exceeded: 'Too many binding attempts today. Try again tomorrow.',
    card_declined: 'The bank declined it. Use another card or call your bank.',
    card_issuer_unavailable: 'The bank cannot be reached right now. Try again later.',
    card_unverified: 'This card is not verified yet. Finish binding it first.',
    card_not_found: 'No such card. Pick one of yours.',
    payout_failed: 'The withdrawal failed; the money is back in your balance.',
    instruction_replayed: 'That instruction was already sent.',
    collect_request_not_pending: 'That request was already answered or has expired; nothing to pay.',
    collect_request_not_found: 'No such request for money.',
    collect_request_throttled: 'Too many requests for money. Wait a little and try again.',
    payee_is_payer: 'You cannot ask or pay yourself.',
    payment_not_owned: 'That payment is not one of yours. Pick one from your history.',
    case_not_found: 'No such ticket.',
    case_closed: 'That ticket is closed. File a new complaint for a new problem.',
    claim_exists: 'This payment already has a claim that you did not make it; see its progress under Help.',
    dispute_exists: 'This payment is already disputed.',
    dispute_not_disputable: 'Only a succeeded payment to a merchant can be disputed.',
    attachment_too_large: 'The attachment is too large (at most 1 MiB).',
    attachment_type_not_allowed: 'Attachments must be PNG, JPEG or PDF.',
    attachment_type_mismatch: 'The attachment content does not match its declared type.',
    passkey_failed: 'The passkey could not be verified. Try again or use another factor.',
    passkey_cancelled: 'No passkey was used (cancelled, or none on this device). Try again or use another factor.',
    passkey_not_registered: 'The passkey was not added (cancelled, or this browser cannot make one).',
  },
};

export function problemText(code: string, title: string): string {
  return problems[lang.get()][code] ?? title;
}
