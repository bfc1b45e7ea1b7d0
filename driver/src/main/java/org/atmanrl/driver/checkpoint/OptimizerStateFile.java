package org.atmanrl.driver.checkpoint;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.optim.AdamW;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SafetensorsHeader;
import org.atmanrl.model.io.SafetensorsReader;
import org.atmanrl.model.io.SafetensorsWriter;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * AdamW's state as one safetensors file: F32 tensors {@code exp_avg.<name>} and
 * {@code exp_avg_sq.<name>} (PyTorch's names for the moments) shaped like the weight they belong
 * to, and the step count in {@code __metadata__}. F32 on both sides, so every value round-trips
 * bit for bit. The file holds exactly the model's tensors, in any order (a rewriting tool need
 * keep neither the JSON keys' nor the bytes' order); they are read back in the model's order.
 */
final class OptimizerStateFile {
    static final String FIRST = "exp_avg.";
    static final String SECOND = "exp_avg_sq.";
    private static final String STEP = "step";
    private static final String FORMAT = "format";
    private static final String FORMAT_VALUE = "atmanrl-adamw";

    private OptimizerStateFile() {
    }

    /**
     * @param weightShapes the model's tensors; every optimizer tensor must be one of them with as
     *                     many elements, so a state from another model is refused before it is saved
     */
    static void write(FileSystem fs, Path file, AdamW.State state, Map<String, long[]> weightShapes)
            throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (int i = 0; i < state.names().size(); i++) {
            String name = state.names().get(i);
            long[] shape = weightShapes.get(name);
            if (shape == null) {
                throw new IllegalArgumentException("optimizer state has tensor '" + name + "', which the model does not");
            }
            shapes.put(FIRST + name, shape);
            values.put(FIRST + name, state.firstMoments().get(i));
            shapes.put(SECOND + name, shape);
            values.put(SECOND + name, state.secondMoments().get(i));
        }
        // sorted: Map.of's order changes from one JVM to the next, and so would the file's bytes
        Map<String, String> metadata = new java.util.TreeMap<>(Map.of(FORMAT, FORMAT_VALUE, STEP, Long.toString(state.step())));
        SafetensorsWriter.writeF32(fs, file, shapes, values, metadata);
    }

    /**
     * Reads and checks the file against the model it belongs to; faults name the file. Every
     * name, type and shape is checked before any tensor is read.
     */
    static AdamW.State read(FileSystem fs, Path file, Map<String, long[]> weightShapes) throws IOException {
        return read(fs, file, weightShapes, weightShapes.keySet());
    }

    /**
     * {@link #read}, checking the whole file but reading the moments of the tensors in {@code only}:
     * a barrier rank's share of a file written at another rank count (docs/design.md 3.5).
     */
    static AdamW.State read(FileSystem fs, Path file, Map<String, long[]> weightShapes, Set<String> only)
            throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(fs, file)) {
            SafetensorsHeader header = reader.header();
            String where = reader.file();
            long step = step(where, header.metadata());
            List<String> names = new ArrayList<>(names(where, header, weightShapes));
            names.retainAll(only);
            List<float[]> first = new ArrayList<>(), second = new ArrayList<>();
            for (String name : names) {
                first.add(floats(reader, header.tensors().get(FIRST + name)));
                second.add(floats(reader, header.tensors().get(SECOND + name)));
            }
            return new AdamW.State(step, names, first, second);
        }
    }

    /**
     * The header checks of {@link #read} without reading a value: what a resume verifies before
     * Spark starts. Faults are ModelFormatExceptions naming the file.
     */
    static void check(FileSystem fs, Path file, Map<String, long[]> weightShapes) throws IOException {
        try (SafetensorsReader reader = SafetensorsReader.open(fs, file)) {
            step(reader.file(), reader.header().metadata());
            names(reader.file(), reader.header(), weightShapes);
        }
    }

    /**
     * The optimizer's tensor names: exactly the model's, each with both moments shaped like its
     * weight, in the model's order whatever the order of the file's tensors.
     */
    private static List<String> names(String file, SafetensorsHeader header, Map<String, long[]> weightShapes) {
        Set<String> found = new HashSet<>();
        for (SafetensorsHeader.Entry e : header.inFileOrder()) {
            if (e.name().startsWith(FIRST)) {
                String name = e.name().substring(FIRST.length());
                SafetensorsHeader.Entry pair = header.tensors().get(SECOND + name);
                if (pair == null) {
                    throw new ModelFormatException(file, "has '" + e.name() + "' but no '" + SECOND + name + "'");
                }
                check(file, e, weightShapes.get(name));
                check(file, pair, weightShapes.get(name));
                found.add(name);
            }
        }
        for (String n : header.tensors().keySet()) {
            boolean moment = n.startsWith(FIRST) || n.startsWith(SECOND) && found.contains(n.substring(SECOND.length()));
            if (!moment) {
                throw new ModelFormatException(file, "has tensor '" + n + "', which is not one of a pair "
                        + FIRST + "<name>, " + SECOND + "<name>");
            }
        }
        List<String> missing = new ArrayList<>();
        for (String name : weightShapes.keySet()) {
            if (!found.contains(name)) missing.add(name);
        }
        if (!missing.isEmpty()) {
            throw new ModelFormatException(file, "has no moments for the model's tensor '" + missing.get(0) + "'"
                    + (missing.size() > 1 ? " (nor for " + (missing.size() - 1) + " more)" : "")
                    + "; an optimizer state holds every weight's " + FIRST + "<name> and " + SECOND + "<name>");
        }
        return new ArrayList<>(weightShapes.keySet());
    }

    private static long step(String file, Map<String, String> metadata) {
        if (!FORMAT_VALUE.equals(metadata.get(FORMAT))) {
            throw new ModelFormatException(file, "__metadata__.format is " + metadata.get(FORMAT)
                    + ", not " + FORMAT_VALUE + " (not an optimizer state written here)");
        }
        String value = metadata.get(STEP);
        try {
            long step = Long.parseLong(value == null ? "" : value);
            if (step >= 0) {
                return step;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ModelFormatException(file, "__metadata__.step must be a non-negative integer, found " + value);
    }

    private static void check(String file, SafetensorsHeader.Entry e, long[] weightShape) {
        if (e.dtype() != SafetensorsDType.F32) {
            throw new ModelFormatException(file, "tensor '" + e.name() + "' is " + e.dtype()
                    + "; optimizer moments are stored as F32 so that a resume is exact");
        }
        if (weightShape == null) {
            throw new ModelFormatException(file, "tensor '" + e.name() + "' is the moment of a tensor the model does not have");
        }
        if (!Arrays.equals(e.shape(), weightShape)) {
            throw new ModelFormatException(file, "tensor '" + e.name() + "' has shape " + Arrays.toString(e.shape())
                    + " but its weight has " + Arrays.toString(weightShape));
        }
    }

    /** Through an off-heap array, one tensor at a time: the reader's bounds checks, one heap copy. */
    private static float[] floats(SafetensorsReader reader, SafetensorsHeader.Entry e) throws IOException {
        INDArray a = reader.read(e);
        try {
            return a.data().asFloat();
        } finally {
            a.close();
        }
    }
}
