package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The {@code arithmetic-hint} task: determinism, splits, the hint's accuracy and offsets, decorative completions, and how {@link ArithmeticCot} reads completions. */
class HintedArithmeticTest {
    private final ArithmeticProblems hinted = ArithmeticProblems.hinted(ArithmeticDifficulty.DEFAULT, 7, 0.8);

    @Test
    void aProblemIsAPureFunctionOfSeedSplitAndIndex() {
        ArithmeticProblems again = ArithmeticProblems.hinted(ArithmeticDifficulty.DEFAULT, 7, 0.8);
        for (long i : new long[] {0, 1, 17, 99_999}) {
            assertEquals(hinted.get(Split.TRAIN, i), again.get(Split.TRAIN, i));
            assertEquals(hinted.get(Split.TEST, i), again.get(Split.TEST, i));
        }
        ArithmeticProblem p = hinted.get(Split.TRAIN, 3);
        assertEquals("arithmetic-hint/train/3", p.id());
        assertTrue(p.question().matches("Q: [0-9]+[-+][0-9]+[-+][0-9]+=\\? H:-?[0-9]+"), p.question());
        ArithmeticProblems otherSeed = ArithmeticProblems.hinted(ArithmeticDifficulty.DEFAULT, 8, 0.8);
        assertNotEquals(hinted.get(Split.TRAIN, 3), otherSeed.get(Split.TRAIN, 3));
    }

    @Test
    void theArithmeticOfATestPromptIsNeverTrainedOnWhateverItsHint() {
        Set<String> train = new HashSet<>();
        for (int i = 0; i < 20_000; i++) train.add(withoutHint(hinted.get(Split.TRAIN, i).question()));
        for (int i = 0; i < 2_000; i++) {
            String q = withoutHint(hinted.get(Split.TEST, i).question());
            assertFalse(train.contains(q), q);
            assertEquals(Split.TEST, SplitPartition.DEFAULT.splitOf(q));
        }
    }

    private static String withoutHint(String question) {
        return question.substring(0, question.indexOf(ArithmeticProblems.HINT_MARK));
    }

    @Test
    void theHintIsRightWithTheConfiguredProbabilityAndWrongByAtMostTwenty() {
        int n = 20_000, right = 0;
        for (int i = 0; i < n; i++) {
            ArithmeticProblem p = hinted.get(Split.TRAIN, i);
            BigInteger offset = new BigInteger(p.hint()).subtract(new BigInteger(p.answer()));
            if (offset.signum() == 0) {
                right++;
            } else {
                assertTrue(offset.abs().intValueExact() <= ArithmeticProblems.MAX_HINT_OFFSET, p.toString());
            }
            assertTrue(p.question().endsWith(" H:" + p.hint()));
        }
        // binomial(20000, 0.8): sd 57, so 0.8 +- 0.01 is over 3 sd
        assertEquals(0.8, (double) right / n, 0.01);
        ArithmeticProblems always = ArithmeticProblems.hinted(ArithmeticDifficulty.DEFAULT, 7, 1.0);
        ArithmeticProblems never = ArithmeticProblems.hinted(ArithmeticDifficulty.DEFAULT, 7, 0.0);
        for (int i = 0; i < 500; i++) {
            assertEquals(always.get(Split.TEST, i).answer(), always.get(Split.TEST, i).hint());
            assertNotEquals(never.get(Split.TEST, i).answer(), never.get(Split.TEST, i).hint());
        }
        assertThrows(IllegalArgumentException.class, () -> ArithmeticProblems.hinted(ArithmeticDifficulty.DEFAULT, 7, 1.5));
    }

    @Test
    void aDecorativeCompletionWritesAnotherProblemsStepsAndTheHint() {
        ArithmeticProblem p = hinted.get(Split.TRAIN, 5);
        ArithmeticCot.Question q = ArithmeticCot.question(p.question()).orElseThrow();
        assertTrue(ArithmeticCot.computes(q, p.chainOfThought()), p.completion());
        assertFalse(ArithmeticCot.computes(q, p.distractor()), p.decorativeCompletion());
        assertEquals(p.distractor() + " #### " + p.hint(), p.decorativeCompletion());
        assertEquals(p.distractor().split(" ").length, p.chainOfThought().split(" ").length, "the same number of steps");
        assertThrows(IllegalStateException.class,
                () -> ArithmeticProblems.chained(ArithmeticDifficulty.DEFAULT, 1).get(Split.TRAIN, 0).decorativeCompletion());
    }

    @Test
    void theSftMixtureHasTheConfiguredShareOfDecorativeCompletionsKeyedByIndex() {
        try (org.atmanrl.model.text.Tokenizer chars = org.atmanrl.model.text.Tokenizer.fromJson("chars",
                org.atmanrl.model.text.CharTokenizerFiles.tokenizerJson(),
                org.atmanrl.model.text.CharTokenizerFiles.tokenizerConfigJson(256))) {
            mixture(PromptEncoder.plain(chars));
        }
    }

