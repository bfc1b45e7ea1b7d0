package org.atmanrl.driver.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The most memory the process held during a piece of work: Linux's resident-set high-water mark
 * ({@code VmHWM}), reset by writing 5 to {@code /proc/self/clear_refs}. It counts ND4J's off-heap
 * buffers, which no Java memory pool sees, with the heap and everything else. glibc keeps freed
 * blocks below its mmap threshold resident, and raises that threshold as large blocks are freed,
 * so freed activations would look live to a later run; run with {@code MALLOC_MMAP_THRESHOLD_=65536}
 * (which also fixes the threshold) for figures that follow what is allocated.
 */
final class ResidentPeak {
    private static final Path STATUS = Path.of("/proc/self/status"), CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private ResidentPeak() {
    }

    /** Whether this system reports it (Linux with a writable {@code clear_refs}). */
    static boolean available() {
        return Files.isWritable(CLEAR_REFS) && Files.isReadable(STATUS);
    }

    /** Sets the high-water mark to the current resident size. */
    static void reset() {
        try {
            Files.writeString(CLEAR_REFS, "5");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("bench: cannot reset the resident peak: " + e.getMessage(), e);
        }
    }

    static long residentBytes() {
        return field("VmRSS:");
    }

    static long peakBytes() {
        return field("VmHWM:");
    }

    /** A {@code kB} line of {@code /proc/self/status}, in bytes. */
    private static long field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    return 1024 * Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("bench: cannot read " + STATUS + ": " + e.getMessage(), e);
        }
        throw new IllegalStateException("bench: " + STATUS + " has no " + name);
    }
}
