// What the dashboard's list shows, in order, in either view: by wallet (each wallet's header, then
// its rows, a watch key's derived addresses folded per asset) or by asset (each asset summed over
// wallets and chains, then its rows when opened). Sums are exact, through decimal strings.
import type { BalanceRow, Freshness, WalletRecord } from "./api/bindings";
import { compareDecimals, shortAddress, sumDecimals, sumRaw, wholeUnits } from "./format";

export type View = "wallet" | "asset";

/** A few figures per chain: what a wallet holds there is worth, and how many rows have no price. */
export type ChainFigure = { chain: string; value: string | null; unpriced: number };

/** Several rows read as one: an asset over the rows holding it (an asset, or a watch key's addresses). */
export type Sum = {
  symbol: string;
  /** Whole units, exact. */
  amount: string;
  chains: string[];
  /** The sum of the priced rows' values, exact; `null` when none is priced. */
  value: string | null;
  /** Rows holding it that have no price. */
  unpriced: number;
  rows: BalanceRow[];
};

export type Line =
  | {
      kind: "wallet";
      key: string;
      wallet: WalletRecord;
      /**
       * The wallet's rows shown, largest value first. Its header sums them per chain and asset
       * itself (`chainFigures`, `totals`): only the few headers on screen, not all of them.
       */
      rows: BalanceRow[];
      value: string | null;
    }
  | { kind: "balance"; key: string; row: BalanceRow; owner: string | null; nested: boolean }
  | { kind: "asset"; key: string; sum: Sum; open: boolean }
  | { kind: "fold"; key: string; sum: Sum; row: BalanceRow; open: boolean };

export type Layout = {
  view: View;
  wallets: WalletRecord[];
  /** The rows shown (after Show all, search and the chain filter). */
  rows: BalanceRow[];
  /** Each wallet's value, as the portfolio says. */
  walletValue: (wallet: number) => string | null;
  /** Keys of the asset and fold lines opened. */
  open: ReadonlySet<string>;
  showAll: boolean;
};

export function lines(layout: Layout): Line[] {
  return layout.view === "asset" ? assetLines(layout) : walletLines(layout);
}

/** The name a wallet goes by: its label, else its source shortened. */
export function walletName(wallet: WalletRecord): string {
  return wallet.label ?? shortAddress(wallet.source);
}

function walletLines({ wallets, rows, walletValue, open, showAll }: Layout): Line[] {
  const byWallet = groupBy(rows, (row) => String(row.wallet));
  const out: Line[] = [];
  for (const wallet of wallets) {
    const own = byValue(byWallet.get(String(wallet.id)) ?? []);
    out.push({
      kind: "wallet",
      key: `w${wallet.id}`,
      wallet,
      rows: own,
      value: walletValue(wallet.id),
    });
    if (!isWatchKey(wallet)) {
      for (const row of own) out.push(balance(row, null, false));
      continue;
    }
    out.push(...foldLines(wallet, own, open, showAll));
  }
  return out;
}

/** A wallet whose addresses are derived from one key (an xpub, zpub or descriptor). */
export function isWatchKey(wallet: WalletRecord): boolean {
  return wallet.addresses.some((address) => address.derivation !== null);
}

/**
 * A watch key's rows, one line per chain and asset, its derived addresses folded away; opened, the
 * used ones (every one with Show all). An unverified token is never summed: its rows stay apart.
 */
function foldLines(wallet: WalletRecord, rows: BalanceRow[], open: ReadonlySet<string>, showAll: boolean): Line[] {
  const used = new Set(wallet.addresses.filter((address) => address.used).map((address) => address.address));
  const out: Line[] = [];
  const groups = groupBy(rows, (row) => (row.verified ? `${row.chain}\u0000${row.contract ?? ""}` : row.key));
  for (const [id, group] of sortSums(groups)) {
    if (group.rows.length === 1) {
      out.push(balance(group.rows[0], null, false));
      continue;
    }
    const key = `f${wallet.id}\u0000${id}`;
    const opened = open.has(key);
    out.push({ kind: "fold", key, sum: group, row: folded(group, key), open: opened });
    if (!opened) continue;
    for (const row of group.rows) if (showAll || used.has(row.address)) out.push(balance(row, null, true));
  }
  return out;
}

