package org.atmanrl.driver.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.driver.UserInputException;
import org.atmanrl.driver.UserPaths;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.JsonFiles;
import org.atmanrl.model.io.ModelFormatException;

/**
 * A run's hold on a directory it writes (its output) or replaces (a promotion target), so that a
 * second job on it stops at once with one line naming the holder, instead of two runs interleaving
 * checkpoints and metrics (docs/training-on-spark.md, "Run locks").
 *
 * <p>The lock is a small JSON file: {@code <dir>/.atmanrl.lock} for a directory, {@code
 * <parent>/.<name>.atmanrl.lock} beside a target that may not exist yet (so the target's own
 * contents stay as a model directory expects). It records a random token, the host, the process id,
 * the start time and the lease. It is written whole under a private name and placed only if the
 * lock name is free, atomically on local disks and HDFS ({@link LockFiles}). While held, a daemon
 * thread renews the lease every quarter lease by setting the file's modification time (and puts the
 * file back if it finds it missing); {@link #close} removes it only if it still holds this lock's
 * bytes.
 *
 * <p>A lock is stale when its holder is a process on this host that is gone (or whose pid now
 * belongs to a process started after the lock), or when its modification time is older than its
 * lease (the lease its holder recorded; for a damaged file, which names no holder, the taker's). A
 * run that finds a stale lock first places a claim named after it ({@code <lock>.<id>.takeover},
 * id from the stale file's bytes and time): only the run whose claim is placed removes that lock,
 * the others wait a moment and then find the new lock and its holder. The taker moves the stale
 * file to a unique name, checks that the file moved is the one judged stale (same bytes, same
 * time; otherwise it is put back), deletes it, and places its own lock like anyone else. Files are
 * read with their status before and after, so a lock replaced during a read is not judged by the
 * old one's time.
 *
 * <p>What this does not exclude, honestly: (1) a holder that is alive but silent for a whole lease
 * (a GC pause, a partition from HDFS) is taken over; it finds out at its next renewal ({@link
 * #lost}) but may write until then, as nothing fences the files a run writes. (2) If a stale lock's
 * holder releases it while its taker has it moved aside and a new lock is placed in that moment,
 * the new lock is moved aside and put back, and a third run may place its own in between; the
 * holder that loses sees it at its next renewal. (3) Hosts compare modification times with their
 * own clocks, so clocks further apart than a lease break the lease; the pid check assumes a host
 * name is unique per process namespace (containers sharing a host name must rely on the lease).
 * (4) On object stores placing is not atomic. (5) A taker that dies between moving a stale lock
 * aside and deleting it leaves a hidden {@code .stale} file behind.
 */
public final class RunLock implements AutoCloseable {
    /** The lock file of a directory; every file a lock writes beside it starts with this name too. */
    public static final String FILE = ".atmanrl.lock";
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(120);
    /** A lock file is a few hundred bytes; this bounds the read of a wrong or damaged one. */
    private static final int LIMIT = 64 << 10;
    /** Rounds of place / judge / take over before giving up on a lock others keep racing for. */
    private static final int ATTEMPTS = 40;
    /** Kinds of file a lock writes beside it: {@code <lock>.<uuid>.<kind>}. */
    private static final String NEW = "new", STALE = "stale", TAKEOVER = "takeover";

    /** How long a silent holder keeps its lock, and the clock it is measured with (tests move it). */
    public record Settings(Duration lease, Clock clock) {
        public static final Settings DEFAULT = new Settings(DEFAULT_LEASE, Clock.systemUTC());

        public Settings {
            if (lease == null || clock == null) throw new IllegalArgumentException("lease and clock are required");
            if (lease.toMillis() < 100 || lease.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException("lease " + lease + " is out of range [100 ms, 1 day]");
            }
        }
    }

    /** What a lock file records of its holder. */
    record Holder(String token, String host, long pid, Instant started, long leaseMillis) {
        Holder {
            if (token == null || token.isBlank() || host == null || host.isBlank() || started == null) {
                throw new IllegalArgumentException("token, host and start time are required");
            }
            if (pid <= 0 || leaseMillis < 100 || leaseMillis > Duration.ofDays(1).toMillis()) {
                throw new IllegalArgumentException("pid " + pid + " or lease " + leaseMillis + " ms is out of range");
            }
        }

