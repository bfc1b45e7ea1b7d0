package org.atmanrl.reward.task;

import java.util.Objects;

/**
 * A problem's prompt in both styles: {@code user}, the message an instruct model gets in its user
 * turn ({@link PromptStyle#CHAT}), and {@code plain}, the whole text a base model continues
 * ({@link PromptStyle#PLAIN}): the user message with a cue after it, ending in a newline so that
 * the completion starts on its own line.
 */
public record PromptText(String user, String plain) {
    public PromptText {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(plain, "plain");
    }

    /** The text of {@code style}. */
    public String text(PromptStyle style) {
        return style == PromptStyle.CHAT ? user : plain;
    }
}
