package org.atmanrl.model.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.JsonFiles;

/**
 * The tokenizer of the embedded arithmetic task ({@code Q: 23+45-17=?} answered by {@code
 * 23+45=68 68-17=51 #### 51}): one token per character, written as a standard HF {@code
 * tokenizer.json} and {@code tokenizer_config.json} so that the tiny model's directory is a real
 * HF directory, read by {@link Tokenizer#load} like any other and by Python's {@code
 * PreTrainedTokenizerFast(tokenizer_file=...)}.
 *
 * <p>The ids are the tiny model's vocabulary, so their order is fixed here and must never change
 * (a trained model would read every token as another):
 *
 * <pre>
 *  0 &lt;|end_of_text|&gt; (EOS)   1 &lt;|begin_of_text|&gt; (BOS)   2 &lt;|unk|&gt; (unknown character)
 *  3 "\n"   4 " "   then in code-point order:
 *  5-13 # ( ) * + , - . /     14-23 0-9     24-26 : = ?     27-52 A-Z     53-78 a-z
 * </pre>
 *
 * <p>The file is a BPE model whose vocabulary is those characters and which has no merges, with no
 * normalizer, pre-tokenizer or post-processor, and the {@code Fuse} decoder: BPE starts from single
 * characters, and with nothing to merge each character is a token; the text reaches it whole, so
 * spaces and newlines are tokens like any other; a character outside the vocabulary becomes one
 * {@code <|unk|>} each ({@code fuse_unk} off) instead of failing or vanishing; and {@code Fuse}
 * joins the tokens back without the spaces the default decoder would put between them, so decoding
 * gives the text back exactly. The three special tokens are also added tokens, as HF lists them.
 */
public final class CharTokenizerFiles {
    public static final String END_OF_TEXT = "<|end_of_text|>";
    public static final String BEGIN_OF_TEXT = "<|begin_of_text|>";
    public static final String UNKNOWN = "<|unk|>";
    public static final int END_OF_TEXT_ID = 0;
    public static final int BEGIN_OF_TEXT_ID = 1;
    public static final int UNKNOWN_ID = 2;

    private static final String CHARACTERS = "\n #()*+,-./0123456789:=?"
            + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static final List<String> VOCABULARY = vocabularyInIdOrder();

    private CharTokenizerFiles() {
    }

    /** Every token, the index being its id. */
    public static List<String> vocabulary() {
        return VOCABULARY;
    }

    /** The number of tokens, which is the tiny model's {@code vocab_size}. */
    public static int vocabSize() {
        return VOCABULARY.size();
    }

    /** The bytes of {@code tokenizer.json}. */
    public static byte[] tokenizerJson() {
        ObjectNode root = JsonFiles.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id : new int[] {END_OF_TEXT_ID, BEGIN_OF_TEXT_ID, UNKNOWN_ID}) {
            added.addObject()
                    .put("id", id)
                    .put("content", VOCABULARY.get(id))
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", true);
        }
        root.putNull("normalizer");
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", UNKNOWN);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < VOCABULARY.size(); id++) {
            vocab.put(VOCABULARY.get(id), id);
        }
        model.putArray("merges");
        return bytes(root);
    }

    /**
     * The bytes of {@code tokenizer_config.json}: the class transformers should use, BOS, EOS and
     * the unknown token, and {@code modelMaxLength} (the model's {@code max_position_embeddings}).
     * {@code clean_up_tokenization_spaces} is off, or transformers would drop the space before
     * {@code .} or {@code ,} when decoding.
     */
    public static byte[] tokenizerConfigJson(int modelMaxLength) {
        if (modelMaxLength <= 0) {
            throw new IllegalArgumentException("modelMaxLength must be positive, not " + modelMaxLength);
        }
        ObjectNode root = JsonFiles.MAPPER.createObjectNode();
        root.put("tokenizer_class", "PreTrainedTokenizerFast");
        root.put("bos_token", BEGIN_OF_TEXT);
        root.put("eos_token", END_OF_TEXT);
        root.put("unk_token", UNKNOWN);
        root.put("model_max_length", modelMaxLength);
        root.put("clean_up_tokenization_spaces", false);
        return bytes(root);
    }

    /** Writes both files into {@code modelDir}; an existing file is not overwritten. */
    public static void writeTo(FileSystem fs, Path modelDir, int modelMaxLength) throws IOException {
        write(fs, new Path(modelDir, Tokenizer.TOKENIZER_FILE), tokenizerJson());
        write(fs, new Path(modelDir, Tokenizer.CONFIG_FILE), tokenizerConfigJson(modelMaxLength));
    }

    private static void write(FileSystem fs, Path file, byte[] contents) throws IOException {
        try (OutputStream out = fs.create(file, false)) {
            out.write(contents);
        }
    }

    private static byte[] bytes(ObjectNode root) {
        try {
            return JsonFiles.MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("writing a JSON tree", e);
        }
    }

    private static List<String> vocabularyInIdOrder() {
        List<String> tokens = new ArrayList<>(List.of(END_OF_TEXT, BEGIN_OF_TEXT, UNKNOWN));
        CHARACTERS.chars().forEach(c -> tokens.add(String.valueOf((char) c)));
        return Collections.unmodifiableList(tokens);
    }
}
