// The clearing capability's door: partners (clearing houses and settlement banks per currency),
// instructions out (withdrawals to bank accounts, merchant settlements), clearing runs with net debit
// caps, ISO 20022 messages out (pain.001, pacs.008) and in (pacs.002, camt.054, camt.053), and the
// simulator's message writers. Reconciliation (src/reconciliation) builds on it.
export {
  type ClearingContext,
  type FileSigner,
  type FileSignature,
  profileFileSigner,
  keyringFileSigner,
  creditorAccountProtection,
  ClearingRefused,
  type ClearingCode,
  sha256Hex,
  withinLedger,
  isoDate,
  isoDateTime,
  addDays,
} from './context.ts';
export {
  createPartner,
  updatePartnerLimits,
  partnerById,
  partnerForCardBank,
  requirePartner,
  listPartners,
  type Partner,
  type PartnerInput,
  type PartnerRole,
} from './partners.ts';
export {
  requestTransferOut,
  prepareTransferOut,
  writeTransferOut,
  type PreparedTransferOut,
  instructionById,
  instructionByKey,
  instructionColumns,
  instructionOf,
  type Instruction,
  type InstructionKind,
  type InstructionState,
  type TransferOutInput,
} from './instructions.ts';
export {
  runClearing,
  batchById,
  batchByMessageId,
  batchFile,
  httpTransport,
  markSent,
  underCap,
  netUnderCap,
  recordIncoming,
  reverseIncoming,
  type IncomingReversal,
  type Batch,
  type IncomingInput,
  type NetPosition,
  type RunResult,
  type Transport,
} from './run.ts';
export { listBatches, batchInstructions, type BatchFilter } from './batches.ts';
export { applyStatusReport, parseStatusReport, type StatusOutcome } from './status.ts';
export {
  applyNotification, checkStatementAccount, isBankCharge, isReturn, type NotificationOutcome,
} from './notifications.ts';
export {
  notifiedFor, settleNotified, unstatedBy, markNotStated, markWithdrawn, withdrawLeg, transitLeg, settleLeg,
  type NotifiedEntry,
} from './notified-entries.ts';
export {
  registerBankFile,
  sealBankFile,
  boundedBytes,
  streamCamt,
  asRefusal,
  type TextSource,
  type CamtConsumer,
} from './bank-files.ts';
export {
  camtReader,
  camtVersions,
  CamtRefused,
  type CamtEntry,
  type CamtHeader,
  type CamtBalance,
  type CamtKind,
} from './camt.ts';
export { XmlRefused, XmlStream, readXml, pathHandler } from './xml-stream.ts';
export { minorOf, decimalOf, exponentOf, AmountRefused } from './iso-amount.ts';
export {
  pain001,
  pacs008,
  pacs002,
  camt053,
  camt054,
  namespaces,
  type OutboundBatch,
  type OutboundTransfer,
  type StatusReport,
  type StatusLine,
  type BankEntry,
  type StatementInput,
  type NotificationInput,
} from './messages.ts';
export {
  SimBank,
  parseSimRules,
  startClearingSim,
  type SimRules,
  type SimAction,
  type ClearingSim,
} from './sim/index.ts';
export { settleMerchants, settlementReport, type SettlementOutcome } from './settle-merchants.ts';
export { settleMerchantsExecutor } from './settlement-proposal.ts';
export {
  partnerCreateExecutor,
  partnerCapExecutor,
  partnerInputOf,
  type PartnerCreatePayload,
} from './partner-proposals.ts';
export {
  clearingHoldKind, holdCaseInput, type HoldCaseInput, type HoldCaseOpener, type HoldLimits,
} from './hold-case.ts';
