import { describe, expect, it } from "vitest";
import { ageWords, shortAddress, shortAmount, usd, wholeUnits } from "./format";

describe("amounts on screen", () => {
  it("group the whole part and keep four decimals, marking a cut", () => {
    expect(shortAmount("1234.5678")).toBe("1,234.5678");
    expect(shortAmount("1234567.123456")).toBe("1,234,567.1234…");
    expect(shortAmount("42")).toBe("42");
  });

  it("never show a small value as zero", () => {
    expect(shortAmount("0.000001")).toBe("0.000001");
    expect(shortAmount("0.00000123456")).toBe("0.0000012…");
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
