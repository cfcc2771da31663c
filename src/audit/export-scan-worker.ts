// Worker thread of verifyAuditExportParallel: checks one range of an export and posts the result.
import { parentPort, workerData } from 'node:worker_threads';
import { scanEntryRange, type RangeRequest } from './export-scan.ts';

const { request } = workerData as { request: RangeRequest };
parentPort?.postMessage(scanEntryRange(request));
