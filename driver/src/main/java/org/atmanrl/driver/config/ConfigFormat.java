package org.atmanrl.driver.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** The two file formats of a training config, both parsed to a Jackson tree and both strict about duplicate keys. */
enum ConfigFormat {
    YAML("YAML", YAMLMapper.builder(YAMLFactory.builder()
            // Jackson would otherwise quote the source in every location; the user has the file.
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // On by default, but not in a factory from the builder: without it "grpo:" with every key
            // commented out would be the string "" instead of null.
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build())
            // A second YAML document would otherwise be ignored without a word.
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build()),
    JSON("JSON", JsonMapper.builder()
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build());

    private final String label;
    private final ObjectMapper mapper;

    ConfigFormat(String label, ObjectMapper mapper) {
        this.label = label;
        this.mapper = mapper;
    }

    /** The format a file's name says, or null: .yaml and .yml are YAML, .json is JSON. */
    static ConfigFormat ofFile(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return YAML;
        if (lower.endsWith(".json")) return JSON;
        return null;
    }

    /** The tree of {@code text}; a MissingNode when it holds no document. */
    JsonNode parse(String text) throws JsonProcessingException {
        return mapper.readTree(text);
    }

    JsonNode parse(byte[] bytes) throws JsonProcessingException {
        try {
            return mapper.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException("reading a byte array", e); // cannot happen in memory
        }
    }

    /** A parse fault as "malformed YAML at line 3, column 7: what". */
    String describe(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        return "malformed " + label + where + ": " + problem(e);
    }

    /** SnakeYAML's message repeats the location and quotes the file over several lines; its problem is the useful part. */
    private static String problem(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException m && m.getProblem() != null) {
            return m.getProblem() + (m.getContext() == null ? "" : " (" + m.getContext() + ")");
        }
        String original = e.getOriginalMessage();
        if (original.startsWith("Duplicate field ")) return "duplicate key " + original.substring("Duplicate field ".length());
        if (original.startsWith("Trailing token")) return "more content after the config's mapping (one config per file)";
        return original;
    }
}
