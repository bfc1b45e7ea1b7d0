package org.atmanrl.model.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.LibUtils;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.io.HadoopFiles;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.io.JsonFiles;

/**
 * A model directory's Hugging Face tokenizer ({@code tokenizer.json}, plus {@code
 * tokenizer_config.json} for BOS and EOS), run by the Rust {@code tokenizers} library through
 * DJL's JNI binding so that ids are exactly those of {@code transformers} rather than of a
 * re-implementation that drifts on some corner of Unicode or pre-tokenization.
 *
 * <p>The files are read through Hadoop {@link FileSystem}, so a directory on {@code hdfs://} or
 * {@code s3a://} works like a local one, and are checked before the library sees them: any fault
 * is one {@link ModelFormatException} naming the file (invalid or truncated JSON with its line and
 * column, a {@code tokenizer.json} the library rejects with the library's own words, a BOS or EOS
 * token the vocabulary lacks).
 *
 * <p>Encoding never adds BOS, EOS or a post-processor template, never truncates and never pads
 * (DJL's defaults would add special tokens and cut at 512 tokens): the callers build prompts
 * themselves, see {@link ChatFormat}. Special tokens written in the text, such as {@code
 * <|eot_id|>}, become their single id as in HF; {@link #encodeLiteral} is the variant for
 * untrusted text.
 *
 * <p>Native library: the {@code tokenizers} jar carries it for linux-x86_64 (and aarch64, macOS,
 * Windows), and DJL copies it on first use into {@code <cache>/tokenizers/}, where {@code <cache>}
 * is {@code ENGINE_CACHE_DIR}, else {@code DJL_CACHE_DIR}, else {@code ~/.djl.ai}, or {@code
 * <java.io.tmpdir>/.djl.ai} when the home directory is not writable. On executors whose home is
 * read-only or shared, set the environment variable (or system property) {@code DJL_CACHE_DIR} or
 * {@code ENGINE_CACHE_DIR} to a writable local directory. The load never goes to the network:
 * unless the user has set them, this class sets the system properties {@code RUST_FLAVOR=cpu} (on
 * a CUDA host DJL would otherwise look for a CUDA build of the library and download it, though a
 * tokenizer has no use for a GPU) and {@code OPT_OUT_TRACKING=true} (DJL's usage ping, which on
 * EC2 also queries the instance metadata service).
 *
 * <p>Thread safety: the Rust tokenizer is shareable between threads and DJL takes no lock, so one
 * instance may encode and decode from several threads at once. {@link #close} frees the native
 * tokenizer, after which no thread may use the instance.
 */
public final class Tokenizer implements AutoCloseable {
    /** The tokenizer file of an HF model directory. */
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** The optional file naming the BOS and EOS tokens (and, for HF, the tokenizer class). */
    public static final String CONFIG_FILE = "tokenizer_config.json";

    /** Llama 3's tokenizer.json is 9 MB; a file this large is a wrong path, not a tokenizer. */
    private static final long FILE_LIMIT = 64L << 20;

    static {
        defaultDjlSetting("RUST_FLAVOR", "cpu");
        defaultDjlSetting("OPT_OUT_TRACKING", "true");
    }

    private final String source;
    private final HuggingFaceTokenizer hf;
    private final Map<String, Integer> tokenIds;
    private final int vocabSize;
    private final OptionalInt bos;
    private final OptionalInt eos;
    /** Special added tokens by first character, for {@link #encodeLiteral}. */
    private final Map<Character, List<String>> specialsByFirstChar;
    private final List<String> singleCharacterSpecials = new ArrayList<>();

