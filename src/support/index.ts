// Customer service's door (docs/customer-service.md): complaints and tickets, unauthorised-payment
// claims with automatic full compensation, merchant disputes, all worked as cases (src/cases); the
// freeze a claim puts on payments; the complaint report.
export { defaultSupportSettings, type SupportContext, type SupportSettings, type SupportOutcome } from './context.ts';
export {
  openComplaint,
  customerCase,
  customerMessage,
  operatorReply,
  addAttachment,
  readAttachment,
  rateSatisfaction,
  type ComplaintInput,
} from './complaints.ts';
export { openClaim, claimEvidence, type ClaimEvidence } from './claims.ts';
export { openDispute, merchantRespond } from './disputes.ts';
export { recoverMerchantDebts, compensationAccountOf, compensationAccountCode } from './money.ts';
export { complaintReport, type ComplaintReport } from './report.ts';
export { supportCaseKinds } from './kinds.ts';
export { attachmentBytesMax, attachmentTypes, detectType, openAttachment } from './attachments.ts';
export {
  ticketCategories,
  disputeReasons,
  ticketByCase,
  ticketsOf,
  messagesOf,
  attachmentsOf,
  sealedAttachment,
  disputeByCase,
  disputesOfMerchant,
  customerFreezes,
  deviceFrozen,
  type CustomerFreezes,
  debtsOfCase,
  type Ticket,
  type Message,
  type AttachmentMeta,
  type Dispute,
  type DisputeReason,
  type DisputeStatus,
  type TicketCategory,
} from './store.ts';
export { sanitisedText } from './text.ts';
export { customerHistory, maskedId, type CustomerHistory } from './history.ts';
