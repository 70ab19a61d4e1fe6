// How numbers, ages and addresses read on screen. Amounts arrive as exact decimal strings and stay
// strings: a JavaScript number would round them.

/** "1,234.5678": the whole part grouped, at most 4 decimals (more for small values, so they never read as 0). */
export function shortAmount(exact: string): string {
  const [whole, fraction = ""] = exact.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  if (fraction === "") return grouped;
  let keep = 4;
  if (/^0+$/.test(whole)) {
    const firstSignificant = fraction.search(/[1-9]/);
    keep = Math.max(keep, firstSignificant + 2);
  }
  const shown = fraction.slice(0, keep).replace(/0+$/, "");
  const cut = shown.length < fraction.length ? "…" : "";
  return shown === "" ? `${grouped}${cut}` : `${grouped}.${shown}${cut}`;
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
  const dollars = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `$${dollars}.${digits.slice(-2)}`;
}
