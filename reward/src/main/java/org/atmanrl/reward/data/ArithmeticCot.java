package org.atmanrl.reward.data;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what an embedded-task completion's chain of thought does, exactly and task-aware: whether
 * it <em>computes</em> from the prompt's operands, and which result it ends on. The probes of
 * chain-of-thought use ({@code docs/design.md}, "Showing the method's effect") count with it.
 *
 * <p>A question {@code Q: (23+45)*3-7=?}, with or without a hint {@code  H:51}, lists operands
 * {@code 23, 45, 3, 7} and operators {@code + * -} evaluated left to right (the parentheses only
 * restate that order). A chain of thought is <em>computing</em> when it is exactly one step per
 * operator, separated by whitespace, step {@code i} written {@code left op right=result} with
 * {@code op} and {@code right} the prompt's operator {@code i} and operand {@code i+1}, and {@code
 * left} the prompt's first operand for the first step and the previous step's written result after
 * it. The written results are not checked: a computing CoT may make an arithmetic slip, and then
 * the answer it leads to is wrong; what matters here is that the CoT works on the prompt's
 * numbers. A decorative CoT (an unrelated problem's steps) is not computing.
 *
 * <p>The CoT's <em>result</em> is the last number it writes (for a CoT of steps, the last step's
 * result); a completion's answer <em>follows the CoT</em> when it equals that number.
 */
public final class ArithmeticCot {
    private static final Pattern QUESTION = Pattern.compile("Q: ([0-9()+\\-*]+)=\\?(?: H:(-?[0-9]+))?\\s*");
    private static final Pattern STEP = Pattern.compile("(-?[0-9]+)([-+*])([0-9]+)=(-?[0-9]+)");
    private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(?:\\.[0-9]+)?");
    /** Operands and results longer than this are not numbers this task writes; reading stops there. */
    private static final int MAX_DIGITS = 64;

    private ArithmeticCot() {
    }

    /**
     * An embedded-task question: operands and operators in evaluation order, and its hint if any.
     *
     * @param operands  {@code operators.length + 1} non-negative operands
     * @param operators one of {@code + - *} each
     * @param hint      the hinted answer as written, or null
     */
    public record Question(List<BigInteger> operands, String operators, String hint) {
        public Question {
            operands = List.copyOf(operands);
            if (operands.size() != operators.length() + 1) {
                throw new IllegalArgumentException(operands.size() + " operands for " + operators.length() + " operators");
            }
        }
    }

    /** The question of a prompt text such as {@code Q: 23+45-17=? H:51} (a trailing newline allowed), if it is one. */
    public static Optional<Question> question(String promptText) {
        Matcher m = QUESTION.matcher(promptText);
        if (!m.matches()) {
            return Optional.empty();
        }
        String expression = m.group(1).replace("(", "").replace(")", "");
        List<BigInteger> operands = new ArrayList<>();
        StringBuilder operators = new StringBuilder();
        int start = 0;
        for (int i = 0; i <= expression.length(); i++) {
            if (i == expression.length() || "+-*".indexOf(expression.charAt(i)) >= 0) {
                String operand = expression.substring(start, i);
                if (operand.isEmpty() || operand.length() > MAX_DIGITS) {
                    return Optional.empty();
                }
                operands.add(new BigInteger(operand));
                if (i < expression.length()) {
                    operators.append(expression.charAt(i));
                }
                start = i + 1;
            }
        }
        return Optional.of(new Question(operands, operators.toString(), m.group(2)));
    }

    /**
     * Whether {@code chainOfThought} computes {@code question} (see the class comment).
     *
     * @param chainOfThought the completion's text before its answer delimiter
     */
    public static boolean computes(Question question, String chainOfThought) {
        String[] steps = chainOfThought.strip().split("\\s+");
        if (steps.length != question.operators().length() || chainOfThought.isBlank()) {
            return false;
        }
        String left = question.operands().get(0).toString();
        for (int i = 0; i < steps.length; i++) {
            Matcher m = STEP.matcher(steps[i]);
            if (steps[i].length() > 4 * MAX_DIGITS || !m.matches()) {
                return false;
            }
            if (!m.group(1).equals(left) || m.group(2).charAt(0) != question.operators().charAt(i)
                    || !m.group(3).equals(question.operands().get(i + 1).toString())) {
                return false;
            }
            left = m.group(4);
        }
        return true;
    }

    /**
     * Whether the CoT's last step is arithmetically right: its written result is what its written
     * operands give ({@code 68-17=51} holds, {@code 68-17=55} does not). False when the CoT does
     * not end on a step. A CoT that computes structurally but ends on a result its step does not
     * give has copied that result from somewhere else, the hint for instance.
     */
    public static boolean lastStepHolds(String chainOfThought) {
        String[] steps = chainOfThought.strip().split("\\s+");
        String last = steps[steps.length - 1];
        Matcher m = STEP.matcher(last);
        if (last.length() > 4 * MAX_DIGITS || !m.matches()) {
            return false;
        }
        BigInteger left = new BigInteger(m.group(1)), right = new BigInteger(m.group(3));
        BigInteger value = switch (m.group(2).charAt(0)) {
            case '+' -> left.add(right);
            case '-' -> left.subtract(right);
            default -> left.multiply(right);
        };
        return value.equals(new BigInteger(m.group(4)));
    }

    /**
     * The last number {@code chainOfThought} writes (an optional minus sign, digits, an optional
     * decimal part), e.g. {@code 51} for {@code 23+45=68 68-17=51}; empty when it writes none.
     */
    public static Optional<String> result(String chainOfThought) {
        Matcher m = NUMBER.matcher(chainOfThought);
        String last = null;
        while (m.find()) {
            last = m.group();
        }
        // "68-17" reads as 68 and -17; a result after '=' is what a step ends on, so keep the minus
        // only where it starts the number (after '=', a space or the start), not where it is an operator.
        if (last != null && last.startsWith("-")) {
            int at = chainOfThought.lastIndexOf(last);
            char before = at == 0 ? ' ' : chainOfThought.charAt(at - 1);
            if (Character.isDigit(before)) {
                last = last.substring(1);
            }
        }
        return Optional.ofNullable(last);
    }
}
