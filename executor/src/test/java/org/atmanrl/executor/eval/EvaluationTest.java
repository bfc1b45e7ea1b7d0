package org.atmanrl.executor.eval;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.atmanrl.executor.rollout.Accuracy;
import org.atmanrl.executor.rollout.GreedyEvaluation;
import org.atmanrl.executor.rollout.Rollouts;
import org.atmanrl.executor.data.EmbeddedData;
import org.atmanrl.model.LlamaConfig;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.io.EmbeddedModel;
import org.atmanrl.reward.saliency.CompletionSpans;
import org.atmanrl.reward.saliency.MaskFitter;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.atmanrl.reward.data.ArithmeticDifficulty;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;
import org.atmanrl.reward.data.Verdict;
import org.atmanrl.reward.data.Verifier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Evaluation on a random tiny model whose answers are known: its own greedy completions are
 * generated first, and problems are built on them with a verifier that reads the text after a
 * delimiter taken from the completion, so that some completions are correct, some wrong and some
 * unparsed by construction. Counts, accuracy and the saliency means are then checked against
 * independent computations (GreedyEvaluation, MaskFitter on the same sequences).
 */
class EvaluationTest {
    static final int PROBLEMS = 9, MAX_NEW = 24, ROWS = 4;
    static final SaliencyConfig SALIENCY = with(SaliencyConfig.defaults(), "steps", 3).withMaxRowsPerPass(ROWS);
    static EmbeddedData data;
    static LlamaWeights weights;
    static LlamaModel model;
    static ProblemSet rigged;
    static int stop;

    /** Reads the text after the last {@code delimiter}, stripped; correct when it equals the reference. */
    record AfterDelimiter(String delimiter) implements Verifier {
        @Override
        public Verdict verify(String completion, String reference) {
            int at = completion.lastIndexOf(delimiter);
            String answer = at < 0 ? "" : completion.substring(at + delimiter.length()).strip();
            return answer.isEmpty() ? Verdict.unparsed() : Verdict.parsed(answer, answer.equals(reference));
        }

        @Override
        public String canonicalReference(String reference) {
            return reference;
        }
    }

