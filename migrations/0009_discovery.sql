-- A token is watched (every address of its chain has a balance row) or a discovery candidate (an
-- address gets a row only once it is found holding it, and keeps it).
ALTER TABLE assets ADD COLUMN mode TEXT NOT NULL DEFAULT 'watched'
    CHECK (mode IN ('watched', 'candidate'));
-- Whether a bundled list or the user vouches for the token; unverified ones (found held, on no
-- list, or on a list of scams) are hidden, never summed into totals and never valued.
ALTER TABLE assets ADD COLUMN verified INTEGER NOT NULL DEFAULT 1 CHECK (verified IN (0, 1));
CREATE INDEX assets_by_mode ON assets (chain_id, mode);

-- Tokens found held before this version were watched only by their holders: they are candidates,
-- and, found rather than chosen, unverified until a bundled list names them.
UPDATE assets SET mode = 'candidate', verified = 0, hidden = 1
WHERE contract IS NOT NULL
  AND EXISTS (
      SELECT 1 FROM address_chains ac
      WHERE ac.chain_id = assets.chain_id
        AND NOT EXISTS (
            SELECT 1 FROM balances b WHERE b.address_id = ac.address_id AND b.asset_id = assets.id
        )
  );

-- Which candidates were checked for which address, and when: what discovery reads next.
CREATE TABLE discovery_checks (
    address_id INTEGER NOT NULL REFERENCES addresses (id) ON DELETE CASCADE,
    asset_id   INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    checked_at INTEGER NOT NULL,
    PRIMARY KEY (address_id, asset_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX discovery_checks_by_asset ON discovery_checks (asset_id);
