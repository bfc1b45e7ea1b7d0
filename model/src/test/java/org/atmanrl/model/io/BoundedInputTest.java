package org.atmanrl.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads bounded before they buffer, and special files refused by type (docs/design.md 4). */
class BoundedInputTest {
    @TempDir
    java.nio.file.Path tmp;

    private static FileSystem fs() throws IOException {
        return FileSystem.getLocal(new Configuration()).getRaw();
    }

    private Path path(String name) {
        return new Path(tmp.resolve(name).toUri());
    }

    @Test
    void aRegularFileWithinTheLimitIsReadWholeAndALongerOneRefused() throws IOException {
        Files.writeString(tmp.resolve("a.json"), "{\"a\": 1}");
        assertArrayEquals("{\"a\": 1}".getBytes(StandardCharsets.UTF_8), BoundedInput.readAll(fs(), path("a.json"), 8));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> BoundedInput.readAll(fs(), path("a.json"), 7));
        assertTrue(e.getMessage().endsWith("a.json: is 8 bytes; at most 7 expected for this kind of file"), e.getMessage());
    }

    @Test
    void aDeviceAFifoAndADirectoryAreRefusedByTypeWithoutReading() throws Exception {
        Files.createSymbolicLink(tmp.resolve("zero.json"), java.nio.file.Path.of("/dev/zero"));
        assertEquals(path("zero.json") + ": is a character device, not a regular file; a file expected",
                assertThrows(ModelFormatException.class, () -> BoundedInput.readAll(fs(), path("zero.json"), 1 << 20))
                        .getMessage());
        assertEquals(0, new ProcessBuilder("mkfifo", tmp.resolve("pipe.json").toString()).start().waitFor());
        // opening a FIFO nothing writes to would block forever: refused before it is opened
        assertTrue(assertThrows(ModelFormatException.class, () -> BoundedInput.open(fs(), path("pipe.json")))
                .getMessage().contains("is a FIFO (named pipe)"));
        Files.createDirectories(tmp.resolve("dir.json"));
        assertTrue(assertThrows(ModelFormatException.class, () -> BoundedInput.readAll(fs(), path("dir.json"), 10))
                .getMessage().contains("is a directory"));
        Files.writeString(tmp.resolve("real.json"), "{}");
        Files.createSymbolicLink(tmp.resolve("link.json"), tmp.resolve("real.json"));
        assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), BoundedInput.readAll(fs(), path("link.json"), 10),
                "a link to a regular file is one");
    }

    @Test
    void linesAreBoundedAndDecodedOneAtATime() throws IOException {
        byte[] bytes = "ab\r\n\nc\u00e9\n".getBytes(StandardCharsets.UTF_8);
        BoundedInput.Lines lines = new BoundedInput.Lines(new ByteArrayInputStream(bytes), "in", 3);
        assertTrue(lines.next());
        assertEquals("ab", lines.text(), "\\r\\n ends a line; a line of exactly the limit is read");
        assertTrue(lines.next());
        assertEquals("", lines.text());
        assertTrue(lines.next());
        assertEquals("c\u00e9", lines.text());
        assertFalse(lines.next());
        assertEquals(3, lines.number());

        BoundedInput.Lines latin1 = new BoundedInput.Lines(new ByteArrayInputStream(new byte[] {'c', (byte) 0xe9}), "in", 3);
        assertTrue(latin1.next());
        assertNull(latin1.text(), "not UTF-8");
    }

    @Test
    void anEndlessLineStopsAtTheLimitNamingIt() {
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return 'x';
            }
        };
        BoundedInput.Lines lines = new BoundedInput.Lines(endless, "stdin", 1000);
        ModelFormatException e = assertThrows(ModelFormatException.class, lines::next);
        assertEquals("stdin: line 1 is longer than 1000 bytes; at most 1000 expected per line", e.getMessage());
    }
}
