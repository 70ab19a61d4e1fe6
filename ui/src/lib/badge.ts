// A token's badge, made here rather than fetched: initials on a colour of its own. No remote image
// is ever loaded (the window's CSP forbids it, and a logo URL would tell a server what is held).

export type Badge = { initials: string; background: string };

/** What a badge is made from: a row's or an asset's token. */
export type Token = { chain: string; contract: string | null; symbol: string };

/**
 * A token's initials (the first two letters or digits of its symbol) on a colour derived from its
 * contract or mint, so two tokens of one symbol look apart, and a chain's coin from its symbol, so
 * ETH looks the same on every chain that uses it.
 */
export function badgeOf(token: Token): Badge {
  const initials = [...token.symbol].filter((c) => /[\p{L}\p{N}]/u.test(c)).slice(0, 2).join("").toUpperCase();
  const seed = token.contract === null ? `native:${token.symbol}` : `${token.chain}:${token.contract}`;
  const hue = fnv1a(seed) % 360;
  return { initials: initials === "" ? "?" : initials, background: `hsl(${hue} 50% 33%)` };
}

/** 32-bit FNV-1a over the text's UTF-16 code units: a small, well-spread hash, stable across runs. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The name a row shows beside its symbol: `null` when the token has none of its own (a Solana mint
 * no list names is named by its address, which the symbol already starts).
 */
export function shownName(token: Token & { name: string }): string | null {
  const name = token.name.trim();
  if (name === "" || name === token.contract || name === token.symbol) return null;
  return name;
}
