import { describe, expect, it } from "vitest";
import { balanceRow } from "./fixtures";
import { visibleRows } from "./filter";

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
