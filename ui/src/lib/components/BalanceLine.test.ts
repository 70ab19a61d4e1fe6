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
