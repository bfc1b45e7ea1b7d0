package org.atmanrl.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.OptionalInt;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelFormatException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded task's character tokenizer: exact round trips and ids that never move. */
class CharTokenizerFilesTest {
    private static final List<String> TASK_TEXTS = List.of(
            "Q: 23+45-17=?",
            "23+45=68 68-17=51 #### 51",
            "Q: (12*3)/4, then 9.5-2?\nAnswer: 27/4 = 6.75  ####  x",
            "  leading and trailing spaces \n\n");

    private static Tokenizer tokenizer;

    @BeforeAll
    static void create() {
        tokenizer = Tokenizer.fromJson("mem:/tiny", CharTokenizerFiles.tokenizerJson(),
                CharTokenizerFiles.tokenizerConfigJson(256));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void idsAreFixed() {
        // The tiny model's embedding rows follow these ids: a reorder must fail here.
        assertEquals(79, CharTokenizerFiles.vocabSize());
        assertEquals(79, tokenizer.vocabSize());
        assertEquals(OptionalInt.of(0), tokenizer.tokenId("<|end_of_text|>"));
        assertEquals(OptionalInt.of(1), tokenizer.tokenId("<|begin_of_text|>"));
        assertEquals(OptionalInt.of(2), tokenizer.tokenId("<|unk|>"));
        assertArrayEquals(new int[] {3, 4, 5, 13, 14, 23, 24, 25, 26, 27, 52, 53, 78},
                tokenizer.encode("\n #/09:=?AZaz"));
        assertArrayEquals(new int[] {43, 24, 4, 16, 17, 9, 18, 19, 11, 15, 21, 25, 26},
                tokenizer.encode("Q: 23+45-17=?"));
        assertEquals(OptionalInt.of(1), tokenizer.bos());
        assertEquals(OptionalInt.of(0), tokenizer.eos());
    }

    @Test
    void everyVocabularyCharacterIsItsOwnToken() {
        List<String> vocabulary = CharTokenizerFiles.vocabulary();
        for (int id = 3; id < vocabulary.size(); id++) {
            assertArrayEquals(new int[] {id}, tokenizer.encode(vocabulary.get(id)), "token " + id);
            assertEquals(vocabulary.get(id), tokenizer.decode(new int[] {id}));
        }
    }

    @Test
    void taskTextsRoundTripOneTokenPerCharacter() {
        for (String text : TASK_TEXTS) {
            int[] ids = tokenizer.encode(text);
            assertEquals(text.length(), ids.length, text);
            for (int i = 0; i < ids.length; i++) {
                assertEquals(CharTokenizerFiles.vocabulary().indexOf(String.valueOf(text.charAt(i))), ids[i],
                        text + " at " + i);
            }
            assertEquals(text, tokenizer.decode(ids), "spaces and newlines come back as they were");
        }
    }

    @Test
    void anUnknownCharacterIsOneUnknownToken() {
        // tab, euro sign, and an emoji outside the BMP: one <|unk|> each, adjacent ones not fused.
        assertArrayEquals(new int[] {53, 2, 2, 54, 2, 4}, tokenizer.encode("a\t\u20acb\ud83e\udd99 "));
        assertEquals("a<|unk|>b", tokenizer.decode(new int[] {53, 2, 54}));
        assertEquals("ab", tokenizer.decode(new int[] {53, 2, 54}, true));
    }

    @Test
    void specialTokensDecodeAndCanBeWrittenAsText() {
        assertEquals("<|begin_of_text|>1+1<|end_of_text|>", tokenizer.decode(new int[] {1, 15, 9, 15, 0}));
        assertEquals("1+1", tokenizer.decode(new int[] {1, 15, 9, 15, 0}, true));
        assertArrayEquals(new int[] {15, 0}, tokenizer.encode("1<|end_of_text|>"));
    }

    @Test
    void longTextsAreNotTruncated() {
        String text = "12+34=46 ".repeat(300);
        assertEquals(text.length(), tokenizer.encode(text).length);
    }

    @Test
    void aTemplatePostProcessorInTheFileAddsNothing() throws IOException {
        // Llama 3.1's tokenizer.json adds BOS through such a template; encode must not.
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode json = (ObjectNode) mapper.readTree(CharTokenizerFiles.tokenizerJson());
        json.set("post_processor", mapper.readTree("{\"type\": \"TemplateProcessing\","
                + " \"single\": [{\"SpecialToken\": {\"id\": \"<|begin_of_text|>\", \"type_id\": 0}},"
                + " {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}],"
                + " \"pair\": [{\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}, {\"Sequence\": {\"id\": \"B\", \"type_id\": 1}}],"
                + " \"special_tokens\": {\"<|begin_of_text|>\": {\"id\": \"<|begin_of_text|>\", \"ids\": [1],"
                + " \"tokens\": [\"<|begin_of_text|>\"]}}}"));
        try (Tokenizer templated = Tokenizer.fromJson("mem:/templated", mapper.writeValueAsBytes(json), null)) {
            assertArrayEquals(new int[] {53, 54}, templated.encode("ab"));
        }
    }

    @Test
    void hasNoChatFormatAndSaysWhyInOneLine() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ChatFormat.of(tokenizer));
        assertEquals("mem:/tiny/tokenizer.json", e.file());
        assertTrue(e.getMessage().contains("<|start_header_id|>, <|end_header_id|>, <|eot_id|>"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void writtenDirectoryLoadsThroughHadoop(@TempDir java.nio.file.Path tmp) throws IOException {
        Path dir = new Path(tmp.resolve("tiny-model").toUri());
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
        CharTokenizerFiles.writeTo(fs, dir, 512);

        try (Tokenizer loaded = Tokenizer.load(fs, dir)) {
            for (String text : TASK_TEXTS) {
                assertArrayEquals(tokenizer.encode(text), loaded.encode(text));
            }
            assertEquals(OptionalInt.of(1), loaded.bos());
            assertEquals(OptionalInt.of(0), loaded.eos());
            assertEquals(dir + "/tokenizer.json", loaded.source());
        }
        JsonNode config = new ObjectMapper().readTree(
                HadoopFiles.readSmall(fs, new Path(dir, Tokenizer.CONFIG_FILE), 1 << 20));
        assertEquals("PreTrainedTokenizerFast", config.get("tokenizer_class").asText());
        assertEquals(512, config.get("model_max_length").asInt());
        assertEquals(false, config.get("clean_up_tokenization_spaces").asBoolean());
        assertThrows(IOException.class, () -> CharTokenizerFiles.writeTo(fs, dir, 512), "never overwrites");
    }
}
