import { fireEvent, render } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { balanceRow } from "../fixtures";
import BalanceLine from "./BalanceLine.svelte";

function line(change: Parameters<typeof balanceRow>[0]): HTMLElement {
  const { container } = render(BalanceLine, { row: balanceRow(change) });
  return container.querySelector("[data-key]") as HTMLElement;
}

describe("a balance line", () => {
  it("shows the amount for reading, the exact one on hover and on copy", async () => {
    const shown = line({ amount: "1.000000000000000001", raw: "1000000000000000001" });
    const amount = shown.querySelector("[data-amount]") as HTMLElement;
    expect(amount.textContent?.trim()).toBe("1.0000");
    expect(amount.title).toBe("1.000000000000000001 ETH");
    const copied = new Map<string, string>();
    await fireEvent.copy(amount.firstElementChild as HTMLElement, {
      clipboardData: { setData: (type: string, text: string) => copied.set(type, text) },
    });
    expect(copied.get("text/plain")).toBe("1.000000000000000001");
  });

  it("says a held balance without a price has none, never a zero", () => {
    const value = line({ price: null, value: null, priceUpdatedAt: null }).querySelector("[data-value]");
    expect(value?.textContent?.trim()).toBe("no price");
    const lure = line({ price: null, value: null, priceUpdatedAt: null, verified: false });
    expect(lure.querySelector("[data-value]")?.textContent?.trim()).toBe("unverified");
  });

  it("marks a stale price in words, as a stale balance is", () => {
    const price = line({ priceStale: true }).querySelector("[data-price-stale]") as HTMLElement;
    expect(price.textContent?.replace(/\s+/g, " ").trim()).toBe("stale $3,000");
    expect(price.title).toContain("stale");
  });
});

describe("a balance line's token", () => {
  it("shows its name beside its symbol, with a badge made here", () => {
    const shown = line({
      symbol: "USDC",
      name: "USD Coin",
      contract: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
    });
    expect(shown.querySelector(".symbol")?.textContent).toBe("USDC");
    expect(shown.querySelector("[data-name]")?.textContent).toBe("USD Coin");
    const badge = shown.querySelector("[data-badge]") as HTMLElement;
    expect(badge.textContent).toBe("US");
    expect(badge.style.background).not.toBe("");
    expect(shown.querySelector("img")).toBeNull();
  });

  it("calls a mint no list names an unnamed token, rather than repeating its address", () => {
    const mint = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
    const shown = line({ chain: "solana", symbol: "9xQe…", name: mint, contract: mint });
    expect(shown.querySelector("[data-name]")?.textContent).toBe("unnamed token");
  });

  it("opens its history from a button named for it", () => {
    const shown = line({});
    const button = shown.querySelector("button.history") as HTMLButtonElement;
    expect(button.getAttribute("aria-label")).toBe(
      "History of ETH at 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 on ethereum",
    );
  });
});
