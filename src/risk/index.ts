// Risk control's door. Login rules today; payment rules, AML monitoring and cases grow here (R4).
export { decideLogin, loginRules, loginThresholds, localHourOf, networksOf, type LoginFeatures, type LoginRiskDecision, type LoginRiskReason, type LoginRule } from './login-risk.ts';
export { decidePayment, paymentRiskThresholds, type PaymentFeatures, type PaymentRiskThresholds, type PaymentRiskDecision, type PaymentRiskReason } from './payment-risk.ts';
