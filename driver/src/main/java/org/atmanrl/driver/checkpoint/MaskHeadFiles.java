package org.atmanrl.driver.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SafetensorsHeader;
import org.atmanrl.model.io.SafetensorsReader;
import org.atmanrl.model.io.SafetensorsWriter;
import org.atmanrl.reward.saliency.MaskHead;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The mask network's files (docs/design.md 2.6), beside the HF files of a model directory, which
 * HF loaders ignore: {@code mask_head.safetensors} (F32, tensors {@code query key token attention
 * bias row_query row_gain}, shapes from {@link MaskHead#shapes}, bounded by the config's checked
 * hidden size, rank and attention features) and {@code mask_head.json} (what reads them: format,
 * version, hidden size, rank, attention features, theta0). A checkpoint adds the head's AdamW state
 * as {@code mask_head_optimizer.safetensors} at its top level. Version 2 added the row term's
 * {@code row_query} and {@code row_gain}; a version 1 head is refused, not padded with a fresh row
 * term, since its optimizer state would not match either.
 */
public final class MaskHeadFiles {
    public static final String WEIGHTS = "mask_head.safetensors";
    public static final String CONFIG = "mask_head.json";
    static final String OPTIMIZER = "mask_head_optimizer.safetensors";
    private static final String FORMAT = "atmanrl-mask-head";
    private static final int VERSION = 2;

    private MaskHeadFiles() {
    }

    /** A head's weights and what they were made for. */
    public record Head(NamedArrays weights, int hiddenSize, int rank, int attentionFeatures, double theta0) {
    }

    /** Writes the weights and config into {@code modelDir}, which is still under its temporary name. */
    public static void write(FileSystem fs, Path modelDir, Head head) throws IOException {
        Map<String, INDArray> arrays = head.weights().toArrays(org.nd4j.linalg.api.buffer.DataType.FLOAT);
        try {
            SafetensorsWriter.write(fs, new Path(modelDir, WEIGHTS), arrays, SafetensorsDType.F32,
                    Map.of("format", FORMAT));
        } finally {
            arrays.values().forEach(INDArray::close);
        }
        ObjectNode c = JsonFiles.MAPPER.createObjectNode();
        c.put("format", FORMAT).put("version", VERSION).put("hidden_size", head.hiddenSize()).put("rank", head.rank())
                .put("attention_features", head.attentionFeatures()).put("theta0", head.theta0())
                .put("reads", "final RMSNorm output / sqrt(hidden_size), query at the answer delimiter's last token;"
                        + " the answer cells' attention to each token per layer and head, times the row's length")
                .put("design", "docs/design.md 2.6");
        ModelDirectory.writeSmall(fs, new Path(modelDir, CONFIG), c.toPrettyString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Whether {@code modelDir} holds a head. */
    public static boolean present(FileSystem fs, Path modelDir) throws IOException {
        return fs.exists(new Path(modelDir, WEIGHTS)) || fs.exists(new Path(modelDir, CONFIG));
    }

    /**
     * Reads and checks a head for a model of hidden size {@code hiddenSize}: the config first
     * (bounded), then every tensor's name, type and shape before any value is read. Faults name the file.
     */
    public static Head read(FileSystem fs, Path modelDir, int hiddenSize, int attentionFeatures) throws IOException {
        Path configFile = new Path(modelDir, CONFIG);
        JsonNode c = JsonFiles.MAPPER.readTree(HadoopFiles.readSmall(fs, configFile, 1 << 16));
        if (c != null && FORMAT.equals(c.path("format").asText()) && c.path("version").asInt() == 1) {
            throw new ModelFormatException(configFile.toString(), "is a version 1 mask network, written before the"
                    + " row term (docs/design.md 2.6); this build reads version " + VERSION + " only: start a new run");
        }
        if (c == null || !FORMAT.equals(c.path("format").asText()) || c.path("version").asInt() != VERSION) {
            throw new ModelFormatException(configFile.toString(), "is not a " + FORMAT + " version " + VERSION + " file");
        }
        int d = c.path("hidden_size").asInt(-1), r = c.path("rank").asInt(-1);
        if (d != hiddenSize) {
            throw new ModelFormatException(configFile.toString(), "hidden_size is " + d + " but the model's is " + hiddenSize);
        }
        if (r < 1 || r > MaskHead.MAX_RANK) {
            throw new ModelFormatException(configFile.toString(), "rank must be in 1.." + MaskHead.MAX_RANK + ", found " + r);
        }
        int f = c.path("attention_features").asInt(-1);
        if (f != attentionFeatures) {
            throw new ModelFormatException(configFile.toString(), "attention_features is " + f
                    + " but the model has " + attentionFeatures + " (layers x heads)");
        }
        if (!c.path("theta0").isNumber()) {
            throw new ModelFormatException(configFile.toString(), "theta0 must be a number");
        }
        Map<String, long[]> shapes = MaskHead.shapes(d, r, f);
        try (SafetensorsReader reader = SafetensorsReader.open(fs, new Path(modelDir, WEIGHTS))) {
            SafetensorsHeader header = reader.header();
            if (!header.tensors().keySet().equals(shapes.keySet())) {
                throw new ModelFormatException(reader.file(), "holds tensors " + header.tensors().keySet()
                        + "; a mask network has exactly " + shapes.keySet());
            }
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                SafetensorsHeader.Entry t = header.tensors().get(e.getKey());
                if (t.dtype() != SafetensorsDType.F32 || !Arrays.equals(t.shape(), e.getValue())) {
                    throw new ModelFormatException(reader.file(), "tensor '" + e.getKey() + "' is " + t.dtype() + " "
                            + Arrays.toString(t.shape()) + "; expected F32 " + Arrays.toString(e.getValue()));
                }
            }
            Map<String, INDArray> arrays = new LinkedHashMap<>();
            try {
                for (String name : shapes.keySet()) arrays.put(name, reader.read(header.tensors().get(name)));
                return new Head(NamedArrays.of(arrays), d, r, f, c.path("theta0").asDouble());
            } finally {
                arrays.values().forEach(INDArray::close);
            }
        }
    }

    static void writeOptimizer(FileSystem fs, Path checkpointDir, AdamW.State state, Head head) throws IOException {
        OptimizerStateFile.write(fs, new Path(checkpointDir, OPTIMIZER), state,
                MaskHead.shapes(head.hiddenSize(), head.rank(), head.attentionFeatures()));
    }

    static AdamW.State readOptimizer(FileSystem fs, Path checkpointDir, Head head) throws IOException {
        return OptimizerStateFile.read(fs, new Path(checkpointDir, OPTIMIZER),
                MaskHead.shapes(head.hiddenSize(), head.rank(), head.attentionFeatures()));
    }
}
