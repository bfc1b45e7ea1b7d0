package org.atmanrl.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;

/** The command line run in this process with its output captured, as the command tests use it. */
public final class Cli {
    private Cli() {
    }

    /** Exit code, standard output and standard error of one run. */
    public record Outcome(int exitCode, String out, String err) {}

    /** Runs {@code atmanrl ARGS} with empty standard input. */
    public static Outcome run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = Main.commandLine(new ByteArrayInputStream(new byte[0]));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Outcome(cl.execute(args), out.toString(), err.toString());
    }

    /** A user error: {@code exitCode}, and one line on stderr holding every fragment. */
    public static void assertOneLineError(Outcome o, int exitCode, String... fragments) {
        assertEquals(exitCode, o.exitCode(), o.err());
        assertEquals(1, o.err().lines().count(), o.err());
        for (String f : fragments) {
            assertTrue(o.err().contains(f), "'" + f + "' missing from: " + o.err());
        }
    }
}