    private Tokenizer(String source, HuggingFaceTokenizer hf, TokenizerJson parsed, OptionalInt bos,
                      OptionalInt eos) {
        this.source = source;
        this.hf = hf;
        this.tokenIds = parsed.ids;
        this.vocabSize = parsed.vocabSize;
        this.bos = bos;
        this.eos = eos;
        this.specialsByFirstChar = new HashMap<>();
        for (String special : parsed.specialTokens) {
            if (special.codePointCount(0, special.length()) == 1) {
                singleCharacterSpecials.add(special);
            }
            specialsByFirstChar.computeIfAbsent(special.charAt(0), c -> new ArrayList<>()).add(special);
        }
    }

    /**
     * The tokenizer of the HF model directory {@code modelDir}: its {@code tokenizer.json}
     * (required) and {@code tokenizer_config.json} (optional; without it there is no BOS or EOS).
     */
    public static Tokenizer load(FileSystem fs, Path modelDir) throws IOException {
        byte[] tokenizerJson = HadoopFiles.readSmall(fs, new Path(modelDir, TOKENIZER_FILE), FILE_LIMIT);
        Path configFile = new Path(modelDir, CONFIG_FILE);
        byte[] configJson = fs.exists(configFile) ? HadoopFiles.readSmall(fs, configFile, FILE_LIMIT) : null;
        return fromJson(modelDir.toString(), tokenizerJson, configJson);
    }

    /**
     * A tokenizer from the contents of the two files. {@code source} is where they come from, a
     * directory in which error messages place {@code tokenizer.json} and {@code
     * tokenizer_config.json}.
     */
    public static Tokenizer fromJson(String source, byte[] tokenizerJson, byte[] tokenizerConfigJsonOrNull) {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        String tokenizerFile = inDirectory(source, TOKENIZER_FILE);
        String configFile = inDirectory(source, CONFIG_FILE);
        JsonNode root = JsonFiles.parseObject(tokenizerFile, tokenizerJson);
        TokenizerConfigJson config = tokenizerConfigJsonOrNull == null
                ? TokenizerConfigJson.ABSENT
                : TokenizerConfigJson.parse(configFile, tokenizerConfigJsonOrNull);
        HuggingFaceTokenizer hf = nativeTokenizer(tokenizerFile, tokenizerJson, root);
        try {
            TokenizerJson parsed = TokenizerJson.read(tokenizerFile, root);
            OptionalInt bos = config.resolve("bos_token", config.bosToken(), parsed.ids, tokenizerFile);
            OptionalInt eos = config.resolve("eos_token", config.eosToken(), parsed.ids, tokenizerFile);
            return new Tokenizer(tokenizerFile, hf, parsed, bos, eos);
        } catch (RuntimeException e) {
            hf.close();
            throw e;
        }
    }

