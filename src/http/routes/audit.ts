// The operators' audit API: read entries and checkpoints, sign a checkpoint now, and get inclusion
// and consistency proofs (RFC 9162) to check against a signed checkpoint. Hashes travel as hex.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AnfuError } from '../../errors.ts';
import {
  consistencyProof,
  createCheckpoint,
  keyringAuditSigner,
  inclusionProof,
  listCheckpoints,
  searchEntries,
  type AuditSigner,
  type ProofOutcome,
  type StoredCheckpoint,
  type StoredEntry,
} from '../../audit/index.ts';
import type { AppContext } from '../context.ts';
import { PageLimit, operatorSecurity, problemResponses } from '../schemas.ts';

const Number_ = Type.String({ maxLength: 20, description: 'Positive decimal integer' });
const Nullable = Type.Union([Type.String(), Type.Null()]);
const Hex = Type.String({ pattern: '^[0-9a-f]{64}$' });
const SearchText = Type.String({ minLength: 1, maxLength: 200 });
const SigningKeyView = Type.Object({
  algorithm: Type.String(),
  keyId: Type.String(),
  publicKeyPem: Type.String({ description: 'SPKI PEM of the key that signs checkpoints' }),
});
export const EntryView = Type.Object({
  seq: Type.String(),
  time: Type.String({ format: 'date-time' }),
  actorType: Type.String(),
  actorId: Nullable,
  device: Nullable,
  ip: Nullable,
  action: Type.String(),
  target: Nullable,
  outcome: Type.String(),
  details: Type.String({ description: 'Canonical JSON text' }),
  leafHash: Hex,
  chainHash: Hex,
});
const CheckpointView = Type.Object({
  id: Type.String(),
  treeSize: Type.Integer(),
  rootHash: Hex,
  chainHash: Hex,
  time: Type.String({ format: 'date-time' }),
  algorithm: Type.String(),
  keyId: Type.String(),
  signature: Type.String({ description: 'DER signature, base64' }),
});
const Page = <T extends typeof EntryView | typeof CheckpointView>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable });
const errors = problemResponses(400, 401, 403, 404, 422);
const security = operatorSecurity;
const tags = ['audit'];

export const entryView = ({ record: r, leaf, chain }: StoredEntry) => ({
  seq: String(r.seq),
  time: new Date(r.at).toISOString(),
  actorType: r.actorType,
  actorId: r.actorId,
  device: r.device,
  ip: r.ip,
  action: r.action,
  target: r.target,
  outcome: r.outcome,
  details: r.details,
  leafHash: leaf.toString('hex'),
  chainHash: chain.toString('hex'),
});
const checkpointView = (c: StoredCheckpoint) => ({
  id: String(c.id),
  treeSize: c.treeSize,
  rootHash: c.rootHash.toString('hex'),
  chainHash: c.chainHash.toString('hex'),
  time: new Date(c.createdAt).toISOString(),
  algorithm: c.algorithm,
  keyId: c.keyId,
  signature: c.signature.toString('base64'),
});

/** A proof parameter: a positive decimal integer, or a clear problem naming it. */
function positive(value: string | undefined, name: string): bigint | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(value))
    throw new AnfuError('audit_proof_parameter_invalid', `${name} must be a positive decimal integer`);
  return BigInt(value);
}

function proved<T>(outcome: ProofOutcome<T>): T {
  if (!outcome.ok) throw new AnfuError(outcome.code, outcome.detail);
  return outcome.proof;
}

/** The sealed audit signer, opened on first use; a failed open is retried on the next call. */
function cachedSigner(context: AppContext): () => Promise<AuditSigner> {
  let signer: Promise<AuditSigner> | undefined;
  return () => {
    signer ??= keyringAuditSigner(context.keyring, {
      dataDir: context.config.dataDir,
      profile: context.config.cryptoProfile,
    });
    signer.catch(() => {
      signer = undefined;
    });
    return signer;
  };
}

