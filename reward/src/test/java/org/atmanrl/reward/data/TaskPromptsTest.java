package org.atmanrl.reward.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.atmanrl.model.io.ModelFormatException;
import org.atmanrl.model.text.CharTokenizerFiles;
import org.atmanrl.model.text.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Prompts and reference completions as token ids, and the Problem shape, on the embedded character tokenizer. */
class TaskPromptsTest {
    static final Gsm8kRow JANET = new Gsm8kRow(3, "Janet's ducks lay 16 eggs per day. How much does she make?",
            "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18");
    static final MmluRow ALGEBRA = new MmluRow(7, "abstract_algebra",
            "Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.", List.of("0", "1", "2", "3"), "B");

    private static Tokenizer chars;
    private static PromptEncoder plain;

    @BeforeAll
    static void load() {
        chars = Tokenizer.fromJson("embedded", CharTokenizerFiles.tokenizerJson(), CharTokenizerFiles.tokenizerConfigJson(256));
        plain = PromptEncoder.plain(chars);
    }

    @AfterAll
    static void close() {
        chars.close();
    }

    @Test
    void arithmeticPromptIsBosAndTheQuestionLineAndTheCompletionEndsInEos() {
        ArithmeticProblems.Worked w = ArithmeticProblems.worked(new long[] {23, 45, 17}, new char[] {'+', '-'});
        ArithmeticProblem a = new ArithmeticProblem("arithmetic/train/0", Split.TRAIN, 0, w.question(), w.chainOfThought(), w.answer());
        Problem p = ArithmeticDataset.problem(a, plain);

        assertArrayEquals(concat(new int[] {CharTokenizerFiles.BEGIN_OF_TEXT_ID}, charIds("Q: 23+45-17=?\n")), p.promptIds());
        assertEquals("Q: 23+45-17=?\n", p.promptText());
        assertEquals("23+45=68 68-17=51 #### 51", p.referenceCompletion().orElseThrow());
        int[] completion = plain.completion(p.referenceCompletion().orElseThrow());
        assertArrayEquals(concat(charIds("23+45=68 68-17=51 #### 51"), new int[] {CharTokenizerFiles.END_OF_TEXT_ID}), completion);
        assertEquals("<|begin_of_text|>Q: 23+45-17=?\n23+45=68 68-17=51 #### 51<|end_of_text|>",
                chars.decode(concat(p.promptIds(), completion)));
        assertEquals("arithmetic/train/0", p.id());
        assertEquals("51", p.reference());
        assertEquals("####", p.delimiter());
        assertEquals(Verdict.parsed("51", true), p.verify(p.referenceCompletion().orElseThrow()));
        assertEquals(Verdict.parsed("50", false), p.verify("23+45=68 68-17=50 #### 50"));
        assertFalse(p.verify("23+45=68 68-17=51").parsed());
    }

    @Test
    void generatedProblemsNeverNeedTheUnknownToken() {
        List<ArithmeticDifficulty> difficulties = List.of(ArithmeticDifficulty.DEFAULT, ArithmeticDifficulty.HARDER,
                new ArithmeticDifficulty(1, 6, 0, 99, "+-*"));
        for (ArithmeticDifficulty d : difficulties) {
            for (ArithmeticProblems g : List.of(ArithmeticProblems.chained(d, 1), ArithmeticProblems.control(d, 1))) {
                ProblemSet set = ArithmeticDataset.problems(g, Split.TEST, 300, plain);
                for (int i = 0; i < set.size(); i++) {
                    Problem p = set.get(i);
                    int[] all = concat(p.promptIds(), plain.completion(p.referenceCompletion().orElseThrow()));
                    assertTrue(Arrays.stream(all).noneMatch(id -> id == CharTokenizerFiles.UNKNOWN_ID), p.promptText());
                    assertEquals(p.promptText() + p.referenceCompletion().orElseThrow(),
                            chars.decode(Arrays.copyOfRange(all, 1, all.length - 1)));
                    assertTrue(p.verify(p.referenceCompletion().orElseThrow()).correct());
                }
            }
        }
    }

    @Test
    void problemSetsAreIndexedNamedAndStable() {
        ArithmeticProblems g = ArithmeticProblems.chained(ArithmeticDifficulty.DEFAULT, 3);
        ProblemSet set = ArithmeticDataset.problems(g, Split.TEST, 100, plain);
        assertEquals("arithmetic/test", set.name());
        assertEquals(100, set.size());
        assertEquals(set.get(5), set.get(5));
        assertEquals("arithmetic/test/5", set.get(5).id());
        assertEquals(g.get(Split.TEST, 5).completion(), set.get(5).referenceCompletion().orElseThrow());
        assertNotEquals(set.get(5), set.get(6));
        assertThrows(IndexOutOfBoundsException.class, () -> set.get(100));
        assertThrows(IndexOutOfBoundsException.class, () -> set.get(-1));
        assertEquals("arithmetic-control/train",
                ArithmeticDataset.problems(ArithmeticProblems.control(ArithmeticDifficulty.DEFAULT, 3), Split.TRAIN, 1, plain).name());
    }

