package org.atmanrl.reward.data;

/** How a task's prompt text becomes the model's input. */
public enum PromptStyle {
    /**
     * For base models and the embedded tiny model: begin-of-text (when the tokenizer has one) and
     * the task's plain prompt text, which ends where the completion starts (with a newline).
     */
    PLAIN,
    /** For instruct models: the task's user message in the Llama 3 Instruct chat format, up to the assistant header. */
    CHAT
}
