package org.atmanrl.reward.saliency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.model.text.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Spans of o = c . d . a found by the delimiter's last occurrence, on the character tokenizer. */
class CompletionSpansTest {
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = Tokenizer.fromJson("embedded", CharTokenizerFiles.tokenizerJson(),
                CharTokenizerFiles.tokenizerConfigJson(256));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private static int[] withEos(String s) {
        int[] ids = tokenizer.encode(s);
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = CharTokenizerFiles.END_OF_TEXT_ID;
        return out;
    }

    private String text(int[] seq, int from, int to) {
        return tokenizer.decode(Arrays.copyOfRange(seq, from, to));
    }

    @Test
    void cotDelimiterAndAnswerWithEos() {
        int[] prompt = tokenizer.encode("Q: 23+45-17=?\n");
        int[] completion = withEos("23+45=68 68-17=51 #### 51");
        CompletionSpans s = CompletionSpans.locate(tokenizer, prompt.length, completion, "####").orElseThrow();
        int[] seq = new int[prompt.length + completion.length];
        System.arraycopy(prompt, 0, seq, 0, prompt.length);
        System.arraycopy(completion, 0, seq, prompt.length, completion.length);
        assertEquals("23+45=68 68-17=51 ", text(seq, s.cotStart(), s.cotEnd()));
        assertEquals("####", text(seq, s.cotEnd(), s.answerStart()));
        assertEquals(" 51<|end_of_text|>", text(seq, s.answerStart(), s.answerEnd()));
        assertEquals(seq.length, s.answerEnd());
    }

    @Test
    void theLastDelimiterCounts() {
        int[] completion = withEos("1 #### 2 #### 3");
        CompletionSpans s = CompletionSpans.locate(tokenizer, 0, completion, "####").orElseThrow();
        assertEquals("1 #### 2 ", text(completion, s.cotStart(), s.cotEnd()));
        assertEquals(" 3<|end_of_text|>", text(completion, s.answerStart(), s.answerEnd()));
    }

    @Test
    void noDelimiterOrNothingAfterItHasNoSpans() {
        assertTrue(CompletionSpans.locate(tokenizer, 3, withEos("23+45=68"), "####").isEmpty());
        assertTrue(CompletionSpans.locate(tokenizer, 3, tokenizer.encode("23+45=68 ####"), "####").isEmpty());
    }

    /** BPE merges the delimiter with its neighbours and splits an emoji across tokens (the slow path). */
    @Test
    void bpeTokensOverlappingTheDelimiterBelongToIt() throws Exception {
        String shared = System.getenv().getOrDefault("ATMANRL_SHARED_DATA", "../../shared/data");
        java.nio.file.Path dir = java.nio.file.Path.of(shared, "tokenizers/llama3").toAbsolutePath().normalize();
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(dir),
                "shared test data absent: no " + dir + " (set ATMANRL_SHARED_DATA)");
        try (Tokenizer llama = Tokenizer.fromJson(dir.toString(), java.nio.file.Files.readAllBytes(dir.resolve("tokenizer.json")),
                java.nio.file.Files.readAllBytes(dir.resolve("tokenizer_config.json")))) {
            for (String cot : new String[] {"So 5+3=8.", "So 🦙 5+3=8."}) {
                int[] completion = llama.encode(cot + " #### 8");
                CompletionSpans s = CompletionSpans.locate(llama, 0, completion, "####").orElseThrow();
                String c = llama.decode(Arrays.copyOfRange(completion, s.cotStart(), s.cotEnd()));
                String a = llama.decode(Arrays.copyOfRange(completion, s.answerStart(), s.answerEnd()));
                assertTrue(cot.startsWith(c) && !c.contains("#"), "CoT '" + c + "'");
                assertEquals("8", a.strip(), "answer '" + a + "'");
            }
        }
    }

    @Test
    void anEmptyCotIsAllowed() {
        CompletionSpans s = CompletionSpans.locate(tokenizer, 2, withEos("#### 7"), "####").orElseThrow();
        assertEquals(0, s.cotLength());
        assertEquals(3, s.answerLength());
    }
}
