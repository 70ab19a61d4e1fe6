-- What holdings are worth: where each chain's assets are priced, the price source, the last price
-- read of each asset, and a daily history of values.

-- A chain's tokens are priced as `{price_platform}:{contract}` (DefiLlama's platform names: ethereum,
-- bsc, polygon, arbitrum, optimism, base, avax, solana, tron) and its native coin by its CoinGecko
-- id; NULL leaves them unpriced (a devnet, or a chain the user added without them).
ALTER TABLE chains ADD COLUMN price_platform TEXT CHECK (price_platform <> '');
ALTER TABLE chains ADD COLUMN native_price_id TEXT CHECK (native_price_id <> '');
UPDATE chains SET price_platform = 'ethereum', native_price_id = 'ethereum' WHERE name = 'ethereum' AND evm_chain_id = 1;
UPDATE chains SET price_platform = 'bsc', native_price_id = 'binancecoin' WHERE name = 'bsc' AND evm_chain_id = 56;
UPDATE chains SET price_platform = 'polygon', native_price_id = 'polygon-ecosystem-token' WHERE name = 'polygon' AND evm_chain_id = 137;
UPDATE chains SET price_platform = 'arbitrum', native_price_id = 'ethereum' WHERE name = 'arbitrum' AND evm_chain_id = 42161;
UPDATE chains SET price_platform = 'optimism', native_price_id = 'ethereum' WHERE name = 'optimism' AND evm_chain_id = 10;
UPDATE chains SET price_platform = 'base', native_price_id = 'ethereum' WHERE name = 'base' AND evm_chain_id = 8453;
UPDATE chains SET price_platform = 'avax', native_price_id = 'avalanche-2' WHERE name = 'avalanche' AND evm_chain_id = 43114;
UPDATE chains SET price_platform = 'solana', native_price_id = 'solana' WHERE name = 'solana' AND family = 'solana';
UPDATE chains SET price_platform = 'tron', native_price_id = 'tron' WHERE name = 'tron' AND family = 'tron';
UPDATE chains SET native_price_id = 'bitcoin' WHERE name = 'bitcoin' AND bitcoin_network = 'mainnet';

-- Where prices are read: one row. A NULL url means the source's public one; an API key (CoinGecko's
-- demo key) lives in the OS keyring, and only its entry's name here.
CREATE TABLE price_source (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    kind        TEXT    NOT NULL CHECK (kind IN ('defillama', 'coingecko', 'none')),
    url         TEXT,
    api_key_ref TEXT
) STRICT;
INSERT INTO price_source (id, kind) VALUES (1, 'defillama');

-- The last price read of each asset: exactly the decimal the source sent, never a float.
CREATE TABLE prices (
    asset_id    INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    currency    TEXT    NOT NULL,
    price_id    TEXT    NOT NULL,  -- what the source was asked: "coingecko:ethereum", "base:0x833…"
    price       TEXT    NOT NULL CHECK (price <> '' AND price NOT GLOB '*[^0-9.]*'),
    source      TEXT    NOT NULL,
    observed_at INTEGER NOT NULL,  -- when the source says the price held
    fetched_at  INTEGER NOT NULL,  -- when it was read from the source
    confidence  TEXT    CHECK (confidence IS NULL OR confidence NOT GLOB '*[^0-9.]*'),  -- 0 to 1; NULL if not given
    PRIMARY KEY (asset_id, currency)
) STRICT, WITHOUT ROWID;

-- A day's values (UTC dates), the last of the day kept: the portfolio's total and each asset's.
CREATE TABLE portfolio_history (
    day         TEXT    NOT NULL,  -- 'YYYY-MM-DD'
    currency    TEXT    NOT NULL,
    total       TEXT    NOT NULL CHECK (total NOT GLOB '*[^0-9.]*'),
    unpriced    INTEGER NOT NULL,  -- rows holding something that no price valued
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (day, currency)
) STRICT, WITHOUT ROWID;

CREATE TABLE asset_value_history (
    asset_id    INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    currency    TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    raw         TEXT    NOT NULL CHECK (raw <> '' AND raw NOT GLOB '*[^0-9]*'),  -- over every address
    price       TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (asset_id, currency, day)
) STRICT, WITHOUT ROWID;
