-- Accounts apart from their owner that hold its tokens (Solana's token accounts), as the owner's
-- last listing found them: refreshes read these accounts instead of listing the owner again.
CREATE TABLE token_accounts (
    address_id INTEGER NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    asset_id   INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    account    TEXT    NOT NULL,
    -- the program that keeps the account (Token or Token-2022): where the owner's associated
    -- account of the same token is derived
    program    TEXT    NOT NULL,
    PRIMARY KEY (address_id, asset_id, account)
) STRICT, WITHOUT ROWID;
CREATE INDEX token_accounts_by_asset ON token_accounts (asset_id);

-- When each address's holdings on each chain were last listed whole: the next listing is due by
-- the address's activity tier.
CREATE TABLE holdings_listings (
    address_id INTEGER NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    chain_id   INTEGER NOT NULL REFERENCES chains (id) ON DELETE CASCADE,
    listed_at  INTEGER NOT NULL,
    PRIMARY KEY (address_id, chain_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX holdings_listings_by_chain ON holdings_listings (chain_id);
