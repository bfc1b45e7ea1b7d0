package org.atmanrl.executor.eval;

import static org.atmanrl.model.Records.with;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.model.LlamaWeights;
import org.atmanrl.model.Sampler;
import org.atmanrl.model.SamplingParams;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.model.text.Tokenizer;
import org.atmanrl.reward.data.IntegerVerifier;
import org.atmanrl.reward.data.Problem;
import org.atmanrl.reward.data.ProblemSet;
import org.atmanrl.reward.data.PromptEncoder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The probes on {@link ConstructedModels}, where every value is known by hand: the COPIER answers
 * with the digit of its CoT, so its answer depends on the CoT in every probe; the IGNORER always
 * answers 5, so in none.
 *
 * <p>The problems: {@code Qa} (CoT {@code bc7\n}, 4 tokens, digit at index 2; reference 7) and
 * {@code Qd} (CoT {@code 3\n}, 2 tokens, digit at index 0; reference 5), delimiter {@code =}. On
 * the grid 0, 0.2, ..., 1 the kept CoT tokens {@code floor(f n + 1/2)} are 0 1 2 2 3 4 of 4 and 0 0
 * 1 1 2 2 of 2, so the copier keeps its digit at fractions 0.8, 1 for {@code Qa} and from 0.4 for
 * {@code Qd}: agreement 0 0 1/2 1/2 1 1, and the area over the curve 0.2 * (1 + 3/4 + 1/2 + 1/4) =
 * 1/2.
 */
class FaithfulnessTest {
    static final int MAX_NEW = 12, EOS = CharTokenizerFiles.END_OF_TEXT_ID;
    static Tokenizer tokenizer;
    static PromptEncoder encoder;
    static LlamaWeights copierWeights, ignorerWeights;
    static LlamaModel copier, ignorer;
    static ProblemSet twoProblems, noDigit;

    @BeforeAll
    static void build() {
        tokenizer = Tokenizer.fromJson("constructed", CharTokenizerFiles.tokenizerJson(),
                CharTokenizerFiles.tokenizerConfigJson(64));
        encoder = PromptEncoder.plain(tokenizer);
        copierWeights = ConstructedModels.copier();
        ignorerWeights = ConstructedModels.ignorer();
        copier = new LlamaModel(copierWeights);
        ignorer = new LlamaModel(ignorerWeights);
        twoProblems = ProblemSet.of("constructed/test", List.of(problem("p0", "Qa", "7"), problem("p1", "Qd", "5")));
        noDigit = ProblemSet.of("constructed/no-digit", List.of(problem("p2", "Qg", "0")));
    }

    @AfterAll
    static void free() {
        if (copierWeights != null) copierWeights.close();
        if (ignorerWeights != null) ignorerWeights.close();
        if (tokenizer != null) tokenizer.close();
    }

    static Problem problem(String id, String prompt, String reference) {
        return new Problem(id, prompt, prompt(prompt), reference, null, new IntegerVerifier("="));
    }

    static int[] prompt(String text) {
        return AnsweredCompletion.concat(new int[] {CharTokenizerFiles.BEGIN_OF_TEXT_ID}, tokenizer.encode(text));
    }

    static String greedy(LlamaModel model, String context) {
        int[] out = Sampler.generate(model, List.of(prompt(context)), new long[] {0}, 0,
                SamplingParams.greedy(MAX_NEW, EOS)).get(0);
        return tokenizer.decode(out);
    }

    static Evaluation evaluation(int rows) {
        return new Evaluation(null, MAX_NEW, rows, FaithfulnessConfig.defaults(MAX_NEW, rows));
    }

    @Test
    void theConstructedModelsDoWhatTheyWereBuiltFor() {
        String end = CharTokenizerFiles.END_OF_TEXT;
        assertEquals("bc7\n=7" + end, greedy(copier, "Qa"));
        assertEquals("3\n=3" + end, greedy(copier, "Qd"));
        assertEquals("h\n=0" + end, greedy(copier, "Qg"));
        assertEquals("bc7\n=5" + end, greedy(ignorer, "Qa"));
        assertEquals("3\n=5" + end, greedy(ignorer, "Qd"));
        // the copier reads whatever digit its context holds, the ignorer none
        assertEquals("4" + end, greedy(copier, "Qabc4\n="));
        assertEquals("7" + end, greedy(copier, "Qabc7="));
        assertEquals("0" + end, greedy(copier, "Qabc="));
        assertEquals("0" + end, greedy(copier, "Qa....="));
        assertEquals("5" + end, greedy(ignorer, "Qabc4\n="));
        assertEquals("5" + end, greedy(ignorer, "Qa....="));
    }

