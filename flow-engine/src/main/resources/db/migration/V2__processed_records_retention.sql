-- Processed record ids are purged once Kafka can no longer redeliver their records (driploop.engine.
-- processed-retention): the purge reads them by age.
-- BRIN: ids are inserted in time order, so a block-range index finds the old ones at almost no write cost.
CREATE INDEX processed_records_processed_at_idx ON flow.processed_records USING brin (processed_at);