        byte[] toJson() {
            ObjectNode o = JsonFiles.MAPPER.createObjectNode();
            o.put("token", token);
            o.put("host", host);
            o.put("pid", pid);
            o.put("started", started.toString());
            o.put("lease_ms", leaseMillis);
            try {
                return JsonFiles.MAPPER.writeValueAsBytes(o);
            } catch (IOException e) {
                throw new IllegalStateException("writing a JSON object to memory", e);
            }
        }

        /** The holder a lock file names; IllegalArgumentException or ModelFormatException if it is damaged. */
        static Holder parse(String file, byte[] bytes) {
            JsonNode o = JsonFiles.parseObject(file, bytes);
            for (String key : new String[] {"token", "host", "started"}) {
                if (!o.path(key).isTextual()) throw new IllegalArgumentException("no text field " + key);
            }
            if (!o.path("pid").isIntegralNumber() || !o.path("lease_ms").isIntegralNumber()) {
                throw new IllegalArgumentException("no integer fields pid and lease_ms");
            }
            try {
                return new Holder(o.get("token").asText(), o.get("host").asText(), o.get("pid").asLong(),
                        Instant.parse(o.get("started").asText()), o.get("lease_ms").asLong());
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("started is not an instant");
            }
        }
    }

    /**
     * A lock file as found: its modification time, its bytes, and the holder they name, or why
     * they name none (the file is damaged).
     */
    private record Found(long modified, byte[] bytes, Holder holder, String damage) {
    }

    private final FileSystem fs;
    private final Path file;
    private final Holder holder;
    private final byte[] bytes;
    private final Settings settings;
    private final ScheduledExecutorService heartbeat;
    /** The claim this run placed to take over a stale lock (removed with the lock), or null. */
    private final Path claimed;
    private volatile String lost;
    private boolean closed;

