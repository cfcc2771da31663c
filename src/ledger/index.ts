// The ledger's door.
export { Ledger, type LedgerOptions, type OpenAccountInput, type LedgerTransaction, requestHashOf } from './ledger.ts';
export { Committer, type CommitterOptions } from './committer.ts';
export { accountKinds, balanceOf, availableOf, type Account, type AccountKind, type Transfer, type TransferKind, type TransferRequest, type TransferOutcome, type LinkedOutcome, type TransferFailure, type Hold, type HoldState } from './types.ts';
export { type VerifyReport, type CurrencyTotal } from './verify.ts';
export { type Page } from './cursor.ts';
export { accountSideSource } from './account-entries.ts';
export { withinLedger } from './within-ledger.ts';
