package org.atmanrl.driver.spark;

import static org.atmanrl.model.Records.with;
import java.io.File;
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
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A starting model for training tests that gets some answers right and some wrong, so GRPO groups
 * have reward variance and the gradient is not zero: the embedded tiny model after a short SFT on
 * one-step sums (the {@link #DIFFICULTY} that the tests' configs name). Built once into
 * target/fixtures and reused.
 */
final class EasyTaskModel {
    static final ArithmeticDifficulty DIFFICULTY = new ArithmeticDifficulty(1, 1, 10, 29, "+");
    /** The same difficulty as a config's data.difficulty. */
    static final String DIFFICULTY_YAML = "{min_operations: 1, max_operations: 1, min_operand: 10, max_operand: 29,"
            + " operators: \"+\"}";
    static final int SFT_STEPS = 120;
    /** OpenBLAS threads the fixture's SFT runs on, whatever ran before it. */
    static final int FIXTURE_BLAS_THREADS = 2;

    private EasyTaskModel() {}

    static synchronized String directory() throws Exception {
        File dir = new File("target/fixtures/easy-sft-" + SFT_STEPS).getAbsoluteFile();
        Path path = new Path(dir.toURI());
        FileSystem fs = HadoopFiles.fileSystem(path, new Configuration());
        if (!fs.exists(path)) {
            // The fixture's bits depend on OpenBLAS's thread count, and the tests before this one in the
            // JVM leave it at their last Spark task's budget: with 1 thread, the fixture gave two tests
            // of SparkTrainingTest a first step without reward variance. Built on a fixed count, it is
            // the same model whichever test builds it.
            int threads = Nd4j.factory().blas().getMaxThreads();
            Nd4j.factory().blas().setMaxThreads(FIXTURE_BLAS_THREADS);
            try (EmbeddedData data = new EmbeddedData(DIFFICULTY, 0, 50);
                 LlamaWeights w = LlamaWeights.random(EmbeddedModel.config(), 0, DataType.FLOAT)) {
                SftConfig config = with(SftConfig.defaults(), "steps", SFT_STEPS, "warmupSteps", 20, "batchSize", 32,
                        "evalEvery", SFT_STEPS, "evalSize", 50);
                new SftTrainer(config, data.encoder, p -> {
                    if (p.testAccuracy() != null) System.out.println("easy fixture: test accuracy " + p.testAccuracy());
                }).train(w, data.train, null, data.test);
                ModelDirectory.save(fs, path, EmbeddedModel.hfConfig(), w, SaveOptions.of(SafetensorsDType.F32),
                        EmbeddedModel.tokenizerFiles());
            } finally {
                Nd4j.factory().blas().setMaxThreads(threads);
            }
        }
        return dir.getPath();
    }
}
