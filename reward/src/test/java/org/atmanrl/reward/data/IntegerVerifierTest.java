package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IntegerVerifierTest {
    private final IntegerVerifier verifier = IntegerVerifier.DEFAULT;

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
        "23+45=68 68-17=51 #### 51 | 51 | 51",
        "'23+45=68 68-17=51 #### 51 ' | 51 | 51",
        "#### 051 | 51 | 51",
        "#### +51 | 51 | 51",
        "10-49=-39 -39-45=-84 #### -84 | -84 | -84",
        "#### -0 | 0 | 0",
        "#### 12 #### 51 | 51 | 51",
    })
    void equalIntegersAreCorrect(String completion, String reference, String extracted) {
        assertEquals(Verdict.parsed(extracted, true), verifier.verify(completion, reference), completion);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "23+45=68 68-17=51", "51", "",               // no delimiter
        "#### ", "####", "#### 51 ####",             // empty answer after the last delimiter
        "#### 51 apples", "#### 5 1", "#### 51.0", "#### 1,000", "#### fifty-one", "#### --51", "#### ٥١",
        "### 51",
    })
    void anythingButOneIntegerAfterTheLastDelimiterIsUnparsed(String completion) {
        assertEquals(Verdict.unparsed(), verifier.verify(completion, "51"), completion);
    }

    @Test
    void wrongIntegersAreParsedButWrong() {
        assertEquals(Verdict.parsed("50", false), verifier.verify("23+45=68 68-17=51 #### 50", "51"));
        assertEquals(Verdict.parsed("-51", false), verifier.verify("#### -51", "51"));
        assertEquals(Verdict.parsed("51", false), verifier.verify("#### 50 #### 51", "50"));
    }

    @Test
    void hugeIntegersDoNotOverflow() {
        String big = "9223372036854775808"; // Long.MAX_VALUE + 1
        assertTrue(verifier.verify("#### " + big, big).correct());
        assertFalse(verifier.verify("#### " + big, "-9223372036854775808").correct());
        assertFalse(verifier.verify("#### 18446744073709551667", "51").correct()); // 51 + 2^64
        String huge = "7".repeat(500);
        assertTrue(verifier.verify("#### " + huge, "+" + huge).correct());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "51.0", "1,000", "fifty", "5 1"})
    void referencesMustBeIntegers(String reference) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> verifier.verify("#### 51", reference));
        assertTrue(e.getMessage().contains("is not an integer"), e.getMessage());
    }
}
