package org.atmanrl.driver.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.atmanrl.model.check.Range;
import org.atmanrl.reward.data.DataSource;

/**
 * How one config key's value is read from a YAML or JSON node, checked and written back. A number's
 * {@link Range} is declared once, by the record that owns the knob or else by the key table; the
 * type checks it ({@link #fault}) and names it, in messages ({@code expected an integer >= 1, got
 * "eight"}) and in the comments of a written config ({@link #allowed}).
 */
interface ValueType {
    JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The value of {@code node}; {@code current} is the key's value so far (a partial mapping overrides it). */
    Object read(JsonNode node, Object current);

    JsonNode write(Object value);

    /** What is wrong with a value this type read ({@code must be >= 1, got 0}), or null. */
    default String fault(Object value) {
        return null;
    }

    /** The allowed values for a config's comments ({@code >= 1}), or "" when the key's doc says it all. */
    default String allowed() {
        return "";
    }

    /** Whether the values are free text: a {@code --set} value that YAML reads as something else is taken literally. */
    default boolean text() {
        return false;
    }

    /** A value of the wrong type or form; {@code subKey} names a key inside a mapping value, else null. */
    final class InvalidValue extends RuntimeException {
        final String subKey;
        /** Set when {@code subKey} is not a key of the mapping; the message then lists the keys there are. */
        final boolean unknownKey;

        InvalidValue(String subKey, String message) {
            this(subKey, message, false);
        }

        private InvalidValue(String subKey, String message, boolean unknownKey) {
            super(message);
            this.subKey = subKey;
            this.unknownKey = unknownKey;
        }

        static InvalidValue unknownKey(String subKey, List<String> known) {
            return new InvalidValue(subKey, String.join(", ", known), true);
        }

        static InvalidValue expected(String what, JsonNode got) {
            return new InvalidValue(null, "expected " + what + ", got " + show(got));
        }
    }