    private RunLock(FileSystem fs, Path file, Holder holder, byte[] bytes, Settings settings, Path claimed) {
        this.fs = fs;
        this.claimed = claimed;
        this.file = file;
        this.holder = holder;
        this.bytes = bytes;
        this.settings = settings;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "atmanrl-run-lock " + file);
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(1, settings.lease().toMillis() / 4);
        heartbeat.scheduleWithFixedDelay(this::renew, period, period, TimeUnit.MILLISECONDS);
    }

    /** The lock file of directory {@code dir}: inside it. */
    public static Path fileOfDirectory(Path dir) {
        return new Path(dir, FILE);
    }

    /** The lock file of {@code target}, which may not exist yet (a directory a run replaces): beside it. */
    public static Path fileOfTarget(Path target) {
        if (target.getParent() == null) throw new IllegalArgumentException("the root " + target + " cannot be locked");
        return new Path(target.getParent(), "." + target.getName() + FILE);
    }

    /**
     * Whether {@code name} is a lock file or one a lock writes beside it for a moment (a lock being
     * placed, a stale one being removed): a listing of a run directory leaves them out.
     */
    public static boolean isLockFile(String name) {
        return name.startsWith(".") && (name.endsWith(FILE) || name.contains(FILE + "."));
    }

    /** Locks directory {@code dir} (created if absent) for {@code what}, e.g. "output", with the default lease. */
    public static RunLock acquireDirectory(FileSystem fs, Path dir, String what) throws IOException {
        return acquireDirectory(fs, dir, what, Settings.DEFAULT);
    }

    public static RunLock acquireDirectory(FileSystem fs, Path dir, String what, Settings settings) throws IOException {
        requireWritableDirectory(fs, dir, dir, what);
        return acquire(fs, fileOfDirectory(dir), what + " " + dir, settings);
    }

    /**
     * Creates {@code dir}, where the lock of {@code named} goes, if absent, after the checks a
     * command makes of an output: a file in the way, or no write permission, is one line naming
     * {@code what} and {@code named}, not Hadoop's exception from mkdirs or create.
     */
    private static void requireWritableDirectory(FileSystem fs, Path dir, Path named, String what) throws IOException {
        if (!fs.exists(dir)) {
            UserPaths.requireCreatable(fs, named, what);
            fs.mkdirs(dir);
        }
        UserPaths.requireWritableDirectory(fs, dir, what + " " + named);
    }

    /**
     * Locks {@code target} (its parent is created if absent) for {@code what}, e.g. "promotion
     * target", with the default lease.
     */
    public static RunLock acquireTarget(FileSystem fs, Path target, String what) throws IOException {
        return acquireTarget(fs, target, what, Settings.DEFAULT);
    }

    public static RunLock acquireTarget(FileSystem fs, Path target, String what, Settings settings) throws IOException {
        Path file = fileOfTarget(target);
        requireWritableDirectory(fs, file.getParent(), target, what);
        return acquire(fs, file, what + " " + target, settings);
    }

    /**
     * Places the lock, or judges the one there: a live holder stops this run with one line naming
     * it; a stale lock is taken over by the one run that claims it, and placing is tried again.
     */
    private static RunLock acquire(FileSystem fs, Path file, String named, Settings settings) throws IOException {
        // The start time is the wall clock's, not settings.clock(): ThisProcess.alive compares it with
        // the operating system's start time of the holder's pid.
        Holder me = new Holder(UUID.randomUUID().toString(), ThisProcess.HOST, ThisProcess.PID,
                Instant.now().truncatedTo(ChronoUnit.MILLIS), settings.lease().toMillis());
        byte[] bytes = me.toJson();
        Path claimed = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (place(fs, file, bytes)) {
                RunLock lock = new RunLock(fs, file, me, bytes, settings, claimed);
                try {
                    // the lease counts on the holder's clock from now (HDFS set the NameNode's time)
                    fs.setTimes(file, settings.clock().millis(), -1);
                    removeLeftovers(fs, file, settings);
                } catch (IOException | RuntimeException e) {
                    lock.close();
                    throw e;
                }
                return lock;
            }
            Found found = find(fs, file);
            if (found == null) continue; // removed since: place again
            long now = settings.clock().millis();
            if (staleness(found, now, settings.lease().toMillis()) == null) {
                throw new UserInputException(refusal(named, file, found, now, settings.lease()));
            }
            Path claim = claimOf(file, found);
            if (claim(fs, claim, bytes, settings)) {
                claimed = claim;
                removeIfUnchanged(fs, file, found);
            } else {
                pause(attempt); // another run is taking it over: its lock will be there in a moment
            }
        }
        throw new UserInputException(named + ": other runs keep taking and dropping its lock " + file
                + "; try again when they are done");
    }

    /**
     * The claim on taking over {@code stale}, named after it (its bytes and modification time):
     * whoever places it is the one run that may remove that lock, so that two runs that found it
     * stale cannot both take over, one removing the lock the other has just placed. Claims stay
     * until their taker releases its lock, so a run that found the stale lock late still finds the
     * claim; one left by a taker that died is removed a lease later ({@link #removeLeftovers}).
     */
    private static Path claimOf(Path file, Found stale) {
        byte[] time = (":" + stale.modified()).getBytes(StandardCharsets.UTF_8);
        byte[] id = Arrays.copyOf(stale.bytes(), stale.bytes().length + time.length);
        System.arraycopy(time, 0, id, stale.bytes().length, time.length);
        return new Path(file.getParent(), file.getName() + "." + UUID.nameUUIDFromBytes(id) + "." + TAKEOVER);
    }

    /** Places claim {@code claim}; removes one older than a lease (its taker died mid-way) for a later attempt. */
    private static boolean claim(FileSystem fs, Path claim, byte[] bytes, Settings settings) throws IOException {
        if (place(fs, claim, bytes)) return true;
        Found other = find(fs, claim);
        if (other != null && Arrays.equals(other.bytes(), bytes)) return true; // placed by this run before
        if (other != null && settings.clock().millis() - other.modified() > settings.lease().toMillis()) {
            removeIfUnchanged(fs, claim, other);
        }
        return false;
    }

    private static void pause(int attempt) throws java.io.InterruptedIOException {
        try {
            Thread.sleep(Math.min(100, 5L << Math.min(attempt, 5)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while another run takes over a stale lock");
        }
    }

    /**
     * Removes what runs left beside {@code file} more than a lease ago: locks that were being
     * placed, and claims (their takeovers are long done). A stale lock being removed ({@code
     * .stale}) keeps its old modification time, so its age says nothing: one is left only by a taker
     * that died in the middle, and stays (hidden, and ignored by {@link #isLockFile}).
     */
    private static void removeLeftovers(FileSystem fs, Path file, Settings settings) throws IOException {
        String prefix = file.getName() + ".";
        long before = settings.clock().millis() - settings.lease().toMillis();
        for (FileStatus s : fs.listStatus(file.getParent(), p -> p.getName().startsWith(prefix))) {
            String name = s.getPath().getName();
            boolean ours = name.endsWith("." + NEW) || name.endsWith("." + TAKEOVER);
            if (ours && s.isFile() && s.getModificationTime() < before) fs.delete(s.getPath(), false);
        }
    }

    private static boolean place(FileSystem fs, Path file, byte[] bytes) throws IOException {
        Path fresh = sibling(file, NEW);
        LockFiles.write(fs, fresh, bytes);
        return LockFiles.placeIfAbsent(fs, fresh, file);
    }

    private static Path sibling(Path file, String kind) {
        return new Path(file.getParent(), file.getName() + "." + UUID.randomUUID() + "." + kind);
    }

    /**
     * The lock file at {@code file}, or null if there is none. Its status is taken before and after
     * its bytes are read and must agree: otherwise the file may have been replaced in between, and
     * the old modification time with the new bytes would make a fresh lock look stale.
     */
    private static Found find(FileSystem fs, Path file) throws IOException {
        Found found = null;
        for (int i = 0; i < 3; i++) {
            FileStatus before = status(fs, file);
            if (before == null) return null;
            found = read(fs, file, before);
            FileStatus after = status(fs, file);
            if (after == null) return null;
            if (after.getModificationTime() == before.getModificationTime() && after.getLen() == before.getLen()) {
                return found;
            }
            found = new Found(after.getModificationTime(), found.bytes(), found.holder(), found.damage());
        }
        return found; // renewed while read, again and again: a live lock, with its newest time
    }

    private static FileStatus status(FileSystem fs, Path file) throws IOException {
        try {
            FileStatus status = fs.getFileStatus(file);
            if (status.isDirectory()) {
                throw new UserInputException("lock file " + file + " is a directory; remove it if no run is using it");
            }
            return status;
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    private static Found read(FileSystem fs, Path file, FileStatus status) throws IOException {
        byte[] bytes;
        try {
            bytes = HadoopFiles.readSmall(fs, file, LIMIT);
        } catch (FileNotFoundException e) {
            bytes = new byte[0]; // gone since: the second status says so
        } catch (ModelFormatException e) {
            return new Found(status.getModificationTime(), new byte[0], null, damage(file, e));
        }
        try {
            return new Found(status.getModificationTime(), bytes, Holder.parse(file.toString(), bytes), null);
        } catch (IllegalArgumentException | ModelFormatException e) {
            return new Found(status.getModificationTime(), bytes, null, damage(file, e));
        }
    }

    /** What is wrong with a lock file, without its name (the message names it already). */
    private static String damage(Path file, RuntimeException e) {
        String m = JsonFiles.oneLine(e.getMessage());
        return m.startsWith(file + ": ") ? m.substring(file.toString().length() + 2) : m;
    }

    /** Why {@code found} is stale, or null if it is held. */
    private static String staleness(Found found, long now, long defaultLease) {
        if (found.holder() != null && found.holder().host().equals(ThisProcess.HOST)
                && !ThisProcess.alive(found.holder().pid(), found.holder().started())) {
            return "its process " + found.holder().pid() + " is gone";
        }
        long lease = found.holder() == null ? defaultLease : found.holder().leaseMillis();
        return now - found.modified() > lease ? "its lease of " + lease + " ms expired" : null;
    }

    private static String refusal(String named, Path file, Found found, long now, Duration lease) {
        long ago = Math.max(0, now - found.modified()) / 1000;
        Holder h = found.holder();
        if (h == null) {
            return named + " is locked by " + file + ", which names no holder (" + found.damage() + "); written " + ago
                    + " s ago, it is taken over once " + lease.toSeconds() + " s have passed";
        }
        return named + " is locked by a run on host " + h.host() + ", process " + h.pid() + ", since " + h.started()
                + " (lease renewed " + ago + " s ago); wait for it to end or stop it";
    }

    /**
     * Removes the lock file if it is still exactly {@code expected} (bytes and modification time):
     * it is moved to a unique name first, so the check and the removal concern one file whatever
     * others do meanwhile; a different file moved is put back. Returns whether it was removed.
     */
    private static boolean removeIfUnchanged(FileSystem fs, Path file, Found expected) throws IOException {
        Path aside = sibling(file, STALE);
        if (!LockFiles.moveAside(fs, file, aside)) return false;
        Found moved = find(fs, aside);
        if (moved == null) return false; // not ours to lose: nothing else knows its name
        if (moved.modified() == expected.modified() && Arrays.equals(moved.bytes(), expected.bytes())) {
            fs.delete(aside, false);
            return true;
        }
        // Someone's fresh lock: back into place, unless a third run has placed one meanwhile.
        LockFiles.placeIfAbsent(fs, aside, file);
        return false;
    }

    /** The lock file. */
    public Path file() {
        return file;
    }

    /** What the lock file records. */
    Holder holder() {
        return holder;
    }

    /**
     * Why this run no longer holds its lock (it was taken over, or its lock file replaced), if so:
     * a run should check before it writes and stop if present.
     */
    public Optional<String> lost() {
        return Optional.ofNullable(lost);
    }

    /**
     * Renews the lease: sets the modification time if the file still holds this lock, puts it back if
     * it is missing (a racer may have it moved aside for a moment), and otherwise records the loss.
     */
    synchronized void renew() {
        if (closed || lost != null) return;
        try {
            Found found = find(fs, file);
            if (found == null && place(fs, file, bytes)) found = find(fs, file);
            if (found != null && Arrays.equals(found.bytes(), bytes)) {
                fs.setTimes(file, settings.clock().millis(), -1);
                return;
            }
            lost = found == null ? "lock file " + file + " vanished"
                    : found.holder() == null ? "lock file " + file + " was replaced by a damaged one (" + found.damage() + ")"
                    : "lock file " + file + " was taken over by a run on host " + found.holder().host() + ", process "
                            + found.holder().pid() + ", since " + found.holder().started();
            heartbeat.shutdown();
        } catch (IOException | RuntimeException e) {
            // A renewal that fails (HDFS unreachable for a moment) is tried again a quarter lease later;
            // only a whole lease of failures lets another run take over.
        }
    }

    /** Stops renewing and removes the lock file if it is still this lock's. */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Found found = find(fs, file);
        if (found != null && Arrays.equals(found.bytes(), bytes)) removeIfUnchanged(fs, file, found);
        Found claim = claimed == null ? null : find(fs, claimed);
        if (claim != null && Arrays.equals(claim.bytes(), bytes)) removeIfUnchanged(fs, claimed, claim);
    }

    /** This process as a lock names it. */
    static final class ThisProcess {
        static final long PID = ProcessHandle.current().pid();
        static final String HOST = hostName();

        private ThisProcess() {
        }

        private static String hostName() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                String env = System.getenv("HOSTNAME");
                return env == null || env.isBlank() ? "unknown-host" : env;
            }
        }

        /**
         * Whether process {@code pid} of this host is running and is the one that took the lock at
         * {@code started}: a process started after that only reuses a dead holder's pid.
         */
        static boolean alive(long pid, Instant started) {
            Optional<ProcessHandle> p = ProcessHandle.of(pid);
            if (p.isEmpty() || !p.get().isAlive()) return false;
            Optional<Instant> began = p.get().info().startInstant();
            // a second's slack: Linux reports a start time in clock ticks
            return began.isEmpty() || !began.get().isAfter(started.plusSeconds(1));
        }
    }
}
