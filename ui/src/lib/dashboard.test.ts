import { describe, expect, it } from "vitest";
import type { AddressRecord, BalanceRow, WalletRecord } from "./api/bindings";
import { chainFigures, lines, totals, type Layout, type Line } from "./dashboard";
import { balanceRow } from "./fixtures";

function wallet(id: number, change: Partial<WalletRecord> = {}): WalletRecord {
  return { id, source: `0x${id}`, family: "evm", label: null, created_at: 0, addresses: [], ...change };
}

function layout(wallets: WalletRecord[], rows: BalanceRow[], change: Partial<Layout> = {}): Layout {
  return { view: "wallet", wallets, rows, walletValue: () => null, open: new Set(), showAll: false, ...change };
}

describe("the dashboard's lines", () => {
  it("put each wallet's header before its rows, with the wallet's totals", () => {
    const rows = [
      balanceRow({ key: "a", wallet: 1 }),
      balanceRow({ key: "b", wallet: 2 }),
      balanceRow({ key: "c", wallet: 1, address: "0xother", raw: "500000000000000000", amount: "0.5" }),
    ];
    const shown = lines(layout([wallet(1), wallet(2)], rows));
    expect(shown.map((line) => line.key)).toEqual(["w1", "a", "c", "w2", "b"]);
    const first = shown[0];
    expect(first.kind === "wallet" && totals(first.rows)).toEqual([{ chain: "ethereum", symbol: "ETH", amount: "2" }]);
  });

  it("sum each asset exactly, apart per chain and contract, leaving out unread and zero sums", () => {
    const sums = totals([
      balanceRow({ raw: "123456789012345678901234567890" }),
      balanceRow({ raw: "1" }),
      balanceRow({ chain: "base", raw: "5" }),
      balanceRow({ contract: "0xusdc", symbol: "USDC", decimals: 6, raw: "0" }),
      balanceRow({ contract: "0xdai", symbol: "DAI", raw: null, amount: null }),
    ]);
    expect(sums).toEqual([
      { chain: "ethereum", symbol: "ETH", amount: "123456789012.345678901234567891" },
      { chain: "base", symbol: "ETH", amount: "0.000000000000000005" },
    ]);
  });

  it("never sum a token no list vouches for, even when it is shown", () => {
    const sums = totals([
      balanceRow({ contract: "0xlure", symbol: "USDC", decimals: 6, raw: "1000000", verified: false }),
      balanceRow({ contract: "0xlure", symbol: "USDC", decimals: 6, raw: "2000000", verified: true }),
    ]);
    expect(sums).toEqual([{ chain: "ethereum", symbol: "USDC", amount: "2" }]);
  });
});

const only = <K extends Line["kind"]>(shown: Line[], kind: K) =>
  shown.filter((line): line is Extract<Line, { kind: K }> => line.kind === kind);

describe("values first", () => {
  it("give each wallet its value and what it holds per chain, largest first, and sort rows by value", () => {
    const rows = [
      balanceRow({ key: "cheap", value: "12.5" }),
      balanceRow({ key: "unpriced", chain: "solana", symbol: "BONK", price: null, value: null }),
      balanceRow({ key: "dear", chain: "base", value: "100000.01" }),
      balanceRow({ key: "more", value: "9.5" }),
    ];
    const shown = lines(layout([wallet(1)], rows, { walletValue: (id) => (id === 1 ? "100022.01" : null) }));
    expect(shown.map((line) => line.key)).toEqual(["w1", "dear", "cheap", "more", "unpriced"]);
    const [header] = only(shown, "wallet");
    expect(header.value).toBe("100022.01");
    expect(chainFigures(header.rows)).toEqual([
      { chain: "base", value: "100000.01", unpriced: 0 },
      { chain: "ethereum", value: "22", unpriced: 0 },
      { chain: "solana", value: null, unpriced: 1 },
    ]);
  });
});

