-- Where each address sits in a watch key's derivation, by wallet: an address may be watched alone
-- (a wallet of its own) and also derived from a key, and the key's gap limit must count it.
CREATE TABLE derivations (
    wallet_id  INTEGER NOT NULL REFERENCES wallets (id) ON DELETE CASCADE,
    address_id INTEGER NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    path       TEXT    NOT NULL,  -- "0/17": the 18th receive address; "1/3": the 4th change address
    PRIMARY KEY (wallet_id, path)
) STRICT, WITHOUT ROWID;
CREATE INDEX derivations_by_address ON derivations (address_id);
INSERT INTO derivations (wallet_id, address_id, path)
    SELECT wallet_id, id, derivation FROM addresses WHERE derivation IS NOT NULL;
-- The path now lives here only.
ALTER TABLE addresses DROP COLUMN derivation;
