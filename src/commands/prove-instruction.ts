// `anfu prove-instruction PAYMENT_ID [DIR]`: the CLI face of payments' instruction proof.
import type { Config } from '../config.ts';
import { migrate, openStore } from '../store/index.ts';
import { exportInstructionProof } from '../payments/index.ts';

export async function proveInstructionCommand(config: Config, args: readonly string[]): Promise<number> {
  const [paymentId, directory] = args;
  if (paymentId === undefined || !/^pay_[0-9a-z]{26}$/.test(paymentId)) {
    console.error('usage: anfu prove-instruction PAYMENT_ID [DIR]');
    return 2;
  }
  const store = openStore({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: 1 });
  try {
    await migrate(store);
    const dir = await exportInstructionProof(store, paymentId, directory ?? `proof-${paymentId}`);
    if (dir === undefined) {
      console.error(`no signed instruction for ${paymentId}`);
      return 1;
    }
    process.stdout.write(`exported to ${dir}; check with: sh ${dir}/verify.sh\n`);
    return 0;
  } finally {
    await store.close();
  }
}
