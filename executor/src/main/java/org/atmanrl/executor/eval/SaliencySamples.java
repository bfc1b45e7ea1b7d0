package org.atmanrl.executor.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.atmanrl.executor.rollout.Rollouts;
import org.atmanrl.executor.task.CorrectCompletionSaliency;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.check.Range;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.saliency.AtmanPerturbation;
import org.atmanrl.reward.saliency.CompletionSpans;
import org.atmanrl.reward.saliency.GradientAttribution;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;
import org.atmanrl.reward.data.PromptEncoder;
import org.atmanrl.reward.data.Verdict;

/**
 * A few greedy completions laid open for a person: per problem the completion's tokens, its
 * verdict, where its CoT and answer sit, the fitted mask m* over the CoT (docs/design.md 2.2,
 * fitted as {@link CorrectCompletionSaliency} fits it for the reward), the exhaustive AtMan drops
 * beside it ({@link AtmanPerturbation}), which m* approximates, and the gradient attribution {@code
 * dl/db_j} at {@code b = 0} ({@link GradientAttribution}), the drops' first-order counterpart for
 * one backward pass. What a run report draws as heat maps. Deterministic, as {@link Evaluation} is.
 */
public record SaliencySamples(List<Sample> samples) {
    /** A sample count this large would make a report nobody reads, and the AtMan reference is n passes per sample. */
    public static final int MAX_SAMPLES = 64;
    /** How many samples a run or report may ask for; 0 = none. */
    public static final Range SAMPLES = Range.closed(0, MAX_SAMPLES);

    public SaliencySamples {
        samples = List.copyOf(samples);
    }

