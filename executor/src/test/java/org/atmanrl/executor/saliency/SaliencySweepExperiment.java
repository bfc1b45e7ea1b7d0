package org.atmanrl.executor.saliency;

import java.util.ArrayList;
import java.util.List;
import org.atmanrl.model.LlamaModel;
import org.atmanrl.reward.saliency.MaskFitter;
import org.atmanrl.reward.saliency.SaliencyConfig;
import org.atmanrl.reward.saliency.SaliencyScore;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The mask-fit settings measured against issue 4's saliency acceptance on the same trained model
 * and completions as {@link SaliencyOnTrainedModelTest}: for each setting, ROC AUC of m* on the
 * copied result, the real/control r_sal ratio, and N, C, S on both. Settings are
 * {@code K,lr,theta0,lambda,P|D} (P preservation, D deletion) separated by ';' in {@code -Dsweep=...}:
 * {@code mvn -pl executor -am test -Dtest=SaliencySweepExperiment -Dsurefire.failIfNoSpecifiedTests=false
 * -Dsurefire.excludedGroups=none "-Dsweep=8,0.5,0,1,P;16,0.75,0,1,P"}. It asserts nothing: it measures.
 */
@Tag("experiment")
class SaliencySweepExperiment {
    @Test
    void sweep() throws Exception {
        SaliencyOnTrainedModelTest.trainedModel();
        LlamaModel model = new LlamaModel(SaliencyOnTrainedModelTest.weights);
        var real = SaliencyOnTrainedModelTest.correctCompletions(model, SaliencyOnTrainedModelTest.data.test);
        var control = SaliencyOnTrainedModelTest.correctCompletions(model, SaliencyOnTrainedModelTest.data.controlTest);
        System.out.printf("real %d control %d%n", real.sequences().size(), control.sequences().size());
        String spec = System.getProperty("sweep", "8,0.5,0,1,P");
        for (String s : spec.split(";")) {
            String[] f = s.split(",");
            SaliencyConfig d = SaliencyConfig.defaults();
            SaliencyConfig c = new SaliencyConfig(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]), d.epsilon(), f[4].equals("D") ? SaliencyConfig.MaskObjective.DELETION
                    : SaliencyConfig.MaskObjective.PRESERVATION, d.form(), d.alpha(), d.perturbationFactor(), 64,
                    d.mask(), d.headRank(), d.headLearningRate(), d.auditEvery(), d.headRows());
            long t0 = System.nanoTime();
            List<SaliencyScore> rs = new MaskFitter(model, c).score(real.sequences(), real.spans()).scores();
            List<SaliencyScore> cs = new MaskFitter(model, c).score(control.sequences(), control.spans()).scores();
            List<Double> pos = new ArrayList<>(), neg = new ArrayList<>();
            for (int i = 0; i < rs.size(); i++) {
                double[] m = rs.get(i).mask();
                boolean[] copied = SaliencyOnTrainedModelTest.copiedResult(real.cots().get(i));
                for (int j = 0; j < m.length; j++) (copied[j] ? pos : neg).add(m[j]);
            }
            double auc = RocAuc.auc(pos, neg);
            double rr = rs.stream().mapToDouble(SaliencyScore::reward).average().orElse(0);
            double cr = cs.stream().mapToDouble(SaliencyScore::reward).average().orElse(0);
            System.out.printf("SWEEP K=%s lr=%s th0=%s lam=%s %s floor=%.2g: AUC %.3f ratio %.2f | real rsal %.4f N %.3f C %.3f S %.3f"
                            + " | control rsal %.4f N %.3f C %.3f S %.3f | pos %.3f neg %.3f | %.0f s%n",
                    f[0], f[1], f[2], f[3], f[4], c.floor(), auc, rr / cr, rr, m(rs, SaliencyScore::necessity),
                    m(rs, SaliencyScore::coverage), m(rs, SaliencyScore::sufficiency), cr, m(cs, SaliencyScore::necessity),
                    m(cs, SaliencyScore::coverage), m(cs, SaliencyScore::sufficiency),
                    pos.stream().mapToDouble(x -> x).average().orElse(0), neg.stream().mapToDouble(x -> x).average().orElse(0),
                    (System.nanoTime() - t0) / 1e9);
        }
        SaliencyOnTrainedModelTest.free();
    }

    static double m(List<SaliencyScore> s, java.util.function.ToDoubleFunction<SaliencyScore> f) {
        return s.stream().mapToDouble(f).average().orElse(0);
    }
}
