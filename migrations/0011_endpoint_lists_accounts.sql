-- Whether an endpoint serves an index of accounts beside the node's own API (TronGrid's
-- /v1/accounts, which a plain TRON node lacks): 1 or 0 once asked, NULL until then.
ALTER TABLE endpoints ADD COLUMN lists_accounts INTEGER CHECK (lists_accounts IN (0, 1));