/** The one row a fold shows: the asset's sum over the addresses, as fresh as its stalest read. */
function folded(sum: Sum, key: string): BalanceRow {
  const first = sum.rows[0];
  const raw = sumRaw(sum.rows.flatMap((row) => (row.raw === null ? [] : [row.raw])));
  const stalest = sum.rows.reduce((worst, row) => (rank(row.freshness) > rank(worst.freshness) ? row : worst));
  return {
    ...stalest,
    key,
    address: `${sum.rows.length} addresses`,
    contract: first.contract,
    raw: raw.toString(),
    amount: sum.amount,
    value: sum.unpriced > 0 ? null : sum.value,
    price: first.price,
    priceStale: sum.rows.some((row) => row.priceStale),
  };
}

const FRESHNESS_RANK: Freshness[] = ["fresh", "cached", "never", "stale", "error"];
const rank = (freshness: Freshness) => FRESHNESS_RANK.indexOf(freshness);

/**
 * Each asset summed over wallets and chains: a listed token by its symbol, so USDC on four chains
 * reads as one; a token no list vouches for by its own contract, never summed with another.
 */
function assetLines({ wallets, rows, open }: Layout): Line[] {
  const names = new Map(wallets.map((wallet) => [wallet.id, walletName(wallet)]));
  const held = rows.filter((row) => row.amount !== null);
  const groups = groupBy(held, (row) => (row.verified ? `${row.symbol}` : `${row.chain}\u0000${row.contract}`));
  const out: Line[] = [];
  for (const [id, sum] of sortSums(groups)) {
    const key = `a${id}`;
    const opened = open.has(key);
    out.push({ kind: "asset", key, sum, open: opened });
    if (opened) for (const row of sum.rows) out.push(balance(row, names.get(row.wallet) ?? null, true));
  }
  return out;
}

/** Sums each group, largest value first, unpriced ones after the priced, by name. */
function sortSums(groups: Map<string, BalanceRow[]>): [string, Sum][] {
  return [...groups]
    .map(([id, rows]): [string, Sum] => [id, sum(byValue(rows))])
    .sort(([, a], [, b]) => compareValues(a.value, b.value) || a.symbol.localeCompare(b.symbol));
}

/** An asset's rows summed exactly; the amounts in whole units, as chains differ in decimals. */
export function sum(rows: BalanceRow[]): Sum {
  const priced = rows.flatMap((row) => (row.value === null ? [] : [row.value]));
  const unpriced = rows.filter((row) => row.value === null && row.amount !== null && !row.zero).length;
  return {
    symbol: rows[0]?.symbol ?? "",
    amount: sumDecimals(rows.flatMap((row) => (row.amount === null ? [] : [row.amount]))),
    chains: [...new Set(rows.map((row) => row.chain))],
    value: priced.length === 0 ? null : sumDecimals(priced),
    unpriced,
    rows,
  };
}

/** What a wallet's rows are worth per chain, largest first. */
export function chainFigures(rows: BalanceRow[]): ChainFigure[] {
  return [...groupBy(rows, (row) => row.chain)]
    .map(([chain, own]) => {
      const { value, unpriced } = sum(own);
      return { chain, value, unpriced };
    })
    .sort((a, b) => compareValues(a.value, b.value) || a.chain.localeCompare(b.chain));
}

/** Largest value first; rows without a value after every row with one, in their order. */
export function byValue(rows: BalanceRow[]): BalanceRow[] {
  return [...rows].sort((a, b) => compareValues(a.value, b.value));
}

/** Orders values largest first, `null` (no price) last. */
export function compareValues(a: string | null, b: string | null): number {
  if (a === null || b === null) return (a === null ? 1 : 0) - (b === null ? 1 : 0);
  return compareDecimals(b, a);
}

function balance(row: BalanceRow, owner: string | null, nested: boolean): Line {
  return { kind: "balance", key: row.key, row, owner, nested };
}

function groupBy<T>(items: T[], id: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = id(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
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