    /**
     * One problem's completion. Span positions count completion tokens (not prompt ones); {@code
     * spans}, {@code mask} and {@code atmanDrops} are null where no mask was fitted (a wrong or
     * unparsed answer, or saliency off). {@code gradientAttribution} ({@code dl/db_j} at {@code b =
     * 0}, {@code l} the sum over the answer tokens) is null there too, and also in files written
     * before it existed.
     */
    public record Sample(String problem, String prompt, String reference, List<String> tokens, boolean parsed,
                         boolean correct, String extracted, CompletionSpans spans, double[] mask, double[] atmanDrops,
                         double[] gradientAttribution, SaliencyScore score) {
        public Sample {
            if (problem == null || prompt == null || tokens == null) {
                throw new IllegalArgumentException("problem, prompt and tokens are required");
            }
            tokens = List.copyOf(tokens);
            if (correct && !parsed) throw new IllegalArgumentException("a correct answer must have been parsed");
            if ((spans == null) != (mask == null) || (mask == null) != (atmanDrops == null)) {
                throw new IllegalArgumentException("spans, mask and atman_drops go together: all present or all absent");
            }
            if (spans == null && gradientAttribution != null) {
                throw new IllegalArgumentException("gradient_attribution needs spans");
            }
            if (spans != null) {
                if (spans.answerEnd() > tokens.size()) {
                    throw new IllegalArgumentException("spans end at token " + spans.answerEnd() + " of a completion of "
                            + tokens.size() + " tokens");
                }
                if (mask.length != spans.cotLength() || atmanDrops.length != spans.cotLength()) {
                    throw new IllegalArgumentException("mask (" + mask.length + ") and atman_drops (" + atmanDrops.length
                            + ") must have one value per CoT token (" + spans.cotLength() + ")");
                }
                for (int i = 0; i < mask.length; i++) {
                    if (!(mask[i] >= 0 && mask[i] <= 1)) {
                        throw new IllegalArgumentException("mask[" + i + "] = " + mask[i] + " is not in [0, 1]");
                    }
                    requireFinite("atman_drops", atmanDrops, i);
                }
                if (gradientAttribution != null) {
                    if (gradientAttribution.length != spans.cotLength()) {
                        throw new IllegalArgumentException("gradient_attribution (" + gradientAttribution.length
                                + ") must have one value per CoT token (" + spans.cotLength() + ")");
                    }
                    for (int i = 0; i < gradientAttribution.length; i++) {
                        requireFinite("gradient_attribution", gradientAttribution, i);
                    }
                }
            }
        }

        private static void requireFinite(String name, double[] values, int i) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] = " + values[i] + " is not finite");
            }
        }
    }

    /**
     * The first {@code k} problems of {@code set}: greedy completions of at most {@code
     * maxNewTokens}, masks fitted on the correct ones with {@code saliency}, the AtMan reference
     * at its perturbation factor and the gradient attribution, {@code maxRowsPerPass} rows per
     * forward pass.
     */
    public static SaliencySamples compute(LlamaModel model, SaliencyConfig saliency, PromptEncoder encoder,
                                          ProblemSet set, int k, int maxNewTokens, int maxRowsPerPass) {
        SAMPLES.check("samples", k);
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < Math.min(k, set.size()); i++) problems.add(set.get(i));
        return compute(model, saliency, encoder.tokenizer(), encoder.stopToken(), problems, maxNewTokens,
                maxRowsPerPass);
    }

    /**
     * As above, for {@code problems} encoded by {@code tokenizer} with stop token {@code stop}: what a
     * Spark task runs, which has the tokenizer and the problems but not the data set (barrier mode,
     * docs/design.md 3.5).
     */
    public static SaliencySamples compute(LlamaModel model, SaliencyConfig saliency, Tokenizer tokenizer, int stop,
                                          List<Problem> problems, int maxNewTokens, int maxRowsPerPass) {
        SAMPLES.check("samples", problems.size());
        SaliencyConfig config = saliency.withMaxRowsPerPass(maxRowsPerPass);
        for (Problem p : problems) Evaluation.requireFits(p, maxNewTokens, model.config().maxPositionEmbeddings());
        if (problems.isEmpty()) return new SaliencySamples(List.of());
        List<int[]> completions = Rollouts.generate(model, problems, 1, 0L, SamplingParams.greedy(maxNewTokens, stop),
                maxRowsPerPass);
        List<Verdict> verdicts = new ArrayList<>();
        for (int i = 0; i < problems.size(); i++) {
            verdicts.add(problems.get(i).verify(tokenizer.decode(Rollouts.withoutStop(completions.get(i), stop))));
        }
        CorrectCompletionSaliency.Scores scores = CorrectCompletionSaliency.fit(model, config, tokenizer, problems, 1,
                completions, verdicts);
        // the spans the fit used, found the same way, for the reference and the report
        List<int[]> sequences = new ArrayList<>();
        List<CompletionSpans> spans = new ArrayList<>();
        List<Integer> which = new ArrayList<>();
        for (int i = 0; i < problems.size(); i++) {
            if (scores.perCompletion().get(i) == null) continue;
            Problem p = problems.get(i);
            int[] completion = completions.get(i);
            Optional<CompletionSpans> s = CompletionSpans.locate(tokenizer, p.promptLength(), completion, p.delimiter());
            if (s.isEmpty()) throw new IllegalStateException("a fitted completion lost its spans: " + p.id());
            int[] seq = Arrays.copyOf(p.promptIds(), p.promptLength() + completion.length);
            System.arraycopy(completion, 0, seq, p.promptLength(), completion.length);
            sequences.add(seq);
            spans.add(s.get());
            which.add(i);
        }
        List<double[]> drops = sequences.isEmpty() ? List.of()
                : AtmanPerturbation.drops(model, sequences, spans, config.perturbationFactor(), maxRowsPerPass);
        List<double[]> gradients = GradientAttribution.of(model, sequences, spans, maxRowsPerPass);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < problems.size(); i++) {
            Problem p = problems.get(i);
            int[] completion = completions.get(i);
            List<String> tokens = new ArrayList<>(completion.length);
            for (int id : completion) tokens.add(tokenizer.decode(new int[] {id}));
            Verdict v = verdicts.get(i);
            SaliencyScore score = scores.perCompletion().get(i);
            CompletionSpans relative = null;
            double[] drop = null, gradient = null;
            int at = which.indexOf(i);
            if (at >= 0) {
                CompletionSpans s = spans.get(at);
                int off = p.promptLength();
                relative = new CompletionSpans(s.cotStart() - off, s.cotEnd() - off, s.answerStart() - off,
                        s.answerEnd() - off);
                drop = drops.get(at);
                gradient = gradients.get(at);
            }
            out.add(new Sample(p.id(), p.promptText(), p.reference(), tokens, v.parsed(), v.correct(), v.extracted(),
                    relative, score == null ? null : score.mask(), drop, gradient, score));
        }
        return new SaliencySamples(out);
    }

    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        ArrayNode list = root.putArray("samples");
        for (Sample s : samples) {
            ObjectNode o = list.addObject();
            o.put("problem", s.problem()).put("prompt", s.prompt()).put("reference", s.reference());
            ArrayNode tokens = o.putArray("tokens");
            s.tokens().forEach(tokens::add);
            o.put("parsed", s.parsed()).put("correct", s.correct()).put("extracted", s.extracted());
            if (s.spans() == null) {
                o.putNull("spans");
            } else {
                CompletionSpans sp = s.spans();
                o.putObject("spans").put("cot_start", sp.cotStart()).put("cot_end", sp.cotEnd())
                        .put("answer_start", sp.answerStart()).put("answer_end", sp.answerEnd());
            }
            putNumbers(o, "mask", s.mask());
            putNumbers(o, "atman_drops", s.atmanDrops());
            putNumbers(o, "gradient_attribution", s.gradientAttribution());
            if (s.score() != null) {
                SaliencyScore sc = s.score();
                o.put("necessity", sc.necessity()).put("coverage", sc.coverage()).put("sufficiency", sc.sufficiency())
                        .put("r_sal", sc.reward());
            }
        }
        return root;
    }

    /**
     * Reads {@link #toJson}'s form back; a malformed one fails with an IllegalArgumentException
     * naming the sample and field (e.g. {@code samples[2].mask: ...}).
     */
    public static SaliencySamples fromJson(JsonNode root) {
        JsonNode list = root == null ? null : root.get("samples");
        if (list == null || !list.isArray()) throw new IllegalArgumentException("samples: an array is required");
        if (list.size() > MAX_SAMPLES) {
            throw new IllegalArgumentException("samples: at most " + MAX_SAMPLES + " expected, got " + list.size());
        }
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = "samples[" + i + "]";
            JsonNode o = list.get(i);
            try {
                if (!o.isObject()) throw new IllegalArgumentException("an object is required");
                JsonNode tokens = field(o, "tokens");
                if (!tokens.isArray()) throw new IllegalArgumentException("tokens: an array of strings is required");
                List<String> texts = new ArrayList<>();
                for (JsonNode t : tokens) {
                    if (!t.isTextual()) throw new IllegalArgumentException("tokens: an array of strings is required");
                    texts.add(t.asText());
                }
                CompletionSpans spans = null;
                JsonNode sp = o.path("spans");
                if (!sp.isNull() && !sp.isMissingNode()) {
                    spans = new CompletionSpans(integer(sp, "cot_start"), integer(sp, "cot_end"),
                            integer(sp, "answer_start"), integer(sp, "answer_end"));
                }
                double[] mask = numbers(o, "mask"), drops = numbers(o, "atman_drops");
                double[] gradient = numbers(o, "gradient_attribution"); // absent in files written before it
                SaliencyScore score = null;
                if (o.hasNonNull("r_sal")) {
                    score = new SaliencyScore(mask, Double.NaN, Double.NaN, Double.NaN, number(o, "necessity"),
                            number(o, "coverage"), number(o, "sufficiency"), number(o, "r_sal"));
                }
                out.add(new Sample(text(o, "problem"), text(o, "prompt"), o.path("reference").asText(null), texts,
                        bool(o, "parsed"), bool(o, "correct"), o.path("extracted").asText(null), spans, mask, drops,
                        gradient, score));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
            }
        }
        return new SaliencySamples(out);
    }

    /** An array of numbers, or null for none. */
    private static void putNumbers(ObjectNode o, String name, double[] values) {
        if (values == null) {
            o.putNull(name);
            return;
        }
        ArrayNode a = o.putArray(name);
        for (double x : values) a.add(x);
    }

    private static JsonNode field(JsonNode o, String name) {
        JsonNode n = o.get(name);
        if (n == null || n.isNull()) throw new IllegalArgumentException(name + " is required");
        return n;
    }

    private static String text(JsonNode o, String name) {
        JsonNode n = field(o, name);
        if (!n.isTextual()) throw new IllegalArgumentException(name + ": a string is required, got " + n);
        return n.asText();
    }

    private static boolean bool(JsonNode o, String name) {
        JsonNode n = field(o, name);
        if (!n.isBoolean()) throw new IllegalArgumentException(name + ": true or false is required, got " + n);
        return n.asBoolean();
    }

    private static int integer(JsonNode o, String name) {
        JsonNode n = field(o, name);
        if (!n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new IllegalArgumentException("spans." + name + ": an integer is required, got " + n);
        }
        return n.asInt();
    }

    private static double number(JsonNode o, String name) {
        JsonNode n = field(o, name);
        if (!n.isNumber()) throw new IllegalArgumentException(name + ": a number is required, got " + n);
        return n.asDouble();
    }

    private static double[] numbers(JsonNode o, String name) {
        JsonNode n = o.get(name);
        if (n == null || n.isNull()) return null;
        if (!n.isArray()) throw new IllegalArgumentException(name + ": an array of numbers is required");
        double[] out = new double[n.size()];
        for (int i = 0; i < out.length; i++) {
            if (!n.get(i).isNumber()) {
                throw new IllegalArgumentException(name + "[" + i + "]: a number is required, got " + n.get(i));
            }
            out[i] = n.get(i).asDouble();
        }
        return out;
    }
}
