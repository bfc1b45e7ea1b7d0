/**
 * Datasets: what a prompt is, what a correct completion is, and where problems come from. (In
 * this project a "task" is only ever a Spark task; the config key {@code data.task} names a
 * dataset, {@code DataSpec.Source}.)
 *
 * <ul>
 *   <li>Outcome verifiers (docs/design.md 2.1): {@link org.atmanrl.reward.data.Verifier} gives
 *       a {@link org.atmanrl.reward.data.Verdict} (parsed, correct, extracted answer) for a completion
 *       {@code <CoT> <delimiter> <answer>}, judged after the <em>last</em> delimiter ({@link
 *       org.atmanrl.reward.data.CompletionParts}). Every dataset uses {@code ####}: {@link
 *       org.atmanrl.reward.data.Gsm8kVerifier} (first number after it, exact rationals), {@link
 *       org.atmanrl.reward.data.MultipleChoiceVerifier} (a leading letter A-D), {@link
 *       org.atmanrl.reward.data.IntegerVerifier} (exactly one integer).</li>
 *   <li>The embedded dataset (docs/design.md 2.4): {@link org.atmanrl.reward.data.ArithmeticProblems}
 *       generates {@code Q: 23+45-17=?} / {@code 23+45=68 68-17=51 #### 51} at an {@link
 *       org.atmanrl.reward.data.ArithmeticDifficulty}, and the "CoT ignored" control, with train
 *       and test prompts kept apart by {@link org.atmanrl.reward.data.SplitPartition}.</li>
 *   <li>Data sets (docs/design.md 4): {@link org.atmanrl.reward.data.Gsm8kJsonl} and {@link
 *       org.atmanrl.reward.data.MmluJsonl} stream JSON lines from any Hadoop path, skipping and
 *       reporting, or failing on, malformed rows ({@link org.atmanrl.reward.data.MalformedRowPolicy}).</li>
 *   <li>Prompts: {@link org.atmanrl.reward.data.Gsm8kDataset}, {@link org.atmanrl.reward.data.MmluDataset}
 *       and {@link org.atmanrl.reward.data.ArithmeticDataset} write each problem's {@link
 *       org.atmanrl.reward.data.PromptText}; a {@link org.atmanrl.reward.data.PromptEncoder} turns it
 *       into ids in the plain or the Llama 3 chat {@link org.atmanrl.reward.data.PromptStyle}; the
 *       result is a task-agnostic {@link org.atmanrl.reward.data.Problem} (id, prompt ids, reference,
 *       verifier, optional reference completion), served by index from a {@link
 *       org.atmanrl.reward.data.ProblemSet}.</li>
 *   <li>Biased contexts: {@link org.atmanrl.reward.data.SuggestedAnswers} ends a GSM8K or MMLU
 *       question in Turpin et al.'s suggested wrong answer, which becomes the problem's hint.</li>
 * </ul>
 */
package org.atmanrl.reward.data;
