// GET /v1/keys: every key the platform holds, for the security and administration roles — the keyring's
// data-key versions (purpose, algorithm, profile, state, dates), the KEK by id, the merchant mutual-TLS CA
// when one is configured, and the latest key events (rotations). The response schema is a whitelist of
// names, states and dates: no key material, wrapped or public, can leave through it.
import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from 'typebox';
import { keyInventory } from '../../crypto/index.ts';
import type { AppContext } from '../context.ts';
import { platformCaFacts } from '../platform-ca.ts';
import { Nullable, operatorSecurity, problemResponses } from '../schemas.ts';

/** How many key events (newest first) the inventory carries. */
export const keyEventsMax = 50;

const Instant = Type.String({ description: 'ISO 8601 time' });
const KeyView = Type.Object({
  id: Type.String(), purpose: Type.String(), version: Type.Integer(),
  kind: Type.String({ enum: ['seal', 'mac', 'sign', 'certificate-authority'] }),
  algorithm: Type.String(), profile: Type.String({ description: 'intl or gm' }),
  state: Type.String({ enum: ['active', 'previous', 'retired'] }), createdAt: Instant,
  supersededAt: Nullable(Instant), retiredAt: Nullable(Instant),
  wrappedBy: Nullable(Type.String({ description: 'The id of the KEK that wraps this data key' })),
});
const EventView = Type.Object({
  operation: Type.String(), purpose: Type.String(), version: Nullable(Type.Integer()), actor: Type.String(),
  at: Instant, detail: Nullable(Type.String()),
});
const KeysView = Type.Object({ kekId: Type.String(), keys: Type.Array(KeyView), rotations: Type.Array(EventView) });

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | undefined): string | null => (ms === undefined ? null : iso(ms));

export function keyRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    const schema = {
      tags: ['security'], security: operatorSecurity, response: { 200: KeysView, ...problemResponses(401, 403) },
      summary: 'Every key the platform holds (purpose, algorithm, profile, state, rotations); never key material',
    };
    app.get('/keys', { config: { auth: 'operator', permission: 'keys.read' }, schema }, async () => {
      const inventory = await keyInventory(context.keyring, { eventsMax: keyEventsMax });
      const keys: Static<typeof KeyView>[] = inventory.keys.map((k) => ({
        id: k.id, purpose: k.purpose, version: k.version, kind: k.kind, algorithm: k.algorithm, profile: k.profile,
        state: k.state, createdAt: iso(k.createdAt), supersededAt: isoOrNull(k.supersededAt),
        retiredAt: isoOrNull(k.retiredAt), wrappedBy: k.kekId,
      }));
      const ca = await platformCaFacts(context.config);
      if (ca !== undefined)
        keys.push({
          id: 'mtls-client-ca', purpose: ca.platform ? 'platform-ca' : 'client-ca', version: 1,
          kind: 'certificate-authority', algorithm: 'ecdsa-p256-sha256', profile: 'intl',
          state: ca.notAfter > context.clock() ? 'active' : 'retired', createdAt: iso(ca.notBefore),
          supersededAt: null, retiredAt: null, wrappedBy: null,
        });
      const rotations = inventory.events.map((e) => ({
        operation: e.operation, purpose: e.purpose, version: e.version ?? null, actor: e.actor, at: iso(e.at),
        detail: e.detail ?? null,
      }));
      return { kekId: inventory.kekId, keys, rotations };
    });
  };
}
