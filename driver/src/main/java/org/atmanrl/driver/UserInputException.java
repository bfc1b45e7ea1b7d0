package org.atmanrl.driver;

/**
 * Input a user gave that the command cannot use (a malformed line, an id out of range): reported
 * as one line naming where and what, exit code 1, no stack trace.
 */
public final class UserInputException extends RuntimeException {
    public UserInputException(String message) {
        super(message);
    }
}
