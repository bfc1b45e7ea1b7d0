package org.atmanrl.driver;

/**
 * A message as the command line prints it: one line, whatever the user supplied (a newline in a
 * path or key is shown as {@code \n}, other control characters as {@code \}{@code uXXXX}), and
 * at most {@link #MAX} characters (a huge value echoed back keeps its start and end).
 */
final class OneLine {
    static final int MAX = 400;
    private static final int TAIL = 80;

    private OneLine() {
    }

    static String of(String message) {
        if (message == null) return "";
        StringBuilder b = new StringBuilder(Math.min(message.length(), MAX + 64));
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (c == '\t') b.append(' ');
            else if (Character.isISOControl(c)) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        if (b.length() <= MAX) return b.toString();
        int elided = b.length() - (MAX - TAIL) - TAIL;
        return b.substring(0, MAX - TAIL) + " ... (" + elided + " characters left out) ... "
                + b.substring(b.length() - TAIL);
    }
}