    @Test
    void gsm8kPlainPromptAsksForTheVerifiersDelimiterAndItsSolutionVerifies() {
        Problem p = Gsm8kDataset.problem(JANET, "test", plain);
        String expected = "Solve the following math problem step by step. End your answer with a last line of the form"
                + " \"#### <number>\", where <number> is the final answer as a plain number.\n\n"
                + "Question: Janet's ducks lay 16 eggs per day. How much does she make?\nAnswer:\n";
        assertEquals(expected, p.promptText());
        // (the character vocabulary lacks some of these characters; Llama3PromptsTest decodes them back)
        assertArrayEquals(concat(new int[] {CharTokenizerFiles.BEGIN_OF_TEXT_ID}, chars.encode(expected)), p.promptIds());
        assertTrue(p.promptText().contains("\"" + p.delimiter() + " <number>\""), "template and verifier agree");
        assertEquals("gsm8k/test/3", p.id());
        assertEquals("18", p.reference());
        assertEquals("Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day.\n#### 18",
                p.referenceCompletion().orElseThrow());
        assertTrue(p.verify(p.referenceCompletion().orElseThrow()).correct());
        assertTrue(p.verify("16 - 3 - 4 = 9, 9 * 2 = 18.\n#### 18").correct());
        assertEquals("gsm8k/test", Gsm8kDataset.problems(List.of(JANET), "test", plain).name());
    }

    @Test
    void mmluPlainPromptListsTheChoicesAndAsksForTheVerifiersDelimiter() {
        Problem p = MmluDataset.problem(ALGEBRA, "mmlu_dev", plain);
        String expected = "The following is a multiple choice question about abstract algebra. Think step by step,"
                + " then end your answer with a last line of the form \"#### <letter>\", where <letter> is A, B, C or D.\n\n"
                + "Question: Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer:\n";
        assertEquals(expected, p.promptText());
        // (the character vocabulary lacks some of these characters; Llama3PromptsTest decodes them back)
        assertArrayEquals(concat(new int[] {CharTokenizerFiles.BEGIN_OF_TEXT_ID}, chars.encode(expected)), p.promptIds());
        assertTrue(p.promptText().contains("\"" + p.delimiter() + " <letter>\""), "template and verifier agree");
        assertEquals("mmlu/mmlu_dev/7", p.id());
        assertTrue(p.referenceCompletion().isEmpty());
        assertTrue(p.verify("x^2+1 has no root in Z_3.\n#### B").correct());
        assertFalse(p.verify("x^2+1 has no root in Z_3.\n#### C").correct());
        assertFalse(p.verify("Answer: B").parsed());
    }

    @Test
    void theChatStyleNeedsALlama3Tokenizer() {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> PromptEncoder.chat(chars, null));
        assertTrue(e.getMessage().contains("Llama 3"), e.getMessage());
    }

    @Test
    void withoutBosAndEosThePlainPromptIsTheTextAndACompletionCannotEnd() {
        try (Tokenizer bare = Tokenizer.fromJson("bare", CharTokenizerFiles.tokenizerJson(), null)) {
            PromptEncoder encoder = PromptEncoder.plain(bare);
            assertArrayEquals(charIds("Q: 1+2=?\n"), encoder.encode(new PromptText("Q: 1+2=?", "Q: 1+2=?\n")));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> encoder.completion("1+2=3 #### 3"));
            assertTrue(e.getMessage().contains("names no eos_token"), e.getMessage());
        }
    }

    @Test
    void problemsSurviveJavaSerializationAsSparkShipsThem() throws IOException, ClassNotFoundException {
        List<Problem> problems = List.of(Gsm8kDataset.problem(JANET, "test", plain), MmluDataset.problem(ALGEBRA, "dev", plain),
                ArithmeticDataset.problem(ArithmeticProblems.control(ArithmeticDifficulty.DEFAULT, 1).get(Split.TRAIN, 0), plain));
        for (Problem p : problems) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(p);
            }
            Problem back;
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                back = (Problem) in.readObject();
            }
            assertEquals(p, back);
            assertEquals(p.verify("#### B"), back.verify("#### B"));
        }
    }

    @Test
    void aProblemChecksItsReferenceAndCopiesItsIds() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Problem("x", "Q", new int[] {1}, "fifty", null, IntegerVerifier.DEFAULT));
        assertTrue(e.getMessage().contains("is not an integer"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Problem("x", "Q", new int[0], "5", null, IntegerVerifier.DEFAULT));
        int[] ids = {1, 2, 3};
        Problem p = new Problem("x", "Q", ids, "5", null, IntegerVerifier.DEFAULT);
        ids[0] = 9;
        p.promptIds()[1] = 9;
        assertArrayEquals(new int[] {1, 2, 3}, p.promptIds());
    }

    static int[] charIds(String text) {
        return text.chars().map(c -> CharTokenizerFiles.vocabulary().indexOf(String.valueOf((char) c))).toArray();
    }

    static int[] concat(int[] a, int[] b) {
        return IntStream.concat(Arrays.stream(a), Arrays.stream(b)).toArray();
    }
}
