package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.model.text.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MMLU's five-shot prompts from the dev split: which examples, in which order, written how. */
class MmluFewShotTest {
    private static final String INSTRUCTION_ALGEBRA = "The following is a multiple choice question about abstract"
            + " algebra. Think step by step, then end your answer with a last line of the form \"#### <letter>\","
            + " where <letter> is A, B, C or D.";

    @TempDir
    java.nio.file.Path tmp;

    private static Tokenizer llama3;
    private static final Tokenizer chars = Tokenizer.fromJson("embedded", CharTokenizerFiles.tokenizerJson(),
            CharTokenizerFiles.tokenizerConfigJson(256));

    private static MmluRow row(long line, String subject, String question, String answer) {
        return new MmluRow(line, subject, question, List.of("w", "x", "y", "z"), answer);
    }

    private static LoadedDataset<MmluRow> dataset(String file, List<MmluRow> rows) {
        return new LoadedDataset<>(rows, new DatasetReport(file, rows.size(), 0, 0, List.of()));
    }

    private static Tokenizer llama3() throws IOException {
        if (llama3 == null) {
            java.nio.file.Path dir = SharedData.directory().resolve("tokenizers/llama3");
            assumeTrue(Files.isRegularFile(dir.resolve(Tokenizer.TOKENIZER_FILE)), () -> "Llama 3 tokenizer test data"
                    + " absent: no " + dir.resolve(Tokenizer.TOKENIZER_FILE) + " (set ATMANRL_SHARED_DATA to the"
                    + " shared/data folder)");
            Path path = new Path(dir.toUri());
            llama3 = Tokenizer.load(JsonlFiles.fs(path), path);
        }
        return llama3;
    }

    @AfterAll
    static void close() {
        chars.close();
        if (llama3 != null) {
            llama3.close();
        }
    }

    @Test
    void examplesAreTheFirstKOfTheSameSubjectInFileOrder() {
        LoadedDataset<MmluRow> dev = dataset("dev.jsonl", List.of(row(1, "law", "l1", "A"), row(2, "art", "a1", "B"),
                row(3, "law", "l2", "C"), row(4, "art", "a2", "D"), row(5, "law", "l3", "A"), row(6, "law", "l4", "B")));
        MmluShots shots = MmluShots.of(dev, 3);
        assertEquals(List.of(1L, 3L, 5L), shots.examples("law").stream().map(MmluRow::line).toList());
        assertEquals(List.of(), MmluShots.of(dev, 0).examples("law"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> shots.examples("art"));
        assertEquals("the dev split dev.jsonl has 2 questions of subject \"art\", fewer than the 3 shots asked for",
                e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> shots.examples("chess")).getMessage()
                .contains("has 0 questions of subject \"chess\""));
        assertThrows(IllegalArgumentException.class, () -> MmluShots.of(dev, -1));
    }

    @Test
    void aTestSubjectWithTooFewExamplesFailsBeforeAnyPromptNamingRowAndSubject() {
        LoadedDataset<MmluRow> dev = dataset("mmlu_dev.jsonl", List.of(row(1, "law", "l1", "A"), row(2, "law", "l2", "B"),
                row(3, "art", "a1", "C")));
        LoadedDataset<MmluRow> test = dataset("mmlu_test.jsonl", List.of(row(1, "law", "q1", "A"), row(2, "law", "q2", "B"),
                row(3, "art", "q3", "C")));
        PromptEncoder plain = PromptEncoder.plain(chars);
        DatasetFormatException e = assertThrows(DatasetFormatException.class,
                () -> MmluDataset.problems(test, plain, MmluShots.of(dev, 2)));
        assertEquals("mmlu_test.jsonl:3: field \"subject\": the dev split mmlu_dev.jsonl has 1 question of subject"
                + " \"art\", fewer than the 2 shots asked for", e.getMessage());
        assertEquals(3, MmluDataset.problems(test, plain, MmluShots.of(dev, 1)).size());
    }

