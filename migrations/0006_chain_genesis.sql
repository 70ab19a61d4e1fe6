-- What a chain's endpoints must say they serve (Solana's genesis hash): set for the defaults, and
-- learned on first contact for a user's own chain, so an endpoint on another cluster is caught.
ALTER TABLE chains ADD COLUMN genesis TEXT;
