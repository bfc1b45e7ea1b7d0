package org.atmanrl.driver.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelFormatException;

/**
 * Reads the config of {@code atmanrl train --config FILE [--set key=value ...]}: the defaults of
 * {@link TrainConfig#defaults()}, the file's keys over them, then each {@code --set} in order.
 */
public final class TrainConfigLoader {
    /** A config is a page of text; anything much larger is the wrong file. */
    private static final long MAX_FILE_BYTES = 1 << 20;

    private TrainConfigLoader() {
    }

    /**
     * The resolved config, or a one-line ConfigException.
     *
     * @param conf       Hadoop configuration for the file's file system
     * @param fileOrNull YAML ({@code .yaml}, {@code .yml}) or JSON ({@code .json}) on any Hadoop path, or
     *                   null for the defaults and {@code sets} only
     * @param sets       {@code key=value} overrides, applied after the file in order; may be null
     */
    public static TrainConfig load(Configuration conf, String fileOrNull, List<String> sets) {
        String source = fileOrNull == null ? "config" : "config " + fileOrNull;
        ConfigValues values = new ConfigValues(TrainConfig.defaults(), source);
        if (fileOrNull != null) values.assignTree(read(conf, fileOrNull, source), source);
        for (String set : sets == null ? List.<String>of() : sets) values.assignSet(set);
        TrainConfig config = values.build();
        require(values, "model", config.model(), "the starting model directory");
        require(values, "output", config.output(), "the run directory");
        return config;
    }

    private static void require(ConfigValues values, String key, String value, String what) {
        if (value == null) throw new ConfigException(values.sourceOf(key) + ": " + key + " is required (" + what + ")");
    }

    /** The file's top-level mapping. */
    private static ObjectNode read(Configuration conf, String file, String source) {
        ConfigFormat format = ConfigFormat.ofFile(file);
        if (format == null) {
            throw new ConfigException(source + ": unknown format; expected a .yaml, .yml or .json file");
        }
        JsonNode root;
        try {
            root = format.parse(bytes(conf, file, source));
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": " + format.describe(e));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new ConfigException(source + ": the file is empty; expected a mapping of keys such as model, output, steps");
        }
        if (!root.isObject()) {
            throw new ConfigException(source + ": expected a mapping of keys at the top level, got " + ValueType.show(root));
        }
        return (ObjectNode) root;
    }

    private static byte[] bytes(Configuration conf, String file, String source) {
        try {
            Path path = new Path(file);
            FileSystem fs = HadoopFiles.fileSystem(path, conf);
            FileStatus status;
            try {
                status = fs.getFileStatus(path);
            } catch (java.io.FileNotFoundException e) {
                throw new ConfigException("config: file not found: " + file);
            }
            if (status.isDirectory()) throw new ConfigException(source + ": is a directory, not a config file");
            return HadoopFiles.readSmall(fs, path, MAX_FILE_BYTES);
        } catch (ModelFormatException e) {
            throw new ConfigException(source + ": " + e.getMessage().substring(e.file().length() + 2));
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            // IllegalArgumentException: Hadoop's answer to a path it cannot parse
            throw new ConfigException(source + ": cannot read: " + e.getMessage());
        }
    }
}
