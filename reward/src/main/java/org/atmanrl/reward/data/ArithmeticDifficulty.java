package org.atmanrl.reward.data;

import java.io.Serializable;
import java.math.BigInteger;
import java.util.Objects;
import org.atmanrl.model.check.Range;

/**
 * How hard the embedded arithmetic problems are: each has between {@code minOperations} and
 * {@code maxOperations} chained operations (uniformly many), on operands drawn uniformly from
 * {@code minOperand..maxOperand}, each operator drawn uniformly from {@code operators} (a string of
 * distinct characters from {@code +}, {@code -}, {@code *}). Intermediate results and the answer
 * may be negative ({@code 10-49=-39}).
 *
 * <p>The number of distinct prompts is {@code sum over k of n^(k+1) * |operators|^k} with {@code
 * n = maxOperand - minOperand + 1}: every choice of operands and operators writes a different
 * prompt. {@link #DEFAULT} has 40^3 * 2^2 = 256,000; {@link #HARDER} about 3.0e19 (990^4*8 + 990^5*16 + 990^6*32).
 */
public record ArithmeticDifficulty(int minOperations, int maxOperations, int minOperand, int maxOperand, String operators)
        implements Serializable {
    /** The largest number of operations per problem. */
    public static final int MAX_OPERATIONS = 64;
    /** The operators a problem may use. */
    public static final String ALL_OPERATORS = "+-*";
    /** The bounds of {@code minOperations} and {@code maxOperations}, and of the operands. */
    public static final Range OPERATIONS = Range.closed(1, MAX_OPERATIONS), OPERANDS = Range.atLeast(0);

    /**
     * The calibration of docs/design.md 2.4: {@code Q: 23+45-17=?}, operands 10-49, exactly two
     * chained operations, {@code +} and {@code -}; 256,000 distinct prompts.
     */
    public static final ArithmeticDifficulty DEFAULT = new ArithmeticDifficulty(2, 2, 10, 49, "+-");

    /** Three to five operations on two- and three-digit operands (10-999), {@code +} and {@code -}. */
    public static final ArithmeticDifficulty HARDER = new ArithmeticDifficulty(3, 5, 10, 999, "+-");

    public ArithmeticDifficulty {
        if (!OPERATIONS.contains(minOperations) || !OPERATIONS.contains(maxOperations) || minOperations > maxOperations) {
            throw new IllegalArgumentException("operations must satisfy " + (int) OPERATIONS.min()
                    + " <= minOperations <= maxOperations <= " + (int) OPERATIONS.max() + ", not " + minOperations + ".."
                    + maxOperations);
        }
        if (!OPERANDS.contains(minOperand) || minOperand > maxOperand) {
            throw new IllegalArgumentException("operands must satisfy " + (int) OPERANDS.min()
                    + " <= minOperand <= maxOperand, not " + minOperand + ".." + maxOperand);
        }
        Objects.requireNonNull(operators, "operators");
        if (operators.isEmpty() || !operators.chars().allMatch(c -> ALL_OPERATORS.indexOf(c) >= 0)
                || operators.chars().distinct().count() != operators.length()) {
            throw new IllegalArgumentException("operators must be distinct characters from \"" + ALL_OPERATORS
                    + "\", at least one, not \"" + operators + "\"");
        }
    }

    /** How many values an operand can take. */
    public long operandChoices() {
        return (long) maxOperand - minOperand + 1;
    }

    /** How many different prompts the chained task can ask. */
    public BigInteger distinctPrompts() {
        BigInteger n = BigInteger.valueOf(operandChoices());
        BigInteger ops = BigInteger.valueOf(operators.length());
        BigInteger total = BigInteger.ZERO;
        for (int k = minOperations; k <= maxOperations; k++) {
            total = total.add(n.pow(k + 1).multiply(ops.pow(k)));
        }
        return total;
    }
}