    /** The ids of {@code text}, without BOS or EOS; special tokens written in it become their id. */
    public int[] encode(String text) {
        long[] ids = hf.encode(Objects.requireNonNull(text, "text"), false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /**
     * The ids of {@code text} read as plain text: a special token written in it (say a user who
     * types {@code <|eot_id|>}) is encoded as its characters, never as the special id, so text
     * from outside cannot end a turn or forge a header. Text without special-token strings gets
     * exactly the ids of {@link #encode}.
     *
     * <p>Each occurrence is broken after its first character, and the pieces encoded in turn; the
     * library offers no switch for this through DJL. Unknown characters still become the unknown
     * token, which is special in most vocabularies.
     *
     * @throws IllegalArgumentException if the text holds a special token of a single character,
     *     which cannot be written as anything but itself
     */
    public int[] encodeLiteral(String text) {
        Objects.requireNonNull(text, "text");
        for (String unbreakable : singleCharacterSpecials) {
            if (text.contains(unbreakable)) {
                throw new IllegalArgumentException("the text holds the special token \"" + unbreakable
                        + "\", which is a single character and cannot be written as plain text");
            }
        }
        IntList out = new IntList(text.length());
        int from = 0;
        for (int at = nextSpecial(text, from); at >= 0; at = nextSpecial(text, from)) {
            int cut = at + Character.charCount(text.codePointAt(at));
            out.addAll(encode(text.substring(from, cut)));
            from = cut;
        }
        out.addAll(encode(text.substring(from)));
        return out.toArray();
    }

    /** The text of {@code ids}, special tokens included. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** The text of {@code ids}; with {@code skipSpecialTokens}, special tokens are left out. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                // the library would silently drop it
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocabSize + ")");
            }
            wide[i] = ids[i];
        }
        return hf.decode(wide, skipSpecialTokens);
    }

    /** The number of embedding rows the vocabulary needs: its highest id, added tokens included, + 1. */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The id of a token as {@code tokenizer.json} writes it: an added (special) token such as
     * {@code <|eot_id|>}, or an entry of the model's vocabulary (for byte-level BPE those are
     * byte-mapped strings, not text).
     */
    public OptionalInt tokenId(String tokenContent) {
        Integer id = tokenIds.get(tokenContent);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** {@code tokenizer_config.json}'s {@code bos_token}, if it names one. */
    public OptionalInt bos() {
        return bos;
    }

    /** {@code tokenizer_config.json}'s {@code eos_token}, if it names one. */
    public OptionalInt eos() {
        return eos;
    }

    /** The {@code tokenizer.json} this tokenizer was read from, for messages. */
    public String source() {
        return source;
    }

    @Override
    public void close() {
        hf.close();
    }

    @Override
    public String toString() {
        return "Tokenizer(" + source + ", " + vocabSize + " tokens)";
    }

    /** Where the leftmost special-token string at or after {@code from} starts, or -1. */
    private int nextSpecial(String text, int from) {
        for (int i = from; i < text.length(); i++) {
            List<String> candidates = specialsByFirstChar.get(text.charAt(i));
            if (candidates != null) {
                for (String special : candidates) {
                    if (text.startsWith(special, i)) {
                        return i;
                    }
                }
            }
        }
        return -1;
    }

    private static HuggingFaceTokenizer nativeTokenizer(String file, byte[] json, JsonNode root) {
        LibUtils.checkStatus(); // a missing native library is no fault of the file: DJL's own error
        try {
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), Map.of(
                    "addSpecialTokens", "false",
                    "truncation", "false",
                    "padding", "false"));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a byte array
        } catch (RuntimeException e) {
            // The JNI layer throws a bare RuntimeException carrying the library's error text.
            throw new ModelFormatException(file, TokenizerJson.explainRejection(root)
                    + "the tokenizers library rejects it: " + JsonFiles.oneLine(e.getMessage()));
        }
    }

    private static String inDirectory(String directory, String file) {
        return directory.endsWith("/") ? directory + file : directory + "/" + file;
    }

