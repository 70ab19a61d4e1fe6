import { render } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { dollarTick, portfolioSeries } from "../history";
import { usd } from "../format";
import ValueChart from "./ValueChart.svelte";

// jsdom lays nothing out, so it has no ResizeObserver (what `bind:clientWidth` uses): the chart is
// drawn at width 0 here, which the frame copes with.
globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

const EMPTY = "No value history yet: it appears after the first price pass.";

function chart(days: { day: string; total: string | null; unpriced: number }[]): HTMLElement {
  const { container } = render(ValueChart, {
    label: "Portfolio value history",
    series: portfolioSeries({ currency: "usd", days }),
    tick: dollarTick,
    unit: usd,
    empty: EMPTY,
  });
  return container.querySelector("figure[aria-label='Portfolio value history']") as HTMLElement;
}

describe("the value chart", () => {
  it("says in words that there is nothing yet, and what will bring it", () => {
    const figure = chart([]);
    expect(figure.querySelector("svg")).toBeNull();
    expect(figure.textContent?.trim()).toBe(EMPTY);
  });

  it("draws a point a day in SVG, each exact on hover, with dollar ticks and a summary", () => {
    const figure = chart([
      { day: "2026-03-01", total: "1000.005", unpriced: 0 },
      { day: "2026-03-02", total: null, unpriced: 3 },
      { day: "2026-03-03", total: "12501.423928", unpriced: 0 },
    ]);
    const svg = figure.querySelector("svg[role='img']") as SVGElement;
    expect(svg.getAttribute("aria-label")).toBe(
      "2 points, from $1,000.01 on Mar 1, 2026 to $12,501.42 on Mar 3, 2026.",
    );
    const points = [...svg.querySelectorAll("circle")];
    expect(points.map((p) => p.dataset.exact)).toEqual(["1000.005", "12501.423928"]);
    expect(points.map((p) => p.querySelector("title")?.textContent)).toEqual([
      "Mar 1, 2026: $1,000.01",
      "Mar 3, 2026: $12,501.42",
    ]);
    const ticks = [...svg.querySelectorAll(".values text")].map((t) => t.textContent);
    expect(ticks[0]).toBe("$0");
    expect(ticks.every((tick) => tick?.startsWith("$"))).toBe(true);
    expect(figure.querySelector(".gaps")?.textContent).toBe(
      "Not drawn: Mar 2, 2026: nothing could be valued (3 balances without a price).",
    );
  });
});
