package org.atmanrl.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {
    private record Outcome(int exitCode, String out, String err) {}

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private static void assertOneLineUsageError(Outcome o, String... fragments) {
        assertEquals(2, o.exitCode());
        assertEquals(1, o.err().lines().count(), o.err());
        for (String f : fragments) {
            assertTrue(o.err().contains(f), "'" + f + "' missing from: " + o.err());
        }
    }

    @Test
    void helpListsTheSubcommands() {
        Outcome o = run("--help");
        assertEquals(0, o.exitCode());
        assertTrue(o.out().contains("bench"), o.out());
    }

    @Test
    void versionNamesTheProjectVersion() {
        Outcome o = run("--version");
        assertEquals(0, o.exitCode());
        assertTrue(o.out().startsWith("atmanrl " + VersionInfo.projectVersion()), o.out());
    }

    @Test
    void benchHelpStatesTheFlopFormula() {
        Outcome o = run("bench", "--help");
        assertEquals(0, o.exitCode());
        assertTrue(o.out().contains("6*P*B*T + 12*L*B*T^2*H*hd"), o.out());
    }

    @Test
    void missingCommandListsTheCommands() {
        assertOneLineUsageError(run(), "missing command", "bench");
    }

    @Test
    void unknownCommandListsTheCommands() {
        assertOneLineUsageError(run("trian"), "unknown command 'trian'", "allowed: demo, train, eval, sft, grpo, bench");
    }

    @Test
    void unknownOptionListsTheOptions() {
        assertOneLineUsageError(run("bench", "--repeat", "3"), "unknown option '--repeat'", "--repeats");
    }

    @Test
    void badConfigListsTheConfigs() {
        assertOneLineUsageError(run("bench", "--config", "huge"), "'huge'", "tiny, mid, all");
    }

    @Test
    void repeatsMustBePositive() {
        assertOneLineUsageError(run("bench", "--repeats", "0"), "--repeats must be at least 1");
    }

    @Test
    void warmupMustNotBeNegative() {
        assertOneLineUsageError(run("bench", "--warmup", "-1"), "--warmup must be 0 or more");
    }
}
