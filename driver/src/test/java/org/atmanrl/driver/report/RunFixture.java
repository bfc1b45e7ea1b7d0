package org.atmanrl.driver.report;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.atmanrl.driver.spark.RunDirectory;
import org.atmanrl.executor.eval.SaliencySamples;
import org.atmanrl.reward.saliency.CompletionSpans;
import org.atmanrl.reward.saliency.SaliencyScore;

/**
 * A run directory in the form atmanrl train writes, with made-up values: six metric lines (one
 * with an eval object, one with KL), a summary with before/after and a faithfulness object, and
 * three saliency samples (two fitted, one wrong). Its config holds markup that must stay text.
 */
final class RunFixture {
    static final int STEPS = 6;
    static final String CONFIG = "model: /models/<b>sft</b>\noutput: runs/x & y\nseed: 7\n";

    private RunFixture() {
    }

    static Path write(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(RunDirectory.CONFIG), CONFIG);
        StringBuilder m = new StringBuilder();
        for (int s = 1; s <= STEPS; s++) m.append(metricLine(s)).append('\n');
        Files.writeString(dir.resolve(RunDirectory.METRICS), m);
        Files.writeString(dir.resolve(RunDirectory.SUMMARY), """
                {"steps": 6, "seconds": 42.5,
                 "before": {"data_set": "arithmetic", "problems": 20, "correct": 5, "accuracy": 0.25, "mean_saliency": 0.01,
                            "mean_necessity": 0.4, "mean_coverage": 0.2},
                 "after": {"data_set": "arithmetic", "problems": 20, "correct": 9, "accuracy": 0.45, "mean_saliency": 0.05,
                           "mean_necessity": 0.6, "mean_coverage": 0.3},
                 "faithfulness": {"early_answering": {"fractions": [0, 0.5, 1], "agreement": [0.2, 0.6, 1],
                                  "area_over_curve": 0.4}, "adding_mistakes": {"change_rate": 0.35},
                                  "filler_tokens": {"change_rate": 0.1, "accuracy": 0.3}}}
                """);
        Files.writeString(dir.resolve(RunDirectory.SALIENCY_SAMPLES), samples().toJson().toString(),
                StandardCharsets.UTF_8);
        return dir;
    }

    static String metricLine(int s) {
        String eval = s == 3 ? ", \"eval\": {\"accuracy\": 0.35, \"mean_saliency\": 0.03}" : "";
        return String.format(Locale.ROOT, "{\"step\": %d, \"reward\": %.3f, \"reward_std\": 0.2, \"accuracy\": %.3f,"
                + " \"unparsed\": 0.1, \"necessity\": 0.5, \"coverage\": %.3f, \"sufficiency\": 0.7, \"r_sal\": %.4f,"
                + " \"loss\": 0.01, \"kl\": %.4f, \"grad_norm\": %.3f, \"lr\": 1e-5, \"seconds\": {\"generation\": 4.0,"
                + " \"saliency\": 2.5, \"gradient\": 3.0, \"slowest_task\": 5.0, \"tasks\": 2, \"broadcast\": 0.2, \"job\": 6.0,"
                + " \"reduction\": 0.1, \"update\": 0.3, \"step\": 6.6}%s}",
                s, 0.2 + 0.05 * s, 0.2 + 0.04 * s, 0.1 + 0.02 * s, 0.01 * s, 0.001 * s, 1.5 - 0.1 * s, eval);
    }

    static SaliencySamples samples() {
        List<SaliencySamples.Sample> out = new ArrayList<>();
        out.add(fitted("test-0", "12+7=?", "12 + 7 = 19\n#### 19"));
        out.add(fitted("test-1", "<3*4>=?", "3 * 4 = 12 & done\n#### 12"));
        List<String> wrong = chars("5 + 5 = 11\n#### 11");
        out.add(new SaliencySamples.Sample("test-2", "5+5=?", "10", wrong, true, false, "11", null, null, null, null, null));
        return new SaliencySamples(out);
    }

    /** One token per character: the CoT, the delimiter {@code "#### "}, the answer. */
    private static SaliencySamples.Sample fitted(String id, String prompt, String completion) {
        int cotEnd = completion.indexOf("####"), answerStart = cotEnd + 5;
        List<String> tokens = chars(completion);
        double[] mask = new double[cotEnd], drops = new double[cotEnd], gradients = new double[cotEnd];
        for (int i = 0; i < cotEnd; i++) {
            mask[i] = (i * 37 % 11) / 10.0;
            drops[i] = ((i * 13 % 7) - 2) * 0.3;
            gradients[i] = ((i * 5 % 9) - 4) * 0.05;
        }
        return new SaliencySamples.Sample(id, prompt, completion.substring(answerStart), tokens, true, true,
                completion.substring(answerStart), new CompletionSpans(0, cotEnd, answerStart, tokens.size()), mask, drops,
                gradients, new SaliencyScore(mask, -1, -3, -1.5, 0.6, 0.3, 0.8, 0.18));
    }

    private static List<String> chars(String s) {
        List<String> out = new ArrayList<>();
        for (char c : s.toCharArray()) out.add(String.valueOf(c));
        return out;
    }
}
