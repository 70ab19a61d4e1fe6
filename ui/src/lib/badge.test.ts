import { describe, expect, it } from "vitest";
import { badgeOf, shownName } from "./badge";

const USDC = { chain: "ethereum", contract: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", symbol: "USDC" };

describe("a token's badge", () => {
  it("shows the symbol's first two letters or digits", () => {
    expect(badgeOf(USDC).initials).toBe("US");
    expect(badgeOf({ ...USDC, symbol: "wETH" }).initials).toBe("WE");
    expect(badgeOf({ ...USDC, symbol: "EPjF…" }).initials).toBe("EP");
    expect(badgeOf({ ...USDC, symbol: "$" }).initials).toBe("?");
  });

  it("takes its colour from the contract, always the same, and apart for another token of one symbol", () => {
    expect(badgeOf(USDC)).toEqual(badgeOf({ ...USDC }));
    expect(badgeOf(USDC).background).toMatch(/^hsl\(\d+ 50% 33%\)$/);
    const lure = { ...USDC, contract: "0x0000000000000000000000000000000000000bad" };
    expect(badgeOf(lure).background).not.toBe(badgeOf(USDC).background);
  });

  it("gives a chain's coin its symbol's colour, so ETH looks alike on every chain", () => {
    const ether = (chain: string) => badgeOf({ chain, contract: null, symbol: "ETH" });
    expect(ether("base")).toEqual(ether("ethereum"));
    expect(ether("base")).not.toEqual(badgeOf({ chain: "base", contract: null, symbol: "BNB" }));
  });
});

describe("a token's name", () => {
  it("is shown beside its symbol, unless it is only the mint's address or the symbol again", () => {
    expect(shownName({ ...USDC, name: "USD Coin" })).toBe("USD Coin");
    const mint = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
    expect(shownName({ chain: "solana", contract: mint, symbol: "9xQe…", name: mint })).toBeNull();
    expect(shownName({ ...USDC, name: "USDC" })).toBeNull();
    expect(shownName({ ...USDC, name: " " })).toBeNull();
  });
});
