-- Automation-log entries are purged once older than driploop.engine.trace-retention: the purge reads them by time.
-- BRIN: entries arrive in about time order, so a block-range index finds the old ones at almost no write cost.
CREATE INDEX automation_log_at_idx ON flow.automation_log USING brin (at);
