package org.atmanrl.driver.config;

/**
 * A training config that cannot be used: one line naming where the value came from (the config
 * file, or the {@code --set} that gave it), the dotted key, what was given and what is allowed.
 */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        // Faults quoted from parsers and records may span lines; the user gets one.
        super(message.strip().replaceAll("\\s*\\R\\s*", " "));
    }
}
