-- Where each command was read from (driploop.webhook-commands.v1 partition and offset): a dead letter names it.
ALTER TABLE webhook.deliveries ADD COLUMN source_partition integer, ADD COLUMN source_offset bigint;
