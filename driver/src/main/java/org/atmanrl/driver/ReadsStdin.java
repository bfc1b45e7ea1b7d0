package org.atmanrl.driver;

import java.io.InputStream;

/** A command that reads its input from stdin; tests hand it another stream. */
public interface ReadsStdin {
    void stdin(InputStream in);
}
