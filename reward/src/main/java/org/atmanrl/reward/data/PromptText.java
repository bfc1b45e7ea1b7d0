package org.atmanrl.reward.data;

import java.util.List;
import java.util.Objects;
import org.atmanrl.model.text.ChatFormat;

/**
 * A problem's prompt in both styles: {@code user}, the message an instruct model gets in its
 * (last) user turn ({@link PromptStyle#CHAT}), and {@code plain}, the whole text a base model
 * continues ({@link PromptStyle#PLAIN}): the user message with a cue after it, ending in a newline
 * so that the completion starts on its own line.
 *
 * @param earlier exchanges the chat style writes as user and assistant turns before {@code user}
 *                (few-shot examples); empty for a zero-shot prompt. The plain text carries its own
 *                examples, written inline.
 */
public record PromptText(String user, String plain, List<ChatFormat.Exchange> earlier) {
    public PromptText {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(plain, "plain");
        earlier = List.copyOf(earlier);
    }

    /** A zero-shot prompt. */
    public PromptText(String user, String plain) {
        this(user, plain, List.of());
    }

    /** The text of {@code style}: for the chat style only the last user message. */
    public String text(PromptStyle style) {
        return style == PromptStyle.CHAT ? user : plain;
    }
}
