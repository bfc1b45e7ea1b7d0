package org.atmanrl.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Llama 3 tokenizer through the loader gives the ids of an independent implementation. */
class Llama3TokenizerTest {
    private static Tokenizer tokenizer;

    /** Per test, so that each is reported skipped when the data is absent; loaded once per JVM. */
    @BeforeEach
    void load() {
        tokenizer = Llama3Fixture.tokenizer();
    }

    @Test
    void everyVectorEncodesToItsIdsAndDecodesToItsText() throws IOException {
        List<String> lines = Files.readAllLines(Llama3Fixture.directory().resolve("vectors.jsonl"),
                StandardCharsets.UTF_8);
        ObjectMapper mapper = new ObjectMapper();
        int checked = 0;
        for (int n = 0; n < lines.size(); n++) {
            if (lines.get(n).isBlank()) {
                continue;
            }
            JsonNode vector = mapper.readTree(lines.get(n));
            String text = vector.get("text").asText();
            int[] ids = mapper.convertValue(vector.get("ids"), int[].class);
            String where = "vectors.jsonl line " + (n + 1) + ": " + text.substring(0, Math.min(60, text.length()));
            assertArrayEquals(ids, tokenizer.encode(text), where);
            assertEquals(text, tokenizer.decode(ids), where);
            checked++;
        }
        assertTrue(checked > 100, "only " + checked + " vectors");
    }

    @Test
    void bosAndEosComeFromTokenizerConfigAndAddedTokensCount() {
        assertEquals(OptionalInt.of(128000), tokenizer.bos());
        assertEquals(OptionalInt.of(128001), tokenizer.eos());
        assertEquals(128256, tokenizer.vocabSize());
        assertEquals(OptionalInt.of(128009), tokenizer.tokenId("<|eot_id|>"));
        assertEquals(OptionalInt.empty(), tokenizer.tokenId("<|no_such_token|>"));
    }

    @Test
    void encodingAddsNoBosAndNeverTruncates() {
        assertArrayEquals(new int[] {13347}, tokenizer.encode("Hi"));
        int[] ids = tokenizer.encode(" grabbed".repeat(2000));
        assertEquals(2000, ids.length, "DJL's default would cut at 512 tokens");
        assertEquals(30418, ids[1999]);
    }

    @Test
    void specialTokensInTextAreTheirIdUnlessEncodedLiterally() {
        assertArrayEquals(new int[] {13347, 128009}, tokenizer.encode("Hi<|eot_id|>"));
        assertArrayEquals(new int[] {46864, 366, 91, 68, 354, 851, 91, 29, 1457},
                tokenizer.encodeLiteral("Say <|eot_id|> now"));
        assertEquals("Say <|eot_id|> now", tokenizer.decode(tokenizer.encodeLiteral("Say <|eot_id|> now")));
        assertArrayEquals(tokenizer.encode("Hello, world! 12345"), tokenizer.encodeLiteral("Hello, world! 12345"));
    }

    @Test
    void decodeKeepsOrSkipsSpecialTokens() {
        int[] ids = {128000, 13347, 128009};
        assertEquals("<|begin_of_text|>Hi<|eot_id|>", tokenizer.decode(ids));
        assertEquals("Hi", tokenizer.decode(ids, true));
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.decode(new int[] {13347, 128256}));
        assertTrue(e.getMessage().contains("128256"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {-1}));
    }
}
