package org.atmanrl.reward.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.OptionalInt;
import org.atmanrl.model.text.ChatFormat;
import org.atmanrl.model.text.Tokenizer;

/**
 * Turns {@link PromptText}s into prompt token ids in one {@link PromptStyle}, and reference
 * completions into the ids a model is trained to generate after them.
 *
 * <p>{@link PromptStyle#PLAIN}: begin-of-text if the tokenizer names one, then the plain text;
 * completions end with the tokenizer's end-of-sequence. {@link PromptStyle#CHAT}: {@link
 * ChatFormat#prompt} with the optional system message and the prompt's earlier exchanges (the
 * tokenizer must be a Llama 3 Instruct one); completions end with {@code <|eot_id|>}. Text is encoded literally ({@link
 * Tokenizer#encodeLiteral}): a data set's text that spells a special token stays text.
 *
 * <p>The encoder does not own the tokenizer; it is not serializable (encode on the driver, ship
 * the {@link Problem}s).
 */
public final class PromptEncoder {
    private final Tokenizer tokenizer;
    private final PromptStyle style;
    private final String system;
    private final ChatFormat chat;

    private PromptEncoder(Tokenizer tokenizer, PromptStyle style, String systemOrNull) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.style = Objects.requireNonNull(style, "style");
        this.system = systemOrNull;
        this.chat = style == PromptStyle.CHAT ? ChatFormat.of(tokenizer) : null;
    }

    /** The plain style over {@code tokenizer}. */
    public static PromptEncoder plain(Tokenizer tokenizer) {
        return new PromptEncoder(tokenizer, PromptStyle.PLAIN, null);
    }

    /**
     * The chat style over {@code tokenizer}, with a system turn when {@code systemOrNull} is not null.
     *
     * @throws org.atmanrl.model.io.ModelFormatException if the tokenizer lacks Llama 3's chat tokens
     */
    public static PromptEncoder chat(Tokenizer tokenizer, String systemOrNull) {
        return new PromptEncoder(tokenizer, PromptStyle.CHAT, systemOrNull);
    }

    public PromptStyle style() {
        return style;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The prompt ids of {@code prompt}. */
    public int[] encode(PromptText prompt) {
        String text = prompt.text(style);
        if (style == PromptStyle.CHAT) {
            return chat.prompt(system, prompt.earlier(), text);
        }
        int[] ids = tokenizer.encodeLiteral(text);
        OptionalInt bos = tokenizer.bos();
        if (bos.isEmpty()) {
            return ids;
        }
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bos.getAsInt();
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /**
     * The ids of a completion as the model should generate it after the prompt: the text and then
     * the stop token ({@link #stopToken()}), e.g. for SFT on a reference completion.
     */
    public int[] completion(String completionText) {
        int[] ids = tokenizer.encodeLiteral(Objects.requireNonNull(completionText, "completionText"));
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = stopToken();
        return out;
    }

    /**
     * The token that ends a completion: end-of-sequence in the plain style, {@code <|eot_id|>} in
     * the chat style.
     *
     * @throws IllegalStateException in the plain style if the tokenizer names no end-of-sequence token
     */
    public int stopToken() {
        if (style == PromptStyle.CHAT) {
            return chat.stopTokens()[0];
        }
        return tokenizer.eos().orElseThrow(() -> new IllegalStateException(tokenizer.source()
                + " names no eos_token (tokenizer_config.json), so a plain completion has no end"));
    }
}
