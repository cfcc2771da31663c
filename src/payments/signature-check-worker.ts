// Worker thread of the signature-check pool: checks each instruction of a batch with the same function
// the event loop uses, keeping its own certificate cache, and answers the batch in one message.
import { parentPort } from 'node:worker_threads';
import { checkInstructionSignature, type SignatureCheckRequest } from './verify-instruction.ts';

parentPort?.on('message', (batch: { readonly id: number; readonly requests: readonly SignatureCheckRequest[] }) => {
  parentPort?.postMessage({ id: batch.id, results: batch.requests.map(checkInstructionSignature) });
});
// Loading this module (tsx, the crypto modules) takes a while: the pool checks on its own thread until then.
parentPort?.postMessage({ ready: true });