export function auditRoutes(context: AppContext): FastifyPluginAsync {
  const { store, clock } = context;
  const auditSigner = cachedSigner(context);
  const read = { config: { auth: 'operator' as const, permission: 'audit.read' as const } };
  const limitOf = (text: string | undefined) => (text === undefined ? 50 : Number(text));
  const Limit = PageLimit(500);

  return async (app) => {
    app.get(
      '/audit/entries',
      {
        ...read,
        schema: {
          tags,
          security,
          summary: 'Audit entries in seq order, optionally only those of one target, action or actor',
          querystring: Type.Object(
            {
              cursor: Type.Optional(Type.String({ maxLength: 20 })),
              limit: Limit,
              target: Type.Optional(SearchText),
              action: Type.Optional(SearchText),
              actor: Type.Optional(SearchText),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(EntryView), ...errors },
        },
      },
      async (request) => {
        type Query = { cursor?: string; limit?: string; target?: string; action?: string; actor?: string };
        const query = request.query as Query;
        if (query.cursor !== undefined && !/^[0-9]{1,16}$/.test(query.cursor)) throw new AnfuError('invalid_cursor');
        const search = { target: query.target, action: query.action, actorId: query.actor };
        const page = await searchEntries(store, search, {
          after: query.cursor === undefined ? 0n : BigInt(query.cursor),
          limit: limitOf(query.limit),
        });
        return { items: page.items.map(entryView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/audit/checkpoints',
      {
        ...read,
        schema: {
          tags,
          security,
          summary: 'Signed checkpoints, oldest first',
          querystring: Type.Object(
            { cursor: Type.Optional(Type.String({ maxLength: 20 })), limit: Limit },
            { additionalProperties: false },
          ),
          response: { 200: Page(CheckpointView), ...errors },
        },
      },
      async (request) => {
        const query = request.query as { cursor?: string; limit?: string };
        if (query.cursor !== undefined && !/^[0-9]{1,16}$/.test(query.cursor)) throw new AnfuError('invalid_cursor');
        const page = await listCheckpoints(store, {
          after: query.cursor === undefined ? 0n : BigInt(query.cursor),
          limit: limitOf(query.limit),
        });
        return { items: page.items.map(checkpointView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/audit/signing-key',
      {
        ...read,
        schema: {
          tags,
          security,
          summary: "The checkpoint signing key's public half, to check checkpoint signatures (e.g. in the console)",
          response: { 200: SigningKeyView, ...errors },
        },
      },
      async () => {
        const signer = await auditSigner();
        return { algorithm: signer.algorithm, keyId: signer.keyId, publicKeyPem: signer.publicKeyPem };
      },
    );

    app.post(
      '/audit/checkpoints',
      {
        config: { auth: 'operator', permission: 'audit.checkpoint' },
        schema: {
          tags,
          security,
          summary: 'Sign a checkpoint over the log as it stands now',
          response: { 201: CheckpointView, ...errors },
        },
      },
      async (request, reply) => {
        const actor = { actorType: 'operator' as const, actorId: request.principal?.id ?? null, ip: request.ip };
        const checkpoint = await createCheckpoint(store, await auditSigner(), clock(), actor);
        return reply.status(201).send(checkpointView(checkpoint));
      },
    );

    app.get(
      '/audit/entries/:seq/inclusion-proof',
      {
        ...read,
        schema: {
          tags,
          security,
          summary: 'RFC 9162 inclusion proof of one entry in the tree of treeSize entries (default: the whole log)',
          params: Type.Object({ seq: Number_ }),
          querystring: Type.Object({ treeSize: Type.Optional(Number_) }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              seq: Type.String(),
              leafIndex: Type.Integer(),
              treeSize: Type.Integer(),
              leafHash: Hex,
              path: Type.Array(Hex),
              rootHash: Hex,
              checkpoint: Type.Union([CheckpointView, Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const seq = positive((request.params as { seq: string }).seq, 'seq') as bigint;
        const proof = proved(
          await inclusionProof(store, seq, positive((request.query as { treeSize?: string }).treeSize, 'treeSize')),
        );
        return {
          seq: String(proof.seq),
          leafIndex: proof.leafIndex,
          treeSize: proof.treeSize,
          leafHash: proof.leafHash.toString('hex'),
          path: proof.path.map((h) => h.toString('hex')),
          rootHash: proof.rootHash.toString('hex'),
          checkpoint: proof.checkpoint === undefined ? null : checkpointView(proof.checkpoint),
        };
      },
    );

    app.get(
      '/audit/consistency-proof',
      {
        ...read,
        schema: {
          tags,
          security,
          summary: 'RFC 9162 consistency proof between the trees of first and second entries',
          querystring: Type.Object({ first: Number_, second: Number_ }, { additionalProperties: false }),
          response: {
            200: Type.Object({
              first: Type.Integer(),
              second: Type.Integer(),
              path: Type.Array(Hex),
              firstRoot: Hex,
              secondRoot: Hex,
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const query = request.query as { first: string; second: string };
        const proof = proved(
          await consistencyProof(
            store,
            positive(query.first, 'first') as bigint,
            positive(query.second, 'second') as bigint,
          ),
        );
        return {
          first: proof.first,
          second: proof.second,
          path: proof.path.map((h) => h.toString('hex')),
          firstRoot: proof.firstRoot.toString('hex'),
          secondRoot: proof.secondRoot.toString('hex'),
        };
      },
    );
  };
}