    @BeforeAll
    static void riggedProblems() {
        data = new EmbeddedData(ArithmeticDifficulty.DEFAULT, 0, PROBLEMS);
        LlamaConfig c = EmbeddedModel.config();
        // HF's init range 0.02 makes a random model repeat one token; 0.5 gives varied text to rig answers on.
        LlamaConfig varied = new LlamaConfig(c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDimOrNull(), c.maxPositionEmbeddings(), c.rmsNormEps(),
                c.ropeTheta(), c.ropeScaling(), c.tieWordEmbeddings(), 0.5);
        weights = LlamaWeights.random(varied, 11, DataType.FLOAT);
        model = new LlamaModel(weights);
        stop = data.encoder.stopToken();
        List<Problem> originals = new ArrayList<>();
        for (int i = 0; i < PROBLEMS; i++) originals.add(data.test.get(i));
        List<int[]> completions = Rollouts.generate(model, originals, 1, 0L, SamplingParams.greedy(MAX_NEW, stop), ROWS);
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < PROBLEMS; i++) {
            Problem p = originals.get(i);
            int[] completion = completions.get(i);
            String text = data.tokenizer.decode(Rollouts.withoutStop(completion, stop));
            String withStop = data.tokenizer.decode(completion);
            // i % 3: 0 correct, 1 wrong, 2 unparsed ('@' is no character of the vocabulary)
            String delimiter = i % 3 == 2 ? "@@" : delimiterIn(text, withStop);
            String answer = i % 3 == 2 ? "x" : text.substring(text.lastIndexOf(delimiter) + delimiter.length()).strip();
            String reference = i % 3 == 1 ? answer + "-not" : answer;
            problems.add(new Problem("rigged/" + i, p.promptText(), p.promptIds(), reference, null,
                    new AfterDelimiter(delimiter)));
        }
        rigged = ProblemSet.of("rigged/test", problems);
    }

    /**
     * Two characters of the completion, from its middle back, whose last occurrence leaves a
     * non-blank answer, and which CompletionSpans finds at the same place in the text decoded with
     * the stop token. From the middle, so that there is a CoT before them.
     */
    static String delimiterIn(String text, String withStop) {
        for (int k = Math.max(0, text.length() / 2 - 1); k >= 0; k--) {
            String d = text.substring(k, k + 2);
            int last = text.lastIndexOf(d);
            if (!text.substring(last + 2).isBlank() && withStop.lastIndexOf(d) == last) {
                return d;
            }
        }
        throw new AssertionError("no usable delimiter in the random model's completion \"" + text + "\"");
    }

    /**
     * The correct completions (problems 0, 3, 6) as prompt + completion, generated and located
     * independently of the code under test; their spans are added to {@code spans}.
     */
    static List<int[]> correctSequences(List<CompletionSpans> spans) {
        List<int[]> sequences = new ArrayList<>();
        List<Problem> all = new ArrayList<>();
        for (int i = 0; i < PROBLEMS; i++) all.add(rigged.get(i));
        List<int[]> completions = Rollouts.generate(model, all, 1, 0L, SamplingParams.greedy(MAX_NEW, stop), 256);
        for (int i = 0; i < PROBLEMS; i += 3) {
            Problem p = all.get(i);
            int[] c = completions.get(i);
            Optional<CompletionSpans> s = CompletionSpans.locate(data.tokenizer, p.promptLength(), c, p.delimiter());
            int[] seq = Arrays.copyOf(p.promptIds(), p.promptLength() + c.length);
            System.arraycopy(c, 0, seq, p.promptLength(), c.length);
            sequences.add(seq);
            spans.add(s.orElseThrow());
        }
        return sequences;
    }

    @AfterAll
    static void free() {
        if (weights != null) weights.close();
        if (data != null) data.close();
    }

    @Test
    void countsAddUpAndAccuracyIsGreedyEvaluations() {
        EvalReport r = new Evaluation(SALIENCY, MAX_NEW, ROWS).run(model, data.encoder, rigged, PROBLEMS);
        assertEquals("rigged/test", r.dataSet());
        assertEquals(PROBLEMS, r.problems());
        assertEquals(3, r.correct(), "problems 0, 3, 6 are right by construction");
        assertEquals(3, r.unparsed(), "problems 2, 5, 8 have no delimiter");
        Accuracy independent = GreedyEvaluation.accuracy(model, data.tokenizer, rigged, PROBLEMS, MAX_NEW, stop, 256);
        assertEquals(independent.correct(), r.correct());
        assertEquals(independent.total() - independent.parsed(), r.unparsed());
        assertEquals(independent.value(), r.accuracy(), 1e-15);
        assertEquals(3, r.fitted(), "every correct completion has its spans");

        EvalReport fewer = new Evaluation(null, MAX_NEW, ROWS).run(model, data.encoder, rigged, 4);
        assertEquals(4, fewer.problems(), "only the first n");
        assertEquals(2, fewer.correct());
        assertEquals(1, fewer.unparsed());
    }

    @Test
    void saliencyMeansAreMaskFittersOnTheSameCompletions() {
        EvalReport r = new Evaluation(SALIENCY, MAX_NEW, ROWS).run(model, data.encoder, rigged, PROBLEMS);
        List<CompletionSpans> spans = new ArrayList<>();
        List<int[]> sequences = correctSequences(spans);
        MaskFitter.Batch own = new MaskFitter(model, SALIENCY).score(sequences, spans);
        List<SaliencyScore> s = own.scores();
        double n = 0, c = 0, suff = 0, sal = 0;
        for (SaliencyScore score : s) {
            n += score.necessity();
            c += score.coverage();
            suff += score.sufficiency();
            sal += score.reward();
        }
        assertEquals(n / 3, r.meanNecessity(), 1e-9);
        assertEquals(c / 3, r.meanCoverage(), 1e-9);
        assertEquals(suff / 3, r.meanSufficiency(), 1e-9);
        assertEquals(sal / 3, r.meanSaliencyOfCorrect(), 1e-9);
        assertEquals(sal / PROBLEMS, r.meanSaliency(), 1e-9, "0 for the wrong and unparsed ones");
        assertEquals(own.collapsed(), r.masksCollapsed());
        assertTrue(r.meanCoverage() > 0 && r.meanCoverage() < 1, "a fitted mask: " + r.meanCoverage());
    }

    @Test
    void twoRunsGiveTheSameReport() {
        Evaluation e = new Evaluation(SALIENCY, MAX_NEW, ROWS);
        EvalReport a = e.run(model, data.encoder, rigged, PROBLEMS), b = e.run(model, data.encoder, rigged, PROBLEMS);
        assertEquals(withoutTime(a), withoutTime(b));
    }

    @Test
    void withoutSaliencyNothingIsFittedAndTheJsonSaysNotMeasured() {
        EvalReport r = new Evaluation(null, MAX_NEW, ROWS).run(model, data.encoder, rigged, PROBLEMS);
        assertEquals(0, r.fitted());
        assertEquals(3, r.correct());
        ObjectNode json = r.toJson();
        assertEquals("rigged/test", json.get("data_set").asText());
        assertEquals(PROBLEMS, json.get("problems").asInt());
        assertEquals(3, json.get("correct").asInt());
        assertEquals(3.0 / PROBLEMS, json.get("accuracy").asDouble(), 1e-15);
        assertEquals(3, json.get("unparsed").asInt());
        assertTrue(json.get("mean_necessity").isNull(), json.toString());
        assertTrue(json.get("mean_saliency").isNull(), "correct completions were not measured: " + json);
        assertFalse(json.get("masks_collapsed").asBoolean());
        assertTrue(json.get("seconds").asDouble() > 0);

        ObjectNode fitted = new Evaluation(SALIENCY, MAX_NEW, ROWS).run(model, data.encoder, rigged, PROBLEMS).toJson();
        assertEquals(List.of("data_set", "problems", "correct", "accuracy", "unparsed", "fitted", "mean_necessity",
                "mean_coverage", "mean_sufficiency", "mean_saliency", "mean_saliency_of_correct", "masks_collapsed",
                "seconds"), fieldNames(fitted));
        assertTrue(fitted.get("mean_coverage").isDouble(), fitted.toString());
    }

    @Test
    void aPromptTooLongForTheModelIsNamedBeforeGenerating() {
        Evaluation e = new Evaluation(null, EmbeddedModel.MAX_POSITIONS, ROWS);
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> e.run(model, data.encoder, rigged, PROBLEMS));
        assertTrue(x.getMessage().contains("rigged/0") && x.getMessage().contains("max_position_embeddings 256"),
                x.getMessage());
    }

    private static EvalReport withoutTime(EvalReport r) {
        return new EvalReport(r.dataSet(), r.problems(), r.correct(), r.unparsed(), r.fitted(), r.meanNecessity(),
                r.meanCoverage(), r.meanSufficiency(), r.meanSaliency(), r.meanSaliencyOfCorrect(), r.masksCollapsed(), 0);
    }

    private static List<String> fieldNames(ObjectNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
