-- Extra Kafka headers of an outbox row (service-kit), sent after the CloudEvents ones: a JSON object of names and
-- string values, e.g. why a command went to a dead-letter topic. NULL for most rows. Adding a nullable column
-- with no default rewrites nothing. A database whose service migrations (V1…) are already applied gets this one
-- out of order (META-INF/microprofile-config.properties of service-kit sets quarkus.flyway.out-of-order).
ALTER TABLE ${flyway:defaultSchema}.outbox ADD COLUMN headers text;
