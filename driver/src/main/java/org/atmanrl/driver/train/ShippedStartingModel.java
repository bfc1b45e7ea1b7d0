package org.atmanrl.driver.train;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelDirectory;

/**
 * The demo's starting model, shipped inside the driver jar: the embedded tiny model after SFT on
 * the hinted task's mixture of computing and decorative completions (docs/design.md 2.5), as a
 * Hugging Face directory with its SFT log. Shipped because that SFT takes 800 steps, about 11-15
 * minutes on 2 cores, which alone would break the demo's 15-minute budget; it was made by
 * {@link #COMMAND}, and {@code demo --train-sft} trains it anew instead.
 */
public final class ShippedStartingModel {
    /** The command that made it (every other sft option at its default: 800 steps, seed 0, hints right 80%, half decorative, computing hints right 50%). */
    static final String COMMAND = "deploy/atmanrl sft --out DIR --task arithmetic-hint";
    private static final String RESOURCE = "/org/atmanrl/driver/train/sft-hint/";
    static final List<String> FILES = List.of("config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", "sft_log.jsonl");

    private ShippedStartingModel() {
    }

    /** Writes the model to {@code dir}, which must not exist: all files under a temporary sibling, then one rename. */
    public static void writeTo(FileSystem fs, Path dir) throws IOException {
        ModelDirectory.requireAbsent(fs, dir);
        HadoopFiles.writeAtomically(fs, dir, tmp -> {
            fs.mkdirs(tmp);
            byte[] buffer = new byte[1 << 16];
            for (String name : FILES) {
                try (InputStream in = ShippedStartingModel.class.getResourceAsStream(RESOURCE + name)) {
                    if (in == null) {
                        throw new IOException("the shipped starting model lacks " + name + " (a build without"
                                + " driver/src/main/resources?); use demo --train-sft");
                    }
                    try (OutputStream out = fs.create(new Path(tmp, name), false)) {
                        for (int n; (n = in.read(buffer)) > 0; ) out.write(buffer, 0, n);
                    }
                }
            }
        });
    }
}
