// The customer's own devices and sessions (R3.7): list them, revoke a device (its sessions end and its
// certificate stops verifying at once), list and end sessions.
import { AnfuError } from '../errors.ts';
import { auditCustomer } from './customer-audit.ts';
import type { Identity, RequestMeta } from './identity.ts';
import { deliverNotices, recordNotice } from './notices.ts';
import { recordFactorChange, requireFreshStepUp } from './factor-changes.ts';
import type { CustomerPrincipal } from './sessions.ts';
import {
  customerById,
  deviceById,
  devicesOf,
  endSessions,
  revokeDevice,
  sessionsOf,
  type DeviceRow,
  type SessionRow,
} from './store.ts';

export async function listDevices(identity: Identity, principal: CustomerPrincipal): Promise<DeviceRow[]> {
  return devicesOf(identity.store, principal.customerId);
}

export async function listSessions(identity: Identity, principal: CustomerPrincipal): Promise<SessionRow[]> {
  return sessionsOf(identity.store, principal.customerId, identity.clock());
}

export async function revokeCustomerDevice(
  identity: Identity,
  principal: CustomerPrincipal,
  deviceId: string,
  meta: RequestMeta,
): Promise<void> {
  // A certified device is a factor: revoking it is a factor change (a phone-level session cannot remove it).
  const target = await deviceById(identity.store, deviceId);
  const certified =
    target !== undefined && target.customerId === principal.customerId && target.certificatePem !== null;
  if (certified) await requireFreshStepUp(identity, principal, meta, 'device_certificate.remove');
  const now = identity.clock();
  const revoked = await identity.store.transaction(async (tx) => {
    const count = await revokeDevice(tx, deviceId, principal.customerId, now);
    if (count === 1 && certified) await recordFactorChange(tx, principal, undefined, now);
    const ended =
      count === 1 ? await endSessions(tx, { deviceId, customerId: principal.customerId }, 'device_revoked', now) : 0;
    await auditCustomer(
      tx,
      principal.customerId,
      { ...meta, deviceId: principal.deviceId },
      [
        {
          action: 'customer.device.revoke',
          target: deviceId,
          outcome: count === 1 ? 'success' : 'failure',
          details: { sessionsEnded: ended },
        },
      ],
      now,
    );
    if (count === 1) await recordNotice(tx, principal.customerId, 'device_revoked', { deviceId }, now);
    return count === 1;
  });
  if (!revoked) throw new AnfuError('not_found', 'no such active device');
  const customer = await customerById(identity.store, principal.customerId);
  if (customer !== undefined) await deliverNotices(identity, customer, ['device_revoked']);
}
