package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CompletionPartsTest {
    @Test
    void cutsAtTheLastDelimiterKeepingEveryCharacter() {
        String completion = "a #### b #### c ";
        CompletionParts parts = CompletionParts.split(completion, "####").orElseThrow();
        assertEquals("a #### b ", parts.chainOfThought());
        assertEquals(" c ", parts.answer());
        assertEquals(completion, parts.chainOfThought() + parts.delimiter() + parts.answer());
        assertEquals(9, parts.delimiterStart());
        assertEquals(13, parts.answerStart());
        assertEquals(completion.lastIndexOf("####"), parts.delimiterStart());
    }

    @Test
    void emptyPartsAreKept() {
        CompletionParts parts = CompletionParts.split("####", "####").orElseThrow();
        assertEquals("", parts.chainOfThought());
        assertEquals("", parts.answer());
    }

    @Test
    void noDelimiterGivesNothing() {
        assertTrue(CompletionParts.split("23+45=68 68-17=51 51", "####").isEmpty());
        assertTrue(CompletionParts.split("", "####").isEmpty());
    }

    @Test
    void anAnswerPartWithTheDelimiterIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new CompletionParts("a", "####", " #### 5"));
    }
}
