package org.atmanrl.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every failure that reaches the command line is one bounded line; the stack trace only with --debug. */
class OneLineErrorsTest {

    @Test
    void newlinesAreEscapedAndHugeMessagesElided() {
        assertEquals("bad key a\\nb in c\\r.yaml\\u0007", OneLine.of("bad key a\nb in c\r.yaml\u0007"));
        String huge = "got " + "9".repeat(900_000) + " as steps";
        String line = OneLine.of(huge);
        assertTrue(line.length() <= OneLine.MAX + 60, line.length() + " characters");
        assertTrue(line.startsWith("got 999") && line.endsWith("99 as steps"), line);
        assertTrue(line.contains("characters left out"), line);
    }

    private static String[] run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        CommandLine.ParseResult parsed = cl.parseArgs(args);
        int code;
        try {
            code = new UserErrorHandler().handleExecutionException(
                    new IllegalStateException("broken\ninvariant"), cl, parsed);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return new String[] {Integer.toString(code), err.toString()};
    }

    @Test
    void aBugIsOneLineWithoutDebugAndKeepsItsStackTraceWithIt() {
        String[] plain = run("bench");
        assertEquals("1", plain[0]);
        assertEquals(1, plain[1].lines().count(), plain[1]);
        assertTrue(plain[1].startsWith("atmanrl: internal error: java.lang.IllegalStateException: broken\\ninvariant"
                + " (--debug prints the stack trace)"), plain[1]);
        assertFalse(plain[1].contains("\tat "), plain[1]);

        String[] debug = run("bench", "--debug");
        assertTrue(debug[1].contains("\tat "), "--debug on a subcommand prints the stack trace");
        assertTrue(run("--debug", "bench")[1].contains("\tat "), "and before it");
    }

    /** A command that runs out of heap, as a group size of 2e9 once did; the heap itself is not exhausted. */
    @CommandLine.Command(name = "exhaust")
    static final class Exhausts implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            throw new OutOfMemoryError("Java heap space");
        }
    }

    @Test
    void outOfMemoryIsOneLineNamingTheHeapSetting() {
        CommandLine cl = Main.commandLine();
        cl.addSubcommand("exhaust", new Exhausts());
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        int code = Main.execute(cl, new String[] {"exhaust"}, new java.io.PrintStream(bytes, true));
        String err = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, code);
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.startsWith("atmanrl: out of memory (Java heap space)"), err);
        assertTrue(err.contains("ATMANRL_HEAP"), err);
        assertFalse(err.contains("\tat "), err);
    }
}
