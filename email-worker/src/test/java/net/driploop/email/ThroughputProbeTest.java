package net.driploop.email;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.driploop.email.Fixtures.User;
import net.driploop.infra.InfraTestResource;
import net.driploop.infra.SmtpTestResource;
import net.driploop.infra.TestSmtp;
import net.driploop.model.command.SendEmail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;

/** A rough probe, not the benchmark: emails per second from the command topic to GreenMail ({@code -Ddriploop.probe=N}). */
@QuarkusTest
@WithTestResource(InfraTestResource.class)
@WithTestResource(SmtpTestResource.class)
@EnabledIfSystemProperty(named = "driploop.probe", matches = "\\d+")
class ThroughputProbeTest {

    @Test
    void deliversABurstOfCommands() {
        int n = Integer.getInteger("driploop.probe");
        List<SendEmail> commands = IntStream.range(0, n).mapToObj(i -> Fixtures.command(User.fresh())).toList();
        int before = TestSmtp.received().size();
        long start = System.nanoTime();
        commands.forEach(Fixtures::publish);
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> TestSmtp.received().size() - before >= n);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("PROBE: %d emails in %.2f s = %.0f emails/s%n", n, seconds, n / seconds);
    }
}
