package org.atmanrl.driver.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.atmanrl.reward.data.ArithmeticDifficulty;

/**
 * {@code data.difficulty}: a preset name ({@code default}, {@code harder}) or a mapping of
 * {@link ArithmeticDifficulty}'s fields. A mapping changes only the fields it names, starting from
 * the value so far, so {@code --set data.difficulty.max_operations=3} edits the file's difficulty.
 */
final class DifficultyType implements ValueType {
    static final List<String> FIELDS = List.of("min_operations", "max_operations", "min_operand", "max_operand", "operators");
    private static final ValueType COUNT = ValueType.integer(ArithmeticDifficulty.OPERATIONS);
    private static final ValueType OPERAND = ValueType.integer(ArithmeticDifficulty.OPERANDS);

    @Override
    public Object read(JsonNode node, Object current) {
        if (node.isTextual()) {
            switch (node.textValue().strip().toLowerCase(Locale.ROOT)) {
                case "default": return ArithmeticDifficulty.DEFAULT;
                case "harder": return ArithmeticDifficulty.HARDER;
                default: break;
            }
        }
        if (!node.isObject()) {
            throw InvalidValue.expected("default, harder or a mapping of " + String.join(", ", FIELDS), node);
        }
        ArithmeticDifficulty d = (ArithmeticDifficulty) current;
        int minOperations = d.minOperations(), maxOperations = d.maxOperations();
        int minOperand = d.minOperand(), maxOperand = d.maxOperand();
        String operators = d.operators();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            try {
                switch (name) {
                    case "min_operations" -> minOperations = (Integer) COUNT.read(value, null);
                    case "max_operations" -> maxOperations = (Integer) COUNT.read(value, null);
                    case "min_operand" -> minOperand = (Integer) OPERAND.read(value, null);
                    case "max_operand" -> maxOperand = (Integer) OPERAND.read(value, null);
                    case "operators" -> {
                        if (!value.isTextual()) throw InvalidValue.expected("a string of operators from \"+-*\"", value);
                        operators = value.textValue();
                    }
                    default -> throw InvalidValue.unknownKey(name, FIELDS);
                }
            } catch (InvalidValue e) {
                throw e.subKey != null ? e : new InvalidValue(name, e.getMessage());
            }
        }
        try {
            return new ArithmeticDifficulty(minOperations, maxOperations, minOperand, maxOperand, operators);
        } catch (IllegalArgumentException e) {
            throw new InvalidValue(null, e.getMessage());
        }
    }

    @Override
    public JsonNode write(Object value) {
        ArithmeticDifficulty d = (ArithmeticDifficulty) value;
        if (d.equals(ArithmeticDifficulty.DEFAULT)) return NODES.textNode("default");
        if (d.equals(ArithmeticDifficulty.HARDER)) return NODES.textNode("harder");
        ObjectNode map = NODES.objectNode();
        map.put("min_operations", d.minOperations());
        map.put("max_operations", d.maxOperations());
        map.put("min_operand", d.minOperand());
        map.put("max_operand", d.maxOperand());
        map.put("operators", d.operators());
        return map;
    }
}
