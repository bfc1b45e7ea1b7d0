package org.atmanrl.model.io;

/**
 * A model-directory file that cannot be used as it is: the message names the file and the fault,
 * in one line, so that a user can act on it without a stack trace.
 */
public final class ModelFormatException extends RuntimeException {
    private final String file;

    public ModelFormatException(String file, String fault) {
        super(file + ": " + fault);
        this.file = file;
    }

    public ModelFormatException(String file, String fault, Throwable cause) {
        super(file + ": " + fault, cause);
        this.file = file;
    }

    /** The file at fault, as the user named it (a Hadoop path). */
    public String file() {
        return file;
    }
}