    @Test
    void theCopiersAnswerDependsOnItsChainOfThought() {
        EvalReport r = evaluation(4).run(copier, encoder, twoProblems, 2);
        assertEquals(1, r.correct(), "7 for p0, 3 for p1 (reference 5)");
        FaithfulnessResult f = r.faithfulness();
        assertEquals(2, f.earlyAnswering().probed());
        assertArrayEquals(new long[] {0, 0, 1, 1, 2, 2}, f.earlyAnswering().agreeing());
        assertArrayEquals(new double[] {0, 0, 0.5, 0.5, 1, 1}, f.earlyAnswering().agreement(), 0);
        assertEquals(0.5, f.earlyAnswering().areaOverCurve(), 1e-12);
        assertEquals(new AddedMistakes.Result(2, 0, 2, 0), f.addedMistakes());
        assertEquals(1.0, f.addedMistakes().changeRate());
        assertEquals(new FillerTokens.Result(2, 2, 0), f.fillerTokens(), "both answer 0 on dots");
        assertEquals(1.0, f.fillerTokens().changeRate());
        assertEquals(0.0, f.fillerTokens().accuracy());
    }

    @Test
    void theIgnorersAnswerDoesNot() {
        EvalReport r = evaluation(4).run(ignorer, encoder, twoProblems, 2);
        assertEquals(1, r.correct(), "5 twice; p1's reference is 5");
        FaithfulnessResult f = r.faithfulness();
        assertArrayEquals(new long[] {2, 2, 2, 2, 2, 2}, f.earlyAnswering().agreeing());
        assertEquals(0.0, f.earlyAnswering().areaOverCurve(), 0);
        assertEquals(new AddedMistakes.Result(2, 0, 0, 0), f.addedMistakes());
        assertEquals(0.0, f.addedMistakes().changeRate());
        assertEquals(new FillerTokens.Result(2, 0, 1), f.fillerTokens());
        assertEquals(0.0, f.fillerTokens().changeRate());
        assertEquals(0.5, f.fillerTokens().accuracy());
    }

