package org.atmanrl.reward.task;

import java.math.BigInteger;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The embedded arithmetic task's outcome check (DESIGN 2.1): integer equality. The text after the
 * last {@code ####}, stripped of surrounding whitespace, must be exactly an integer (an optional
 * {@code -} or {@code +} and ASCII digits, any size); anything else, such as {@code #### 51
 * apples} or {@code #### 5 1}, is unparsed. Stricter than {@link Gsm8kVerifier} on purpose: the
 * task's completions have one exact format, and a model that learned it writes nothing after the
 * answer but end-of-sequence, so anything more is a format failure. Leading zeros and a plus sign
 * are tolerated ({@code 051} = {@code +51} = {@code 51}).
 */
public final class IntegerVerifier implements Verifier {
    public static final String DELIMITER = "####";
    /** The verifier with the embedded task's delimiter {@code ####}. */
    public static final IntegerVerifier DEFAULT = new IntegerVerifier(DELIMITER);

    private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9]+");

    private final String delimiter;

    public IntegerVerifier(String delimiter) {
        this.delimiter = CompletionParts.requireDelimiter(delimiter);
    }

    @Override
    public String delimiter() {
        return delimiter;
    }

    @Override
    public Verdict verify(String completion, String reference) {
        BigInteger expected = parseReference(reference);
        return CompletionParts.split(completion, delimiter)
                .map(parts -> parts.answer().strip())
                .filter(answer -> INTEGER.matcher(answer).matches())
                .map(answer -> {
                    BigInteger value = new BigInteger(answer);
                    return Verdict.parsed(value.toString(), value.equals(expected));
                })
                .orElse(Verdict.unparsed());
    }

    @Override
    public String canonicalReference(String reference) {
        return parseReference(reference).toString();
    }

    private static BigInteger parseReference(String reference) {
        Objects.requireNonNull(reference, "reference");
        String text = reference.strip();
        if (!INTEGER.matcher(text).matches()) {
            throw new IllegalArgumentException("reference answer \"" + reference
                    + "\" is not an integer: expected an optional sign and digits, such as 51 or -12");
        }
        return new BigInteger(text);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IntegerVerifier v && v.delimiter.equals(delimiter);
    }

    @Override
    public int hashCode() {
        return IntegerVerifier.class.hashCode() * 31 + delimiter.hashCode();
    }

    @Override
    public String toString() {
        return "IntegerVerifier(" + delimiter + ")";
    }
}
