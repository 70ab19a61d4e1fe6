-- The first schema of holdings. Times are Unix milliseconds; amounts are base units as decimal TEXT,
-- because they do not fit any SQLite number exactly.

CREATE TABLE chains (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    family          TEXT    NOT NULL CHECK (family IN ('evm', 'solana', 'tron', 'bitcoin')),
    evm_chain_id    INTEGER,
    bitcoin_network TEXT    CHECK (bitcoin_network IN ('mainnet', 'testnet', 'signet', 'regtest')),
    native_symbol   TEXT    NOT NULL,
    native_decimals INTEGER NOT NULL CHECK (native_decimals BETWEEN 0 AND 255),
    multicall       TEXT,   -- Multicall3's address on an EVM chain, NULL where it is not deployed
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    CHECK ((family = 'evm') = (evm_chain_id IS NOT NULL)),
    CHECK ((family = 'bitcoin') = (bitcoin_network IS NOT NULL)),
    CHECK (family = 'evm' OR multicall IS NULL)
) STRICT;

CREATE TABLE endpoints (
    id          INTEGER PRIMARY KEY,
    chain_id    INTEGER NOT NULL REFERENCES chains (id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    priority    INTEGER NOT NULL,  -- lower is tried first
    batch_size  INTEGER,           -- learned at run time: the largest JSON-RPC batch it answered
    chunk_size  INTEGER,           -- learned at run time: the largest multicall chunk it answered
    api_key_ref TEXT,              -- the name of an OS keyring entry; keys never enter this file
    UNIQUE (chain_id, url)
) STRICT;

-- What the user added: one address, or (later) an extended key or descriptor standing for many.
CREATE TABLE wallets (
    id         INTEGER PRIMARY KEY,
    source     TEXT    NOT NULL UNIQUE,
    family     TEXT    NOT NULL CHECK (family IN ('evm', 'solana', 'tron', 'bitcoin')),
    label      TEXT,
    created_at INTEGER NOT NULL
) STRICT;

-- The account registry: an address stays here with zero balances until the user removes it.
CREATE TABLE addresses (
    id               INTEGER PRIMARY KEY,
    wallet_id        INTEGER NOT NULL REFERENCES wallets (id) ON DELETE CASCADE,
    family           TEXT    NOT NULL CHECK (family IN ('evm', 'solana', 'tron', 'bitcoin')),
    address          TEXT    NOT NULL,  -- normalised: EIP-55, base58, lower-case bech32
    label            TEXT,
    added_at         INTEGER NOT NULL,
    last_activity_at INTEGER,
    activity_tier    TEXT    NOT NULL DEFAULT 'warm' CHECK (activity_tier IN ('hot', 'warm', 'cold')),
    UNIQUE (family, address)
) STRICT;
CREATE INDEX addresses_by_wallet ON addresses (wallet_id);

-- The chains each address is watched on.
CREATE TABLE address_chains (
    address_id INTEGER NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    chain_id   INTEGER NOT NULL REFERENCES chains (id) ON DELETE CASCADE,
    PRIMARY KEY (address_id, chain_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX address_chains_by_chain ON address_chains (chain_id);

CREATE TABLE assets (
    id       INTEGER PRIMARY KEY,
    chain_id INTEGER NOT NULL REFERENCES chains (id) ON DELETE CASCADE,
    contract TEXT,  -- NULL for the native coin, else the token's normalised contract or mint
    symbol   TEXT    NOT NULL,
    name     TEXT    NOT NULL,
    decimals INTEGER NOT NULL CHECK (decimals BETWEEN 0 AND 255),
    hidden   INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),  -- hidden by the user, or spam
    UNIQUE (chain_id, contract)
) STRICT;
CREATE UNIQUE INDEX assets_one_native_per_chain ON assets (chain_id) WHERE contract IS NULL;

CREATE TABLE balances (
    address_id    INTEGER NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    asset_id      INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    raw           TEXT,     -- NULL until first read; a failed read never writes here
    block         INTEGER,  -- the block number or slot the value was read at
    fetched_at    INTEGER,
    next_due_at   INTEGER NOT NULL DEFAULT 0,
    sync_count    INTEGER NOT NULL DEFAULT 0,
    error_count   INTEGER NOT NULL DEFAULT 0,  -- failures since the last good read
    last_error    TEXT,
    last_error_at INTEGER,
    locked_by     TEXT,     -- the instance that leased the row for a sweep
    locked_until  INTEGER,
    PRIMARY KEY (address_id, asset_id),
    CHECK ((raw IS NULL) = (fetched_at IS NULL)),
    CHECK (raw IS NULL OR (raw <> '' AND raw NOT GLOB '*[^0-9]*')),
    CHECK ((locked_by IS NULL) = (locked_until IS NULL))
) STRICT, WITHOUT ROWID;
CREATE INDEX balances_due ON balances (asset_id, next_due_at);
CREATE INDEX balances_leased ON balances (locked_by) WHERE locked_by IS NOT NULL;

-- Appended only when a balance changes (its first read included).
CREATE TABLE balance_history (
    id          INTEGER PRIMARY KEY,
    address_id  INTEGER NOT NULL,
    asset_id    INTEGER NOT NULL,
    raw         TEXT    NOT NULL CHECK (raw <> '' AND raw NOT GLOB '*[^0-9]*'),
    block       INTEGER,
    observed_at INTEGER NOT NULL,
    FOREIGN KEY (address_id, asset_id) REFERENCES balances (address_id, asset_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX balance_history_by_balance ON balance_history (address_id, asset_id, observed_at);
CREATE INDEX balance_history_by_asset ON balance_history (asset_id, observed_at);

-- One row per sweep of a chain.
CREATE TABLE sync_runs (
    id              INTEGER PRIMARY KEY,
    chain_id        INTEGER NOT NULL REFERENCES chains (id) ON DELETE CASCADE,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER NOT NULL,
    balances_ok     INTEGER NOT NULL,
    balances_failed INTEGER NOT NULL,
    rpc_requests    INTEGER NOT NULL,
    cache_hits      INTEGER NOT NULL,
    cache_misses    INTEGER NOT NULL,
    error           TEXT
) STRICT;
CREATE INDEX sync_runs_by_chain ON sync_runs (chain_id, started_at);