describe("the by-asset view", () => {
  const usdc = (key: string, chain: string, decimals: number, amount: string, value: string | null, walletId = 1) =>
    balanceRow({ key, wallet: walletId, chain, contract: `0x${chain}`, symbol: "USDC", decimals, amount, value });
  const rows = [
    usdc("eth", "ethereum", 6, "12000.123456", "12000.11"),
    usdc("base", "base", 6, "300.5", "300.49", 2),
    usdc("bsc", "bsc", 18, "45.000000000000000001", "45.000000000000000001"),
    usdc("arb", "arbitrum", 6, "0.046544", null),
    balanceRow({ key: "lure", chain: "base", contract: "0xlure", symbol: "USDC", amount: "1000000", value: null, verified: false }),
    balanceRow({ key: "eth native", amount: "1.5", value: "4500" }),
  ];

  it("sums each asset exactly over wallets and chains, whatever their decimals, never a lure with it", () => {
    const shown = only(lines(layout([wallet(1), wallet(2)], rows, { view: "asset" })), "asset");
    expect(shown.map((line) => [line.sum.symbol, line.sum.amount, line.sum.chains.length, line.sum.value])).toEqual([
      ["USDC", "12345.670000000000000001", 4, "12345.600000000000000001"],
      ["ETH", "1.5", 1, "4500"],
      ["USDC", "1000000", 1, null],
    ]);
    expect(shown[0].sum.unpriced).toBe(1);
    expect(shown.every((line) => !line.open)).toBe(true);
  });

  it("opens an asset to its rows, largest value first, each naming its wallet", () => {
    const named = [wallet(1, { label: "Alice" }), wallet(2)];
    const shown = lines(layout(named, rows, { view: "asset", open: new Set(["aUSDC"]) }));
    expect(shown.map((line) => line.key)).toEqual(["aUSDC", "eth", "base", "bsc", "arb", "aETH", "abase\u00000xlure"]);
    const owners = only(shown, "balance").map((line) => line.owner);
    expect(owners).toEqual(["Alice", "0x2", "Alice", "Alice"]);
  });
});

describe("a watch key", () => {
  const derived = (address: string, used: boolean): AddressRecord => ({
    id: 0,
    wallet_id: 7,
    family: "bitcoin",
    address,
    derivation: `0/${address}`,
    used,
    added_at: 0,
    chains: ["bitcoin"],
  });
  const zpub = wallet(7, {
    family: "bitcoin",
    source: "zpub6r...",
    addresses: [derived("bc1a", true), derived("bc1b", true), derived("bc1c", false)],
  });
  const btc = (address: string, amount: string, value: string, freshness: BalanceRow["freshness"] = "fresh") =>
    balanceRow({ key: address, wallet: 7, chain: "bitcoin", address, symbol: "BTC", decimals: 8, amount, value, freshness, raw: null });
  const rows = [btc("bc1a", "0.5", "30000"), btc("bc1b", "0.00012345", "7.41", "stale"), btc("bc1c", "0", "0")];

  it("shows one balance per chain, its derived addresses folded away", () => {
    const shown = lines(layout([zpub], rows));
    expect(shown.map((line) => line.kind)).toEqual(["wallet", "fold"]);
    const [fold] = only(shown, "fold");
    expect(fold.row.amount).toBe("0.50012345");
    expect(fold.row.value).toBe("30007.41");
    expect(fold.row.address).toBe("3 addresses");
    expect(fold.row.freshness).toBe("stale");
  });

  it("opens to the used addresses, and to every one with Show all", () => {
    const key = only(lines(layout([zpub], rows)), "fold")[0].key;
    const opened = lines(layout([zpub], rows, { open: new Set([key]) }));
    expect(only(opened, "balance").map((line) => line.key)).toEqual(["bc1a", "bc1b"]);
    const all = lines(layout([zpub], rows, { open: new Set([key]), showAll: true }));
    expect(only(all, "balance").map((line) => line.key)).toEqual(["bc1a", "bc1b", "bc1c"]);
  });

  it("leaves a plain address wallet's rows unfolded", () => {
    const shown = lines(layout([wallet(1)], [balanceRow({ key: "x" }), balanceRow({ key: "y", address: "0xother" })]));
    expect(shown.map((line) => line.kind)).toEqual(["wallet", "balance", "balance"]);
  });
});
