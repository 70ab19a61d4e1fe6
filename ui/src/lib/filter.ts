import type { BalanceRow } from "./api/bindings";

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
