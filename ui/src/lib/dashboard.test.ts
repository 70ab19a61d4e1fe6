import { describe, expect, it } from "vitest";
import type { WalletRecord } from "./api/bindings";
import { lines, totals } from "./dashboard";
import { balanceRow } from "./fixtures";

function wallet(id: number): WalletRecord {
  return { id, source: `0x${id}`, family: "evm", label: null, created_at: 0, addresses: [] };
}

describe("the dashboard's lines", () => {
  it("put each wallet's header before its rows, with the wallet's totals", () => {
    const rows = [
      balanceRow({ key: "a", wallet: 1 }),
      balanceRow({ key: "b", wallet: 2 }),
      balanceRow({ key: "c", wallet: 1, address: "0xother", raw: "500000000000000000", amount: "0.5" }),
    ];
    const shown = lines([wallet(1), wallet(2)], rows);
    expect(shown.map((line) => line.key)).toEqual(["w1", "a", "c", "w2", "b"]);
    const first = shown[0];
    expect(first.kind === "wallet" && first.totals).toEqual([{ chain: "ethereum", symbol: "ETH", amount: "2" }]);
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
