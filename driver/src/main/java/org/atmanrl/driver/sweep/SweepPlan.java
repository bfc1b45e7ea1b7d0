package org.atmanrl.driver.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.config.ConfigException;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.config.TrainConfigLoader;

/**
 * A sweep's points, each with its full training config built and checked: the base config file,
 * the grid file's {@code set}, the command line's {@code --set}, the point's grid values, and its
 * output {@code OUTPUT/points/NAME}. Points are the cartesian product of the grid in the file's
 * key order, the first key varying slowest (as nested loops, the last key innermost), each key's
 * values in the file's order. A point's name is {@code label=value} per key joined by commas, e.g.
 * {@code alpha=0.5,seed=1}, with characters other than letters, digits and {@code _ . + - = ,}
 * replaced by {@code _}.
 */
public final class SweepPlan {
    public static final String POINTS = "points";
    public static final String RECORD = "sweep.yaml";
    private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9_.+\\-=,]");
    private static final YAMLMapper YAML = new YAMLMapper();
    /** Points a sweep holds; and a point's directory name, at most what a file system's name allows (255 bytes). */
    static final int MAX_POINTS = 10_000, MAX_NAME_BYTES = 255;

    /** One training run of the sweep. */
    public record Point(int index, String name, List<JsonNode> values, TrainConfig config) {
    }

    private final SweepGrid grid;
    private final TrainConfig base;
    private final List<Point> points;

    private SweepPlan(SweepGrid grid, TrainConfig base, List<Point> points) {
        this.grid = grid;
        this.base = base;
        this.points = List.copyOf(points);
    }

    public SweepGrid grid() { return grid; }
    /** The config every point starts from (output: the sweep directory). */
    public TrainConfig base() { return base; }
    public List<Point> points() { return points; }

    /** Every point's config, built and checked before anything trains; a fault is one line naming the grid file. */
    public static SweepPlan of(SweepGrid grid, Configuration conf) {
        long size = grid.size(MAX_POINTS);
        if (size < 0) {
            StringBuilder sizes = new StringBuilder();
            for (GridAxis a : grid.axes()) sizes.append(sizes.length() == 0 ? "" : " x ").append(a.values().size());
            throw new UserInputException("grid " + grid.file() + ": " + sizes + " points, more than the " + MAX_POINTS
                    + " a sweep holds");
        }
        List<SweepGrid.Assignment> baseSets = new ArrayList<>(grid.sets());
        baseSets.add(new SweepGrid.Assignment("output", grid.output(), "grid " + grid.file() + ": output"));
        TrainConfig base = load(grid, conf, baseSets, "");
        int n = (int) size;
        // names first: a clash is found before any config is built
        List<String> names = new ArrayList<>();
        Map<String, String> byName = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String written = written(grid.axes(), valuesAt(grid.axes(), i));
            String name = UNSAFE.matcher(written).replaceAll("_");
            if (name.length() > MAX_NAME_BYTES) { // ASCII once unsafe characters are replaced: a byte each
                throw new UserInputException("grid " + grid.file() + ": point name " + name + " is " + name.length()
                        + " bytes; a file name holds at most " + MAX_NAME_BYTES + " (shorten the values or give the"
                        + " keys short labels)");
            }
            String clash = byName.put(name, written);
            if (clash != null) {
                throw new UserInputException("grid " + grid.file() + ": points " + clash + " and " + written
                        + " get the same name " + name + " once unsafe characters are replaced; give those values"
                        + " distinct names");
            }
            names.add(name);
        }
        List<Point> points = new ArrayList<>();
        Map<String, String> byConfig = new HashMap<>();
        for (int i = 0; i < n; i++) {
            List<JsonNode> values = valuesAt(grid.axes(), i);
            List<SweepGrid.Assignment> sets = new ArrayList<>(grid.sets());
            for (int k = 0; k < values.size(); k++) {
                GridAxis axis = grid.axes().get(k);
                sets.add(new SweepGrid.Assignment(axis.key(), GridAxis.assignmentText(values.get(k)),
                        "grid " + grid.file() + ": grid " + axis.key() + " value " + GridAxis.text(values.get(k))));
            }
            String name = names.get(i);
            String output = new Path(new Path(grid.output(), POINTS), name).toString();
            sets.add(new SweepGrid.Assignment("output", output, "grid " + grid.file() + ": output"));
            TrainConfig config = load(grid, conf, sets, " (point " + name + ")");
            // 1 and 1.0 of a number key are one config: two runs of it would only waste the time of one
            String same = byConfig.put(config.with("output", "o").toYaml(), name);
            if (same != null) {
                throw new UserInputException("grid " + grid.file() + ": points " + same + " and " + name
                        + " have the same config; list each value once");
            }
            points.add(new Point(i, name, values, config));
        }
        return new SweepPlan(grid, base, points);
    }

    /** The name of the point (or group of points) with these values of these axes: {@code alpha=0.25,seed=1}. */
    static String name(List<GridAxis> axes, List<JsonNode> values) {
        return UNSAFE.matcher(written(axes, values)).replaceAll("_");
    }

    /** label=value per axis, joined by commas, before unsafe characters are replaced. */
    private static String written(List<GridAxis> axes, List<JsonNode> values) {
        List<String> parts = new ArrayList<>();
        for (int k = 0; k < values.size(); k++) parts.add(axes.get(k).label() + "=" + GridAxis.text(values.get(k)));
        return String.join(",", parts);
    }

    /** The values of point {@code index}: the last axis varies fastest. */
    static List<JsonNode> valuesAt(List<GridAxis> axes, int index) {
        JsonNode[] values = new JsonNode[axes.size()];
        int rest = index;
        for (int k = axes.size() - 1; k >= 0; k--) {
            List<JsonNode> v = axes.get(k).values();
            values[k] = v.get(rest % v.size());
            rest /= v.size();
        }
        return List.of(values);
    }

    /**
     * The config of the base file and {@code sets}; a fault that the loader blames on one of them
     * names where the grid file (or the command line) wrote it.
     */
    private static TrainConfig load(SweepGrid grid, Configuration conf, List<SweepGrid.Assignment> sets, String point) {
        List<String> texts = new ArrayList<>();
        sets.forEach(a -> texts.add(a.text()));
        try {
            return TrainConfigLoader.load(conf, grid.base(), texts);
        } catch (ConfigException e) {
            String message = e.getMessage();
            for (int i = sets.size() - 1; i >= 0; i--) {
                String prefix = "--set " + sets.get(i).text() + ": ";
                if (message.startsWith(prefix)) {
                    throw new UserInputException(sets.get(i).source() + point + ": " + message.substring(prefix.length()));
                }
            }
            throw new UserInputException("grid " + grid.file() + point + ": " + message);
        }
    }

    /** What OUTPUT/sweep.yaml keeps: the grid as resolved (its points and base config); a continued sweep must resolve the same. */
    public String record() {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("grid_file", grid.file());
        root.put("parallel_points", grid.parallelPoints());
        ObjectNode axes = root.putObject("grid");
        for (GridAxis a : grid.axes()) {
            ArrayNode values = axes.putArray(a.key());
            a.values().forEach(values::add);
        }
        ArrayNode names = root.putArray("points");
        points.forEach(p -> names.add(p.name()));
        root.set("config", tree(base.toYaml()));
        try {
            return "# atmanrl sweep: this sweep's grid, resolved. A continued sweep must resolve to the same grid,\n"
                    + "# points and base config (parallel_points may change).\n" + YAML.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException("writing a YAML tree in memory", e);
        }
    }

    /**
     * How this plan differs from a stored {@link #record()}: one entry per dotted key, e.g.
     * {@code grid.seed: [1,2] then, [1,2,3] now}; empty when the sweep may continue.
     */
    public List<String> differencesFrom(String storedRecord) {
        List<String> differ = new ArrayList<>();
        compare("", tree(storedRecord), tree(record()), differ);
        return differ;
    }

    /** Per key of the resolved configs, where {@code point} differs from the base (output included). */
    public Map<String, String> changes(Point point) {
        Map<String, JsonNode> before = flat(tree(base.toYaml())), after = flat(tree(point.config().toYaml()));
        Map<String, String> changes = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : after.entrySet()) {
            JsonNode was = before.get(e.getKey());
            if (!Objects.equals(was, e.getValue())) changes.put(e.getKey(), show(was) + " -> " + show(e.getValue()));
        }
        return changes;
    }

    private static final Set<String> MAY_CHANGE = Set.of("grid_file", "parallel_points");

    private static void compare(String prefix, JsonNode then, JsonNode now, List<String> differ) {
        if (then.isObject() && now.isObject()) {
            Set<String> keys = new LinkedHashSet<>();
            then.fieldNames().forEachRemaining(keys::add);
            now.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                String key = prefix.isEmpty() ? k : prefix + "." + k;
                if (prefix.isEmpty() && MAY_CHANGE.contains(k)) continue;
                compare(key, then.path(k), now.path(k), differ);
            }
        } else if (!then.equals(now)) {
            differ.add(prefix + ": " + show(then) + " then, " + show(now) + " now");
        }
    }

    private static Map<String, JsonNode> flat(JsonNode tree) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        flatten("", tree, out);
        return out;
    }

    private static void flatten(String prefix, JsonNode node, Map<String, JsonNode> out) {
        if (node.isObject() && !prefix.equals("data.difficulty")) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else {
            out.put(prefix, node);
        }
    }

    private static String show(JsonNode n) {
        return n == null || n.isMissingNode() ? "(none)" : n.isValueNode() ? n.asText() : n.toString();
    }

    /** A YAML text as a tree; both sides of a comparison go through it, so number types agree. */
    private static JsonNode tree(String yaml) {
        try {
            JsonNode n = YAML.readTree(yaml);
            return n == null ? JsonNodeFactory.instance.objectNode() : n;
        } catch (IOException e) {
            throw new UserInputException(RECORD + " does not parse as YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }
}
