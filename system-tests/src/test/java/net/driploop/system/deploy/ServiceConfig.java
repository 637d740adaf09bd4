package net.driploop.system.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What one service's configuration reads, taken from the module itself: the keys of its
 * {@code src/main/resources/application.properties} (any profile) and the properties of the {@code @ConfigMapping}
 * interfaces in its sources and in service-kit's, each with the environment variable name Quarkus maps it to.
 */
final class ServiceConfig {

    static final List<String> SERVICES = List.of("ingest-api", "flow-engine", "email-worker", "webhook-worker");
    static final String DRAIN_TIMEOUT = "driploop.shutdown.drain-timeout";
    /**
     * What a stop takes after the drain: the Kafka consumers' graceful close (up to 5 s) and the outbox relay's flush.
     * A pod or container must be given the drain and this before it is killed.
     */
    static final Duration STOP_AFTER_DRAIN = Duration.ofSeconds(10);
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static final Pattern CONFIG_MAPPING =
            Pattern.compile("@ConfigMapping\\(prefix\\s*=\\s*\"([^\"]+)\"\\)\\s*public\\s+interface\\s+(\\w+)");
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern CHANNEL_KEY = Pattern.compile("mp\\.messaging\\.incoming\\.([^.]+)\\.(.+)");

    /** An incoming Kafka channel: its topic, consumer group and how many consumers one replica runs. */
    record Channel(String name, String topic, String groupId, int consumersPerReplica) {
    }

    final String service;
    final Properties properties = new Properties();
    final Set<String> keys = new TreeSet<>();
    final Set<String> envNames = new TreeSet<>();
    final Map<String, Channel> channels = new LinkedHashMap<>();

    private ServiceConfig(String service) {
        this.service = service;
        Path file = ROOT.resolve(service).resolve("src/main/resources/application.properties");
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String key : properties.stringPropertyNames()) {
            keys.add(key.startsWith("%") ? key.substring(key.indexOf('.') + 1) : key);
        }
        keys.addAll(mappedProperties(ROOT.resolve(service)));
        keys.addAll(mappedProperties(ROOT.resolve("service-kit")));
        for (String key : keys) {
            envNames.add(envName(key));
        }
        readChannels();
    }

    static ServiceConfig of(String service) {
        return new ServiceConfig(service);
    }

    /** The environment variable Quarkus maps a property to: non-alphanumerics become '_', letters upper case. */
    static String envName(String key) {
        return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    /** The production value of a property (no profile). */
    String get(String key) {
        return properties.getProperty(key);
    }

    int httpPort() {
        return Integer.parseInt(get("quarkus.http.port"));
    }

    /** Whether the module serves part of the admin API (its resources check the admin token). */
    boolean hasAdminApi() {
        return sourcesOf(ROOT.resolve(service)).stream().anyMatch(f -> read(f).contains("AdminGuard"));
    }

    /**
     * How long the service may take on SIGTERM before it stops its work: the shutdown delay (readiness DOWN while calls
     * are still answered) and timeout (calls under way finished) of Quarkus, and the drain of the work under way
     * ({@code Outages.finishing}) if it runs any.
     */
    Duration drainOnStop() {
        Duration total = Duration.ZERO;
        for (String quarkus : List.of("quarkus.shutdown.delay", "quarkus.shutdown.timeout")) {
            if (get(quarkus) != null) {
                total = total.plus(Duration.parse(get(quarkus)));
            }
        }
        if (sourcesOf(ROOT.resolve(service)).stream().noneMatch(f -> read(f).contains("outages.finishing("))) {
            return total;
        }
        String configured = get(DRAIN_TIMEOUT);
        return total.plus(Duration.parse(configured != null ? configured : defaultOf(DRAIN_TIMEOUT)));
    }

    /** The default of a {@code @ConfigProperty} in service-kit's sources. */
    private static String defaultOf(String key) {
        Pattern declared = Pattern.compile("name = \"" + Pattern.quote(key) + "\", defaultValue = \"([^\"]+)\"");
        return sourcesOf(ROOT.resolve("service-kit")).stream().map(f -> declared.matcher(read(f)))
                .filter(Matcher::find).map(m -> m.group(1)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no default for " + key + " in service-kit"));
    }

    /** The Java sources under a module's src/main/java. */
    private static List<Path> sourcesOf(Path module) {
        try (Stream<Path> files = Files.walk(module.resolve("src/main/java"))) {
            return files.filter(f -> f.toString().endsWith(".java")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void readChannels() {
        Map<String, Map<String, String>> byChannel = new LinkedHashMap<>();
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            Matcher m = CHANNEL_KEY.matcher(key);
            if (m.matches()) {
                byChannel.computeIfAbsent(m.group(1), c -> new LinkedHashMap<>()).put(m.group(2), get(key));
            }
        }
        byChannel.forEach((name, attributes) -> {
            if (!"smallrye-kafka".equals(attributes.get("connector"))) {
                return;
            }
            // SmallRye Kafka: "concurrency" copies the channel, "partitions" runs that many consumers in one channel
            int consumers = Integer.parseInt(attributes.getOrDefault("concurrency",
                    attributes.getOrDefault("partitions", "1")));
            channels.put(name, new Channel(name, attributes.getOrDefault("topic", name),
                    attributes.get("group.id"), consumers));
        });
    }

    /** Every property of the {@code @ConfigMapping} interfaces under a module's src/main/java. */
    private static List<String> mappedProperties(Path module) {
        List<String> names = new ArrayList<>();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes(module), classes(ROOT.resolve("service-kit"))},
                ClassLoader.getPlatformClassLoader())) {
            for (Path file : sourcesOf(module)) {
                String source = read(file);
                Matcher m = CONFIG_MAPPING.matcher(source);
                if (!m.find()) {
                    continue;
                }
                Matcher pkg = PACKAGE.matcher(source);
                if (!pkg.find()) {
                    throw new IllegalStateException("no package in " + file);
                }
                Class<?> mapping = loader.loadClass(pkg.group(1) + "." + m.group(2));
                collect(mapping, m.group(1), names);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("compile the services first (./mvnw package): " + e.getMessage(), e);
        }
        return names;
    }

    private static void collect(Class<?> mapping, String prefix, List<String> names) {
        for (Method method : mapping.getDeclaredMethods()) {
            if (method.getParameterCount() > 0 || Modifier.isStatic(method.getModifiers()) || method.isDefault()) {
                continue;
            }
            String name = prefix + "." + kebab(method.getName());
            Class<?> type = method.getReturnType();
            if (type.isInterface() && type.getName().startsWith("net.driploop.")) {
                collect(type, name, names);
            } else {
                names.add(name);
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    private static URL classes(Path module) {
        try {
            return module.resolve("target/classes").toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
