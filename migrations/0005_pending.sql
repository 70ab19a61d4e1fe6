-- What the mempool would add to (or take from) a balance, in base units, where the chain shows it
-- apart (Bitcoin); NULL elsewhere. Signed: spending shows as a negative amount pending.
ALTER TABLE balances ADD COLUMN pending TEXT CHECK (pending IS NULL OR pending GLOB '[0-9]*' OR pending GLOB '-[0-9]*');
