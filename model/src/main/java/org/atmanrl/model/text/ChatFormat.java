package org.atmanrl.model.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import org.atmanrl.model.io.ModelFormatException;

/**
 * The Llama 3 Instruct chat format, which turns a question into the prompt an instruct model was
 * trained on. It gives the ids of HF's {@code apply_chat_template(messages,
 * add_generation_prompt=True)} for Llama 3:
 *
 * <pre>
 * &lt;|begin_of_text|&gt;[&lt;|start_header_id|&gt;system&lt;|end_header_id|&gt;\n\n{system}&lt;|eot_id|&gt;]
 * &lt;|start_header_id|&gt;user&lt;|end_header_id|&gt;\n\n{user}&lt;|eot_id|&gt;&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n
 * </pre>
 *
 * with each content stripped of surrounding whitespace as the template's {@code | trim} does (with
 * Python's idea of whitespace).
 *
 * <p>Encoding is piecewise, not of the rendered string as HF does: the header and end-of-turn
 * tokens go in by id and each role and content through {@link Tokenizer#encodeLiteral}. HF's
 * tokenizer splits the rendered string at the special tokens before anything else, so for
 * ordinary text the pieces are the very segments it encodes and the ids are identical; but when a
 * question (from a data set, or from a user) contains the string {@code <|eot_id|>} or {@code
 * <|start_header_id|>}, HF would encode the real control token and let the text end the turn or
 * open a forged one, whereas here it stays text. For training on rewards that difference is worth
 * having: the model never sees a prompt whose structure its content has changed.
 */
public final class ChatFormat {
    static final String BEGIN_OF_TEXT = "<|begin_of_text|>";
    static final String START_HEADER = "<|start_header_id|>";
    static final String END_HEADER = "<|end_header_id|>";
    static final String END_OF_TURN = "<|eot_id|>";
    static final String END_OF_TEXT = "<|end_of_text|>";

    private final Tokenizer tokenizer;
    private final int beginOfText;
    private final int startHeader;
    private final int endHeader;
    private final int endOfTurn;
    private final int[] stopTokens;

    private ChatFormat(Tokenizer tokenizer, int[] required, OptionalInt endOfText) {
        this.tokenizer = tokenizer;
        this.beginOfText = required[0];
        this.startHeader = required[1];
        this.endHeader = required[2];
        this.endOfTurn = required[3];
        this.stopTokens = endOfText.isPresent() ? new int[] {endOfTurn, endOfText.getAsInt()} : new int[] {endOfTurn};
    }

    /** The chat format over {@code tokenizer}, which must have Llama 3's header and turn tokens. */
    public static ChatFormat of(Tokenizer tokenizer) {
        String[] names = {BEGIN_OF_TEXT, START_HEADER, END_HEADER, END_OF_TURN};
        int[] ids = new int[names.length];
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            OptionalInt id = tokenizer.tokenId(names[i]);
            if (id.isPresent()) {
                ids[i] = id.getAsInt();
            } else {
                missing.add(names[i]);
            }
        }
        if (!missing.isEmpty()) {
            throw new ModelFormatException(tokenizer.source(), "lacks the Llama 3 chat token(s) "
                    + String.join(", ", missing) + ", so it is not a Llama 3 Instruct tokenizer");
        }
        return new ChatFormat(tokenizer, ids, tokenizer.tokenId(END_OF_TEXT));
    }

    /**
     * The prompt for one question: begin-of-text, the system turn if {@code systemOrNull} is not
     * null (an empty string gives an empty system turn, as in HF), the user turn, and the header of
     * the assistant's turn that the model continues.
     */
    public int[] prompt(String systemOrNull, String user) {
        return prompt(systemOrNull, List.of(), user);
    }

    /**
     * The prompt for a question after earlier exchanges (few-shot examples written as a
     * conversation): begin-of-text, the optional system turn, each exchange's user and assistant
     * turns in order, then the user turn of {@code user} and the assistant header, as HF renders
     * {@code [system], user, assistant, ..., user} with {@code add_generation_prompt=True}.
     */
    public int[] prompt(String systemOrNull, List<Exchange> earlier, String user) {
        Objects.requireNonNull(user, "user");
        List<int[]> pieces = new ArrayList<>();
        pieces.add(new int[] {beginOfText});
        if (systemOrNull != null) {
            addTurn(pieces, "system", systemOrNull);
        }
        for (Exchange e : earlier) {
            addTurn(pieces, "user", e.user());
            addTurn(pieces, "assistant", e.assistant());
        }
        addTurn(pieces, "user", user);
        addHeader(pieces, "assistant");
        return concat(pieces);
    }

    /** An earlier user turn and the assistant's answer to it. */
    public record Exchange(String user, String assistant) {
        public Exchange {
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(assistant, "assistant");
        }
    }

    /** The tokens that end the assistant's answer: {@code <|eot_id|>}, and {@code <|end_of_text|>} if present. */
    public int[] stopTokens() {
        return stopTokens.clone();
    }

    private void addTurn(List<int[]> pieces, String role, String content) {
        pieces.add(new int[] {startHeader});
        pieces.add(tokenizer.encodeLiteral(role));
        pieces.add(new int[] {endHeader});
        // One piece, as in HF, where "\n\n" and the content form one segment between special tokens.
        pieces.add(tokenizer.encodeLiteral("\n\n" + pythonStrip(content)));
        pieces.add(new int[] {endOfTurn});
    }

    private void addHeader(List<int[]> pieces, String role) {
        pieces.add(new int[] {startHeader});
        pieces.add(tokenizer.encodeLiteral(role));
        pieces.add(new int[] {endHeader});
        pieces.add(tokenizer.encodeLiteral("\n\n"));
    }

    /**
     * {@code s.strip()} as Python (and so Jinja's {@code trim}) does it: Java's {@link
     * String#strip} keeps the no-break spaces U+00A0, U+2007, U+202F and the next-line U+0085,
     * which Python removes.
     */
    static String pythonStrip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isPythonSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isPythonSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || c == '\u00a0' || c == '\u2007' || c == '\u202f' || c == '\u0085';
    }

    private static int[] concat(List<int[]> pieces) {
        int length = 0;
        for (int[] piece : pieces) {
            length += piece.length;
        }
        int[] out = new int[length];
        int at = 0;
        for (int[] piece : pieces) {
            System.arraycopy(piece, 0, out, at, piece.length);
            at += piece.length;
        }
        return out;
    }
}
