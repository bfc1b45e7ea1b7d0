package org.atmanrl.driver.inspect;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import org.atmanrl.model.text.ChatFormat;
import org.atmanrl.model.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code atmanrl tokenize}: a model directory's tokenizer over JSON lines, both directions. */
@Command(name = "tokenize",
        sortOptions = false,
        description = {
            "Encodes or decodes JSON lines on stdin with a model directory's tokenizer.",
            "",
            "  encode (default)  {\"text\": \"...\"}    ->  {\"ids\": [...]}",
            "  --decode          {\"ids\": [...]}      ->  {\"text\": \"...\"}",
            "",
            "It writes one output line per input line, in order, and copies the other",
            "fields of each line through (e.g. an \"id\" to join on). Blank lines are",
            "skipped. Encoding adds no BOS/EOS; special tokens written in the text (e.g.",
            "<|eot_id|>) become their id.",
            ""},
        footer = {
            "",
            "Examples:",
            "  echo '{\"text\": \"What is 2+2?\"}' | atmanrl tokenize --model DIR --chat",
            "  echo '{\"ids\": [9906, 11, 1917, 0]}' | atmanrl tokenize --model DIR --decode",
            ""})
public final class TokenizeCommand extends ModelJsonLinesCommand {
    @Option(names = "--decode", description = "Turn {\"ids\"} lines into {\"text\"} lines.")
    private boolean decode;

    @Option(names = "--chat", description = "Encode each text as the user turn of a Llama 3 Instruct"
            + " chat prompt, ending with the assistant header (what a model generates from).")
    private boolean chat;

    @Option(names = "--system", paramLabel = "TEXT",
            description = "With --chat, add a system turn with TEXT before the user turn.")
    private String system;

    @Option(names = "--skip-special", description = "With --decode, leave special tokens out of the text.")
    private boolean skipSpecial;

    @Override
    public Integer call() throws Exception {
        if (decode && (chat || system != null)) {
            throw new ParameterException(spec.commandLine(), "--chat and --system apply to encoding, not --decode");
        }
        if (system != null && !chat) {
            throw new ParameterException(spec.commandLine(), "--system needs --chat");
        }
        if (skipSpecial && !decode) {
            throw new ParameterException(spec.commandLine(), "--skip-special applies to --decode only");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Tokenizer tokenizer = Tokenizer.load(model.fileSystem(), model.path())) {
            ChatFormat format = chat ? ChatFormat.of(tokenizer) : null;
            JsonLinesInput input = input();
            for (JsonLinesInput.Line line = input.next(); line != null; line = input.next()) {
                ObjectNode result;
                if (decode) {
                    int[] ids = line.ids("ids", tokenizer.vocabSize());
                    result = line.passThrough("ids");
                    result.put("text", tokenizer.decode(ids, skipSpecial));
                } else {
                    String text = line.text("text");
                    int[] ids = chat ? format.prompt(system, text) : tokenizer.encode(text);
                    result = line.passThrough("text");
                    ArrayNode a = result.putArray("ids");
                    for (int id : ids) a.add(id);
                }
                out.println(JsonLinesInput.write(result));
            }
        }
        out.flush();
        return 0;
    }
}
