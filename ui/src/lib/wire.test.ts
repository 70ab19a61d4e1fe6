import { describe, expect, it } from "vitest";
import type { BalanceColumns } from "./api/bindings";
import { balanceRow } from "./fixtures";
import { balanceRows } from "./wire";

const usdc = {
  chain: "base",
  contract: "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
  symbol: "USDC",
  name: "USD Coin",
  decimals: 6,
  verified: true,
  price: "0.9998",
  priceUpdatedAt: 1_700_000_000_000,
  priceStale: false,
};
const huge = {
  ...usdc,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  symbol: "HUGE",
  name: "Huge",
  decimals: 36,
  verified: false,
  price: null,
  priceUpdatedAt: null,
};

/** Three rows as src-tauri/src/wire.rs lays them out: two share USDC, two an address, two an error. */
const columns: BalanceColumns = {
  assets: [usdc, huge],
  addresses: ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
  errors: ["every endpoint failed: connection refused"],
  key: ["1:2", "2:2", "2:3"],
  wallet: [1, 2, 2],
  address: [0, 1, 1],
  asset: [0, 0, 1],
  raw: ["1234500000", null, "142857142857142857142857142857142857142857"],
  pending: [null, null, "-5"],
  zero: [false, false, false],
  dust: [false, false, false],
  hidden: [false, false, true],
  small: [false, false, false],
  block: [19_000_000, null, 19_000_001],
  readAt: [1_700_000_000_000, null, 1_700_000_001_000],
  ageSeconds: [40, null, 39],
  freshness: ["cached", "error", "stale"],
  error: [null, 0, 0],
  value: ["1234.253100", null, null],
};

describe("balanceRows", () => {
  it("gives each row its shared asset, address and error, in the columns' order", () => {
    const rows = balanceRows(columns);
    expect(rows).toEqual([
      balanceRow({
        key: "1:2",
        wallet: 1,
        chain: "base",
        address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        contract: usdc.contract,
        symbol: "USDC",
        name: "USD Coin",
        decimals: 6,
        raw: "1234500000",
        amount: "1234.5",
        block: 19_000_000,
        readAt: 1_700_000_000_000,
        ageSeconds: 40,
        freshness: "cached",
        price: "0.9998",
        value: "1234.253100",
      }),
      balanceRow({
        key: "2:2",
        wallet: 2,
        chain: "base",
        address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        contract: usdc.contract,
        symbol: "USDC",
        name: "USD Coin",
        decimals: 6,
        raw: null,
        amount: null,
        block: null,
        readAt: null,
        ageSeconds: null,
        freshness: "error",
        error: "every endpoint failed: connection refused",
        price: "0.9998",
        value: null,
      }),
      balanceRow({
        key: "2:3",
        wallet: 2,
        chain: "base",
        address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        contract: huge.contract,
        symbol: "HUGE",
        name: "Huge",
        decimals: 36,
        raw: "142857142857142857142857142857142857142857",
        amount: "142857.142857142857142857142857142857142857",
        hidden: true,
        verified: false,
        block: 19_000_001,
        readAt: 1_700_000_001_000,
        ageSeconds: 39,
        freshness: "stale",
        error: "every endpoint failed: connection refused",
        pending: "-5",
        price: null,
        value: null,
        priceUpdatedAt: null,
      }),
    ]);
  });

  it("writes amounts exactly from base units: below one, and whole", () => {
    const amounts = balanceRows({ ...columns, raw: ["5", "1000000", "0"] }).map((row) => row.amount);
    expect(amounts).toEqual(["0.000005", "1", "0"]);
  });

  it("makes no rows of empty columns", () => {
    const empty = Object.fromEntries(Object.keys(columns).map((name) => [name, []])) as unknown as BalanceColumns;
    expect(balanceRows(empty)).toEqual([]);
  });
});
