package net.driploop.system.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * One service as a real process ({@code java -jar …/quarkus-run.jar}) on a fixed port with a fixed environment:
 * started, killed like {@code kill -9}, stopped, and started again with the same configuration. Its output is
 * appended to one log file across restarts, each start marked by a line of its own.
 */
final class ServiceProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Path jar;
    private final int port;
    private final Map<String, String> environment;
    private final List<String> jvmOptions;
    private final Path log;
    private Process process;
    private int starts;

    ServiceProcess(String name, Path jar, int port, Map<String, String> environment, List<String> jvmOptions, Path log) {
        this.name = name;
        this.jar = jar;
        this.port = port;
        this.environment = Map.copyOf(environment);
        this.jvmOptions = List.copyOf(jvmOptions);
        this.log = log;
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    Path log() {
        return log;
    }

    /** The process id, or -1 when not running. */
    synchronized long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Starts the process (not waiting for readiness); the environment is exactly the configured one plus PATH/HOME. */
    synchronized void start() {
        if (isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(name + ": " + jar + " is missing; package the services first");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        Map<String, String> kept = new LinkedHashMap<>();
        for (String inherited : List.of("PATH", "HOME", "TMPDIR", "LANG")) {
            if (env.containsKey(inherited)) {
                kept.put(inherited, env.get(inherited));
            }
        }
        // nothing from the developer's shell (a DRIPLOOP_* or QUARKUS_* variable) leaks into the service
        env.clear();
        env.putAll(kept);
        env.putAll(environment);
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        try {
            Files.createDirectories(log.getParent());
            starts++;
            Files.writeString(log, "==== e2e: start #" + starts + " of " + name + " at " + Instant.now() + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name, e);
        }
    }

    /** Waits until {@code /q/health/ready} answers 200, failing at once with the log's tail if the process exits. */
    void awaitReady(Duration deadline) {
        try {
            await("%s ready on port %d".formatted(name, port)).atMost(deadline).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptionsMatching(e -> e instanceof IOException || e instanceof UncheckedIOException)
                    .until(() -> {
                        if (!isAlive()) {
                            throw new IllegalStateException(name + " exited before it was ready");
                        }
                        return readyStatus() == 200;
                    });
        } catch (RuntimeException e) {
            throw new IllegalStateException(e.getMessage() + "\n---- last lines of " + log + " ----\n" + tail(60), e);
        }
    }

    /** The status of {@code /q/health/ready}; fails with an IOException when nothing listens. */
    int readyStatus() throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url() + "/q/health/ready")).timeout(Duration.ofSeconds(2))
                .GET().build();
        return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    /** Kills the process with SIGKILL ({@link Process#destroyForcibly()}, as {@code kill -9}) and waits until it is gone. */
    synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        waitGone(Duration.ofSeconds(30));
    }

    /** Sends SIGTERM (a graceful shutdown begins) without waiting; {@link #stop} then waits for the exit. */
    synchronized void terminate() {
        if (process != null) {
            process.destroy();
        }
    }

    /** Stops the process with SIGTERM (a graceful shutdown), then SIGKILL if it is still there after the grace period. */
    synchronized void stop(Duration grace) {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        waitGone(Duration.ofSeconds(30));
    }

    /** Starts again with the same jar, port and environment, and waits until ready. */
    void restart(Duration deadline) {
        start();
        awaitReady(deadline);
    }

    private void waitGone(Duration deadline) {
        try {
            if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " (pid " + process.pid() + ") did not exit");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name + " to exit", e);
        }
        process = null;
    }

    /** The last lines of the log file (for failure messages). */
    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public String toString() {
        return name + " on port " + port;
    }
}
