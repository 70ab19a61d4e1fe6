import { describe, expect, it } from "vitest";
import type { BalanceHistory, PortfolioHistory } from "./api/bindings";
import {
  MARGIN,
  amountTick,
  balanceSeries,
  dateTick,
  dollarTick,
  frame,
  portfolioSeries,
  summary,
  timeDomain,
  valueDomain,
} from "./history";
import { usd } from "./format";

const MARCH_1 = Date.UTC(2026, 2, 1);
const DAY = 86_400_000;

function portfolio(days: PortfolioHistory["days"]): PortfolioHistory {
  return { currency: "usd", days };
}

describe("the portfolio chart's data", () => {
  it("is a point a recorded day, carrying the exact total the engine kept", () => {
    const huge = "123456789012345678901234567890.000000000000000000000000000001";
    const series = portfolioSeries(
      portfolio([
        { day: "2026-03-01", total: "12501.423928", unpriced: 0 },
        { day: "2026-03-02", total: huge, unpriced: 2 },
      ]),
    );
    expect(series.points.map((p) => [p.at, p.exact])).toEqual([
      [MARCH_1, "12501.423928"],
      [MARCH_1 + DAY, huge],
    ]);
    expect(series.points[0].words).toBe("Mar 1, 2026: $12,501.42");
    expect(series.points[1].words).toBe(`Mar 2, 2026: ${usd(huge)} (2 balances without a price)`);
    // the float is where it is drawn, never what is shown
    expect(series.points[0].y).toBe(12501.423928);
    expect(series.gaps).toEqual([]);
  });

  it("leaves out a day nothing could be valued, and says so: never a zero", () => {
    const series = portfolioSeries(
      portfolio([
        { day: "2026-03-01", total: null, unpriced: 1 },
        { day: "2026-03-02", total: "0", unpriced: 0 },
      ]),
    );
    expect(series.points.map((p) => p.exact)).toEqual(["0"]);
    expect(series.gaps).toEqual(["Mar 1, 2026: nothing could be valued (1 balance without a price)"]);
  });

  it("is empty with no day recorded", () => {
    const series = portfolioSeries(portfolio([]));
    expect(series.points).toEqual([]);
    expect(summary(series, usd)).toBe("");
  });

  it("has axes from zero to the largest value, and a lone day in the middle of two", () => {
    const series = portfolioSeries(
      portfolio([
        { day: "2026-03-01", total: "10", unpriced: 0 },
        { day: "2026-03-05", total: "250.5", unpriced: 0 },
      ]),
    );
    expect(valueDomain(series.points)).toEqual([0, 250.5]);
    expect(timeDomain(series.points)).toEqual([MARCH_1, MARCH_1 + 4 * DAY]);
    const lone = portfolioSeries(portfolio([{ day: "2026-03-01", total: "0", unpriced: 0 }]));
    expect(timeDomain(lone.points)).toEqual([MARCH_1 - DAY, MARCH_1 + DAY]);
    expect(valueDomain(lone.points)).toEqual([0, 1]);
    expect(summary(series, usd)).toBe("2 points, from $10.00 on Mar 1, 2026 to $250.50 on Mar 5, 2026.");
  });

  it("labels its axes in dollars and dates", () => {
    expect([0, 500, 12_500, 1_200_000].map(dollarTick)).toEqual(["$0", "$500", "$12.5K", "$1.2M"]);
    expect([0, 1.5, 12_000].map(amountTick)).toEqual(["0", "1.5", "12K"]);
    expect(dateTick(MARCH_1, [MARCH_1, MARCH_1 + DAY])).toBe("Mar 1");
    expect(dateTick(MARCH_1, [Date.UTC(2025, 11, 1), MARCH_1])).toBe("Mar 1, 26");
  });
});

describe("a balance's chart data", () => {
  it("is a point a change, with its exact amount, block and worth that day", () => {
    const history: BalanceHistory = {
      key: "1:2",
      chain: "ethereum",
      address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      symbol: "ETH",
      name: "Ether",
      points: [
        { at: MARCH_1 + DAY / 2, block: 10, amount: "1.5", value: null },
        { at: MARCH_1 + DAY, block: 20, amount: "2.000000000000000001", value: "6001.0000000000000030005" },
      ],
    };
    const series = balanceSeries(history);
    expect(series.points.map((p) => p.exact)).toEqual(["1.5", "2.000000000000000001"]);
    expect(series.points[0].words).toBe("Mar 1, 2026, 12:00 PM UTC: 1.5 ETH, no price that day (block 10)");
    expect(series.points[1].words).toBe("Mar 2, 2026, 12:00 AM UTC: 2.0000 ETH, $6,001.00 (block 20)");
  });
});

describe("the chart's frame", () => {
  const series = portfolioSeries(
    portfolio([
      { day: "2026-03-01", total: "10", unpriced: 0 },
      { day: "2026-03-05", total: "250.5", unpriced: 0 },
    ]),
  );

  it("puts time left to right and value bottom to top, from zero to a round top", () => {
    const at = frame(series.points, 400, 200);
    expect(at.x(MARCH_1)).toBe(MARGIN.left);
    expect(at.x(MARCH_1 + 4 * DAY)).toBe(400 - MARGIN.right);
    expect(at.y(0)).toBe(200 - MARGIN.bottom);
    expect(at.valueTicks).toEqual([0, 100, 200, 300]);
    expect(at.y(300)).toBe(MARGIN.top);
  });

  it("marks whole days, each once, no closer than 90 px", () => {
    expect(frame(series.points, 400, 200).dateTicks.map((t) => t.label)).toEqual(["Mar 1", "Mar 3", "Mar 5"]);
    expect(frame(series.points, 1000, 200).dateTicks.map((t) => t.label)).toEqual([
      "Mar 1",
      "Mar 2",
      "Mar 3",
      "Mar 4",
      "Mar 5",
    ]);
    const within = balanceSeries({
      key: "1:1",
      chain: "ethereum",
      address: "0x",
      symbol: "ETH",
      name: "Ether",
      points: [
        { at: MARCH_1 + 1000, block: 1, amount: "1", value: null },
        { at: MARCH_1 + 5000, block: 2, amount: "2", value: null },
      ],
    });
    expect(frame(within.points, 400, 200).dateTicks.map((t) => t.label)).toEqual(["Mar 1"]);
  });
});