    /** A node as the user wrote it, for "got ..." in a message. */
    static String show(JsonNode node) {
        if (node.isTextual()) return node.toString(); // quoted, so "8" and 8 read apart
        if (node.isObject()) return "a mapping";
        if (node.isArray()) return "a list";
        if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) return "a number beyond double range";
        return node.asText();
    }

    static ValueType integer(Range range) {
        return new Integral("an integer", range, false, false);
    }

    static ValueType longInteger(Range range) {
        return new Integral("an integer", range, false, true);
    }

    /** An Integer or null. */
    static ValueType optionalInteger(Range range) {
        return new Integral("null or an integer", range, true, false);
    }

    /** A Long or null. */
    static ValueType optionalLong(Range range) {
        return new Integral("null or an integer", range, true, true);
    }

    /** A finite double; integers are accepted ({@code temperature: 1}). */
    static ValueType number(Range range) {
        return new Decimal(range);
    }

    static ValueType bool() {
        return new Bool();
    }

    /** A string or null; {@code what} names it in messages ("a string"). */
    static ValueType optionalText(String what) {
        return new Text(what + " or null", true);
    }

    /** A string that is not blank, or null; {@code what} names it in messages ("a path"). */
    static ValueType optionalName(String what) {
        return new Text(what + " or null", false);
    }

    /**
     * A data source or null: one path, directory or glob as a string, or a list of them (written
     * back as a list), held as {@link DataSource#join} holds it (docs/design.md 4).
     */
    static ValueType dataSource() {
        return new DataSourceText();
    }

    /**
     * A non-empty list of LoRA target modules by PEFT name (docs/design.md 3.4), each once, held in
     * the layer's order; a comma-separated string reads too ({@code --set lora.target_modules=q_proj,v_proj}).
     */
    static ValueType loraModules() {
        return new LoraModules();
    }

    /** One of {@code type}'s constants, written in lower case; read in any case. */
    static <E extends Enum<E>> ValueType oneOf(Class<E> type) {
        return new OneOf<>(type, e -> e.name().toLowerCase(Locale.ROOT));
    }

    /** One of {@code type}'s constants by {@code name}, read in any case. */
    static <E extends Enum<E>> ValueType oneOf(Class<E> type, Function<E, String> name) {
        return new OneOf<>(type, name);
    }

    private static String expected(String what, Range range) {
        return range.text().isEmpty() ? what : what + " " + range.text();
    }

    /** An Integer, or a Long when {@code wide}; 2.0 is not an integer (a fraction where a count is meant is a mistake). */
    record Integral(String what, Range range, boolean nullable, boolean wide) implements ValueType {
        @Override
        public Object read(JsonNode node, Object current) {
            if (node.isNull() && nullable) return null;
            String expected = expected(what, range);
            if (!node.isIntegralNumber()) throw InvalidValue.expected(expected, node);
            if (wide ? !node.canConvertToLong() : !node.canConvertToInt()) {
                throw new InvalidValue(null, "expected " + expected + ", got " + show(node) + ", out of range");
            }
            return wide ? (Object) node.longValue() : (Object) node.intValue();
        }

        @Override
        public JsonNode write(Object value) {
            return value == null ? NODES.nullNode() : NODES.numberNode(((Number) value).longValue());
        }

        @Override
        public String fault(Object value) {
            return value == null ? null : range.fault((Number) value);
        }

        @Override
        public String allowed() {
            return range.text();
        }
    }

    record Decimal(Range range) implements ValueType {
        @Override
        public Object read(JsonNode node, Object current) {
            if (!node.isNumber() || !Double.isFinite(node.doubleValue())) {
                throw InvalidValue.expected(expected("a number", range), node);
            }
            return node.doubleValue();
        }

        @Override
        public JsonNode write(Object value) {
            return NODES.numberNode((Double) value);
        }

        @Override
        public String fault(Object value) {
            return range.fault((Double) value);
        }

        @Override
        public String allowed() {
            return range.text();
        }
    }

    record Bool() implements ValueType {
        @Override
        public Object read(JsonNode node, Object current) {
            if (!node.isBoolean()) throw InvalidValue.expected("true or false", node);
            return node.booleanValue();
        }

        @Override
        public JsonNode write(Object value) {
            return NODES.booleanNode((Boolean) value);
        }
    }

    record Text(String expected, boolean blankAllowed) implements ValueType {
        @Override
        public Object read(JsonNode node, Object current) {
            if (node.isNull()) return null;
            if (!node.isTextual()) throw InvalidValue.expected(expected, node);
            return node.textValue();
        }

        @Override
        public JsonNode write(Object value) {
            return value == null ? NODES.nullNode() : NODES.textNode((String) value);
        }

        @Override
        public String fault(Object value) {
            return blankAllowed || value == null || !((String) value).isBlank() ? null : "must not be blank";
        }

        @Override
        public boolean text() {
            return true;
        }
    }

    record DataSourceText() implements ValueType {
        private static final String EXPECTED = "a path, directory or glob, a list of them, or null";

        @Override
        public Object read(JsonNode node, Object current) {
            if (node.isNull() || node.isTextual()) return node.isNull() ? null : node.textValue();
            if (!node.isArray() || node.isEmpty()) throw InvalidValue.expected(EXPECTED, node);
            List<String> entries = new ArrayList<>(node.size());
            for (JsonNode entry : node) {
                if (!entry.isTextual() || entry.textValue().isBlank() || entry.textValue().indexOf(DataSource.SEPARATOR) >= 0) {
                    throw new InvalidValue(null, "expected a list of paths, directories or globs, got "
                            + (entry.isTextual() ? "the entry " + show(entry) : show(entry)) + " in the list");
                }
                entries.add(entry.textValue());
            }
            return DataSource.join(entries);
        }

        @Override
        public JsonNode write(Object value) {
            if (value == null) return NODES.nullNode();
            String text = (String) value;
            if (text.indexOf(DataSource.SEPARATOR) < 0) return NODES.textNode(text);
            ArrayNode list = NODES.arrayNode();
            DataSource.entries(text).forEach(list::add);
            return list;
        }

        @Override
        public boolean text() {
            return true;
        }
    }

    record OneOf<E extends Enum<E>>(Class<E> type, Function<E, String> name) implements ValueType {
        @Override
        public Object read(JsonNode node, Object current) {
            if (node.isTextual()) {
                for (E e : type.getEnumConstants()) {
                    if (name.apply(e).equalsIgnoreCase(node.textValue().strip())) return e;
                }
            }
            throw InvalidValue.expected("one of " + String.join(", ", names()), node);
        }

        @Override
        public JsonNode write(Object value) {
            return NODES.textNode(name.apply(type.cast(value)));
        }

        List<String> names() {
            return Arrays.stream(type.getEnumConstants()).map(name).toList();
        }
    }

    record LoraModules() implements ValueType {
        @Override
        public Object read(JsonNode node, Object current) {
            List<String> names = new ArrayList<>();
            if (node.isTextual()) {
                for (String n : node.textValue().split(",")) names.add(n.strip());
            } else if (node.isArray()) {
                for (JsonNode entry : node) {
                    if (!entry.isTextual()) {
                        throw new InvalidValue(null, "expected a list of module names, got " + show(entry) + " in the list");
                    }
                    names.add(entry.textValue().strip());
                }
            } else {
                throw InvalidValue.expected("a list of module names", node);
            }
            try {
                return new org.atmanrl.model.lora.LoraConfig(1, 1, 0, names).targetModules();
            } catch (IllegalArgumentException e) {
                throw new InvalidValue(null, e.getMessage());
            }
        }

        @Override
        public JsonNode write(Object value) {
            ArrayNode list = NODES.arrayNode();
            for (Object name : (List<?>) value) list.add((String) name);
            return list;
        }
    }
}
