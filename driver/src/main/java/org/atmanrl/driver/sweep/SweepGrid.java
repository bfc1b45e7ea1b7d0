package org.atmanrl.driver.sweep;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelFormatException;

/**
 * A sweep's grid file as written: the base training config (a path relative to the grid file),
 * base overrides, the grid of config keys and their values, point-name labels, the sweep's output
 * directory and how many points train at once. {@link SweepPlan} turns it into checked points.
 *
 * @param file           the grid file, as given
 * @param base           the base training config, resolved against the grid file's directory; null for none
 * @param sets           overrides applied to every point after the base, as {@code key=value} (the grid
 *                       file's {@code set}, then the command line's {@code --set}), each with where it came from
 * @param axes           the grid, in the file's key order
 * @param output         the sweep directory
 * @param parallelPoints points trained at once
 */
public record SweepGrid(String file, String base, List<Assignment> sets, List<GridAxis> axes, String output,
                        int parallelPoints) {
    /** A grid file is a page; anything larger is the wrong file. */
    private static final long MAX_FILE_BYTES = 1 << 20;
    static final List<String> TOP_LEVEL = List.of("base", "set", "grid", "labels", "output", "parallel_points");

    /** One {@code key=value} override and where it was written, for faults. */
    public record Assignment(String key, String valueText, String source) {
        public String text() {
            return key + "=" + valueText;
        }
    }

    public SweepGrid {
        if (axes == null || axes.isEmpty()) throw new IllegalArgumentException("grid needs at least one key");
        if (parallelPoints < 1) throw new IllegalArgumentException("parallel_points must be >= 1, got " + parallelPoints);
        if (output == null || output.isBlank()) throw new IllegalArgumentException("output is required");
        sets = List.copyOf(sets);
        axes = List.copyOf(axes);
    }

    /**
     * Points in the sweep: the product of the axes' sizes, or -1 when it exceeds {@code limit}
     * (computed so that it cannot wrap: 64 keys of 2 values are 2^64 points, not 0).
     */
    public long size(long limit) {
        long n = 1;
        for (GridAxis a : axes) {
            n *= a.values().size(); // n <= limit before, so no wrap for any sane limit
            if (n > limit) return -1;
        }
        return n;
    }

    /** Reads and checks {@code file}; {@code commandLineSets} ({@code key=value}) come after its {@code set}. */
    public static SweepGrid read(Configuration conf, String file, List<String> commandLineSets) {
        String where = "grid " + file;
        ObjectMapper mapper = mapperFor(file, where);
        JsonNode root;
        try {
            root = mapper.readTree(bytes(conf, file, where));
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new UserInputException(where + ": malformed " + (mapper instanceof YAMLMapper ? "YAML" : "JSON")
                    + (at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new UserInputException(where + ": cannot read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new UserInputException(where + ": expected a mapping with the keys " + String.join(", ", TOP_LEVEL)
                    + ", got " + (root == null || root.isMissingNode() ? "an empty file" : root.getNodeType().toString().toLowerCase(Locale.ROOT)));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!TOP_LEVEL.contains(key)) {
                throw new UserInputException(where + ": unknown key '" + key + "' (a grid file has: "
                        + String.join(", ", TOP_LEVEL) + ")");
            }
        }
        String base = null;
        JsonNode baseNode = root.path("base");
        if (!baseNode.isMissingNode() && !baseNode.isNull()) {
            if (!baseNode.isTextual() || baseNode.textValue().isBlank()) {
                throw new UserInputException(where + ": base: expected the path of a training config, got " + baseNode);
            }
            base = resolve(file, baseNode.textValue());
        }
        List<GridAxis> axes = axes(root, where);
        Set<String> gridKeys = new HashSet<>();
        axes.forEach(a -> gridKeys.add(a.key()));

        List<Assignment> sets = new ArrayList<>();
        JsonNode set = root.path("set");
        if (!set.isMissingNode() && !set.isNull()) {
            if (!set.isObject()) {
                throw new UserInputException(where + ": set: expected a mapping of config keys to values, got " + set);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = set.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                sets.add(new Assignment(e.getKey(), GridAxis.assignmentText(e.getValue()), where + ": set " + e.getKey()));
            }
        }
        for (String s : commandLineSets == null ? List.<String>of() : commandLineSets) {
            int eq = s.indexOf('=');
            if (eq <= 0) throw new UserInputException("--set " + s + ": expected key=value, e.g. --set model=runs/sft");
            sets.add(new Assignment(s.substring(0, eq).strip(), s.substring(eq + 1), "--set " + s));
        }
        for (Assignment a : sets) {
            if (a.key().equals("output")) {
                throw new UserInputException(a.source() + ": output is the sweep's own (each point trains into"
                        + " OUTPUT/points/NAME); set the grid file's top-level output instead");
            }
            if (gridKeys.contains(a.key())) {
                throw new UserInputException(a.source() + ": " + a.key() + " is a grid key; its values come from the grid");
            }
        }

        JsonNode out = root.path("output");
        if (!out.isTextual() || out.textValue().isBlank()) {
            throw new UserInputException(where + ": output: expected the sweep directory (points go to OUTPUT/points/NAME), got "
                    + (out.isMissingNode() ? "nothing" : out.toString()));
        }
        JsonNode parallel = root.path("parallel_points");
        int parallelPoints = 1;
        if (!parallel.isMissingNode() && !parallel.isNull()) {
            if (!parallel.canConvertToExactIntegral() || !parallel.canConvertToInt() || parallel.intValue() < 1) {
                throw new UserInputException(where + ": parallel_points: expected an integer >= 1, got " + parallel);
            }
            parallelPoints = parallel.intValue();
        }
        return new SweepGrid(file, base, sets, axes, out.textValue(), parallelPoints);
    }

    private static List<GridAxis> axes(JsonNode root, String where) {
        JsonNode grid = root.path("grid");
        if (!grid.isObject() || grid.isEmpty()) {
            throw new UserInputException(where + ": grid: expected a mapping of config keys to lists of values,"
                    + " e.g. {saliency.alpha: [0, 0.5], seed: [1, 2]}, got " + (grid.isMissingNode() ? "nothing" : grid.toString()));
        }
        JsonNode labelsNode = root.path("labels");
        Map<String, String> labels = new HashMap<>();
        if (!labelsNode.isMissingNode() && !labelsNode.isNull()) {
            if (!labelsNode.isObject()) {
                throw new UserInputException(where + ": labels: expected a mapping of grid keys to short names, got " + labelsNode);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = labelsNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!grid.has(e.getKey())) {
                    throw new UserInputException(where + ": labels: " + e.getKey() + " is not a grid key (the grid has: "
                            + String.join(",", fieldNames(grid)) + ")");
                }
                if (!e.getValue().isTextual() || !GridAxis.LABEL.matcher(e.getValue().textValue()).matches()) {
                    throw new UserInputException(where + ": labels: " + e.getKey() + ": expected a short name of letters,"
                            + " digits or _ . + -, got " + e.getValue());
                }
                labels.put(e.getKey(), e.getValue().textValue());
            }
        }
        Map<String, Integer> leaves = new HashMap<>();
        for (String key : fieldNames(grid)) leaves.merge(leaf(key), 1, Integer::sum);
        List<GridAxis> axes = new ArrayList<>();
        Map<String, String> labelOwner = new LinkedHashMap<>();
        for (String key : fieldNames(grid)) {
            JsonNode values = grid.get(key);
            if (key.equals("output")) {
                throw new UserInputException(where + ": grid: output is the sweep's own (each point trains into OUTPUT/points/NAME)");
            }
            if (key.equals("spark") || key.startsWith("spark.")) {
                throw new UserInputException(where + ": grid: " + key + ": a sweep runs every point on one Spark"
                        + " application, so Spark settings cannot vary; put them in the base config or set");
            }
            if (!values.isArray() || values.isEmpty()) {
                throw new UserInputException(where + ": grid: " + key + ": expected a non-empty list of values, e.g. ["
                        + "0, 0.5], got " + values);
            }
            // a key whose leaf another grid key shares is labelled in full: lr of saliency.lr and optimizer.lr
            String label = labels.getOrDefault(key, leaves.get(leaf(key)) > 1 ? key : leaf(key));
            String other = labelOwner.put(label, key);
            if (other != null) {
                throw new UserInputException(where + ": labels: " + other + " and " + key + " share the label '" + label
                        + "'; point names need a distinct one each");
            }
            List<JsonNode> list = new ArrayList<>();
            values.forEach(list::add);
            try {
                axes.add(new GridAxis(key, label, list));
            } catch (IllegalArgumentException e) {
                throw new UserInputException(where + ": grid: " + e.getMessage());
            }
        }
        return axes;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String leaf(String dotted) {
        return dotted.substring(dotted.lastIndexOf('.') + 1);
    }

    /** {@code base} against the grid file's directory, unless it is absolute or names a file system. */
    static String resolve(String gridFile, String base) {
        Path b = new Path(base);
        if (b.isAbsolute() || b.toUri().getScheme() != null) return base;
        Path parent = new Path(gridFile).getParent();
        return parent == null ? base : new Path(parent, base).toString();
    }

    private static ObjectMapper mapperFor(String file, String where) {
        String lower = file.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
            return YAMLMapper.builder(YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build())
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
        }
        if (lower.endsWith(".json")) {
            return JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();
        }
        throw new UserInputException(where + ": unknown format; expected a .yaml, .yml or .json file");
    }

    private static byte[] bytes(Configuration conf, String file, String where) {
        try {
            Path path = new Path(file);
            FileSystem fs = HadoopFiles.fileSystem(path, conf);
            if (!fs.exists(path)) throw new UserInputException(where + ": file not found");
            if (fs.getFileStatus(path).isDirectory()) throw new UserInputException(where + ": is a directory, not a grid file");
            return HadoopFiles.readSmall(fs, path, MAX_FILE_BYTES);
        } catch (ModelFormatException e) {
            throw new UserInputException(where + ": " + e.getMessage());
        } catch (FileNotFoundException e) {
            throw new UserInputException(where + ": file not found");
        } catch (IOException | IllegalArgumentException e) {
            throw new UserInputException(where + ": cannot read: " + e.getMessage());
        }
    }
}
