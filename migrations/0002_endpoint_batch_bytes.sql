-- Endpoints limit a batch by its size in bytes as well as by its number of calls.
ALTER TABLE endpoints ADD COLUMN batch_bytes INTEGER;
