package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ArithmeticProblemsTest {
    private static final Pattern DEFAULT_QUESTION = Pattern.compile("Q: (\\d\\d)([+-])(\\d\\d)([+-])(\\d\\d)=\\?");
    private static final Pattern STEP = Pattern.compile("(-?\\d+)([-+*])(\\d+)=(-?\\d+)");

    private final ArithmeticProblems chained = ArithmeticProblems.chained(ArithmeticDifficulty.DEFAULT, 7);
    private final ArithmeticProblems control = ArithmeticProblems.control(ArithmeticDifficulty.DEFAULT, 7);

    @Test
    void defaultProblemsHaveDesignFormatAndTheirAnswerNeedsEveryStep() {
        Set<Integer> operands = new TreeSet<>();
        Set<String> operators = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            ArithmeticProblem p = chained.get(i % 2 == 0 ? Split.TRAIN : Split.TEST, i);
            Matcher q = DEFAULT_QUESTION.matcher(p.question());
            assertTrue(q.matches(), p.question());
            int a = Integer.parseInt(q.group(1));
            int b = Integer.parseInt(q.group(3));
            int c = Integer.parseInt(q.group(5));
            operands.addAll(List.of(a, b, c));
            operators.add(q.group(2));
            operators.add(q.group(4));
            int first = apply(a, q.group(2), b);
            int answer = apply(first, q.group(4), c);
            String expectedCot = a + q.group(2) + b + "=" + first + " " + first + q.group(4) + c + "=" + answer;
            assertEquals(expectedCot, p.chainOfThought(), p.question());
            assertEquals(Integer.toString(answer), p.answer());
            assertEquals(p.answer(), p.reference());
            assertEquals(p.chainOfThought() + " #### " + p.answer(), p.completion());
            assertEquals(p.question() + "\n", p.promptText());
            assertTrue(IntegerVerifier.DEFAULT.verify(p.completion(), p.reference()).correct());
        }
        assertEquals(10, operands.iterator().next(), "smallest operand");
        assertEquals(49, ((TreeSet<Integer>) operands).last(), "largest operand");
        assertEquals(40, operands.size());
        assertEquals(Set.of("+", "-"), operators);
    }

    @Test
    void theDesignExampleIsWrittenExactlyAsInDesign() {
        ArithmeticProblems.Worked w = ArithmeticProblems.worked(new long[] {23, 45, 17}, new char[] {'+', '-'});
        assertEquals(new ArithmeticProblems.Worked("Q: 23+45-17=?", "23+45=68 68-17=51", "51"), w);
        ArithmeticProblem p = new ArithmeticProblem("arithmetic/train/0", Split.TRAIN, 0, w.question(), w.chainOfThought(), w.answer());
        assertEquals("Q: 23+45-17=?\n", p.promptText());
        assertEquals("23+45=68 68-17=51 #### 51", p.completion());
        assertEquals(new ArithmeticProblems.Worked("Q: ((2+3)*4-1)*5=?", "2+3=5 5*4=20 20-1=19 19*5=95", "95"),
                ArithmeticProblems.worked(new long[] {2, 3, 4, 1, 5}, new char[] {'+', '*', '-', '*'}));
        assertEquals(new ArithmeticProblems.Worked("Q: 10-49*2=?", "10-49=-39 -39*2=-78", "-78").chainOfThought(),
                ArithmeticProblems.worked(new long[] {10, 49, 2}, new char[] {'-', '*'}).chainOfThought());
        assertEquals("Q: (10-49)*2=?", ArithmeticProblems.worked(new long[] {10, 49, 2}, new char[] {'-', '*'}).question());
    }

    @Test
    void problemIsAPureFunctionOfSeedSplitAndIndex() {
        List<ArithmeticProblem> forward = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            forward.add(chained.get(Split.TRAIN, i));
        }
        ArithmeticProblems again = ArithmeticProblems.chained(ArithmeticDifficulty.DEFAULT, 7);
        for (int i = 499; i >= 0; i--) {
            again.get(Split.TEST, i); // interleaved other draws change nothing
            assertEquals(forward.get(i), again.get(Split.TRAIN, i));
        }
        assertEquals("arithmetic/train/17", forward.get(17).id());
        assertEquals(17, forward.get(17).index());
        assertEquals("arithmetic-control/test/3", control.get(Split.TEST, 3).id());
        assertEquals(chained.get(Split.TRAIN, 1L << 40), chained.get(Split.TRAIN, 1L << 40));

        ArithmeticProblems otherSeed = ArithmeticProblems.chained(ArithmeticDifficulty.DEFAULT, 8);
        long same = java.util.stream.IntStream.range(0, 500)
                .filter(i -> otherSeed.get(Split.TRAIN, i).question().equals(forward.get(i).question())).count();
        assertTrue(same < 5, same + " of 500 problems equal under another seed");
    }

    @Test
    void testPromptsNeverAppearInTrainingEvenAcrossSeeds() {
        for (ArithmeticProblems task : List.of(chained, ArithmeticProblems.chained(ArithmeticDifficulty.HARDER, 3))) {
            Set<String> train = new HashSet<>();
            for (int i = 0; i < 20_000; i++) {
                ArithmeticProblem p = task.get(Split.TRAIN, i);
                assertEquals(Split.TRAIN, p.split());
                assertEquals(Split.TRAIN, SplitPartition.DEFAULT.splitOf(p.question()));
                train.add(p.question());
            }
            ArithmeticProblems otherSeed = new ArithmeticProblems(task.kind(), task.difficulty(), 99, task.partition());
            for (ArithmeticProblems t : List.of(task, otherSeed)) {
                for (int i = 0; i < 2_000; i++) {
                    ArithmeticProblem p = t.get(Split.TEST, i);
                    assertEquals(Split.TEST, p.split());
                    assertFalse(train.contains(p.question()), p.question() + " is in both splits");
                }
            }
        }
    }

    @Test
    void defaultPartitionPutsTheDocumentedNumberOfPromptsInEachSplit() {
        int test = 0;
        int total = 0;
        for (int a = 10; a <= 49; a++) {
            for (int b = 10; b <= 49; b++) {
                for (int c = 10; c <= 49; c++) {
                    for (String ops : List.of("++", "+-", "-+", "--")) {
                        String q = "Q: " + a + ops.charAt(0) + b + ops.charAt(1) + c + "=?";
                        total++;
                        if (SplitPartition.DEFAULT.splitOf(q) == Split.TEST) {
                            test++;
                        }
                    }
                }
            }
        }
        assertEquals(256_000, total);
        assertEquals(BigInteger.valueOf(total), chained.distinctPrompts());
        assertEquals(25_713, test, "the count documented in ArithmeticProblems");
        int controlTest = 0;
        for (int a = 10; a <= 49; a++) {
            for (int b = 10; b <= 49; b++) {
                controlTest += SplitPartition.DEFAULT.splitOf("Q: " + a + "+" + b + "=?") == Split.TEST ? 1 : 0;
            }
        }
        assertEquals(BigInteger.valueOf(1600), control.distinctPrompts());
        assertEquals(176, controlTest, "the control count documented in ArithmeticProblems");
    }

    @Test
    void everyPromptOfASmallDifficultyIsReachableAndDistinctAsCounted() {
        // 1-2 operations on 1..3 with all operators: 3^2*3 + 3^3*9 = 270 prompts.
        ArithmeticDifficulty small = new ArithmeticDifficulty(1, 2, 1, 3, "+-*");
        assertEquals(BigInteger.valueOf(270), small.distinctPrompts());
        ArithmeticProblems task = new ArithmeticProblems(ArithmeticProblems.Kind.CHAINED, small, 1,
                new SplitPartition(5, 0.5));
        Set<String> seen = new HashSet<>();
        for (Split split : Split.values()) {
            for (int i = 0; i < 6_000; i++) {
                ArithmeticProblem p = task.get(split, i);
                seen.add(p.question());
                // The prompt read with the usual precedence gives the answer the steps computed.
                String expr = p.question().substring(3, p.question().length() - 2);
                assertEquals(Expression.evaluate(expr), new BigInteger(p.answer()), p.question());
                checkSteps(p);
            }
        }
        assertEquals(270, seen.size());
    }

    @Test
    void multiplicationAfterASumIsParenthesised() {
        ArithmeticDifficulty mixed = new ArithmeticDifficulty(3, 3, 2, 9, "+*");
        ArithmeticProblems task = ArithmeticProblems.chained(mixed, 5);
        ArithmeticProblem p = findQuestionMatching(task, "Q: \\(\\(\\d\\+\\d\\)\\*\\d\\+\\d\\)\\*\\d=\\?|Q: \\(\\d\\+\\d\\)\\*\\d\\*\\d=\\?", 5000);
        assertEquals(Expression.evaluate(p.question().substring(3, p.question().length() - 2)), new BigInteger(p.answer()));
        ArithmeticProblem q = findQuestionMatching(task, "Q: \\d\\*\\d\\*\\d\\+\\d=\\?", 5000);
        assertFalse(q.question().contains("("), q.question());
    }

    @Test
    void harderPresetUsesThreeToFiveOperationsOnTwoAndThreeDigitOperands() {
        ArithmeticProblems task = ArithmeticProblems.chained(ArithmeticDifficulty.HARDER, 11);
        Set<Integer> stepCounts = new HashSet<>();
        boolean threeDigits = false;
        for (int i = 0; i < 1000; i++) {
            ArithmeticProblem p = task.get(Split.TRAIN, i);
            int steps = checkSteps(p);
            stepCounts.add(steps);
            for (String operand : p.question().substring(3, p.question().length() - 2).split("[-+]")) {
                int v = Integer.parseInt(operand);
                assertTrue(v >= 10 && v <= 999, p.question());
                threeDigits |= v >= 100;
            }
            assertTrue(IntegerVerifier.DEFAULT.verify(p.completion(), p.reference()).correct());
        }
        assertEquals(Set.of(3, 4, 5), stepCounts);
        assertTrue(threeDigits);
        assertTrue(task.distinctPrompts().compareTo(new BigInteger("30000000000000000000")) > 0);
    }

    @Test
    void controlAnswerComesFromThePromptAloneAndItsChainOfThoughtIsADistractor() {
        Pattern question = Pattern.compile("Q: (\\d\\d)\\+(\\d\\d)=\\?");
        int finalResultIsAnswer = 0;
        int startsWithPromptSum = 0;
        int n = 2000;
        for (int i = 0; i < n; i++) {
            ArithmeticProblem p = control.get(Split.TRAIN, i);
            Matcher m = question.matcher(p.question());
            assertTrue(m.matches(), p.question());
            int a = Integer.parseInt(m.group(1));
            int b = Integer.parseInt(m.group(2));
            assertTrue(a >= 10 && a <= 49 && b >= 10 && b <= 49);
            assertEquals(Integer.toString(a + b), p.answer());
            assertEquals(2, checkSteps(p), "same number of steps as the real task");
            assertEquals(p.chainOfThought() + " #### " + (a + b), p.completion());
            assertTrue(IntegerVerifier.DEFAULT.verify(p.completion(), p.reference()).correct());
            String[] steps = p.chainOfThought().split(" ");
            finalResultIsAnswer += steps[1].endsWith("=" + (a + b)) ? 1 : 0;
            startsWithPromptSum += steps[0].startsWith(a + "+" + b + "=") ? 1 : 0;
        }
        assertTrue(finalResultIsAnswer < n / 30, finalResultIsAnswer + " distractors end in the answer");
        assertTrue(startsWithPromptSum < n / 100, startsWithPromptSum + " distractors restate the prompt");
        // The control's train and test prompts are disjoint too.
        Set<String> train = new HashSet<>();
        for (int i = 0; i < 5000; i++) {
            train.add(control.get(Split.TRAIN, i).question());
        }
        for (int i = 0; i < 500; i++) {
            assertFalse(train.contains(control.get(Split.TEST, i).question()));
        }
    }

    @Test
    void aSplitWithoutPromptsFailsWithAMessageInsteadOfLooping() {
        ArithmeticProblems single = ArithmeticProblems.chained(new ArithmeticDifficulty(1, 1, 0, 0, "+"), 1);
        Split home = SplitPartition.DEFAULT.splitOf("Q: 0+0=?");
        assertEquals("Q: 0+0=?", single.get(home, 0).question());
        Split other = home == Split.TRAIN ? Split.TEST : Split.TRAIN;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> single.get(other, 0));
        assertTrue(e.getMessage().contains("1 distinct prompts are too few"), e.getMessage());
    }

    @Test
    void invalidSettingsAreRejectedSayingWhatIsAllowed() {
        assertMessage(() -> new ArithmeticDifficulty(0, 2, 10, 49, "+-"), "1 <= minOperations <= maxOperations <= 64");
        assertMessage(() -> new ArithmeticDifficulty(3, 2, 10, 49, "+-"), "not 3..2");
        assertMessage(() -> new ArithmeticDifficulty(2, 65, 10, 49, "+-"), "<= 64");
        assertMessage(() -> new ArithmeticDifficulty(2, 2, -1, 49, "+-"), "0 <= minOperand <= maxOperand");
        assertMessage(() -> new ArithmeticDifficulty(2, 2, 50, 49, "+-"), "not 50..49");
        assertMessage(() -> new ArithmeticDifficulty(2, 2, 10, 49, ""), "distinct characters from \"+-*\"");
        assertMessage(() -> new ArithmeticDifficulty(2, 2, 10, 49, "+/"), "not \"+/\"");
        assertMessage(() -> new ArithmeticDifficulty(2, 2, 10, 49, "++"), "not \"++\"");
        assertMessage(() -> new SplitPartition(1, 0.0), "strictly between 0 and 1");
        assertMessage(() -> new SplitPartition(1, 1.0), "strictly between 0 and 1");
        assertMessage(() -> new SplitPartition(1, Double.NaN), "strictly between 0 and 1");
        assertMessage(() -> chained.get(Split.TRAIN, -1), "index must be >= 0");
    }

    @Test
    void anotherPartitionKeyGivesAnotherPartition() {
        SplitPartition other = new SplitPartition(12345, 0.1);
        int differ = 0;
        for (int i = 0; i < 1000; i++) {
            String q = chained.get(Split.TRAIN, i).question();
            differ += other.splitOf(q) != SplitPartition.DEFAULT.splitOf(q) ? 1 : 0;
        }
        assertTrue(differ > 30 && differ < 200, differ + " prompts change split");
        assertNotEquals(SplitPartition.DEFAULT.unitHash("Q: 1+2=?"), other.unitHash("Q: 1+2=?"));
    }

    /** Checks that the steps chain (each starts from the previous result) and are correct; returns their count. */
    private static int checkSteps(ArithmeticProblem p) {
        String[] steps = p.chainOfThought().split(" ", -1);
        BigInteger previous = null;
        for (String step : steps) {
            Matcher m = STEP.matcher(step);
            assertTrue(m.matches(), "step \"" + step + "\" of " + p.completion());
            BigInteger left = new BigInteger(m.group(1));
            BigInteger right = new BigInteger(m.group(3));
            BigInteger result = new BigInteger(m.group(4));
            if (previous != null) {
                assertEquals(previous, left, "a step starts from the previous result: " + p.completion());
            }
            BigInteger expected = switch (m.group(2)) {
                case "+" -> left.add(right);
                case "-" -> left.subtract(right);
                default -> left.multiply(right);
            };
            assertEquals(expected, result, step);
            previous = result;
        }
        if (p.id().startsWith("arithmetic/")) {
            assertEquals(previous.toString(), p.answer(), p.completion());
        }
        return steps.length;
    }

    private static int apply(int a, String op, int b) {
        return op.equals("+") ? a + b : a - b;
    }

    private static ArithmeticProblem findQuestionMatching(ArithmeticProblems task, String regex, int limit) {
        Pattern pattern = Pattern.compile(regex);
        for (int i = 0; i < limit; i++) {
            for (Split s : Split.values()) {
                ArithmeticProblem p = task.get(s, i);
                if (pattern.matcher(p.question()).matches()) {
                    return p;
                }
            }
        }
        throw new AssertionError("no question matching " + regex + " in " + limit + " problems of each split");
    }

    private static void assertMessage(Runnable r, String part) {
        RuntimeException e = assertThrows(RuntimeException.class, r::run);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    /** A small evaluator with the usual precedence (* before + and -, left to right, parentheses). */
    static final class Expression {
        private final String s;
        private int at;

        private Expression(String s) {
            this.s = s;
        }

        static BigInteger evaluate(String s) {
            Expression e = new Expression(s);
            BigInteger v = e.sum();
            assertEquals(s.length(), e.at, "unparsed rest of " + s);
            return v;
        }

        private BigInteger sum() {
            BigInteger v = product();
            while (at < s.length() && (s.charAt(at) == '+' || s.charAt(at) == '-')) {
                char op = s.charAt(at++);
                BigInteger r = product();
                v = op == '+' ? v.add(r) : v.subtract(r);
            }
            return v;
        }

        private BigInteger product() {
            BigInteger v = atom();
            while (at < s.length() && s.charAt(at) == '*') {
                at++;
                v = v.multiply(atom());
            }
            return v;
        }

        private BigInteger atom() {
            if (s.charAt(at) == '(') {
                at++;
                BigInteger v = sum();
                assertEquals(')', s.charAt(at++));
                return v;
            }
            int start = at;
            while (at < s.length() && Character.isDigit(s.charAt(at))) {
                at++;
            }
            return new BigInteger(s.substring(start, at));
        }
    }
}
