// The console's words in both languages.
import { translator } from '../shared/i18n.ts';

export const t = translator({
  zh: {
    console: '运营控制台', login: '登录', logout: '退出', name: '用户名', password: '密码', totp: '动态验证码',
    inbox: '待审批', accounts: '账户', events: '安全事件', approve: '批准', reject: '拒绝',
    kind: '类型', proposedBy: '发起人', state: '状态', payload: '内容', expires: '到期', noProposals: '没有待审批的申请。',
    code: '代码', balance: '余额', available: '可用', owner: '所有者', severity: '级别', when: '时间', type: '类型',
    decided: '已处理：{state}', filter: '状态筛选', all: '全部',
  },
  en: {
    console: 'Operator console', login: 'Log in', logout: 'Log out', name: 'Operator name', password: 'Password', totp: 'One-time code',
    inbox: 'Approvals', accounts: 'Accounts', events: 'Security events', approve: 'Approve', reject: 'Reject',
    kind: 'Kind', proposedBy: 'Proposed by', state: 'State', payload: 'Payload', expires: 'Expires', noProposals: 'Nothing waits for approval.',
    code: 'Code', balance: 'Balance', available: 'Available', owner: 'Owner', severity: 'Severity', when: 'When', type: 'Type',
    decided: 'Done: {state}', filter: 'State', all: 'All',
  },
});
