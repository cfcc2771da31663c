// The legal name as a payer may see it before confirming a transfer: every character but the last
// masked ("张三" → "*三"), so the payer can recognise a friend without learning a stranger's name.
import type { Identity } from './identity.ts';
import { customerById } from './store.ts';

export function maskLegalName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? '*' : `${'*'.repeat(chars.length - 1)}${chars[chars.length - 1] ?? ''}`;
}

export async function maskedNameOf(identity: Identity, customerId: string): Promise<string | undefined> {
  const customer = await customerById(identity.store, customerId);
  if (customer === undefined) return undefined;
  await identity.ready();
  const { name } = await identity.protection.revealCustomer(customer.id, customer.row, ['name']);
  return name === undefined ? undefined : maskLegalName(name);
}
