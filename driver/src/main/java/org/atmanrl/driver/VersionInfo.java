package org.atmanrl.driver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the versions this build was made against (filtered in by Maven). */
public final class VersionInfo implements IVersionProvider {
    private static final Properties BUILD = load();

    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String projectVersion() {
        return BUILD.getProperty("version");
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "atmanrl " + projectVersion(),
            "built for Spark " + BUILD.getProperty("spark") + " (Scala " + BUILD.getProperty("scala")
                    + "), ND4J " + BUILD.getProperty("nd4j") + " (" + BUILD.getProperty("nd4j.backend") + ")",
            "running on Java " + Runtime.version()
        };
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = VersionInfo.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties is missing from the driver jar: rebuild with Maven");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
