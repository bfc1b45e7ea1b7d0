package org.atmanrl.driver;

import java.io.FileNotFoundException;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.atmanrl.driver.config.ConfigException;
import org.atmanrl.driver.step.DivergedRunException;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.reward.data.DatasetFormatException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Faults in what the user supplied (a model directory, an input line, a data-set row, a config, an
 * existing output), and a training run stopped by non-finite gradients, print one line and exit 1;
 * anything else is a bug and keeps its stack trace.
 */
final class UserErrorHandler implements IExecutionExceptionHandler {
    static final int EXIT_BAD_INPUT = 1;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) throws Exception {
        if (ex instanceof ModelFormatException || ex instanceof UserInputException || ex instanceof DatasetFormatException
                || ex instanceof ConfigException || ex instanceof DivergedRunException
                || ex instanceof FileAlreadyExistsException || ex instanceof FileNotFoundException) {
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
            return EXIT_BAD_INPUT;
        }
        throw ex;
    }
}
