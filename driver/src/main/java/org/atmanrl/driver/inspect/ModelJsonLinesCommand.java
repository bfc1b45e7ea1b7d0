package org.atmanrl.driver.inspect;

import java.io.InputStream;
import java.util.concurrent.Callable;
import org.atmanrl.driver.ReadsStdin;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What the inspection commands share: a {@code --model DIR} and JSON lines on stdin. */
abstract class ModelJsonLinesCommand implements Callable<Integer>, ReadsStdin {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelDirOption model;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    private InputStream in = System.in;

    @Override
    public final void stdin(InputStream in) {
        this.in = in;
    }

    JsonLinesInput input() {
        return new JsonLinesInput(in);
    }
}
