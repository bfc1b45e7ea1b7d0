package org.atmanrl.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.atmanrl.driver.config.TrainConfig;
import org.atmanrl.driver.spark.SparkSetup;
import org.atmanrl.model.BlasThreads;

/**
 * The submit scripts' security checks, run for real: standalone.sh against a stand-in spark-submit
 * that prints its arguments, kubernetes.sh as a dry run, loopback.sh up to its argument check.
 * Bad secrets and any --conf that would turn authentication or encryption off are refused with
 * one line; a symlinked secret file (as Kubernetes mounts them) and every Java properties syntax
 * are accepted.
 */
class DeployScriptsTest {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final String GOOD = "3f9a1c7e5b2d8064af1e9c3b7d5a2f8e61c04b9d7e3a5f2c8b1d6e0a9f4c7b23";

    @TempDir
    Path tmp;
    Path sparkHome;
    Path jar;

    record Run(int exit, String out, String err) {
    }

    @BeforeEach
    void standIns() throws IOException {
        sparkHome = tmp.resolve("spark");
        Files.createDirectories(sparkHome.resolve("bin"));
        Path submit = sparkHome.resolve("bin/spark-submit");
        Files.writeString(submit, "#!/bin/sh\necho \"spark-submit $*\"\n");
        Files.setPosixFilePermissions(submit, PosixFilePermissions.fromString("rwxr-xr-x"));
        jar = Files.writeString(tmp.resolve("app.jar"), "");
    }

