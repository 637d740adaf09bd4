-- The claim of a batch of commands counts all their sends with one upsert. Its conflict clause can compare the
-- counter only with columns of the proposed row (excluded.*), so the row carries the limit of the command being
-- counted: last_limit is the limit (maxCount, 1 for sendOnce) of the last command counted here, null for none.
ALTER TABLE email.send_counts ADD COLUMN last_limit integer;
