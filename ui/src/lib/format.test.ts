import { describe, expect, it } from "vitest";
import { ageWords, copyExact, shortAddress, shortAmount, sumDecimals, usd, wholeUnits } from "./format";

describe("amounts on screen", () => {
  it("group the whole part and keep four decimals, never marking a cut with an ellipsis", () => {
    expect(shortAmount("1234.5678")).toBe("1,234.5678");
    expect(shortAmount("1234567.123456")).toBe("1,234,567.1234");
    expect(shortAmount("42")).toBe("42");
    expect(shortAmount("1.5")).toBe("1.5");
  });

  it("keep the digits of a cut amount, so that it never reads as exact or as one digit", () => {
    // Once shown as "1… ETH".
    expect(shortAmount("1.000000000000000001")).toBe("1.0000");
    expect(shortAmount("6.999999999999999999")).toBe("6.9999");
    for (const exact of ["1.000000000000000001", "6.28318530718", "0.00000123456", "123456789012345.678"]) {
      expect(shortAmount(exact)).not.toContain("…");
    }
  });

  it("show at least four significant digits, so a small value never reads as zero", () => {
    expect(shortAmount("0.000001")).toBe("0.000001");
    expect(shortAmount("0.00000123456")).toBe("0.000001234");
    expect(shortAmount("0.5")).toBe("0.5");
    expect(shortAmount("0.123456789")).toBe("0.1234");
    expect(shortAmount("0.000000000000000000000000000000000001")).toBe("0.000000000000000000000000000000000001");
  });

  it("never round up, so an amount never reads as more than is held", () => {
    expect(shortAmount("0.99999999")).toBe("0.9999");
    expect(shortAmount("9999.99999")).toBe("9,999.9999");
  });

  it("read huge amounts in compact notation, their first four digits kept", () => {
    // The 36-decimal test token's holdings.
    expect(shortAmount("142953195302647591623095579264496693.22299")).toBe("1.429 × 10³⁵");
    expect(shortAmount("1000000000000000")).toBe("1.000 × 10¹⁵");
    expect(shortAmount("999999999999999.5")).toBe("999,999,999,999,999.5");
  });

  it("copy the exact value, whatever part of it was selected", () => {
    const data = new Map<string, string>();
    let prevented = false;
    copyExact("1.000000000000000001")({
      clipboardData: { setData: (type: string, text: string) => data.set(type, text) },
      preventDefault: () => (prevented = true),
    } as unknown as ClipboardEvent);
    expect(data.get("text/plain")).toBe("1.000000000000000001");
    expect(prevented).toBe(true);
  });

  it("sum exact decimals exactly, beyond what a float holds", () => {
    expect(sumDecimals(["0.1", "0.2"])).toBe("0.3");
    expect(sumDecimals(["12345.67", "0.000000000000000001", "3"])).toBe("12348.670000000000000001");
    expect(sumDecimals(["9007199254740993", "1"])).toBe("9007199254740994");
    expect(sumDecimals([])).toBe("0");
  });

  it("sum exactly through base units, beyond what a float holds", () => {
    expect(wholeUnits(123456789012345678901234567890n, 18)).toBe("123456789012.34567890123456789");
    expect(wholeUnits(5n, 6)).toBe("0.000005");
    expect(wholeUnits(0n, 0)).toBe("0");
  });
});

describe("ages and addresses", () => {
  it("read in the largest whole unit", () => {
    expect(ageWords(5)).toBe("5 s");
    expect(ageWords(150)).toBe("2 min");
    expect(ageWords(7200)).toBe("2 h");
  });

  it("shorten in the middle", () => {
    expect(shortAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")).toBe("0xf39F…2266");
  });
});

describe("values in dollars", () => {
  it("round once, half up, to cents, and group the dollars", () => {
    expect(usd("23814.463609481481471604928146814814814681476")).toBe("$23,814.46");
    expect(usd("1999.675")).toBe("$1,999.68");
    expect(usd("0.004999")).toBe("$0.00");
    expect(usd("0.995")).toBe("$1.00");
    expect(usd("6000")).toBe("$6,000.00");
    expect(usd("142953195302647591623095579264496693.22299")).toBe("$142,953,195,302,647,591,623,095,579,264,496,693.22");
  });

  it("show no value as a dash, never as zero", () => {
    expect(usd(null)).toBe("—");
  });
});
