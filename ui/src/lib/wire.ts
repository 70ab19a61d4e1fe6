import type { BalanceColumns, BalanceRow } from "./api/bindings";
import { wholeUnits } from "./format";

/**
 * The engine's rows of the overview's balance columns (src-tauri/src/wire.rs), in their order:
 * the shared asset, address and error looked up by index, and the amount written from `raw`.
 */
export function balanceRows(columns: BalanceColumns): BalanceRow[] {
  return columns.key.map((key, i) => {
    const asset = columns.assets[columns.asset[i]];
    const raw = columns.raw[i];
    const error = columns.error[i];
    return {
      key,
      wallet: columns.wallet[i],
      chain: asset.chain,
      address: columns.addresses[columns.address[i]],
      contract: asset.contract,
      symbol: asset.symbol,
      name: asset.name,
      decimals: asset.decimals,
      raw,
      amount: raw === null ? null : wholeUnits(BigInt(raw), asset.decimals),
      zero: columns.zero[i],
      dust: columns.dust[i],
      hidden: columns.hidden[i],
      verified: asset.verified,
      block: columns.block[i],
      readAt: columns.readAt[i],
      ageSeconds: columns.ageSeconds[i],
      freshness: columns.freshness[i],
      error: error === null ? null : columns.errors[error],
      pending: columns.pending[i],
      price: asset.price,
      value: columns.value[i],
      priceUpdatedAt: asset.priceUpdatedAt,
      priceStale: asset.priceStale,
      small: columns.small[i],
    };
  });
}