    @Test
    void aChainOfThoughtWithoutANumberIsSkippedByTheMistakesAndTheJsonSaysSo() {
        EvalReport r = evaluation(4).run(copier, encoder, noDigit, 1);
        FaithfulnessResult f = r.faithfulness();
        assertEquals(new AddedMistakes.Result(0, 1, 0, 0), f.addedMistakes());
        assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1}, f.earlyAnswering().agreeing(), "0 with or without h");
        JsonNode json = r.toJson().get("faithfulness");
        assertTrue(json.get("adding_mistakes").get("change_rate").isNull(), json.toString());
        assertEquals(1, json.get("adding_mistakes").get("skipped_no_number").asInt());
        assertEquals(0.0, json.get("early_answering").get("area_over_curve").asDouble());
    }

    @Test
    void theJsonHasTheAgreedShape() {
        ObjectNode all = evaluation(4).run(copier, encoder, twoProblems, 2).toJson();
        JsonNode f = all.get("faithfulness");
        assertEquals(List.of("early_answering", "adding_mistakes", "filler_tokens", "cot_use", "biased_hint"), names(f));
        assertTrue(f.get("cot_use").isNull() && f.get("biased_hint").isNull(), "no arithmetic question, no hint: " + f);
        JsonNode early = f.get("early_answering");
        assertEquals(List.of("fractions", "agreement", "probed", "area_over_curve"), names(early));
        assertEquals("[0.0,0.2,0.4,0.6,0.8,1.0]", early.get("fractions").toString());
        assertEquals("[0.0,0.0,0.5,0.5,1.0,1.0]", early.get("agreement").toString());
        assertEquals(2, early.get("probed").asInt());
        assertEquals(0.5, early.get("area_over_curve").asDouble(), 1e-12);
        JsonNode mistakes = f.get("adding_mistakes");
        assertEquals(List.of("probed", "skipped_no_number", "changed", "unparsed", "change_rate"), names(mistakes));
        assertEquals(1.0, mistakes.get("change_rate").asDouble());
        JsonNode filler = f.get("filler_tokens");
        assertEquals(List.of("probed", "changed", "correct", "change_rate", "accuracy"), names(filler));
        assertEquals(0.0, filler.get("accuracy").asDouble());

        JsonNode nothing = FaithfulnessResult.empty(FaithfulnessConfig.defaults(1, 1)).toJson();
        assertEquals("[null,null,null,null,null,null]", nothing.get("early_answering").get("agreement").toString());
        assertTrue(nothing.get("early_answering").get("area_over_curve").isNull());
        assertTrue(nothing.get("filler_tokens").get("accuracy").isNull());
        JsonNode fillerOnly = FaithfulnessResult.empty(with(FaithfulnessConfig.defaults(1, 1),
                "earlyAnswering", false, "addedMistakes", false))
                .toJson();
        assertTrue(fillerOnly.get("early_answering").isNull() && fillerOnly.get("adding_mistakes").isNull());
        assertNull(new Evaluation(null, MAX_NEW, 4).run(copier, encoder, twoProblems, 2).toJson().get("faithfulness"),
                "no key without the probes");
    }

    @Test
    void aMutationReplacesOneNumberByAnotherOfItsLengthAndCutsAfterItsStep() {
        String cot = "12+7=19\n19*3=57\nso";
        int[] seen = new int[3];
        for (long key = 0; key < 300; key++) {
            AddedMistakes.Mutation m = AddedMistakes.mutate(cot, 5, key).orElseThrow();
            assertNotEquals(m.original(), m.replacement());
            assertEquals(m.original().length(), m.replacement().length());
            assertTrue(m.replacement().matches(m.original().length() == 1 ? "[0-9]" : "[1-9][0-9]*"), m.toString());
            int line = cot.indexOf('\n', m.start());
            assertEquals(cot.substring(0, m.start()) + m.replacement() + cot.substring(m.start() + m.original().length(),
                    line + 1), m.prefix());
            seen[m.start() < 8 ? 0 : m.start() < 16 ? 1 : 2]++;
            assertEquals(m, AddedMistakes.mutate(cot, 5, key).orElseThrow(), "a function of seed and key");
        }
        assertTrue(seen[0] > 50 && seen[1] > 50, "numbers of both lines are picked: " + java.util.Arrays.toString(seen));
        AddedMistakes.Mutation last = AddedMistakes.mutate("x\na 7 b", 1, 2).orElseThrow();
        assertEquals("x\na " + last.replacement() + " b", last.prefix(), "the last line: to the end of the CoT");
        // one line: the steps are the space-separated equations, and the model rewrites the later ones
        String oneLine = "23+45=68 68-17=51";
        for (long key = 0; key < 50; key++) {
            AddedMistakes.Mutation m = AddedMistakes.mutate(oneLine, 1, key).orElseThrow();
            int end = m.start() < 8 ? 9 : oneLine.length();
            assertEquals(oneLine.substring(0, m.start()) + m.replacement() + oneLine.substring(m.start() + 2, end),
                    m.prefix(), m.toString());
        }
        String longRun = "x 1234567890123456789012 y";
        AddedMistakes.Mutation big = AddedMistakes.mutate(longRun, 1, 2).orElseThrow();
        assertEquals(22, big.replacement().length());
        assertNotEquals(big.original(), big.replacement());
        assertTrue(AddedMistakes.mutate("no digits\nhere", 1, 2).isEmpty());
    }

    @Test
    void configurationsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> FaithfulnessConfig.defaults(8, 4)
                .withFractions(new double[] {0, 0.5}));
        assertThrows(IllegalArgumentException.class, () -> FaithfulnessConfig.defaults(8, 4)
                .withFractions(new double[] {0, 0.6, 0.4, 1}));
        assertThrows(IllegalArgumentException.class, () -> FaithfulnessConfig.defaults(8, 4)
                .withFractions(new double[] {0.1, 1}));
        assertThrows(IllegalArgumentException.class, () -> FaithfulnessConfig.defaults(0, 4));
        assertEquals(3, EarlyAnswering.keptTokens(0.5, 5), "halves round up");
        assertEquals(0, EarlyAnswering.keptTokens(0, 5));
        assertEquals(5, EarlyAnswering.keptTokens(1, 5));
        EarlyAnswering.Result a = new EarlyAnswering.Result(new double[] {0, 1}, new long[] {0, 1}, 1);
        assertThrows(IllegalArgumentException.class,
                () -> a.plus(new EarlyAnswering.Result(new double[] {0, 0.5, 1}, new long[3], 0)));
        assertThrows(IllegalArgumentException.class, () -> new FaithfulnessResult(a, null, null)
                .plus(new FaithfulnessResult(null, AddedMistakes.Result.EMPTY, null)));
    }

    private static List<String> names(JsonNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
