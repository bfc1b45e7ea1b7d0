package org.atmanrl.executor.saliency;

import static org.atmanrl.model.Records.with;

import java.net.URISyntaxException;
import java.net.URL;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.executor.sft.SftConfig;
import org.atmanrl.executor.sft.SftTrainer;
import org.atmanrl.executor.data.EmbeddedData;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;
import org.atmanrl.model.io.SafetensorsDType;
import org.atmanrl.model.io.SaveOptions;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The model of the saliency acceptance tests: the embedded tiny model after {@value #SFT_STEPS}
 * SFT steps on the embedded task with a quarter of each batch from its CoT-ignored control, seed 0.
 * Checked in under {@code executor/src/test/resources/fixtures/saliency-sft-900-0.25/} (3 MB)
 * because its training takes 10-30 minutes on 2 cores, two thirds of CI; it was made by
 * {@link #COMMAND}, and {@link SaliencyFixtureRegenerationTest} trains it again with
 * {@link #config()} and checks that the bytes are the same (docs/fixtures.md).
 *
 * <p>{@code -Dsaliency.fixture=DIR} loads another model directory instead, e.g. a candidate
 * replacement, or an untrained model to see the acceptance tests fail.
 */
final class SaliencyFixture {
    static final int SFT_STEPS = 900;
    static final double CONTROL_SHARE = 0.25;
    static final String NAME = "saliency-sft-" + SFT_STEPS + "-" + CONTROL_SHARE;
    /** The command that made the checked-in copy: {@link #config()}, plus its SFT log. */
    static final String COMMAND = "deploy/atmanrl sft --out DIR --steps " + SFT_STEPS + " --control-share "
            + CONTROL_SHARE + " --eval-every " + SFT_STEPS + " --eval-size 200";
    /** The files compared with a regenerated copy: all but sft_log.jsonl, whose timings differ. */
    static final List<String> MODEL_FILES =
            List.of("config.json", ModelDirectory.WEIGHTS, "tokenizer.json", "tokenizer_config.json");
    private static final String RESOURCE = "/fixtures/" + NAME + "/";

    private SaliencyFixture() {
    }

    /**
     * {@link #COMMAND}'s recipe: 900 steps, warm-up 100, a quarter control, greedy accuracy on 200
     * test problems at the end.
     */
    static SftConfig config() {
        return with(SftConfig.defaults(), "steps", SFT_STEPS, "warmupSteps", 100, "controlShare", CONTROL_SHARE,
                "evalEvery", SFT_STEPS, "evalSize", 200);
    }

    /** The checked-in directory (as copied to test-classes), or the one {@code -Dsaliency.fixture} names. */
    static Path directory() {
        String chosen = System.getProperty("saliency.fixture");
        if (chosen != null) return new Path(new java.io.File(chosen).getAbsoluteFile().toURI());
        URL config = SaliencyFixture.class.getResource(RESOURCE + "config.json");
        if (config == null) {
            throw new IllegalStateException("the saliency fixture is missing from the test classpath (" + RESOURCE
                    + "); it is checked in under executor/src/test/resources" + RESOURCE);
        }
        try {
            return new Path(config.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fixture's weights, from {@link #directory()}. */
    static LlamaWeights load() throws Exception {
        Path dir = directory();
        System.out.println("saliency fixture: " + dir);
        return ModelDirectory.load(HadoopFiles.fileSystem(dir, new Configuration()), dir, DataType.FLOAT).weights();
    }

    /** Trains the fixture anew with {@link #config()} on {@code data}'s task into {@code dir} (must not exist). */
    static void train(EmbeddedData data, FileSystem fs, Path dir) throws Exception {
        try (LlamaWeights w = LlamaWeights.random(EmbeddedModel.config(), 0, DataType.FLOAT)) {
            new SftTrainer(config(), data.encoder, p -> {
                if (p.testAccuracy() != null || p.step() % 100 == 0) {
                    System.out.printf("fixture sft: step %d loss %.4f %.0f s %s%n", p.step(), p.loss(), p.seconds(),
                            p.testAccuracy() == null ? "" : "test accuracy " + p.testAccuracy());
                }
            }).train(w, data.train, data.controlTrain, data.test);
            ModelDirectory.save(fs, dir, EmbeddedModel.hfConfig(), w, SaveOptions.of(SafetensorsDType.F32),
                    EmbeddedModel.tokenizerFiles());
        }
    }
}
