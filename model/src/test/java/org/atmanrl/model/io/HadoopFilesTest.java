package org.atmanrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one write-to-temporary-then-rename path every output takes. */
class HadoopFilesTest {
    @TempDir
    java.nio.file.Path tmp;

    private FileSystem fs() throws IOException {
        return FileSystem.getLocal(new Configuration());
    }

    private static void write(FileSystem fs, Path file, String text) throws IOException {
        try (OutputStream out = fs.create(file, false)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void aCompleteWriteAppearsWholeAndLeavesNoTemporary() throws IOException {
        FileSystem fs = fs();
        Path dir = new Path(tmp.resolve("out").toUri());
        HadoopFiles.writeAtomically(fs, dir, t -> {
            fs.mkdirs(t);
            write(fs, new Path(t, "a.txt"), "a");
            assertFalse(fs.exists(dir), "nothing at the target before the rename");
        });
        assertArrayEquals("a".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(tmp.resolve("out/a.txt")));
        try (var names = Files.list(tmp)) {
            assertEquals(1, names.count(), "only the target: no temporary left");
        }
    }

    @Test
    void aFailedWriteLeavesNothingAndAnExistingTargetIsNeverOverwritten() throws IOException {
        FileSystem fs = fs();
        Path dir = new Path(tmp.resolve("out").toUri());
        IOException e = assertThrows(IOException.class, () -> HadoopFiles.writeAtomically(fs, dir, t -> {
            fs.mkdirs(t);
            write(fs, new Path(t, "a.txt"), "half");
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        try (var names = Files.list(tmp)) {
            assertEquals(0, names.count(), "neither the target nor its temporary");
        }
        Files.writeString(tmp.resolve("kept.txt"), "input");
        Path kept = new Path(tmp.resolve("kept.txt").toUri());
        IOException refused = assertThrows(IOException.class,
                () -> HadoopFiles.writeAtomically(fs, kept, t -> write(fs, t, "new")));
        assertTrue(refused.getMessage().contains("already exists"), refused.getMessage());
        assertEquals("input", Files.readString(tmp.resolve("kept.txt")));
    }
}
