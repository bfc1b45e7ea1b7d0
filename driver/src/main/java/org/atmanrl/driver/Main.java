package org.atmanrl.driver;

import java.util.concurrent.Callable;
import java.io.InputStream;
import org.atmanrl.driver.bench.BenchCommand;
import org.atmanrl.driver.eval.EvalCommand;
import org.atmanrl.driver.inspect.InitModelCommand;
import org.atmanrl.driver.inspect.MergeCommand;
import org.atmanrl.driver.report.ReportCommand;
import org.atmanrl.driver.train.DemoCommand;
import org.atmanrl.driver.train.GrpoCommand;
import org.atmanrl.driver.train.TrainCommand;
import org.atmanrl.driver.train.SftCommand;
import org.atmanrl.driver.inspect.ScoreCommand;
import org.atmanrl.driver.inspect.TokenizeCommand;
import org.atmanrl.driver.sweep.SweepCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code atmanrl} command line; deploy/atmanrl starts it with Spark's JVM flags. */
@Command(name = "atmanrl",
        mixinStandardHelpOptions = true,
        versionProvider = VersionInfo.class,
        description = "Fine-tunes Llama models with GRPO and an AtMan attention-saliency reward on Apache Spark.",
        subcommands = {DemoCommand.class, TrainCommand.class, EvalCommand.class, SftCommand.class, GrpoCommand.class,
            BenchCommand.class, ReportCommand.class, SweepCommand.class, InitModelCommand.class, TokenizeCommand.class,
            ScoreCommand.class, MergeCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
    static final String DEBUG = "--debug";

    @Spec
    private CommandSpec spec;

    @Option(names = DEBUG, scope = ScopeType.INHERIT,
            description = "Print the stack trace of a failure after its one-line message.")
    private boolean debug;

    public static void main(String[] args) {
        System.exit(execute(commandLine(), args, System.err));
    }

    /**
     * Runs {@code cl} on {@code args}; an OutOfMemoryError, which no command handles, becomes one
     * line on {@code err} naming the setting that sizes the heap, and exit code 1.
     */
    static int execute(CommandLine cl, String[] args, java.io.PrintStream err) {
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // one line, as every failure: the heap is the deploy script's ATMANRL_HEAP (-Xmx)
            err.println("atmanrl: out of memory (" + OneLine.of(e.getMessage()) + "): the Java heap is too"
                    + " small for these settings; lower the batch, group or length settings, or raise ATMANRL_HEAP");
            err.flush();
            return ExitCodes.BAD_INPUT;
        }
    }

    /** The configured command line, also what tests drive. */
    public static CommandLine commandLine() {
        return commandLine(System.in);
    }

    /** The command line with {@code stdin} as the input of the commands that read JSON lines. */
    public static CommandLine commandLine(InputStream stdin) {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler(new UsageErrorHandler());
        cl.setExecutionExceptionHandler(new UserErrorHandler());
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommand() instanceof ReadsStdin r) {
                r.stdin(stdin);
            }
        }
        return cl;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command");
    }
}
