package org.atmanrl.model.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.OptionalInt;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Each fault of a model directory's tokenizer files is one line naming the file and the fault. */
class TokenizerFormatErrorsTest {
    private static final String DIR = "hdfs://nn/models/tiny";
    private static final String TOKENIZER = DIR + "/tokenizer.json";
    private static final String CONFIG = DIR + "/tokenizer_config.json";
    private static final byte[] GOOD = CharTokenizerFiles.tokenizerJson();

    @Test
    void invalidJsonGivesLineAndColumn() {
        String json = "{\n  \"version\": \"1.0\",\n  \"model\": {,\n}";
        assertFault(TOKENIZER, () -> load(json, null), "invalid JSON at line 3, column ", "was expecting");
    }

    @Test
    void aTruncatedFileSaysSo() {
        byte[] half = Arrays.copyOf(GOOD, GOOD.length / 2);
        assertFault(TOKENIZER, () -> Tokenizer.fromJson(DIR, half, null), "truncated", "line ");
        byte[] lastByteMissing = Arrays.copyOf(GOOD, GOOD.length - 1);
        assertFault(TOKENIZER, () -> Tokenizer.fromJson(DIR, lastByteMissing, null), "truncated",
                "expected close marker for Object (start marker at line 1, column 1)");
    }

    @Test
    void contentAfterTheJsonValueIsInvalid() {
        assertFault(TOKENIZER, () -> load(new String(GOOD, StandardCharsets.UTF_8) + "\n{}", null),
                "invalid JSON at line ", "more content follows the end of the JSON value");
    }

    @Test
    void anEmptyFileSaysSo() {
        assertFault(TOKENIZER, () -> load("", null), "empty file");
    }

    @Test
    void jsonWithoutAModelIsRejectedWithTheLibrarysReason() {
        assertFault(TOKENIZER, () -> load("{\"version\": \"1.0\", \"added_tokens\": []}", null),
                "no \"model\"", "the tokenizers library rejects it", "Model missing");
    }

    @Test
    void anUnknownModelTypeIsRejectedWithTheLibrarysReason() {
        String json = new String(GOOD, StandardCharsets.UTF_8).replace("\"type\" : \"BPE\"", "\"type\" : \"Trie\"");
        assertFault(TOKENIZER, () -> load(json, null), "model type \"Trie\" is not one of",
                "the tokenizers library rejects it");
    }

    @Test
    void aMissingTokenizerJsonIsNamed(@TempDir java.nio.file.Path tmp) {
        Path dir = new Path(tmp.toUri());
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.load(fs, dir));
        assertTrue(e.file().endsWith("/tokenizer.json"), e.file());
        assertTrue(e.getMessage().contains("file not found"), e.getMessage());
    }

    @Test
    void aMissingTokenizerConfigMeansNoBosOrEos(@TempDir java.nio.file.Path tmp) throws IOException {
        Path dir = new Path(tmp.toUri());
        FileSystem fs = HadoopFiles.fileSystem(dir, new Configuration());
        try (var out = fs.create(new Path(dir, Tokenizer.TOKENIZER_FILE))) {
            out.write(GOOD);
        }
        try (Tokenizer tokenizer = Tokenizer.load(fs, dir)) {
            assertEquals(OptionalInt.empty(), tokenizer.bos());
            assertEquals(OptionalInt.empty(), tokenizer.eos());
        }
    }

    @Test
    void aBosTokenOutsideTheVocabularyIsNamed() {
        assertFault(CONFIG, () -> load(GOOD, "{\"bos_token\": \"<s>\", \"eos_token\": \"<|end_of_text|>\"}"),
                "bos_token \"<s>\" is not in the vocabulary of " + TOKENIZER);
    }

    @Test
    void anEosTokenObjectOutsideTheVocabularyIsNamed() {
        assertFault(CONFIG, () -> load(GOOD, "{\"eos_token\": {\"__type\": \"AddedToken\", \"content\": \"</s>\"}}"),
                "eos_token \"</s>\" is not in the vocabulary");
    }

    @Test
    void bosAndEosMayBeAddedTokenObjects() {
        try (Tokenizer tokenizer = load(GOOD, "{\"bos_token\": {\"content\": \"<|begin_of_text|>\", \"lstrip\": false},"
                + " \"eos_token\": {\"content\": \"<|end_of_text|>\"}}")) {
            assertEquals(OptionalInt.of(1), tokenizer.bos());
            assertEquals(OptionalInt.of(0), tokenizer.eos());
        }
    }

    @Test
    void aBosTokenOfTheWrongTypeIsNamed() {
        assertFault(CONFIG, () -> load(GOOD, "{\"bos_token\": 5}"), "bos_token must be a string or an object");
    }

    @Test
    void anInvalidTokenizerConfigIsNamed() {
        assertFault(CONFIG, () -> load(GOOD, "{\"bos_token\": \"<|begin_of_text|>\",}"), "invalid JSON at line 1");
    }

    private static Tokenizer load(String tokenizerJson, String configJson) {
        return load(tokenizerJson.getBytes(StandardCharsets.UTF_8), configJson);
    }

    private static Tokenizer load(byte[] tokenizerJson, String configJson) {
        return Tokenizer.fromJson(DIR, tokenizerJson,
                configJson == null ? null : configJson.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertFault(String file, Executable load, String... saying) {
        ModelFormatException e = assertThrows(ModelFormatException.class, load);
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        for (String part : saying) {
            assertTrue(e.getMessage().contains(part), "\"" + part + "\" not in: " + e.getMessage());
        }
        assertFalse(e.getMessage().contains("\n"), "not one line: " + e.getMessage());
        assertEquals(null, e.getCause(), "no stack of unrelated exceptions");
    }
}
