package org.atmanrl.driver.inspect;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.TokenBatch;
import org.atmanrl.model.io.ModelDirectory;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code atmanrl score}: per-token log-probabilities of token sequences under a model. */
@Command(name = "score",
        sortOptions = false,
        description = {
            "Scores JSON lines of token ids on stdin with a model directory (fp32).",
            "",
            "  {\"ids\": [t0, t1, ..., tn]}  ->  {\"logprobs\": [l1, ..., ln]}",
            "",
            "Here l_i = log p(t_i | t0 .. t_{i-1}), a natural log. The first token has no",
            "prefix, so there is one value fewer than ids. It writes one output line per",
            "input line, in order, and copies the other fields through. Pipe the output",
            "of 'atmanrl tokenize' in to score text.",
            ""},
        footer = {
            "",
            "Example:",
            "  echo '{\"text\": \"2+2=4\"}' | atmanrl tokenize --model DIR \\",
            "      | atmanrl score --model DIR",
            ""})
public final class ScoreCommand extends ModelJsonLinesCommand {
    @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
            description = "Score N sequences together in one forward pass (default: ${DEFAULT-VALUE}).")
    private int batch;

    @Override
    public Integer call() throws Exception {
        if (batch < 1) {
            throw new ParameterException(spec.commandLine(), "--batch must be at least 1, got " + batch);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (ModelDirectory.Loaded loaded = ModelDirectory.load(model.fileSystem(), model.path(), DataType.FLOAT)) {
            LlamaModel llama = new LlamaModel(loaded.weights());
            LlamaConfig config = loaded.config().model();
            JsonLinesInput input = input();
            List<JsonLinesInput.Line> lines = new ArrayList<>();
            List<int[]> seqs = new ArrayList<>();
            for (JsonLinesInput.Line line = input.next(); ; line = input.next()) {
                if (line != null) {
                    int[] ids = line.ids("ids", config.vocabSize());
                    if (ids.length > config.maxPositionEmbeddings()) {
                        throw line.fault(ids.length + " ids exceed the model's max_position_embeddings ("
                                + config.maxPositionEmbeddings() + ")");
                    }
                    lines.add(line);
                    seqs.add(ids);
                }
                if (lines.size() == batch || (line == null && !lines.isEmpty())) {
                    emit(llama, lines, seqs, out);
                    lines.clear();
                    seqs.clear();
                }
                if (line == null) {
                    break;
                }
            }
        }
        out.flush();
        return 0;
    }

    /** Scores one batch; sequences of fewer than two tokens have nothing to score. */
    private static void emit(LlamaModel llama, List<JsonLinesInput.Line> lines, List<int[]> seqs, PrintWriter out) {
        List<int[]> scorable = seqs.stream().filter(s -> s.length >= 2).toList();
        double[] logProbs = scorable.isEmpty() ? new double[0] : llama.logProbs(TokenBatch.forScoring(scorable), null);
        int width = scorable.stream().mapToInt(s -> s.length - 1).max().orElse(0);
        int row = 0;
        for (int i = 0; i < lines.size(); i++) {
            ObjectNode result = lines.get(i).passThrough("logprobs");
            ArrayNode a = result.putArray("logprobs");
            int[] s = seqs.get(i);
            if (s.length >= 2) {
                // The model computes in fp32: print float precision, not the double's noise digits.
                for (int t = 0; t < s.length - 1; t++) a.add((float) logProbs[row * width + t]);
                row++;
            }
            out.println(JsonLinesInput.write(result));
        }
        out.flush();
    }
}
