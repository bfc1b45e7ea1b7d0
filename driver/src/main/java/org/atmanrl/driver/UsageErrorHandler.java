package org.atmanrl.driver;

import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * A usage error becomes one line on stderr, naming what was wrong and what is allowed, and exit
 * code 2; picocli's default would print the whole usage text after the message, burying it.
 */
final class UsageErrorHandler implements IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        CommandSpec spec = cmd.getCommandSpec();
        cmd.getErr().println(spec.qualifiedName() + ": " + OneLine.of(describe(ex, spec)));
        return spec.exitCodeOnInvalidInput();
    }

    private static String describe(ParameterException ex, CommandSpec spec) {
        if (ex instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String arg = unmatched.getUnmatched().get(0);
            if (arg.startsWith("-")) {
                return "unknown option '" + arg + "'; allowed: " + options(spec);
            }
            if (!spec.subcommands().isEmpty()) {
                return "unknown command '" + arg + "'; allowed: " + commands(spec);
            }
            return "unexpected argument '" + arg + "'; allowed: " + options(spec);
        }
        String message = ex.getMessage();
        if (!spec.subcommands().isEmpty() && "missing command".equals(message)) {
            return "missing command; allowed: " + commands(spec) + " (see '" + spec.qualifiedName()
                    + " --help')";
        }
        return message + " (see '" + spec.qualifiedName() + " --help')";
    }

    private static String options(CommandSpec spec) {
        List<OptionSpec> options = spec.options();
        return options.stream().map(OptionSpec::longestName).collect(Collectors.joining(", "));
    }

    private static String commands(CommandSpec spec) {
        return String.join(", ", spec.subcommands().keySet());
    }
}
