package org.atmanrl.driver.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.atmanrl.driver.VersionInfo;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where the numbers were measured: versions, ND4J's backend and what its executioner reports
 * about itself (thread counts, BLAS vendor; the keys differ between CPU and CUDA backends, so all
 * scalar entries are kept as reported). The load average at the start tells whether other
 * processes were competing for the cores: ND4J's OpenMP threads busy-wait, so on a shared machine
 * every figure drops and scatters, at times by more than 10x.
 */
record BenchEnvironment(String atmanrlVersion, String javaVersion, String nd4jVersion, String backend,
                        String executioner, int cores, double loadAverage, Map<String, Object> nd4jInfo) {

    static BenchEnvironment capture() {
        Map<String, Object> info = new TreeMap<>();
        for (Map.Entry<Object, Object> e : Nd4j.getExecutioner().getEnvironmentInformation().entrySet()) {
            Object v = e.getValue();
            if (v instanceof Number || v instanceof String || v instanceof Boolean) {
                info.put(String.valueOf(e.getKey()), v);
            }
        }
        return new BenchEnvironment(VersionInfo.projectVersion(), Runtime.version().toString(), loadedNd4jVersion(),
                Nd4j.getBackend().getClass().getName(), Nd4j.getExecutioner().getClass().getName(),
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), info);
    }

    /** ND4J's threads for element-wise and BLAS work, as one phrase. */
    String threads() {
        Object omp = nd4jInfo.get("omp.threads");
        Object blas = nd4jInfo.get("blas.threads");
        if (omp == null && blas == null) {
            return "thread counts not reported";
        }
        String wait = System.getenv("OMP_WAIT_POLICY"), core = System.getenv("OPENBLAS_CORETYPE");
        String spin = System.getenv("OPENBLAS_THREAD_TIMEOUT");
        // the core type decides OpenBLAS's kernels, and so GEMM speed by 2x; the spin, how much of
        // the cores its idle threads take from the Java passes (docs/design.md 6.1)
        return (omp == null ? "?" : omp) + " OpenMP / " + (blas == null ? "?" : blas) + " BLAS threads"
                + ", OMP_WAIT_POLICY=" + (wait == null ? "unset" : wait)
                + ", OPENBLAS_CORETYPE=" + (core == null ? "unset" : core)
                + ", OPENBLAS_THREAD_TIMEOUT=" + (spin == null ? "unset" : spin);
    }

    /** The version in the nd4j-api jar actually loaded, which is what was measured. */
    private static String loadedNd4jVersion() {
        try (InputStream in = Nd4j.class.getResourceAsStream("/META-INF/maven/org.nd4j/nd4j-api/pom.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
