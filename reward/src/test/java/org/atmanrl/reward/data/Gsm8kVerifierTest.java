package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Gsm8kVerifierTest {
    private final Gsm8kVerifier verifier = Gsm8kVerifier.DEFAULT;

    /** completion | reference | canonical extracted answer: every row must be judged correct. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "She makes 9 * 2 = 18 dollars.\\n#### 18 | 18 | 18",
        "#### 1,000 | 1000.00 | 1000",
        "#### 1000.00 | 1,000 | 1000",
        "#### $1,000 | 1000 | 1000",
        "#### 0.5 | 1/2 | 1/2",
        "#### 1/2 | 0.5 | 1/2",
        "#### .5 | 0.50 | 1/2",
        "#### 2/4 | 1/2 | 1/2",
        "#### 3 / 4 | 0.75 | 3/4",
        "#### -3 | -3.0 | -3",
        "#### −3 | -3 | -3",
        "#### -$3 | -3 | -3",
        "#### $-3 | -3 | -3",
        "#### +7 | 7 | 7",
        "#### 40% | 40 | 40",
        "#### 18. | 18 | 18",
        "#### 18.0. | 18 | 18",
        "#### 18 dollars | 18 | 18",
        "#### The answer is $18. | 18 | 18",
        "####18 | 18 | 18",
        "'  ####  \\n 18 \\n' | 18 | 18",
        "#### 3 or 4 | 3 | 3",
        "#### 1,080 | '#### 1,080' | 1080",
        "Janet sells 16 - 3 - 4 = 9 eggs.\\n#### 18 | 'Janet sells 9.\\n#### 18' | 18",
        "#### -0 | 0 | 0",
        "#### 0.000 | 0 | 0",
    })
    void equalNumbersAreCorrect(String completionCsv, String referenceCsv, String extracted) {
        String completion = unescape(completionCsv);
        String reference = unescape(referenceCsv);
        Verdict v = verifier.verify(completion, reference);
        assertEquals(Verdict.parsed(extracted, true), v, completion);
        assertEquals(1.0, v.reward());
        assertEquals(extracted, verifier.canonicalReference(reference));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "#### 17 | 18 | 17",
        "#### -18 | 18 | -18",
        "#### 18.01 | 18 | 1801/100",
        "#### 1/3 | 0.333 | 1/3",
        "#### 1,000 | 100 | 1000",
        "#### 5-3 | 2 | 5",           // the first number, not an expression
        "#### 1e6 | 1000000 | 1",     // exponents are not read
    })
    void differentNumbersAreWrongButParsed(String completion, String reference, String extracted) {
        Verdict v = verifier.verify(completion, reference);
        assertEquals(Verdict.parsed(extracted, false), v, completion);
        assertEquals(0.0, v.reward());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "The answer is 18.",               // no delimiter
        "18",
        "#### ",                           // empty answer
        "####",
        "#### eighteen",
        "#### 18 ####",                    // the last delimiter has nothing after it
        "#### 18 #### no number here",
        "#### 1/0",                        // division by zero
        "### 18",                          // not the delimiter
        "# # # # 18",
    })
    void completionsWithoutANumberAfterTheLastDelimiterAreUnparsed(String completion) {
        Verdict v = verifier.verify(completion, "18");
        assertEquals(Verdict.unparsed(), v, completion);
        assertFalse(v.parsed());
        assertEquals(0.0, v.reward());
    }

    @Test
    void theLastDelimiterWins() {
        String completion = "A first try: #### 12. No, recompute: 3 * 6 = 18 #### 18";
        assertTrue(verifier.verify(completion, "18").correct());
        assertFalse(verifier.verify(completion, "12").correct());
        assertEquals("18", verifier.verify("#### 12 #### 15 #### 18", "18").extracted());
    }

    @Test
    void hugeNumbersCompareExactlyWithoutOverflow() {
        String big = "123456789012345678901234567890123456789";
        String bigWithCommas = "123,456,789,012,345,678,901,234,567,890,123,456,789";
        assertTrue(verifier.verify("#### " + bigWithCommas, big + ".000").correct());
        // One unit in the last of 39 digits differs; so does one part in 10^40.
        assertFalse(verifier.verify("#### " + big, "123456789012345678901234567890123456788").correct());
        assertFalse(verifier.verify("#### " + big + ".0000000000000000000000000000000000000001", big).correct());
        // Beyond long and double range.
        String huge = "9".repeat(400);
        assertEquals(new BigInteger(huge).toString(), verifier.verify("#### " + huge, huge).extracted());
        assertTrue(verifier.verify("#### -" + huge, "-" + huge).correct());
    }

    @Test
    void aDifferentDelimiterIsHonoured() {
        Gsm8kVerifier answerColon = new Gsm8kVerifier("Answer:");
        assertTrue(answerColon.verify("2 + 2 = 4. Answer: 4", "4").correct());
        assertFalse(answerColon.verify("2 + 2 = 4. #### 4", "4").parsed());
        assertEquals("Answer:", answerColon.delimiter());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "#### ", "eighteen", "18 dollars", "#### 18 dollars", "1/0", "18 19", "--18"})
    void referencesThatAreNotOneNumberAreRejectedWithTheReason(String reference) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> verifier.verify("#### 18", reference));
        assertTrue(e.getMessage().contains("is not a number: expected one number"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    /** CSV rows write a line break as backslash-n. */
    private static String unescape(String csv) {
        return csv.replace("\\n", "\n");
    }

    @Test
    void theDelimiterMustBeVisible() {
        assertThrows(IllegalArgumentException.class, () -> new Gsm8kVerifier(" "));
        assertThrows(IllegalArgumentException.class, () -> new Gsm8kVerifier(""));
        assertThrows(NullPointerException.class, () -> new Gsm8kVerifier(null));
    }
}