    Path secrets(String name, String text, String mode) throws IOException {
        Path p = Files.writeString(tmp.resolve(name), text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        return p;
    }

    Run run(Map<String, String> env, String script, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve(script).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().putAll(env);
        Path out = tmp.resolve("out.txt"), err = tmp.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), script + " did not finish");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    Run standalone(Path secrets, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("config.yaml"));
        all.addAll(List.of(args));
        return run(Map.of("MASTER", "spark://master:7077", "SPARK_HOME", sparkHome.toString(), "ATMANRL_JAR", jar.toString(),
                "SPARK_SECRETS", secrets.toString()), "deploy/submit/standalone.sh", all.toArray(String[]::new));
    }

    /** Refused, with one line on stderr that says {@code says}, and the secret never shown. */
    static void refused(Run r, String says) {
        assertNotEquals(0, r.exit(), r.out());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains(says), "should say '" + says + "': " + r.err());
        assertFalse(r.err().contains(GOOD) || r.out().contains(GOOD), "the secret is shown");
    }

    /**
     * Barrier mode's drills on the loopback cluster (docs/deployment.md): loopback.sh's --workers and
     * barrier-equals-sync.sh refuse bad input in one line before anything starts, and write nothing
     * over an existing directory; same-tensors.py finds one file and two shards holding the same
     * tensors the same, names a tensor whose bytes differ, and refuses a header that claims more
     * bytes than its bound before reading them.
     */
    @Test
    void barrierDrillsRefuseBadInputAndCompareTensorsAcrossLayouts() throws Exception {
        refused(run(Map.of(), "deploy/cluster/loopback.sh", "--workers", "9"),
                "--workers must be a whole number from 2 to 8, got '9'");
        Path work = Files.createDirectories(tmp.resolve("work"));
        refused(run(Map.of(), "deploy/drills/barrier-equals-sync.sh", tmp.resolve("none").toString(), work.toString()),
                "no config.json there");
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{}");
        refused(run(Map.of(), "deploy/drills/barrier-equals-sync.sh", model.toString(), work.toString()),
                "exists: give a new WORK_DIR");
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("python3", "--version").start().waitFor() == 0,
                "python3 is not installed: same-tensors.py not run");
        byte[] a = {1, 2, 3, 4, 5, 6, 7, 8}, b = {9, 10, 11, 12};
        Path one = Files.createDirectories(tmp.resolve("one")), two = Files.createDirectories(tmp.resolve("two"));
        safetensors(one.resolve("model.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", concat(a, b));
        safetensors(two.resolve("model-00001-of-00002.safetensors"),
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", a);
        Path second = two.resolve("model-00002-of-00002.safetensors");
        safetensors(second, "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", b);
        Run same = sameTensors(one, two);
        assertEquals(0, same.exit(), same.err());
        assertEquals("model: 2 tensors, 12 bytes, the same (1 file(s) against 2)", same.out().strip());
        safetensors(second, "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[] {9, 10, 11, 13});
        Run differ = sameTensors(one, two);
        assertEquals(1, differ.exit(), differ.err());
        assertTrue(differ.out().startsWith("model: 1 of 2 tensors differ, e.g. b"), differ.out());
        Path huge = tmp.resolve("model.safetensors");
        Files.write(huge, new byte[] {0, 0, 0, 0, 0, 1, 0, 0}); // 2^40 header bytes claimed
        Run bad = sameTensors(tmp, one);
        assertEquals(2, bad.exit(), bad.out());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("header of 1099511627776 bytes, more than 100000000"), bad.err());
    }

    private Run sameTensors(Path a, Path b) throws Exception {
        Path out = tmp.resolve("py-out.txt"), err = tmp.resolve("py-err.txt");
        Process p = new ProcessBuilder("python3", ROOT.resolve("deploy/drills/same-tensors.py").toString(), a.toString(),
                b.toString(), "model").redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "same-tensors.py did not finish");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    /** A safetensors file: the header's length (8 bytes, little-endian), the header, the data. */
    private static void safetensors(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8 + h.length + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        Files.write(file, buf.putLong(h.length).put(h).put(data).array());
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] out = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    /**
     * The paper-size drill (docs/models.md) refuses a size it has no preset for and missing shared
     * data in one line each, before any JVM starts.
     */
    @Test
    void paperSizeDrillRefusesBadInputInOneLine() throws Exception {
        String work = tmp.resolve("work").toString();
        refused(run(Map.of("DRILL_TRAIN", "1"), "deploy/drills/paper-size.sh", "8b", work),
                "the size must be 1b or 3b, not '8b'");
        refused(run(Map.of("ATMANRL_SHARED_DATA", tmp.resolve("none").toString()), "deploy/drills/paper-size.sh",
                "3b", work), "(set ATMANRL_SHARED_DATA)");
        assertFalse(Files.exists(tmp.resolve("work")), "nothing written");
    }

    static void accepted(Run r) {
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("spark-submit ") && r.out().contains("--properties-file"), r.out());
    }

    /** A /proc/cpuinfo stand-in with the fields the core-type choice reads. */
    Path cpuinfo(String vendor, int family, String flags) throws IOException {
        return Files.writeString(tmp.resolve("cpuinfo-" + vendor + "-" + family + "-" + Integer.toHexString(flags.hashCode())),
                "processor\t: 0\nvendor_id\t: " + vendor + "\ncpu family\t: " + family + "\nmodel\t\t: 2\n"
                        + "flags\t\t: fpu sse2 " + flags + "\n\nprocessor\t: 1\nvendor_id\t: " + vendor + "\n");
    }

    /** Runs {@code script} in bash after sourcing deploy/lib/openblas-coretype.sh, with {@code env}. */
    Run coretype(Map<String, String> env, String script) throws Exception {
        Path file = Files.writeString(tmp.resolve("coretype.sh"), "source '" + ROOT.resolve("deploy/lib/openblas-coretype.sh")
                + "'\n" + script + "\n");
        return run(env, file.toString()); // an absolute script path: ROOT.resolve keeps it
    }

    /**
     * The OpenBLAS core type (issue 19, docs/design.md 6.1): chosen for a processor the bundled
     * OpenBLAS does not know (AMD family 26, Zen 5, with AVX2), left to OpenBLAS on every other,
     * and never over a value the user set; the launcher and the submit scripts use it.
     */
    @Test
    void theOpenBlasCoreTypeIsChosenWhereTheBundledBuildNeedsIt() throws Exception {
        String zen5 = cpuinfo("AuthenticAMD", 26, "avx avx2 avx512f").toString();
        assertEquals("Haswell", coretype(Map.of(), "atmanrl_openblas_coretype " + zen5).out().strip());
        String zen4 = cpuinfo("AuthenticAMD", 25, "avx avx2 avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16").toString();
        assertEquals("SkylakeX", coretype(Map.of(), "atmanrl_openblas_coretype " + zen4).out().strip());
        for (Path known : List.of(cpuinfo("AuthenticAMD", 25, "avx avx2"), cpuinfo("AuthenticAMD", 25, "avx avx2 avx512f"),
                cpuinfo("GenuineIntel", 6, "avx avx2 avx512f avx512dq avx512bw avx512vl"),
                cpuinfo("AuthenticAMD", 27, "avx"), tmp.resolve("no-such-cpuinfo"))) {
            assertEquals("", coretype(Map.of(), "atmanrl_openblas_coretype " + known).out(), known.toString());
        }
        String show = "atmanrl_openblas_env " + zen5 + "; echo \"${OPENBLAS_CORETYPE:-unset}\"";
        Run chosen = coretype(Map.of(), "unset OPENBLAS_CORETYPE; " + show); // not inherited from this machine
        assertEquals("Haswell", chosen.out().strip(), chosen.err());
        assertEquals("SkylakeX", coretype(Map.of("OPENBLAS_CORETYPE", "SkylakeX"), show).out().strip(), "the user's wins");
        assertTrue(Files.readString(ROOT.resolve("deploy/atmanrl")).lines().anyMatch(l -> l.strip().equals("atmanrl_openblas_env")),
                "the launcher sets it");
        Run submit = run(Map.of("MASTER", "spark://master:7077", "SPARK_HOME", sparkHome.toString(), "ATMANRL_JAR",
                jar.toString(), "SPARK_SECRETS", secrets("s", "spark.authenticate.secret=" + GOOD + "\n", "rw-------")
                        .toString(), "OPENBLAS_CORETYPE", "Zen"), "deploy/submit/standalone.sh", "config.yaml");
        assertTrue(submit.out().contains("spark.executorEnv.OPENBLAS_CORETYPE=Zen"), submit.out() + submit.err());
    }

    /**
     * OpenBLAS's idle spin (docs/design.md 6.1, "BLAS threads that spin"): the launcher's and the
     * submit scripts' environment, the executors' (SparkSetup), the test JVMs' and the image's all
     * set {@link BlasThreads#THREAD_TIMEOUT}, and a value the user set wins.
     */
    @Test
    void everyModelProcessGetsTheShortBlasSpin() throws Exception {
        String value = BlasThreads.THREAD_TIMEOUT, show = "atmanrl_openblas_env; echo \"$OPENBLAS_THREAD_TIMEOUT\"";
        assertEquals(value, coretype(Map.of(), "unset OPENBLAS_THREAD_TIMEOUT; " + show).out().strip());
        assertEquals("30", coretype(Map.of("OPENBLAS_THREAD_TIMEOUT", "30"), show).out().strip(), "the user's wins");
        assertEquals(value, SparkSetup.conf(TrainConfig.defaults().spark(), "t").get("spark.executorEnv.OPENBLAS_THREAD_TIMEOUT"));
        assertTrue(Files.readString(ROOT.resolve("pom.xml")).contains("<OPENBLAS_THREAD_TIMEOUT>" + value + "</OPENBLAS_THREAD_TIMEOUT>"),
                "the test JVMs");
        assertTrue(Files.readString(ROOT.resolve("deploy/docker/Dockerfile")).contains("OPENBLAS_THREAD_TIMEOUT=" + value + " "),
                "the image");
        Run submit = run(Map.of("MASTER", "spark://master:7077", "SPARK_HOME", sparkHome.toString(), "ATMANRL_JAR",
                jar.toString(), "SPARK_SECRETS", secrets("t", "spark.authenticate.secret=" + GOOD + "\n", "rw-------")
                        .toString(), "OPENBLAS_THREAD_TIMEOUT", ""), "deploy/submit/standalone.sh", "config.yaml"); // not this JVM's
        assertTrue(submit.out().contains("spark.executorEnv.OPENBLAS_THREAD_TIMEOUT=" + value), submit.out() + submit.err());
    }

    @Test
    void blankShortAndPredictableSecretsAreRefused() throws Exception {
        refused(standalone(secrets("blank", "spark.authenticate.secret=\n", "rw-------")), "blank");
        refused(standalone(secrets("spaces", "spark.authenticate.secret =   \n", "rw-------")), "blank");
        refused(standalone(secrets("two", "spark.authenticate.secret=ab\n", "rw-------")), "2 characters");
        refused(standalone(secrets("a24", "spark.authenticate.secret=" + "a".repeat(24) + "\n", "rw-------")),
                "24 characters");
        refused(standalone(secrets("a64", "spark.authenticate.secret=" + "a".repeat(64) + "\n", "rw-------")),
                "predictable");
        refused(standalone(secrets("ab64", "spark.authenticate.secret=" + "ab".repeat(32) + "\n", "rw-------")),
                "predictable");
        refused(standalone(secrets("none", "spark.authenticate=true\n", "rw-------")), "no spark.authenticate.secret");
        accepted(standalone(secrets("good", "spark.authenticate.secret=" + GOOD + "\n", "rw-------")));
    }

    @Test
    void everyJavaPropertiesSyntaxIsAccepted() throws Exception {
        for (String line : List.of("spark.authenticate.secret=" + GOOD, "spark.authenticate.secret = " + GOOD,
                "spark.authenticate.secret: " + GOOD, "spark.authenticate.secret " + GOOD,
                "  spark.authenticate.secret\t=\t" + GOOD + "  ", "spark.authenticate.secret=" + GOOD.substring(0, 32) + "\\\n    "
                        + GOOD.substring(32))) {
            accepted(standalone(secrets("syntax", "# the cluster's secret\n! made by openssl rand -hex 32\n\n" + line + "\n",
                    "rw-------")));
        }
        // the last line of a key wins, as in java.util.Properties
        refused(standalone(secrets("twice", "spark.authenticate.secret=" + GOOD + "\nspark.authenticate.secret=ab\n",
                "rw-------")), "2 characters");
    }

    @Test
    void aSymlinkedSecretFileIsResolvedBeforeThePermissionCheck() throws Exception {
        // as Kubernetes mounts a Secret: name -> ..data/name, ..data -> a timestamped directory
        Path mount = Files.createDirectories(tmp.resolve("mount/..2026_12_03"));
        Path real = mount.resolve("spark-secret.properties");
        Files.writeString(real, "spark.authenticate.secret=" + GOOD + "\n");
        Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("r--------"));
        Files.createSymbolicLink(tmp.resolve("mount/..data"), Path.of("..2026_12_03"));
        Path link = Files.createSymbolicLink(tmp.resolve("mount/spark-secret.properties"),
                Path.of("..data/spark-secret.properties"));
        accepted(standalone(link));

        Path open = secrets("open", "spark.authenticate.secret=" + GOOD + "\n", "rw-r--r--");
        refused(standalone(Files.createSymbolicLink(tmp.resolve("open-link"), open)), "owner only");
    }

    /**
     * Issue 18's catalogue, secrets: a secrets file that is not a small regular file is refused by
     * what it is, in one line, before it is read (a link to /dev/zero, a FIFO, a directory, 2 MiB);
     * a path with a newline stays one line.
     */
    @Test
    void aSecretsFileThatIsNotASmallRegularFileIsRefusedByWhatItIs() throws Exception {
        refused(standalone(Files.createSymbolicLink(tmp.resolve("zero"), Path.of("/dev/zero"))),
                "-> /dev/zero) is not a regular file");
        Path fifo = tmp.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Files.setPosixFilePermissions(fifo, PosixFilePermissions.fromString("rw-------"));
        refused(standalone(fifo), "fifo is not a regular file");
        Path dir = Files.createDirectories(tmp.resolve("dir"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        refused(standalone(dir), "dir is a directory");
        refused(standalone(secrets("huge", "# " + "x".repeat(2 << 20) + "\nspark.authenticate.secret=" + GOOD + "\n",
                "rw-------")), "huge is 2097246 bytes; at most 65536");
        refused(standalone(tmp.resolve("a\nb")), "a\\nb: no such file");
    }

    @Test
    void aConfThatTurnsSecurityOffIsRefused() throws Exception {
        Path good = secrets("good", "spark.authenticate.secret=" + GOOD + "\n", "rw-------");
        refused(standalone(good, "--conf", "spark.authenticate=false"), "spark.authenticate=false");
        refused(standalone(good, "--conf", "spark.network.crypto.enabled=no"), "spark.network.crypto.enabled");
        refused(standalone(good, "--conf", "spark.network.crypto.saslFallback=true"), "spark.network.crypto.saslFallback");
        refused(standalone(good, "--conf", "spark.io.encryption.enabled=false"), "spark.io.encryption.enabled");
        refused(standalone(good, "--conf", "spark.authenticate.secret=" + GOOD), "spark.authenticate.secret");
        refused(standalone(secrets("off", "spark.authenticate.secret=" + GOOD + "\nspark.authenticate = false\n",
                "rw-------")), "spark.authenticate=false");
        // a --conf that leaves security alone goes to spark-submit, not to the train command
        Run r = standalone(good, "--conf", "spark.executor.memory=2g", "--resume");
        accepted(r);
        assertTrue(r.out().contains("--conf spark.executor.memory=2g --class"), r.out());
        assertTrue(r.out().strip().endsWith("train --config config.yaml --resume"), r.out());

        refused(run(Map.of("K8S_API", "https://k8s:6443", "IMAGE", "atmanrl:1", "ATMANRL_DRY_RUN", "1"),
                "deploy/submit/kubernetes.sh", "hdfs:///c.yaml", "--conf", "spark.authenticate=false"), "spark.authenticate=false");
        // loopback.sh checks its arguments before it starts anything: the --bogus behind the --conf
        // would stop it too, but only after the --conf had been taken
        refused(run(Map.of(), "deploy/cluster/loopback.sh", "--conf", "spark.network.crypto.enabled=false", "--bogus"),
                "spark.network.crypto.enabled");
    }
}
