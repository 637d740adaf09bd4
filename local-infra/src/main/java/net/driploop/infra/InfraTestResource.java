package net.driploop.infra;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.HashMap;
import java.util.Map;

/** Hands the shared Kafka broker and PostgreSQL to a {@code @QuarkusTest}. */
public class InfraTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(TestInfra.datasourceConfig());
        config.put("kafka.bootstrap.servers", TestInfra.kafka().bootstrapServers());
        return config;
    }

    @Override
    public void stop() {
        // the servers live as long as the test JVM: other test classes reuse them
    }
}