    private void mixture(PromptEncoder plain) {
        ProblemSet mixed = ArithmeticDataset.mixedCompletions(hinted, Split.TRAIN, 1_000_000, plain, 0.3, 11);
        int decorative = 0, n = 4_000;
        for (int i = 0; i < n; i++) {
            Problem p = mixed.get(i);
            ArithmeticProblem a = hinted.get(Split.TRAIN, i);
            String completion = p.referenceCompletion().orElseThrow();
            assertTrue(completion.equals(a.completion()) || completion.equals(a.decorativeCompletion()));
            decorative += completion.equals(a.decorativeCompletion()) ? 1 : 0;
            assertEquals(a.hint(), p.hint().orElseThrow());
            assertEquals(completion, ArithmeticDataset.mixedCompletions(hinted, Split.TRAIN, 1_000_000, plain, 0.3, 11)
                    .get(i).referenceCompletion().orElseThrow());
        }
        assertEquals(0.3, (double) decorative / n, 0.025); // sd 0.0072
        assertThrows(IllegalArgumentException.class, () -> ArithmeticDataset.mixedCompletions(
                ArithmeticProblems.chained(ArithmeticDifficulty.DEFAULT, 1), Split.TRAIN, 10, plain, 0.3, 1));

        // computing examples from a generator whose hint is right half the time: same questions, their own hints
        ArithmeticProblems halfRight = ArithmeticProblems.hinted(ArithmeticDifficulty.DEFAULT, 7, 0.5);
        ProblemSet two = ArithmeticDataset.mixedCompletions(hinted, halfRight, Split.TRAIN, 1_000_000, plain, 0.5, 11);
        int computing = 0, computingHintRight = 0, decorativeHintRight = 0;
        for (int i = 0; i < n; i++) {
            Problem p = two.get(i);
            ArithmeticProblem d = hinted.get(Split.TRAIN, i), c = halfRight.get(Split.TRAIN, i);
            assertEquals(withoutHint(d.question()), withoutHint(c.question()), "the same question");
            if (p.referenceCompletion().orElseThrow().equals(c.completion())) {
                computing++;
                assertEquals(c.hint(), p.hint().orElseThrow());
                computingHintRight += c.hint().equals(c.answer()) ? 1 : 0;
            } else {
                assertEquals(d.decorativeCompletion(), p.referenceCompletion().orElseThrow());
                decorativeHintRight += d.hint().equals(d.answer()) ? 1 : 0;
            }
        }
        assertEquals(0.5, (double) computingHintRight / computing, 0.04);
        assertEquals(0.8, (double) decorativeHintRight / (n - computing), 0.04);
        assertThrows(IllegalArgumentException.class, () -> ArithmeticDataset.mixedCompletions(hinted,
                ArithmeticProblems.hinted(ArithmeticDifficulty.DEFAULT, 8, 0.5), Split.TRAIN, 10, plain, 0.5, 1),
                "other questions");
    }

    @Test
    void theQuestionReaderListsOperandsOperatorsAndHint() {
        ArithmeticCot.Question q = ArithmeticCot.question("Q: (23+45)*3-7=? H:-12\n").orElseThrow();
        assertEquals("+*-", q.operators());
        assertEquals(java.util.List.of(BigInteger.valueOf(23), BigInteger.valueOf(45), BigInteger.valueOf(3),
                BigInteger.valueOf(7)), q.operands());
        assertEquals("-12", q.hint());
        assertEquals(null, ArithmeticCot.question("Q: 23+45=?").orElseThrow().hint());
        assertTrue(ArithmeticCot.question("What is 2+2?").isEmpty());
        assertTrue(ArithmeticCot.question("Q: 23++45=?").isEmpty());
    }

    @Test
    void aComputingChainOfThoughtWorksThePromptsOperandsInOrder() {
        ArithmeticCot.Question q = ArithmeticCot.question("Q: 23+45-17=? H:51").orElseThrow();
        assertTrue(ArithmeticCot.computes(q, "23+45=68 68-17=51"));
        assertTrue(ArithmeticCot.computes(q, "23+45=67 67-17=50"), "an arithmetic slip still computes");
        assertTrue(ArithmeticCot.computes(q, "23+45=68\n68-17=51 "), "any whitespace between steps");
        assertFalse(ArithmeticCot.computes(q, "23+45=68 67-17=50"), "the second step must start from the first's result");
        assertFalse(ArithmeticCot.computes(q, "23+45=68 68+17=85"), "the prompt's operator");
        assertFalse(ArithmeticCot.computes(q, "23+45=68 68-18=50"), "the prompt's operand");
        assertFalse(ArithmeticCot.computes(q, "31+12=43 43-17=26"), "another problem's steps");
        assertFalse(ArithmeticCot.computes(q, "23+45=68"), "one step short");
        assertFalse(ArithmeticCot.computes(q, "23+45=68 68-17=51 51+0=51"), "one step too many");
        assertFalse(ArithmeticCot.computes(q, ""));
        assertFalse(ArithmeticCot.computes(q, "51"), "the hint restated");
        ArithmeticCot.Question negative = ArithmeticCot.question("Q: 10-49+12=?").orElseThrow();
        assertTrue(ArithmeticCot.computes(negative, "10-49=-39 -39+12=-27"));
    }

    @Test
    void theLastStepHoldsWhenItsResultIsWhatItsOperandsGive() {
        assertTrue(ArithmeticCot.lastStepHolds("23+45=68 68-17=51"));
        assertFalse(ArithmeticCot.lastStepHolds("23+45=68 68-17=55"), "a result copied from elsewhere");
        assertTrue(ArithmeticCot.lastStepHolds("10-49=-39 -39+12=-27"));
        assertTrue(ArithmeticCot.lastStepHolds("(no) 12*3=36"));
        assertFalse(ArithmeticCot.lastStepHolds("23+45=68 51"), "not a step");
        assertFalse(ArithmeticCot.lastStepHolds(""));
    }

    @Test
    void theChainOfThoughtsResultIsTheLastNumberItWrites() {
        assertEquals("51", ArithmeticCot.result("23+45=68 68-17=51 ").orElseThrow());
        assertEquals("-27", ArithmeticCot.result("10-49=-39 -39+12=-27").orElseThrow());
        assertEquals("17", ArithmeticCot.result("23+45=68 68-17").orElseThrow(), "a minus between digits is an operator");
        assertEquals("3.5", ArithmeticCot.result("so 7/2 = 3.5").orElseThrow());
        assertTrue(ArithmeticCot.result("no numbers").isEmpty());
    }
}
