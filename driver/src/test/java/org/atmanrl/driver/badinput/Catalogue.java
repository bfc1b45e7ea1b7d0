package org.atmanrl.driver.badinput;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.atmanrl.driver.Main;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.model.io.HadoopFiles;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The bad-input catalogues' harness: a row is a case's name, the command it runs (with the inputs
 * it writes first), what it reads on stdin, the exit code (1 for bad input, 2 for a usage error)
 * and fragments of the message; {@link #check} runs one through the command line and asserts
 * exactly one line on stderr holding every fragment, no stack trace, and the case's directory byte
 * for byte as it was.
 */
final class Catalogue {
    private Catalogue() {
    }

    /** The command of a case, given its directory (where it writes its inputs). */
    interface Command {
        String[] args(CaseDir c) throws Exception;
    }

    /** What a case's command reads on stdin; made when the case runs. */
    interface Stdin {
        InputStream open() throws Exception;
    }

    static final Stdin NO_INPUT = () -> new ByteArrayInputStream(new byte[0]);

    static Arguments row(String name, Command command, int exitCode, String... fragments) {
        return row(name, NO_INPUT, command, exitCode, fragments);
    }

    static Arguments row(String name, Stdin stdin, Command command, int exitCode, String... fragments) {
        return Arguments.of(name, stdin, command, exitCode, List.of(fragments));
    }

    static String[] args(String... args) {
        return args;
    }

    private static Path model;

    /**
     * The tiny model every case starts from (and copies to break), made once per test run in a
     * temporary directory that is removed when the JVM exits.
     */
    static synchronized Path model() throws Exception {
        if (model == null) {
            Path dir = Files.createTempDirectory("catalogue-model");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir)));
            org.apache.hadoop.fs.Path tiny = new org.apache.hadoop.fs.Path(dir.resolve("tiny").toUri());
            EmbeddedModel.create(HadoopFiles.fileSystem(tiny, new Configuration()), tiny, 1);
            model = dir.resolve("tiny");
        }
        return model;
    }

    private static void delete(Path dir) {
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (java.io.IOException e) {
            // a temporary directory left behind is not worth failing the run for
        }
    }

    /** Runs the case {@code name} in its own directory under {@code tmp}, with the tiny {@link #model()}. */
    static void check(Path tmp, String name, Stdin stdin, Command command, int exitCode,
                      List<String> fragments) throws Exception {
        CaseDir c = new CaseDir(Files.createDirectories(tmp.resolve(name.replaceAll("[^A-Za-z0-9]+", "-"))), model());
        String[] args = command.args(c);
        Map<String, String> before = c.snapshot();
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine(stdin.open());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        assertEquals(exitCode, exit, err.toString());
        assertEquals(1, err.toString().strip().lines().count(), "one line: " + err);
        assertFalse(err.toString().contains("\tat "), "no stack trace: " + err);
        for (String f : fragments) assertTrue(err.toString().contains(f), "'" + f + "' not in: " + err);
        assertEquals(before, c.snapshot(), "the case's files were changed or added to");
    }
}
