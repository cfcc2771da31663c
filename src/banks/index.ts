// The banks capability's door. So far: the card link (ISO 8583 to the card-issuing bank) and its
// simulator; clearing, settlement and ISO 20022 will join here.
export {
  CardLink, cardLinkDefaults,
  type AuthorisationResult, type AuthoriseRequest, type CardLinkOptions, type PayoutRequest, type PayoutResult, type ReversalResult, type SentAt,
  type AccountVerificationRequest, type AccountVerificationResult, type OneTimeCodeResult,
} from './card-link.ts';
export type { VerificationResults } from './account-verification.ts';
export type { CardRequest } from './card-messages.ts';
export type { LinkLog } from './link-connection.ts';
export { CardNumber, maskPan, luhnValid } from '../cards/index.ts';
export { responseCodes, responseMeaning, isRetryable, declineCodes, type ResponseCode, type DeclineCode } from './response-codes.ts';
export { encodeMessage, decodeMessage, Iso8583Error, type Iso8583Message, type Iso8583ErrorCode, type DecodeResult } from './iso8583-codec.ts';
export { frameMessage, FrameReader, frameBytesMax } from './framing.ts';
export { Issuer, type IssuerSnapshot } from './bank-sim-issuer.ts';
export { startBankSim, type BankSimServer } from './bank-sim-server.ts';
export { parseBankSimRules, type BankSimRules } from './bank-sim-rules.ts';
