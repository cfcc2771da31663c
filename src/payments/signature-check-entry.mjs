// Worker-thread entry for signature checks: worker threads do not inherit tsx's loader, so this plain
// module registers it, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./signature-check-worker.ts');
