import { render } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { balanceRow } from "../fixtures";
import FreshnessIndicator from "./FreshnessIndicator.svelte";

function indicator(change: Parameters<typeof balanceRow>[0]): HTMLElement {
  const { container } = render(FreshnessIndicator, { row: balanceRow(change) });
  return container.querySelector("[data-freshness]") as HTMLElement;
}

describe("the freshness indicator", () => {
  it("says fresh, with the block and read time on hover", () => {
    const shown = indicator({ freshness: "fresh", ageSeconds: 4, block: 19000000 });
    expect(shown.textContent?.trim()).toBe("fresh");
    expect(shown.classList.contains("fresh")).toBe(true);
    expect(shown.title).toContain("block 19000000");
    expect(shown.title).toContain("read ");
  });

  it("says cached with the age in words", () => {
    const shown = indicator({ freshness: "cached", ageSeconds: 150 });
    expect(shown.textContent?.trim()).toBe("cached · 2 min ago");
  });

  it("says stale with the age, and why the newest read failed", () => {
    const shown = indicator({ freshness: "stale", ageSeconds: 3 * 3600, error: "rate limited (429)" });
    expect(shown.textContent?.trim()).toBe("stale · 3 h ago");
    expect(shown.title).toContain("last read failed: rate limited (429)");
  });

  it("says never read for a row not read yet", () => {
    const shown = indicator({ freshness: "never", ageSeconds: null, readAt: null, block: null, raw: null, amount: null });
    expect(shown.textContent?.trim()).toBe("never read");
    expect(shown.title).toBe("never read");
  });

  it("says error, with the error on hover", () => {
    const shown = indicator({
      freshness: "error",
      ageSeconds: null,
      readAt: null,
      block: null,
      raw: null,
      amount: null,
      error: "every endpoint failed",
    });
    expect(shown.textContent?.trim()).toBe("error");
    expect(shown.classList.contains("error")).toBe(true);
    expect(shown.title).toContain("last read failed: every endpoint failed");
  });
});
