// The customer's own wallet: balances, class and limits with what remains (what the wallet's home
// screen shows). Read-only; the payments capability computes it from the ledger and the limit counters.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import { AnfuError } from '../../errors.ts';
import { currencyOf, formatMajor } from '../../money/index.ts';
import { walletSummary, type WalletSummary } from '../../payments/index.ts';
import { paymentsContextOf, type AppContext } from '../context.ts';
import { customerOf } from '../customer-auth.ts';
import { problemResponses } from '../schemas.ts';

const money = (minor: bigint, currency: string) => formatMajor(minor, currencyOf(currency));

const WalletView = Type.Object({
  accountClass: Type.String({ enum: ['I', 'II', 'III'] }),
  balances: Type.Array(Type.Object({ currency: Type.String(), balance: Type.String(), available: Type.String() })),
  limits: Type.Array(
    Type.Object({
      name: Type.String({ enum: ['class_lifetime', 'class_year', 'day'] }),
      tier: Type.Optional(Type.String({ enum: ['certificate', 'two_factors', 'weak'] })),
      currency: Type.String(),
      limit: Type.String(),
      used: Type.String(),
      remaining: Type.String(),
    }),
  ),
});

function walletView(w: WalletSummary) {
  return {
    accountClass: w.accountClass,
    balances: w.balances.map((b) => ({
      currency: b.currency,
      balance: money(b.balanceMinor, b.currency),
      available: money(b.availableMinor, b.currency),
    })),
    limits: w.limits.map((l) => ({
      name: l.name,
      ...(l.tier === undefined ? {} : { tier: l.tier }),
      currency: l.currency,
      limit: money(l.limitMinor, l.currency),
      used: money(l.usedMinor, l.currency),
      remaining: money(l.remainingMinor, l.currency),
    })),
  };
}

export function walletRoutes(context: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/me/wallet',
      {
        config: { auth: 'paying-customer' },
        schema: {
          tags: ['payments'],
          summary: "The customer's balances, account class and limits with what remains",
          response: { 200: WalletView, ...problemResponses(401, 404) },
        },
      },
      async (request) => {
        const ctx = paymentsContextOf(context);
        const principal = await customerOf(ctx, request);
        const customer = await ctx.identity.customer(principal.customerId);
        if (customer === undefined) throw new AnfuError('unauthenticated');
        const deps = {
          store: ctx.store,
          ledger: ctx.ledger,
          policy: ctx.settings.limits,
          currencies: ctx.settings.currencies,
        };
        return walletView(await walletSummary(deps, customer, principal.strength, ctx.clock()));
      },
    );
  };
}
