// A device's signing credentials as payments check them (R8.2): its certificate from the platform
// device CA, the key on record, and whether the device is revoked; and the CA certificate itself.
import type { Identity } from './identity.ts';
import { deviceById } from './store.ts';

export interface DeviceCredentials {
  readonly deviceId: string;
  readonly customerId: string;
  readonly status: 'active' | 'revoked';
  /** Null until the customer enrols a device key (`POST /v1/me/device-certificate`). */
  readonly certificatePem: string | null;
  readonly publicKeyPem: string | null;
  readonly certificateSerial: string | null;
  /** When the device was first seen (risk rules treat young devices with care). */
  readonly enrolledAt: number;
}

export async function deviceCredentials(identity: Identity, deviceId: string): Promise<DeviceCredentials | undefined> {
  const device = await deviceById(identity.store, deviceId);
  if (device === undefined) return undefined;
  return {
    deviceId: device.id, customerId: device.customerId, status: device.status, certificatePem: device.certificatePem, publicKeyPem: device.publicKeyPem,
    certificateSerial: device.certificateSerial, enrolledAt: device.createdAt,
  };
}

/** The platform device CA certificate (PEM) every device certificate chains to. */
export async function deviceCaCertificatePem(identity: Identity): Promise<string> {
  await identity.ready();
  return identity.ca.certificatePem;
}
