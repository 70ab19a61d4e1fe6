import type { BalanceRow, WalletRecord } from "./api/bindings";

/**
 * Whether a row shows with Show all off: a value read at least once that matters: not zero, not
 * dust, not hidden, not worth less than a dollar. Never-read and errored rows (no value) show only
 * with Show all on; a row whose newest read failed but which holds an older value keeps showing it,
 * marked stale. A row without a price shows: what it is worth is not known to be small.
 */
export function worthShowing(row: BalanceRow): boolean {
  return row.amount !== null && !row.zero && !row.dust && !row.hidden && !row.small;
}

export function visibleRows(rows: BalanceRow[], showAll: boolean): BalanceRow[] {
  return showAll ? rows : rows.filter(worthShowing);
}

/**
 * The rows the search box and the chain filter leave: every word of the query is found, ignoring
 * case, in the row's symbol, token name, contract or mint, address or chain, or its wallet's label or
 * source; `chain` ("" for any) is the one chain shown.
 */
export function searched(rows: BalanceRow[], wallets: WalletRecord[], query: string, chain: string): BalanceRow[] {
  const words = query.toLowerCase().split(/\s+/).filter((word) => word !== "");
  const named = new Map(wallets.map((wallet) => [wallet.id, `${wallet.label ?? ""} ${wallet.source}`]));
  return rows.filter((row) => {
    if (chain !== "" && row.chain !== chain) return false;
    if (words.length === 0) return true;
    const text = [row.symbol, row.name, row.contract ?? "", row.address, row.chain, named.get(row.wallet) ?? ""]
      .join(" ")
      .toLowerCase();
    return words.every((word) => text.includes(word));
  });
}
