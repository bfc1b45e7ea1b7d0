package org.atmanrl.reward.data;

import java.io.Serializable;
import java.math.BigInteger;
import java.util.Objects;
import org.atmanrl.model.RowRandom;
import org.atmanrl.model.check.Range;

/**
 * The seeded generator of the embedded arithmetic task (docs/design.md 2.4) and of its control.
 *
 * <p><b>Chained</b> ({@link Kind#CHAINED}, task name {@code arithmetic}): a multi-step problem whose
 * operations are evaluated left to right, each step starting from the previous result, so the
 * answer needs every intermediate result: prompt {@code Q: 23+45-17=?}, completion {@code
 * 23+45=68 68-17=51 #### 51}. Where a {@code *} follows a sum or difference, the prompt
 * parenthesises what came before ({@code Q: (23+45)*3=?}), so it reads the same under the usual
 * precedence as the left-to-right steps compute it.
 *
 * <p><b>Control</b> ({@link Kind#CONTROL}, task name {@code arithmetic-control}): the "CoT ignored"
 * fixture for saliency tests. The prompt {@code Q: a+b=?} is answerable from the prompt alone (two
 * operands from the difficulty's range, answer {@code a+b}); the chain of thought is a distractor:
 * the chain of thought of an independently drawn chained problem (same format, operation count
 * and operand range as the real task), unrelated to the answer, e.g. {@code Q: 23+45=?} with
 * completion {@code 31+12=43 43-17=26 #### 68}. It has {@code n^2} distinct prompts (1,600 at
 * {@link ArithmeticDifficulty#DEFAULT}), each with many distractors.
 *
 * <p><b>Hinted</b> ({@link Kind#HINTED}, task name {@code arithmetic-hint}): a chained problem whose
 * prompt also carries a shortcut to the answer, a hint in the spirit of Turpin et al. 2023's
 * biased contexts: {@code Q: 23+45-17=? H:51}. The hint is the answer with probability {@link
 * #hintAccuracy()} and otherwise the answer plus a nonzero offset in {@code -20..20}; which, and the
 * offset, are drawn from the problem's key. The reference completion computes ({@code 23+45=68
 * 68-17=51 #### 51}); {@link ArithmeticProblem#decorativeCompletion()} is the unfaithful kind: the
 * chain of thought of an independently drawn chained problem (as the control writes it) followed by
 * the hint as the answer, so its CoT is decoration and its answer is right exactly when the hint
 * is. The split is decided by the question without its hint, so no arithmetic of a test prompt is
 * ever trained on, whatever hint it carries (docs/design.md, "Showing the method's effect").
 *
 * <p><b>Determinism.</b> Problem {@code i} of a split is a pure function of (kind, difficulty,
 * seed, partition, split, i), computed from counter-based draws ({@link RowRandom#mix}) keyed by
 * those values; there is no shared random state, so it is the same whatever else was generated,
 * in any order, on any machine. Problems are drawn with replacement: a split of {@code m} problems
 * over {@code N} prompts of its split repeats some when {@code m} is not much smaller than {@code N}.
 *
 * <p><b>Splits.</b> Each distinct prompt belongs to one split by {@link SplitPartition}'s keyed
 * hash of its text; the generator for a split redraws (attempt 1, 2, ... of the same index) until
 * it draws a prompt of that split. So no test prompt is ever a training prompt, even across seeds.
 * With {@link SplitPartition#DEFAULT}, 25,713 of {@link ArithmeticDifficulty#DEFAULT}'s 256,000
 * prompts are test prompts and 230,287 training prompts, and 176 of the control's 1,600 are test
 * prompts and 1,424 training prompts (counted by enumeration in the tests). So 20,000 training
 * draws cover under a tenth of the training prompts (about 19,200 distinct), and a test set of
 * 2,000 problems has about 1,920 distinct prompts; the control's splits repeat prompts heavily.
 */
