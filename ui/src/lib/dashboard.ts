import type { BalanceRow, WalletRecord } from "./api/bindings";
import { sumRaw, wholeUnits } from "./format";

/** What the dashboard's list shows, in order: each wallet's header, then its rows. */
export type Line =
  | { kind: "wallet"; key: string; wallet: WalletRecord; rows: number; totals: Total[] }
  | { kind: "balance"; key: string; row: BalanceRow };

export function lines(wallets: WalletRecord[], rows: BalanceRow[]): Line[] {
  const byWallet = new Map<number, BalanceRow[]>();
  for (const row of rows) {
    const list = byWallet.get(row.wallet);
    if (list) list.push(row);
    else byWallet.set(row.wallet, [row]);
  }
  const out: Line[] = [];
  for (const wallet of wallets) {
    const own = byWallet.get(wallet.id) ?? [];
    out.push({ kind: "wallet", key: `w${wallet.id}`, wallet, rows: own.length, totals: totals(own) });
    for (const row of own) out.push({ kind: "balance", key: row.key, row });
  }
  return out;
}

/** One asset's total over the rows shown, exact; a token no list vouches for is never summed. */
export type Total = { chain: string; symbol: string; amount: string };

export function totals(rows: BalanceRow[]): Total[] {
  const groups = new Map<string, { chain: string; symbol: string; decimals: number; raws: string[] }>();
  for (const row of rows) {
    if (row.raw === null || !row.verified) continue;
    const id = `${row.chain}\u0000${row.contract ?? ""}`;
    const group = groups.get(id);
    if (group) group.raws.push(row.raw);
    else groups.set(id, { chain: row.chain, symbol: row.symbol, decimals: row.decimals, raws: [row.raw] });
  }
  return [...groups.values()]
    .map((g) => ({ chain: g.chain, symbol: g.symbol, raw: sumRaw(g.raws), decimals: g.decimals }))
    .filter((g) => g.raw > 0n)
    .map((g) => ({ chain: g.chain, symbol: g.symbol, amount: wholeUnits(g.raw, g.decimals) }));
}
