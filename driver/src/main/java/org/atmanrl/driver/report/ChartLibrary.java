package org.atmanrl.driver.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * Chart.js's UMD build, read from its WebJar on the classpath, so that a page can inline it and
 * open without a network. The build's own header (its MIT licence notice) is part of the text.
 */
final class ChartLibrary {
    private static final String PROPERTIES = "META-INF/maven/org.webjars.npm/chart.js/pom.properties";
    private static volatile String source;

    private ChartLibrary() {
    }

    /** The library's JavaScript, as shipped. */
    static String source() {
        String s = source;
        if (s == null) {
            s = load();
            source = s;
        }
        return s;
    }

    private static String load() {
        ClassLoader loader = ChartLibrary.class.getClassLoader();
        try (InputStream props = loader.getResourceAsStream(PROPERTIES)) {
            if (props == null) throw new IllegalStateException("Chart.js WebJar is not on the classpath (" + PROPERTIES + ")");
            Properties p = new Properties();
            p.load(props);
            String path = "META-INF/resources/webjars/chart.js/" + p.getProperty("version") + "/dist/chart.umd.js";
            try (InputStream js = loader.getResourceAsStream(path)) {
                if (js == null) throw new IllegalStateException("Chart.js WebJar lacks " + path);
                String text = new String(js.readAllBytes(), StandardCharsets.UTF_8);
                // inlined into a <script> element, which this sequence would end early
                if (text.toLowerCase(java.util.Locale.ROOT).contains("</script")) {
                    throw new IllegalStateException(path + " contains </script and cannot be inlined");
                }
                return text;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
