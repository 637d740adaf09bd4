package net.driploop.model;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.time.Instant;

/** Jackson settings shared by every service so that the wire format is the same everywhere. */
public final class Json {

    private Json() {
    }

    /** Applies the wire settings to a mapper (services call this from their ObjectMapper customizer). */
    public static ObjectMapper configure(ObjectMapper mapper) {
        SimpleModule instants = new SimpleModule("driploop-instants");
        instants.addSerializer(Instant.class, new JsonSerializer<>() {
            @Override
            public void serialize(Instant value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
                gen.writeString(Timestamps.format(value));
            }
        });
        return mapper.registerModule(new JavaTimeModule())
                .registerModule(instants)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    }

    /** A new mapper with the wire settings, for code outside a Quarkus container (tests, tools). */
    public static ObjectMapper newMapper() {
        return configure(new ObjectMapper());
    }
}
