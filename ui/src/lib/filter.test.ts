import { describe, expect, it } from "vitest";
import { balanceRow } from "./fixtures";
import { searched, visibleRows } from "./filter";

const rows = [
  balanceRow({ key: "held" }),
  balanceRow({ key: "zero", raw: "0", amount: "0", zero: true }),
  balanceRow({ key: "dust", raw: "1", amount: "0.000000000000000001", dust: true }),
  balanceRow({ key: "hidden", hidden: true }),
  balanceRow({ key: "never", raw: null, amount: null, freshness: "never", readAt: null, ageSeconds: null }),
  balanceRow({ key: "errored", raw: null, amount: null, freshness: "error", error: "429", readAt: null }),
  balanceRow({ key: "stale but held", freshness: "stale", error: "timed out" }),
  balanceRow({ key: "small", price: "0.5", value: "0.75", small: true }),
  balanceRow({ key: "unpriced", price: null, value: null, priceUpdatedAt: null }),
];
const keys = (list: typeof rows) => list.map((row) => row.key);

describe("Show all", () => {
  it("off, shows only values that matter, an older value whose refresh failed included", () => {
    expect(keys(visibleRows(rows, false))).toEqual(["held", "stale but held", "unpriced"]);
  });

  it("on, shows every registered row, zero, dust, hidden, small, never read and errored ones included", () => {
    expect(keys(visibleRows(rows, true))).toEqual(keys(rows));
  });
});

describe("search and the chain filter", () => {
  const wallets = [
    { id: 1, source: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", family: "evm" as const, label: "Alice", created_at: 0, addresses: [] },
    { id: 2, source: "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs", family: "bitcoin" as const, label: null, created_at: 0, addresses: [] },
  ];
  const found = [
    balanceRow({ key: "alice eth" }),
    balanceRow({ key: "alice usdc", contract: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", symbol: "USDC", name: "USD Coin" }),
    balanceRow({ key: "alice base usdc", chain: "base", contract: "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", symbol: "USDC", name: "USD Coin" }),
    balanceRow({ key: "btc", wallet: 2, chain: "bitcoin", address: "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu", symbol: "BTC", name: "Bitcoin" }),
  ];
  const search = (query: string, chain = "") => keys(searched(found, wallets, query, chain));

  it("finds a symbol, a label, an address, a contract or a key, ignoring case", () => {
    expect(search("usdc")).toEqual(["alice usdc", "alice base usdc"]);
    expect(search("ALICE")).toEqual(["alice eth", "alice usdc", "alice base usdc"]);
    expect(search("bc1qcr8te4")).toEqual(["btc"]);
    expect(search("0xa0b86991")).toEqual(["alice usdc"]);
    expect(search("zpub6rFR7")).toEqual(["btc"]);
    expect(search("dogecoin")).toEqual([]);
  });

  it("finds a token by its name", () => {
    expect(search("usd coin")).toEqual(["alice usdc", "alice base usdc"]);
    expect(search("bitcoin")).toEqual(["btc"]);
    expect(search("coin")).toEqual(["alice usdc", "alice base usdc", "btc"]);
  });

  it("needs every word, and shows every row with none", () => {
    expect(search("alice  usdc base")).toEqual(["alice base usdc"]);
    expect(search("   ")).toEqual(keys(found));
  });

  it("narrows to one chain, with or without a query", () => {
    expect(search("", "base")).toEqual(["alice base usdc"]);
    expect(search("usdc", "ethereum")).toEqual(["alice usdc"]);
    expect(search("btc", "ethereum")).toEqual([]);
  });
});
