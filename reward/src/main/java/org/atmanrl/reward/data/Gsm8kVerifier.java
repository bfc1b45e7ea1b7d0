package org.atmanrl.reward.data;

import java.math.BigDecimal;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GSM8K's outcome check (docs/design.md 2.1): the answer is the <em>first number-like token</em>
 * after the last {@code ####}, compared with the reference as an exact {@link Rational}.
 *
 * <p>A number-like token is an optional sign ({@code -}, {@code +} or the Unicode minus sign
 * U+2212), an optional {@code $} before or after the sign, digits (commas allowed between digits),
 * an optional decimal part, an optional {@code /denominator} (a fraction, spaces allowed around the
 * slash) and an optional {@code %}. Normalisation strips {@code ,} {@code $} {@code %} and a
 * trailing {@code .}, then reads the value exactly: {@code 1,000} = {@code 1000.00}, {@code 0.5} =
 * {@code 1/2} = {@code .5}, {@code -3} = {@code -3.0}, {@code 50%} = {@code 50} (the percent sign
 * is dropped, not divided out, as the GSM8K references are written).
 *
 * <p>Text after the delimiter that is not part of the number is ignored: {@code #### 18 dollars}
 * and {@code #### The answer is $18.} both read 18; only the first number counts, so {@code ####
 * 3 or 4} reads 3. A completion is unparsed when it has no {@code ####}, when no number follows
 * the last one, or when that number is a fraction with a zero denominator. Not read as numbers:
 * exponents ({@code 1e6} reads 1), spaces as thousands separators ({@code 1 000} reads 1), words.
 *
 * <p>The reference is read more strictly: the text after its last {@code ####} (or the whole
 * text, if it has none; so both the data set's {@code answer} field and the bare {@code 18} are
 * accepted) must be one number-like token and nothing else.
 */
public final class Gsm8kVerifier extends AnswerVerifier<Rational> {
    public static final String DELIMITER = "####";
    /** The verifier with GSM8K's own delimiter {@code ####}. */
    public static final Gsm8kVerifier DEFAULT = new Gsm8kVerifier(DELIMITER);

    private static final String INTEGER_PART = "\\d(?:[\\d,]*\\d)?";
    private static final String UNSIGNED = "(?:" + INTEGER_PART + "(?:\\.\\d*)?|\\.\\d+)";
    private static final Pattern NUMBER = Pattern.compile(
            "\\$?(?<sign>[-+\u2212])?\\$?(?<value>" + UNSIGNED + ")(?:\\s*/\\s*(?<denominator>" + UNSIGNED + "))?%?");

    public Gsm8kVerifier(String delimiter) {
        super(delimiter);
    }

    @Override
    Optional<Rational> readAnswer(String answerText) {
        return firstNumber(answerText);
    }

    @Override
    Rational readReference(String reference) {
        return parseReference(reference);
    }

    /**
     * The exact value of a reference answer: the text after its last delimiter (or all of it),
     * which must be exactly one number-like token.
     *
     * @throws IllegalArgumentException naming the text and what a number may look like
     */
    public Rational parseReference(String reference) {
        Objects.requireNonNull(reference, "reference");
        String text = CompletionParts.split(reference, delimiter()).map(CompletionParts::answer).orElse(reference).strip();
        Matcher m = NUMBER.matcher(text);
        Optional<Rational> value = m.matches() ? value(m) : Optional.empty();
        return value.orElseThrow(() -> new IllegalArgumentException("reference answer \"" + text
                + "\" is not a number: expected one number such as 18, -3, 1,000, 2.5, 1/2, $7 or 40%"));
    }

    /** The value of the first number-like token in {@code text}, or empty if there is none (or it divides by 0). */
    public static Optional<Rational> firstNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        return m.find() ? value(m) : Optional.empty();
    }

    private static Optional<Rational> value(Matcher m) {
        Rational value = unsigned(m.group("value"));
        String denominator = m.group("denominator");
        if (denominator != null) {
            Rational d = unsigned(denominator);
            if (d.numerator().signum() == 0) {
                return Optional.empty();
            }
            value = value.divide(d);
        }
        String sign = m.group("sign");
        if (sign != null && !sign.equals("+")) {
            value = new Rational(value.numerator().negate(), value.denominator());
        }
        return Optional.of(value);
    }

    /** Digits with commas and at most one dot, as the pattern admits them. */
    private static Rational unsigned(String token) {
        String digits = token.replace(",", "");
        if (digits.endsWith(".")) {
            digits = digits.substring(0, digits.length() - 1);
        }
        return Rational.of(new BigDecimal(digits));
    }

}
