/**
 * Tasks: what a prompt is, what a correct completion is, and where problems come from.
 *
 * <ul>
 *   <li>Outcome verifiers (docs/design.md 2.1): {@link org.atmanrl.reward.task.Verifier} gives
 *       a {@link org.atmanrl.reward.task.Verdict} (parsed, correct, extracted answer) for a completion
 *       {@code <CoT> <delimiter> <answer>}, judged after the <em>last</em> delimiter ({@link
 *       org.atmanrl.reward.task.CompletionParts}). Every task uses {@code ####}: {@link
 *       org.atmanrl.reward.task.Gsm8kVerifier} (first number after it, exact rationals), {@link
 *       org.atmanrl.reward.task.MultipleChoiceVerifier} (a leading letter A-D), {@link
 *       org.atmanrl.reward.task.IntegerVerifier} (exactly one integer).</li>
 *   <li>The embedded task (docs/design.md 2.4): {@link org.atmanrl.reward.task.ArithmeticProblems}
 *       generates {@code Q: 23+45-17=?} / {@code 23+45=68 68-17=51 #### 51} at an {@link
 *       org.atmanrl.reward.task.ArithmeticDifficulty}, and the "CoT ignored" control, with train
 *       and test prompts kept apart by {@link org.atmanrl.reward.task.SplitPartition}.</li>
 *   <li>Data sets (docs/design.md 4): {@link org.atmanrl.reward.task.Gsm8kJsonl} and {@link
 *       org.atmanrl.reward.task.MmluJsonl} stream JSON lines from any Hadoop path, skipping and
 *       reporting, or failing on, malformed rows ({@link org.atmanrl.reward.task.MalformedRowPolicy}).</li>
 *   <li>Prompts: {@link org.atmanrl.reward.task.Gsm8kTask}, {@link org.atmanrl.reward.task.MmluTask}
 *       and {@link org.atmanrl.reward.task.ArithmeticTask} write each problem's {@link
 *       org.atmanrl.reward.task.PromptText}; a {@link org.atmanrl.reward.task.PromptEncoder} turns it
 *       into ids in the plain or the Llama 3 chat {@link org.atmanrl.reward.task.PromptStyle}; the
 *       result is a task-agnostic {@link org.atmanrl.reward.task.Problem} (id, prompt ids, reference,
 *       verifier, optional reference completion), served by index from a {@link
 *       org.atmanrl.reward.task.ProblemSet}.</li>
 *   <li>Biased contexts: {@link org.atmanrl.reward.task.SuggestedAnswers} ends a GSM8K or MMLU
 *       question in Turpin et al.'s suggested wrong answer, which becomes the problem's hint.</li>
 * </ul>
 */
package org.atmanrl.reward.task;
