package org.atmanrl.driver.step;

/**
 * A run stopped because more than {@code optimizer.max_skipped_steps} steps in a row had a NaN or
 * infinite gradient. Not a bug in the program but in what it was given (a learning rate too high,
 * a bad batch of data), so it is reported like bad input, one line, but with its own exit code
 * ({@code ExitCodes.DIVERGED}, 3); a checkpoint of the last
 * good weights was written first, for {@code --resume}.
 */
public final class DivergedRunException extends RuntimeException {
    public DivergedRunException(String message) {
        super(message);
    }
}