    private static void defaultDjlSetting(String name, String value) {
        String fromEnvironment = System.getenv(name);
        if ((fromEnvironment == null || fromEnvironment.isEmpty()) && System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
    }

    /** What the loader needs from {@code tokenizer.json} besides the library: names and ids. */
    private static final class TokenizerJson {
        private static final List<String> MODEL_TYPES = List.of("BPE", "WordPiece", "WordLevel", "Unigram");

        private final JsonNode root;
        /** Added tokens first, then the model's vocabulary; the first id seen for a string wins. */
        final Map<String, Integer> ids = new HashMap<>();
        final List<String> specialTokens = new ArrayList<>();
        int vocabSize;

        private TokenizerJson(JsonNode root) {
            this.root = root;
        }

        static TokenizerJson read(String file, JsonNode root) {
            TokenizerJson parsed = new TokenizerJson(root);
            parsed.readAddedTokens(file);
            parsed.readModelVocabulary();
            return parsed;
        }

        private void readAddedTokens(String file) {
            JsonNode added = root.path("added_tokens");
            for (JsonNode token : added) {
                JsonNode id = token.get("id");
                JsonNode content = token.get("content");
                if (id == null || !id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0 || content == null || !content.isTextual()
                        || content.asText().isEmpty()) {
                    throw new ModelFormatException(file, "added_tokens entry " + JsonFiles.oneLine(token.toString())
                            + " lacks a non-negative integer \"id\" or a non-empty string \"content\"");
                }
                ids.putIfAbsent(content.asText(), id.asInt());
                vocabSize = Math.max(vocabSize, id.asInt() + 1);
                if (token.path("special").asBoolean(false)) {
                    specialTokens.add(content.asText());
                }
            }
        }

        /** Lenient: the library has already checked the model section's shape. */
        private void readModelVocabulary() {
            JsonNode vocab = root.path("model").path("vocab");
            if (vocab.isObject()) { // BPE, WordPiece, WordLevel: {"token": id}
                Iterator<Map.Entry<String, JsonNode>> entries = vocab.fields();
                while (entries.hasNext()) {
                    Map.Entry<String, JsonNode> entry = entries.next();
                    if (entry.getValue().isIntegralNumber() && entry.getValue().canConvertToInt()) {
                        int id = entry.getValue().asInt();
                        ids.putIfAbsent(entry.getKey(), id);
                        vocabSize = Math.max(vocabSize, id + 1);
                    }
                }
            } else if (vocab.isArray()) { // Unigram: [["piece", score], ...], the id is the index
                for (int id = 0; id < vocab.size(); id++) {
                    JsonNode piece = vocab.get(id).path(0);
                    if (piece.isTextual()) {
                        ids.putIfAbsent(piece.asText(), id);
                    }
                }
                vocabSize = Math.max(vocabSize, vocab.size());
            }
        }

        /** A plainer reason, where one is known, to go before the library's terse message. */
        static String explainRejection(JsonNode root) {
            JsonNode model = root.get("model");
            if (model == null || model.isNull()) {
                return "there is no \"model\" section; ";
            }
            JsonNode type = model.get("type");
            if (type != null && type.isTextual() && !MODEL_TYPES.contains(type.asText())) {
                return "model type \"" + type.asText() + "\" is not one of " + MODEL_TYPES + "; ";
            }
            return "";
        }
    }

    /** The BOS and EOS names of {@code tokenizer_config.json}. */
    private record TokenizerConfigJson(String file, String bosToken, String eosToken) {
        static final TokenizerConfigJson ABSENT = new TokenizerConfigJson(null, null, null);

        static TokenizerConfigJson parse(String file, byte[] bytes) {
            JsonNode root = JsonFiles.parseObject(file, bytes);
            return new TokenizerConfigJson(file, tokenName(file, root, "bos_token"), tokenName(file, root, "eos_token"));
        }

        /** HF writes a special token either as its string or as an AddedToken object with "content". */
        private static String tokenName(String file, JsonNode root, String field) {
            JsonNode value = root.get(field);
            if (value == null || value.isNull()) {
                return null;
            }
            if (value.isTextual()) {
                return value.asText();
            }
            if (value.isObject() && value.path("content").isTextual()) {
                return value.get("content").asText();
            }
            throw new ModelFormatException(file, field + " must be a string or an object with a string \"content\", not "
                    + JsonFiles.oneLine(value.toString()));
        }

        OptionalInt resolve(String field, String token, Map<String, Integer> ids, String tokenizerFile) {
            if (token == null) {
                return OptionalInt.empty();
            }
            Integer id = ids.get(token);
            if (id == null) {
                throw new ModelFormatException(file, field + " \"" + token + "\" is not in the vocabulary of "
                        + tokenizerFile);
            }
            return OptionalInt.of(id);
        }
    }

    /** A growable int array, to spare boxing when joining encoded pieces. */
    private static final class IntList {
        private int[] values;
        private int size;

        IntList(int capacity) {
            values = new int[Math.max(capacity, 8)];
        }

        void addAll(int[] more) {
            if (size + more.length > values.length) {
                values = Arrays.copyOf(values, Math.max(values.length * 2, size + more.length));
            }
            System.arraycopy(more, 0, values, size, more.length);
            size += more.length;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
