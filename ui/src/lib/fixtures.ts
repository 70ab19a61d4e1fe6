import type { BalanceRow } from "./api/bindings";

/** A balance row as the engine sends it, with what a test changes. */
export function balanceRow(change: Partial<BalanceRow> = {}): BalanceRow {
  return {
    key: "1:1",
    wallet: 1,
    chain: "ethereum",
    address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    contract: null,
    symbol: "ETH",
    name: "Ether",
    decimals: 18,
    raw: "1500000000000000000",
    amount: "1.5",
    zero: false,
    dust: false,
    hidden: false,
    verified: true,
    block: 19000000,
    readAt: 1_700_000_000_000,
    ageSeconds: 4,
    freshness: "fresh",
    error: null,
    pending: null,
    price: "3000",
    value: "4500",
    priceUpdatedAt: 1_700_000_000_000,
    priceStale: false,
    small: false,
    ...change,
  };
}
