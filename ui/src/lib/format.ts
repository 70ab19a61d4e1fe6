// How numbers, ages and addresses read on screen. Amounts arrive as exact decimal strings and stay
// strings: a JavaScript number would round them.

const grouped = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** An amount shows at least this many significant digits, so a small one never reads as 0. */
const SIGNIFICANT = 4;
/** Decimals an amount of a whole unit or more shows: "1,234.5678". */
const DECIMALS = 4;
/** A whole part of this many digits or more reads in compact notation: "1.429 × 10³⁵". */
const COMPACT_DIGITS = 16;
const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/**
 * An amount for reading: the whole part grouped, 4 decimals (more for a small amount, to reach 4
 * significant digits), huge ones in compact notation. Digits past those are dropped, never rounded
 * up, so an amount never reads as more than is held; a cut amount keeps its trailing zeros
 * ("1.0000"), so it does not read as exact. The exact value is on hover and copy.
 */
export function shortAmount(exact: string): string {
  const [rawWhole, fraction = ""] = exact.split(".");
  const whole = rawWhole.replace(/^0+(?=\d)/, "");
  if (whole.length >= COMPACT_DIGITS) return compact(whole);
  let keep = DECIMALS;
  if (whole === "0") {
    const firstSignificant = fraction.search(/[1-9]/);
    if (firstSignificant >= 0) keep = Math.max(keep, firstSignificant + SIGNIFICANT);
  }
  const cut = fraction.length > keep;
  const shown = cut ? fraction.slice(0, keep) : fraction.replace(/0+$/, "");
  return shown === "" ? grouped(whole) : `${grouped(whole)}.${shown}`;
}

/** "1.429 × 10³⁵": the first 4 significant digits (dropped, not rounded) and the power of ten. */
function compact(whole: string): string {
  const power = [...String(whole.length - 1)].map((digit) => SUPERSCRIPT[Number(digit)]).join("");
  return `${whole[0]}.${whole.slice(1, SIGNIFICANT)} × 10${power}`;
}

/** A copy handler that puts the exact value on the clipboard, whatever part of it was selected. */
export function copyExact(exact: string): (event: ClipboardEvent) => void {
  return (event) => {
    if (!event.clipboardData) return;
    event.clipboardData.setData("text/plain", exact);
    event.preventDefault();
  };
}

/** "12 s", "3 min", "2 h", "5 d": the largest whole unit, as the CLI says it. */
export function ageWords(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** "0xf39F…2266": an address shortened in the middle. */
export function shortAddress(address: string): string {
  return address.length > 16 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** A time as the reader's clock shows it, with the date when it is not today. */
export function clockTime(unixMillis: number, now = Date.now()): string {
  const at = new Date(unixMillis);
  const sameDay = new Date(now).toDateString() === at.toDateString();
  return sameDay ? at.toLocaleTimeString() : at.toLocaleString();
}

/** Sums exact decimal amounts of one asset, through their base units. */
export function sumRaw(raws: string[]): bigint {
  return raws.reduce((total, raw) => total + BigInt(raw), 0n);
}

/** Base units as an exact decimal string in whole units, like the engine's `Amount`. */
export function wholeUnits(raw: bigint, decimals: number): string {
  const digits = raw.toString().padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, "");
  return fraction === "" ? whole : `${whole}.${fraction}`;
}

/**
 * An exact value in US dollars as shown: rounded once, half up, to cents, the dollars grouped
 * ("$1,234.57"); "—" for none. Values arrive exact; this is the one rounding.
 */
export function usd(exact: string | null): string {
  if (exact === null) return "—";
  const [whole, fraction = ""] = exact.split(".");
  let cents = BigInt(whole + fraction.padEnd(2, "0").slice(0, 2));
  if ((fraction[2] ?? "0") >= "5") cents += 1n;
  const digits = cents.toString().padStart(3, "0");
  const dollars = grouped(digits.slice(0, -2));
  return `$${dollars}.${digits.slice(-2)}`;
}

/** Sums exact decimal strings exactly, through a common scale: "0.1" + "0.2" is "0.3". */
export function sumDecimals(values: string[]): string {
  const scale = Math.max(0, ...values.map((value) => (value.split(".")[1] ?? "").length));
  const total = values.reduce((sum, value) => {
    const [whole, fraction = ""] = value.split(".");
    return sum + BigInt(whole + fraction.padEnd(scale, "0"));
  }, 0n);
  return wholeUnits(total, scale);
}

/** Orders two exact non-negative decimal strings: negative when `a` is smaller. */
export function compareDecimals(a: string, b: string): number {
  const [wholeA, fractionA = ""] = a.split(".");
  const [wholeB, fractionB = ""] = b.split(".");
  const scale = Math.max(fractionA.length, fractionB.length);
  const difference = BigInt(wholeA + fractionA.padEnd(scale, "0")) - BigInt(wholeB + fractionB.padEnd(scale, "0"));
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}