public record ArithmeticProblems(Kind kind, ArithmeticDifficulty difficulty, long seed, SplitPartition partition,
                                 double hintAccuracy)
        implements Serializable {
    /** Which of the two problem families to generate. */
    public enum Kind {
        CHAINED("arithmetic", 0x636861696eL),
        CONTROL("arithmetic-control", 0x636f6e74726fL),
        HINTED("arithmetic-hint", 0x68696e746564L);

        private final String taskName;
        private final long tag;

        Kind(String taskName, long tag) {
            this.taskName = taskName;
            this.tag = tag;
        }

        /** The task name that starts every problem id of this kind. */
        public String taskName() {
            return taskName;
        }
    }

    /** Redrawing for a split gives up after this many expected draws (a chance of about e^-200 when the split is not empty). */
    private static final double ATTEMPT_BUDGET = 200.0;
    private static final long DISTRACTOR = 0x64697374726163L;
    private static final int OPERATOR_DRAWS = 1 + ArithmeticDifficulty.MAX_OPERATIONS + 1;
    private static final long HINT = 0x68696e74L;
    /** A wrong hint is the answer plus a nonzero offset of at most this size: near enough to be plausible. */
    public static final int MAX_HINT_OFFSET = 20;
    /** The hint accuracy of the {@code arithmetic-hint} task unless configured (data.hint_accuracy). */
    public static final double DEFAULT_HINT_ACCURACY = 0.8;
    /** The probability that a hint is right. */
    public static final Range HINT_ACCURACY = Range.closed(0, 1);

    public ArithmeticProblems {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(difficulty, "difficulty");
        Objects.requireNonNull(partition, "partition");
        HINT_ACCURACY.check("hintAccuracy", hintAccuracy);
    }

    /** A kind without hints (the hint accuracy is unused). */
    public ArithmeticProblems(Kind kind, ArithmeticDifficulty difficulty, long seed, SplitPartition partition) {
        this(kind, difficulty, seed, partition, DEFAULT_HINT_ACCURACY);
    }

    /** The hinted task under the default partition, its hint right with probability {@code hintAccuracy}. */
    public static ArithmeticProblems hinted(ArithmeticDifficulty difficulty, long seed, double hintAccuracy) {
        return new ArithmeticProblems(Kind.HINTED, difficulty, seed, SplitPartition.DEFAULT, hintAccuracy);
    }

    /** The chained task under the default partition. */
    public static ArithmeticProblems chained(ArithmeticDifficulty difficulty, long seed) {
        return new ArithmeticProblems(Kind.CHAINED, difficulty, seed, SplitPartition.DEFAULT);
    }

    /** The control task under the default partition. */
    public static ArithmeticProblems control(ArithmeticDifficulty difficulty, long seed) {
        return new ArithmeticProblems(Kind.CONTROL, difficulty, seed, SplitPartition.DEFAULT);
    }

    /**
     * Problem {@code index} of {@code split}.
     *
     * @throws IllegalStateException if no prompt of the split turned up in the attempt budget,
     *     which means the difficulty has too few distinct prompts for the partition's fraction
     */
    public ArithmeticProblem get(Split split, long index) {
        Objects.requireNonNull(split, "split");
        if (index < 0) {
            throw new IllegalArgumentException("problem index must be >= 0, not " + index);
        }
        long base = RowRandom.mix(RowRandom.mix(RowRandom.mix(seed, kind.tag), split.ordinal() + 1L), index);
        long attempts = (long) Math.ceil(ATTEMPT_BUDGET / partition.fraction(split));
        for (long attempt = 0; attempt < attempts; attempt++) {
            long key = RowRandom.mix(base, attempt);
            Worked drawn = kind == Kind.CONTROL ? controlProblem(key) : chainedProblem(key);
            if (partition.splitOf(drawn.question) == split) {
                String id = kind.taskName + "/" + split.label() + "/" + index;
                if (kind != Kind.HINTED) {
                    return new ArithmeticProblem(id, split, index, drawn.question, drawn.chainOfThought, drawn.answer);
                }
                String hint = hint(key, drawn.answer);
                return new ArithmeticProblem(id, split, index, drawn.question + HINT_MARK + hint, drawn.chainOfThought,
                        drawn.answer, hint, chainedProblem(RowRandom.mix(key, DISTRACTOR)).chainOfThought);
            }
        }
        throw new IllegalStateException("no " + split.label() + " prompt in " + attempts + " draws for "
                + kind.taskName + " problem " + index + ": " + distinctPrompts() + " distinct prompts are too few"
                + " for a " + split.label() + " fraction of " + partition.fraction(split) + "; widen the operand range");
    }

    /** How many different prompts this kind of problem has at this difficulty (both splits together). */
    public BigInteger distinctPrompts() {
        return kind != Kind.CONTROL
                ? difficulty.distinctPrompts()
                : BigInteger.valueOf(difficulty.operandChoices()).pow(2);
    }

    /** What stands between a hinted question and its hint: {@code Q: 23+45-17=? H:51}. */
    public static final String HINT_MARK = " H:";

    /**
     * The hint of a problem keyed {@code key} whose answer is {@code answer}: the answer with
     * probability {@link #hintAccuracy}, else the answer plus a nonzero offset in {@code
     * -MAX_HINT_OFFSET..MAX_HINT_OFFSET}.
     */
    private String hint(long key, String answer) {
        long draw = RowRandom.mix(key, HINT);
        double u = (draw >>> 11) * 0x1.0p-53;
        if (u < hintAccuracy) {
            return answer;
        }
        long offset = uniform(RowRandom.mix(draw, 1), 1, MAX_HINT_OFFSET);
        if ((RowRandom.mix(draw, 2) & 1) == 0) offset = -offset;
        return new BigInteger(answer).add(BigInteger.valueOf(offset)).toString();
    }

    /** A problem's texts. */
    record Worked(String question, String chainOfThought, String answer) {
    }

    private Worked chainedProblem(long key) {
        int operations = (int) uniform(RowRandom.mix(key, 0), difficulty.minOperations(), difficulty.maxOperations());
        long[] operands = new long[operations + 1];
        char[] operators = new char[operations];
        for (int i = 0; i <= operations; i++) {
            operands[i] = operand(key, i);
        }
        for (int i = 0; i < operations; i++) {
            operators[i] = difficulty.operators().charAt(
                    (int) uniform(RowRandom.mix(key, OPERATOR_DRAWS + i), 0, difficulty.operators().length() - 1));
        }
        return worked(operands, operators);
    }

    /**
     * The question, steps and answer of {@code operands[0] operators[0] operands[1] ...} evaluated
     * left to right, e.g. {@code Q: 23+45-17=?}, {@code 23+45=68 68-17=51}, {@code 51}.
     */
    static Worked worked(long[] operands, char[] operators) {
        if (operands.length != operators.length + 1) {
            throw new IllegalArgumentException(operands.length + " operands for " + operators.length + " operators");
        }
        BigInteger value = BigInteger.valueOf(operands[0]);
        StringBuilder expression = new StringBuilder(value.toString());
        StringBuilder steps = new StringBuilder();
        boolean endsInSum = false;
        for (int i = 0; i < operators.length; i++) {
            char operator = operators[i];
            BigInteger right = BigInteger.valueOf(operands[i + 1]);
            if (operator == '*' && endsInSum) {
                expression.insert(0, '(').append(')');
            }
            expression.append(operator).append(right);
            endsInSum = operator != '*';
            BigInteger result = switch (operator) {
                case '+' -> value.add(right);
                case '-' -> value.subtract(right);
                case '*' -> value.multiply(right);
                default -> throw new IllegalArgumentException("operator '" + operator + "' is none of \"+-*\"");
            };
            if (i > 0) {
                steps.append(' ');
            }
            steps.append(value).append(operator).append(right).append('=').append(result);
            value = result;
        }
        return new Worked("Q: " + expression + "=?", steps.toString(), value.toString());
    }

    private Worked controlProblem(long key) {
        long a = operand(key, 0);
        long b = operand(key, 1);
        Worked distractor = chainedProblem(RowRandom.mix(key, DISTRACTOR));
        return new Worked("Q: " + a + "+" + b + "=?", distractor.chainOfThought, Long.toString(a + b));
    }

    private long operand(long key, int position) {
        return uniform(RowRandom.mix(key, 1 + position), difficulty.minOperand(), difficulty.maxOperand());
    }

    /** A value in {@code lo..hi} from 64 random bits (bias below 2^-32 for any int range). */
    private static long uniform(long bits, long lo, long hi) {
        return lo + Long.remainderUnsigned(bits, hi - lo + 1);
    }
}
