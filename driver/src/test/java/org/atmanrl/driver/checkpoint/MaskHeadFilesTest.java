package org.atmanrl.driver.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.NamedArrays;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SafetensorsWriter;
import org.atmanrl.reward.saliency.MaskHead;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The mask network's files (docs/design.md 2.6): every tensor, the row term's included, round-trips;
 * a head written before the row term (version 1, or without its tensors) is refused in one line
 * that names the file, so a checkpoint holding one does not resume.
 */
class MaskHeadFilesTest {
    static final int D = 8, R = 2, F = 4;

    @TempDir
    java.nio.file.Path tmp;

    private FileSystem fs() {
        return HadoopFiles.fileSystem(new Path(tmp.toUri()), new Configuration());
    }

    private static MaskHeadFiles.Head head() {
        try (MaskHead h = MaskHead.init(D, R, F, -0.5, 3, DataType.FLOAT)) {
            h.named().get(MaskHead.ROW_GAIN).putScalar(0, 0.25);
            return new MaskHeadFiles.Head(NamedArrays.of(h.named()), D, R, F, -0.5);
        }
    }

    @Test
    void everyTensorOfTheHeadRoundTrips() throws Exception {
        FileSystem fs = fs();
        Path dir = new Path(tmp.toUri());
        MaskHeadFiles.Head written = head();
        MaskHeadFiles.write(fs, dir, written);
        MaskHeadFiles.Head read = MaskHeadFiles.read(fs, dir, D, F);
        assertEquals(MaskHead.shapes(D, R, F).keySet().stream().toList(), read.weights().names());
        assertTrue(read.weights().names().contains(MaskHead.ROW_QUERY));
        for (int i = 0; i < written.weights().size(); i++) {
            assertArrayEquals(written.weights().values(i), read.weights().values(i), written.weights().name(i));
        }
        assertEquals(-0.5, read.theta0());
        try (MaskHead h = MaskHead.of(read.weights(), read.theta0(), DataType.FLOAT)) {
            assertEquals(4 * 0.25, h.rowGain(), 1e-7);
        }
    }

    @Test
    void aHeadWrittenBeforeTheRowTermIsRefusedInOneLine() throws Exception {
        FileSystem fs = fs();
        Path dir = new Path(tmp.toUri());
        MaskHeadFiles.write(fs, dir, head());
        java.nio.file.Path config = tmp.resolve(MaskHeadFiles.CONFIG);
        Files.writeString(config, Files.readString(config).replace("\"version\" : 2", "\"version\" : 1"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> MaskHeadFiles.read(fs, dir, D, F));
        assertTrue(e.getMessage().contains(MaskHeadFiles.CONFIG) && e.getMessage().contains("version 1")
                && !e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void weightsWithoutTheRowTermAreRefusedBeforeAnyValueIsRead() throws Exception {
        FileSystem fs = fs();
        Path dir = new Path(tmp.toUri());
        MaskHeadFiles.write(fs, dir, head());
        Map<String, INDArray> five = new LinkedHashMap<>(), all = head().weights().toArrays(DataType.FLOAT);
        for (Map.Entry<String, INDArray> t : all.entrySet()) {
            if (!t.getKey().startsWith("row_")) five.put(t.getKey(), t.getValue());
        }
        fs.delete(new Path(dir, MaskHeadFiles.WEIGHTS), false);
        SafetensorsWriter.write(fs, new Path(dir, MaskHeadFiles.WEIGHTS), five, SafetensorsDType.F32,
                Map.of("format", "atmanrl-mask-head"));
        all.values().forEach(INDArray::close);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> MaskHeadFiles.read(fs, dir, D, F));
        assertTrue(e.getMessage().contains(MaskHeadFiles.WEIGHTS) && e.getMessage().contains(MaskHead.ROW_QUERY)
                && !e.getMessage().contains("\n"), e.getMessage());
    }
}
