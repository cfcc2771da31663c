// Customers as sanctions re-screening reads them (src/sanctions rescreen): a page of active customers
// after an id, each with the legal name and the birth date from the resident ID number, revealed only
// for the screening in this process and never logged or stored by it.
import type { Identity } from './identity.ts';
import { parseResidentId } from './resident-id.ts';
import { customerById } from './store.ts';

export interface CustomerToScreen {
  readonly id: string;
  readonly name: string;
  readonly birthDate: string | undefined;
}

export async function customersToScreen(
  identity: Identity,
  after: string,
  limit: number,
  now: number,
): Promise<CustomerToScreen[]> {
  const ids = await identity.store.all<{ id: string }>(
    "SELECT id FROM customers WHERE id > ? AND status = 'active' ORDER BY id LIMIT ?",
    [after, limit],
  );
  if (ids.length > 0) await identity.ready();
  const out: CustomerToScreen[] = [];
  for (const { id } of ids) {
    const customer = await customerById(identity.store, id);
    if (customer === undefined) continue;
    const { name, idNumber } = await identity.protection.revealCustomer(id, customer.row, ['name', 'idNumber']);
    if (name === undefined) continue;
    const parsed = idNumber === undefined ? undefined : parseResidentId(idNumber, now);
    const b = parsed === undefined || typeof parsed === 'string' ? undefined : parsed.birthDate;
    const two = (n: number) => String(n).padStart(2, '0');
    out.push({ id, name, birthDate: b === undefined ? undefined : `${b.year}-${two(b.month)}-${two(b.day)}` });
  }
  return out;
}
