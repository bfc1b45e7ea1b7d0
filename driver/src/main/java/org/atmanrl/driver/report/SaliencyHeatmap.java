package org.atmanrl.driver.report;

import org.atmanrl.executor.eval.SaliencySamples;
import org.atmanrl.reward.saliency.CompletionSpans;

/**
 * Sample completions as token heat maps: one column per completion token, the fitted mask m*
 * above and the exhaustive AtMan drop below, so that each CoT token's two values sit on top of
 * each other; the answer is outlined, whitespace shown (a space as a middle dot, a newline as
 * an arrow). Every CoT value cell carries class {@code cot} and its value in {@code data-v}.
 */
final class SaliencyHeatmap {
    private SaliencyHeatmap() {
    }

    static String legend() {
        return "<div class=\"legend\"><span>m* (fitted mask)<span class=\"bar\" style=\"background:linear-gradient(to right,"
                + maskColour(0) + "," + maskColour(1) + ")\"></span>0 &rarr; 1</span>"
                + "<span>AtMan drop l<sub>full</sub> &minus; l<sub>&minus;j</sub>, scaled by the sample's largest |drop|"
                + "<span class=\"bar\" style=\"background:linear-gradient(to right," + dropColour(-1) + ","
                + dropColour(0) + "," + dropColour(1) + ")\"></span>&minus;max &rarr; 0 &rarr; +max</span>"
                + "<span><span class=\"tc ans\" style=\"display:inline-flex\"><span>42</span></span> answer</span>"
                + "<span><span class=\"tc delim\" style=\"display:inline-flex\"><span>####</span></span> delimiter</span></div>";
    }

    /** The number of CoT value cells {@link #render} draws for these samples (two per fitted CoT token). */
    static int cotCells(SaliencySamples samples) {
        int n = 0;
        for (SaliencySamples.Sample s : samples.samples()) {
            if (s.spans() != null) n += 2 * s.spans().cotLength();
        }
        return n;
    }

    static String render(SaliencySamples.Sample s) {
        StringBuilder b = new StringBuilder("<div class=\"sample\">");
        b.append("<h3>").append(HtmlPage.escape(s.problem())).append(": ")
                .append(s.correct() ? "correct" : s.parsed() ? "wrong" : "unparsed");
        if (s.score() != null) {
            b.append(String.format(java.util.Locale.ROOT, " &middot; N %.3f, C %.3f, S %.3f, r_sal %.4f",
                    s.score().necessity(), s.score().coverage(), s.score().sufficiency(), s.score().reward()));
        }
        b.append("</h3><div class=\"note\">prompt: <code>").append(visible(s.prompt())).append("</code>");
        if (s.reference() != null) b.append(" &middot; reference: <code>").append(HtmlPage.escape(s.reference())).append("</code>");
        if (s.extracted() != null) b.append(" &middot; answered: <code>").append(HtmlPage.escape(s.extracted())).append("</code>");
        b.append("</div>");
        if (s.spans() == null) {
            b.append("<p class=\"note\">no mask fitted (only correct completions with a located answer get one):</p>");
        }
        b.append("<div class=\"heat\">");
        if (s.spans() != null) {
            b.append("<div class=\"tc label\"><span>m*</span><span>AtMan</span></div>");
        }
        CompletionSpans sp = s.spans();
        double scale = 0;
        if (sp != null) for (double d : s.atmanDrops()) scale = Math.max(scale, Math.abs(d));
        for (int i = 0; i < s.tokens().size(); i++) {
            String text = visible(s.tokens().get(i));
            if (sp != null && i >= sp.cotStart() && i < sp.cotEnd()) {
                int j = i - sp.cotStart();
                double m = s.mask()[j], d = s.atmanDrops()[j];
                double norm = scale == 0 ? 0 : d / scale;
                b.append("<div class=\"tc\">")
                        .append(cell("cot mask", maskColour(m), m > 0.6, m, text, "m* = "))
                        .append(cell("cot drop", dropColour(norm), Math.abs(norm) > 0.6, d, text, "AtMan drop = "))
                        .append("</div>");
            } else {
                String kind = sp == null ? "" : i >= sp.answerStart() && i < sp.answerEnd() ? " ans"
                        : i >= sp.cotEnd() && i < sp.answerStart() ? " delim" : "";
                b.append("<div class=\"tc").append(kind).append("\"><span>").append(text).append("</span>");
                if (sp != null) b.append("<span>").append(text).append("</span>");
                b.append("</div>");
            }
        }
        return b.append("</div></div>").toString();
    }

    private static String cell(String cls, String colour, boolean dark, double v, String text, String what) {
        // white text on the dark end of a scale, so that the token stays legible
        return "<span class=\"" + cls + "\" style=\"background:" + colour + (dark ? ";color:#fff" : "") + "\" data-v=\""
                + v + "\" title=\"" + what
                + String.format(java.util.Locale.ROOT, "%.4f", v) + "\">" + text + "</span>";
    }

    /** White to blue. */
    static String maskColour(double m) {
        double t = Math.max(0, Math.min(1, m));
        return rgb(255 + t * (8 - 255), 255 + t * (81 - 255), 255 + t * (156 - 255));
    }

    /** Blue-green below 0, white at 0, red above, for t in [-1, 1]. */
    static String dropColour(double t) {
        t = Math.max(-1, Math.min(1, t));
        return t >= 0 ? rgb(255 + t * (178 - 255), 255 + t * (24 - 255), 255 + t * (43 - 255))
                : rgb(255 - t * (1 - 255), 255 - t * (133 - 255), 255 - t * (113 - 255));
    }

    private static String rgb(double r, double g, double b) {
        return "rgb(" + Math.round(r) + "," + Math.round(g) + "," + Math.round(b) + ")";
    }

    /** Escaped, with whitespace made visible. */
    static String visible(String text) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case ' ' -> b.append("<span class=\"ws\">&middot;</span>");
                case '\n' -> b.append("<span class=\"ws\">&crarr;</span>");
                case '\t' -> b.append("<span class=\"ws\">&rarr;</span>");
                case '\r' -> b.append("<span class=\"ws\">\\r</span>");
                default -> b.append(HtmlPage.escape(String.valueOf(c)));
            }
        }
        return b.length() == 0 ? "&#8203;" : b.toString();
    }
}
