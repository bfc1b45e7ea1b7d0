package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MultipleChoiceVerifierTest {
    private final MultipleChoiceVerifier verifier = MultipleChoiceVerifier.DEFAULT;

    @ParameterizedTest
    @ValueSource(strings = {
        "#### B", "####B", "#### (B)", "#### B)", "#### B.", "#### B:", "#### [B]", "#### **B**", "#### *B*",
        "####   B   ", "#### \n B\n", "#### B. Paris", "#### B) because it is", "#### B, the capital",
        "The capital of France is Paris, choice B.\n#### B",
        "#### A was wrong, so #### B",    // the last delimiter wins
    })
    void readsTheLetterInItsUsualWrappings(String completion) {
        Verdict v = verifier.verify(completion, "B");
        assertEquals(Verdict.parsed("B", true), v, completion);
        assertEquals(Verdict.parsed("B", false), verifier.verify(completion, "C"), completion);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "B", "The answer is B.",                  // no delimiter
        "#### ", "####",                              // empty answer
        "#### b", "#### a bit of both",               // lower case is not read (the article "a")
        "#### Both", "#### BC", "#### B2",            // a word, not a letter
        "#### E", "#### (E)",                         // not one of the four choices
        "#### The answer is B",                       // the letter must come first
        "#### B ####",                                // nothing after the last delimiter
        "### B",
    })
    void isUnparsedWithoutALeadingChoiceLetter(String completion) {
        assertEquals(Verdict.unparsed(), verifier.verify(completion, "B"), completion);
    }

    @Test
    void everyLetterIsReadAsItself() {
        for (char c : "ABCD".toCharArray()) {
            for (char r : "ABCD".toCharArray()) {
                Verdict v = verifier.verify("reasoning #### " + c, String.valueOf(r));
                assertEquals(String.valueOf(c), v.extracted());
                assertEquals(c == r, v.correct());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "E", "b", "AB", "(B)", "1"})
    void referencesMustBeOneOfTheFourLetters(String reference) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> verifier.verify("#### B", reference));
        assertTrue(e.getMessage().contains("expected one of A, B, C, D"), e.getMessage());
    }

    @Test
    void referenceMayHaveSurroundingSpace() {
        assertTrue(verifier.verify("#### D", " D\n").correct());
        assertEquals("D", verifier.canonicalReference(" D "));
    }
}
