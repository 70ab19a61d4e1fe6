-- Addresses derived from a wallet's extended key or descriptor: where they sit ("0/17" is the 18th
-- receive address, "1/3" the 4th change address), and whether the chain has seen them used, which
-- moves the gap limit.
ALTER TABLE addresses ADD COLUMN derivation TEXT;
ALTER TABLE addresses ADD COLUMN used INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1));