    @Test
    void plainFewShotIsAnsweredBlocksEndingInTheQuestion() {
        MmluRow first = new MmluRow(1, "abstract_algebra", "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.",
                List.of("0", "1", "2", "3"), "B");
        MmluRow second = new MmluRow(2, "abstract_algebra", "Is 2 a unit?", List.of("Yes", "No", "Maybe", "Never"), "A");
        MmluRow question = new MmluRow(9, "abstract_algebra", "What is 1+1 mod 2?", List.of("0", "1", "2", "3"), "A");
        MmluShots shots = MmluShots.of(dataset("dev.jsonl", List.of(first, second)), 2);
        String expected = INSTRUCTION_ALGEBRA + "\n\nQuestion: Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\n"
                + "A. 0\nB. 1\nC. 2\nD. 3\nAnswer:\n#### B\n\n"
                + INSTRUCTION_ALGEBRA + "\n\nQuestion: Is 2 a unit?\nA. Yes\nB. No\nC. Maybe\nD. Never\nAnswer:\n#### A\n\n"
                + INSTRUCTION_ALGEBRA + "\n\nQuestion: What is 1+1 mod 2?\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer:\n";
        Problem p = MmluDataset.problem(question, "test", PromptEncoder.plain(chars), shots);
        assertEquals(expected, p.promptText());
        assertEquals("mmlu/test/9", p.id());
        assertEquals("A", p.reference());
        assertTrue(p.verify("Adding gives 0.\n#### A").correct());
        assertTrue(!p.verify("#### B").correct());
    }

    /**
     * The chat prompt of a real test question with five real dev examples, on the real Llama 3
     * tokenizer: the examples are picked here independently (the dev rows of the question's
     * subject, in order), and the expected text is the Llama 3 template written out by hand.
     */
    @Test
    void fiveShotChatPromptOnTheRealTokenizer() throws IOException {
        Tokenizer tokenizer = llama3();
        Path devFile = SharedData.file("mmlu/mmlu_dev.jsonl");
        Path testFile = SharedData.file("mmlu/mmlu_test.jsonl");
        LoadedDataset<MmluRow> dev = MmluJsonl.load(JsonlFiles.fs(devFile), devFile, MalformedRowPolicy.FAIL);
        LoadedDataset<MmluRow> test = MmluJsonl.load(JsonlFiles.fs(testFile), testFile, MalformedRowPolicy.FAIL);
        ProblemSet problems = MmluDataset.problems(test, PromptEncoder.chat(tokenizer, null), MmluShots.of(dev, 5));
        for (int index : new int[] {0, 5000}) {
            MmluRow question = test.rows().get(index);
            List<MmluRow> sameSubject = dev.rows().stream().filter(r -> r.subject().equals(question.subject())).toList();
            assertEquals(5, sameSubject.size(), "the dev split has 5 per subject");
            StringBuilder rendered = new StringBuilder("<|begin_of_text|>");
            for (MmluRow example : sameSubject) {
                rendered.append("<|start_header_id|>user<|end_header_id|>\n\n").append(MmluDataset.prompt(example).user())
                        .append("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n#### ")
                        .append(example.answer()).append("<|eot_id|>");
            }
            rendered.append("<|start_header_id|>user<|end_header_id|>\n\n").append(MmluDataset.prompt(question).user())
                    .append("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
            Problem p = problems.get(index);
            assertEquals(rendered.toString(), tokenizer.decode(p.promptIds()), p.id());
            // apply_chat_template encodes the rendered text with its special tokens read as such
            assertArrayEquals(tokenizer.encode(rendered.toString()), p.promptIds(), p.id());
            assertEquals(MmluDataset.prompt(question).user(), p.promptText());
            assertEquals(6, tokenizer.decode(p.promptIds()).split("<\\|start_header_id\\|>user", -1).length - 1,
                    "five examples and the question");
        }
        MmluRow first = test.rows().get(0);
        assertEquals("abstract_algebra", first.subject());
        assertTrue(tokenizer.decode(problems.get(0).promptIds()).startsWith("<|begin_of_text|><|start_header_id|>user"
                + "<|end_header_id|>\n\n" + INSTRUCTION_ALGEBRA + "\n\nQuestion: Find all c in Z_3 such that"
                + " Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3<|eot_id|><|start_header_id|>assistant"
                + "<|end_header_id|>\n\n#### B<|eot_id|>"), "the first dev question of abstract algebra comes first");
    }
}
