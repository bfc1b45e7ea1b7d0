package org.atmanrl.reward.data;

import java.math.BigInteger;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The embedded arithmetic task's outcome check (docs/design.md 2.1): integer equality. The text
 * after the last {@code ####}, stripped of surrounding whitespace, must be exactly an integer (an
 * optional {@code -} or {@code +} and ASCII digits, any size); anything else, such as
 * {@code #### 51 apples} or {@code #### 5 1}, is unparsed. Stricter than {@link Gsm8kVerifier} on purpose: the
 * task's completions have one exact format, and a model that learned it writes nothing after the
 * answer but end-of-sequence, so anything more is a format failure. Leading zeros and a plus sign
 * are tolerated ({@code 051} = {@code +51} = {@code 51}).
 */
public final class IntegerVerifier extends AnswerVerifier<BigInteger> {
    public static final String DELIMITER = "####";
    /** The verifier with the embedded task's delimiter {@code ####}. */
    public static final IntegerVerifier DEFAULT = new IntegerVerifier(DELIMITER);

    private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9]+");

    public IntegerVerifier(String delimiter) {
        super(delimiter);
    }

    @Override
    Optional<BigInteger> readAnswer(String answerText) {
        String answer = answerText.strip();
        return INTEGER.matcher(answer).matches() ? Optional.of(new BigInteger(answer)) : Optional.empty();
    }

    @Override
    BigInteger readReference(String reference) {
        String text = reference.strip();
        if (!INTEGER.matcher(text).matches()) {
            throw new IllegalArgumentException("reference answer \"" + reference
                    + "\" is not an integer: expected an optional sign and digits, such as 51 or -12");
        }
        return new BigInteger(text);
    }

}
