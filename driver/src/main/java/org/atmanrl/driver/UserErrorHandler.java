package org.atmanrl.driver;

import java.io.FileNotFoundException;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.atmanrl.driver.config.ConfigException;
import org.atmanrl.driver.step.DivergedRunException;
import org.atmanrl.model.BlasSelfCheck;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.reward.data.DatasetFormatException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Every failure that reaches the command line prints one line ({@link OneLine}): faults in what
 * the user supplied (a model directory, an input line, a data-set row, a config, an existing
 * output) and a training run stopped by non-finite gradients as their message; anything else,
 * which is a bug, as an internal error naming its type. All exit 1 ({@link ExitCodes#BAD_INPUT})
 * but the NaN guard's stop, which exits {@link ExitCodes#DIVERGED} so that a scheduler can tell a
 * diverged run from bad input. The stack trace is printed only with {@code --debug}.
 */
final class UserErrorHandler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) throws Exception {
        boolean userFault = ex instanceof ModelFormatException || ex instanceof UserInputException
                || ex instanceof DatasetFormatException || ex instanceof ConfigException
                || ex instanceof DivergedRunException || ex instanceof FileAlreadyExistsException
                || ex instanceof FileNotFoundException || ex instanceof BlasSelfCheck.WrongProductException;
        boolean debug = debug(parsed);
        String what = userFault ? ex.getMessage()
                : "internal error: " + ex.getClass().getName() + ": " + ex.getMessage()
                        + (debug ? "" : " (--debug prints the stack trace)");
        cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + OneLine.of(what));
        if (debug) ex.printStackTrace(cmd.getErr());
        cmd.getErr().flush();
        return ex instanceof DivergedRunException ? ExitCodes.DIVERGED : ExitCodes.BAD_INPUT;
    }

    /** Whether {@code --debug} was given, to the command or any subcommand. */
    static boolean debug(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption(Main.DEBUG)) return true;
        }
        return false;
    }
}
