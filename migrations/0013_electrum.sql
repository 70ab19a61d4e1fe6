-- Electrum servers (tcp://, ssl://) beside Esplora for Bitcoin.
--
-- The SHA-256 of the certificate an Electrum server over TLS showed on first use, when no root the
-- platform trusts vouches for it (a home node's self-signed one): that endpoint is then trusted
-- with that certificate only. NULL for every other endpoint. Lower-case hex, 64 digits.
ALTER TABLE endpoints ADD COLUMN tls_pin TEXT
    CHECK (tls_pin IS NULL OR (length(tls_pin) = 64 AND NOT tls_pin GLOB '*[^0-9a-f]*'));

-- The default `bitcoin` chain asks two public Electrum servers first now. A database whose bitcoin
-- chain still has exactly the old defaults gets them too, ahead of those; one whose endpoints were
-- changed (one's own node, chosen perhaps so that no public server sees the addresses) is left as
-- it is.
CREATE TEMP TABLE old_default_bitcoin AS
    SELECT id FROM chains
    WHERE name = 'bitcoin' AND family = 'bitcoin' AND bitcoin_network = 'mainnet'
      AND (SELECT count(*) FROM endpoints WHERE chain_id = chains.id) = 2
      AND EXISTS (SELECT 1 FROM endpoints WHERE chain_id = chains.id AND url = 'https://blockstream.info/api')
      AND EXISTS (SELECT 1 FROM endpoints WHERE chain_id = chains.id AND url = 'https://mempool.space/api');
UPDATE endpoints SET priority = priority + 2 WHERE chain_id IN (SELECT id FROM old_default_bitcoin);
INSERT INTO endpoints (chain_id, url, priority)
    SELECT id, 'ssl://electrum.blockstream.info:50002', 0 FROM old_default_bitcoin;
INSERT INTO endpoints (chain_id, url, priority)
    SELECT id, 'ssl://electrum.emzy.de:50002', 1 FROM old_default_bitcoin;
DROP TABLE old_default_bitcoin;
