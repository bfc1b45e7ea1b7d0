package org.atmanrl.model.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code model.safetensors.index.json} of a sharded checkpoint: which file holds which tensor.
 * File names must be plain names inside the model directory, so an index cannot point a loader
 * elsewhere.
 */
public record ShardIndex(Map<String, String> weightMap, long totalSize) {
    public static final String FILE = "model.safetensors.index.json";
    private static final ObjectMapper JSON = JsonFiles.MAPPER;

    public static ShardIndex parse(String file, byte[] bytes) {
        JsonNode root = JsonFiles.parseObject(file, bytes);
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new ModelFormatException(file, "needs a non-empty object 'weight_map' of tensor name -> file");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText("");
            if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\")
                    || shard.equals(".") || shard.equals("..")) {
                throw new ModelFormatException(file, "weight_map." + e.getKey() + " = " + e.getValue()
                        + "; expected the plain name of a file in the model directory");
            }
            weightMap.put(e.getKey(), shard);
        }
        JsonNode total = root.path("metadata").path("total_size");
        return new ShardIndex(weightMap, total.canConvertToLong() ? total.longValue() : -1);
    }

    public byte[] toBytes() {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("metadata").put("total_size", totalSize);
        ObjectNode map = root.putObject("weight_map");
        new TreeMap<>(weightMap).forEach(map::put);
        try {
            return (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
