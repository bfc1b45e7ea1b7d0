package org.atmanrl.model.io;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The one place where the tools' reads are bounded (docs/design.md 4): a file read whole must be a
 * regular file (a directory, device, FIFO or socket is refused by type, before it is opened, so
 * that {@code /dev/zero} or a pipe never starts an endless read) and at most a limit long, counted
 * in the bytes actually read, not only in the length the file system reports; a stream read line
 * by line ({@link Lines}: JSON-lines data, stdin) holds at most a limit per line. Faults are
 * {@link ModelFormatException}s naming the file (or stream) and what was expected, one line each.
 */
public final class BoundedInput {
    private BoundedInput() {
    }

    /**
     * {@code file}'s status, once it is known to be a regular file; a missing file is
     * "file not found", anything else names what it is. On the local file system the type comes from
     * the operating system (Hadoop reports a device as a file of length 0); a symbolic link to a
     * regular file is one.
     */
    public static FileStatus regularFile(FileSystem fs, Path file) throws IOException {
        FileStatus status;
        try {
            status = fs.getFileStatus(file);
        } catch (FileNotFoundException e) {
            throw new ModelFormatException(file.toString(), "file not found");
        }
        return requireRegular(fs, file, status);
    }

    /**
     * {@code file} opened for reading, once it is known to be a regular file; a missing file is a
     * FileNotFoundException, as from {@link FileSystem#open}.
     */
    public static InputStream open(FileSystem fs, Path file) throws IOException {
        requireRegular(fs, file, fs.getFileStatus(file));
        return fs.open(file);
    }

    private static FileStatus requireRegular(FileSystem fs, Path file, FileStatus status) {
        if (status.isDirectory()) throw notRegular(file, "a directory");
        String local = localType(fs, file);
        if (local != null) throw notRegular(file, local);
        return status;
    }

    /**
     * A file read whole: a regular file of at most {@code limit} bytes. The read stops one byte
     * past the limit whatever length the file system reported, so a file that grows, or claims 0
     * bytes, cannot make it buffer more.
     */
    public static byte[] readAll(FileSystem fs, Path file, long limit) throws IOException {
        long length = regularFile(fs, file).getLen();
        if (length > limit) throw tooLarge(file.toString(), length + " bytes", limit);
        try (InputStream in = fs.open(file)) {
            byte[] bytes = readAtMost(in, limit + 1);
            if (bytes.length > limit) throw tooLarge(file.toString(), "more than " + limit + " bytes", limit);
            return bytes;
        }
    }

    private static byte[] readAtMost(InputStream in, long max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (long left = max; left > 0; ) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) break;
            out.write(buffer, 0, n);
            left -= n;
        }
        return out.toByteArray();
    }

    private static ModelFormatException tooLarge(String file, String size, long limit) {
        return new ModelFormatException(file, "is " + size + "; at most " + limit + " expected for this kind of file");
    }

    private static ModelFormatException notRegular(Path file, String what) {
        return new ModelFormatException(file.toString(), "is " + what + ", not a regular file; a file expected");
    }

    /** What a local path is when it is not a regular file (following links), or null. */
    private static String localType(FileSystem fs, Path file) {
        if (!"file".equals(fs.getUri().getScheme())) return null; // getScheme(): not every FileSystem implements it
        java.nio.file.Path p;
        try {
            p = Paths.get(fs.makeQualified(file).toUri());
        } catch (IllegalArgumentException e) { // InvalidPathException too
            return null;
        }
        if (Files.isRegularFile(p)) return null;
        if (Files.isDirectory(p)) return "a directory";
        try {
            int type = ((Number) Files.getAttribute(p, "unix:mode")).intValue() & 0170000;
            return switch (type) {
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0010000 -> "a FIFO (named pipe)";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | RuntimeException e) { // no unix view, or no such attribute
            return "a special file";
        }
    }

    /**
     * A stream read one line at a time, each line's bytes (without {@code \n} or {@code \r\n})
     * bounded by {@code maxLineBytes} and checked as UTF-8 per line, so that a fault is blamed on its
     * own line and an endless line ends in a message, not an OutOfMemoryError.
     */
    public static final class Lines {
        private final InputStream in;
        private final String source;
        private final int maxLineBytes;
        private byte[] buffer = new byte[1024];
        private int length;
        private long number;
        private final java.nio.charset.CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);

        /** {@code source} names the stream in faults (a file's path, or "stdin"). */
        public Lines(InputStream in, String source, int maxLineBytes) {
            this.in = in;
            this.source = source;
            this.maxLineBytes = maxLineBytes;
        }

        /** The 1-based number of the line {@link #next} read last. */
        public long number() {
            return number;
        }

        /**
         * Reads the next line's bytes; false at the end of the input (a last line without
         * {@code \n} still counts). A line longer than the limit is a fault naming its number.
         */
        public boolean next() throws IOException {
            length = 0;
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                if (length == maxLineBytes + 1) throw tooLong(number + 1);
                if (length == buffer.length) buffer = Arrays.copyOf(buffer, Math.min(buffer.length * 2, maxLineBytes + 1));
                buffer[length++] = (byte) b;
            }
            if (b < 0 && length == 0) return false;
            number++;
            if (length > 0 && buffer[length - 1] == '\r') length--;
            if (length > maxLineBytes) throw tooLong(number);
            return true;
        }

        private ModelFormatException tooLong(long line) {
            return new ModelFormatException(source, "line " + line + " is longer than " + maxLineBytes
                    + " bytes; at most " + maxLineBytes + " expected per line");
        }

        /** The line {@link #next} read, decoded; null when it is not valid UTF-8. */
        public String text() {
            try {
                return decoder.decode(ByteBuffer.wrap(buffer, 0, length)).toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }
    }
}
