package org.atmanrl.driver.report;

import org.atmanrl.executor.eval.SaliencySamples;
import org.atmanrl.reward.saliency.CompletionSpans;

/**
 * Sample completions as token heat maps: one column per completion token, the fitted mask m* on
 * top, the exhaustive AtMan drop below it and the gradient attribution {@code dl/db_j} at {@code b
 * = 0} at the bottom (when the samples file has it: files written before it do not), so that each
 * CoT token's values sit on top of each other; the answer is outlined, whitespace shown (a space
 * as a middle dot, a newline as an arrow). Every CoT value cell carries class {@code cot} and its
 * value in {@code data-v}. The drop and the gradient share one diverging scale, each divided by
 * its sample's largest absolute value: both are positive where the token supports the answer.
 */
final class SaliencyHeatmap {
    private SaliencyHeatmap() {
    }

    static String legend() {
        return "<div class=\"legend\"><span>m* (fitted mask)<span class=\"bar\" style=\"background:linear-gradient(to right,"
                + maskColour(0) + "," + maskColour(1) + ")\"></span>0 &rarr; 1</span>"
                + "<span>AtMan drop l<sub>full</sub> &minus; l<sub>&minus;j</sub>, scaled by the sample's largest |drop|"
                + signedBar() + "</span>"
                + "<span>gradient &part;l/&part;b<sub>j</sub> at b = 0, + where more attention to the token raises l;"
                + " scaled by the sample's largest |value|" + signedBar() + "</span>"
                + "<span><span class=\"tc ans\" style=\"display:inline-flex\"><span>42</span></span> answer</span>"
                + "<span><span class=\"tc delim\" style=\"display:inline-flex\"><span>####</span></span> delimiter</span></div>";
    }

    private static String signedBar() {
        return "<span class=\"bar\" style=\"background:linear-gradient(to right," + signedColour(-1) + ","
                + signedColour(0) + "," + signedColour(1) + ")\"></span>&minus;max &rarr; 0 &rarr; +max";
    }

    /**
     * The number of CoT value cells {@link #render} draws for these samples: per fitted CoT token
     * two, three with the gradient attribution.
     */
    static int cotCells(SaliencySamples samples) {
        int n = 0;
        for (SaliencySamples.Sample s : samples.samples()) {
            if (s.spans() != null) n += rows(s) * s.spans().cotLength();
        }
        return n;
    }

    /** The heat map's rows: the token alone without a fitted mask, else m*, AtMan and maybe the gradient. */
    private static int rows(SaliencySamples.Sample s) {
        return s.spans() == null ? 1 : s.gradientAttribution() == null ? 2 : 3;
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
        double[] g = s.gradientAttribution();
        if (s.spans() != null) {
            b.append("<div class=\"tc label\"><span>m*</span><span>AtMan</span>")
                    .append(g == null ? "" : "<span>&part;l/&part;b</span>").append("</div>");
        }
        CompletionSpans sp = s.spans();
        double dropScale = largestAbs(s.atmanDrops()), gradientScale = largestAbs(g);
        for (int i = 0; i < s.tokens().size(); i++) {
            String text = visible(s.tokens().get(i));
            if (sp != null && i >= sp.cotStart() && i < sp.cotEnd()) {
                int j = i - sp.cotStart();
                double m = s.mask()[j];
                b.append("<div class=\"tc\">")
                        .append(cell("cot mask", maskColour(m), m > 0.6, m, text, "m* = "))
                        .append(signedCell("cot drop", s.atmanDrops()[j], dropScale, text, "AtMan drop = "));
                if (g != null) b.append(signedCell("cot grad", g[j], gradientScale, text, "dl/db = "));
                b.append("</div>");
            } else {
                String kind = sp == null ? "" : i >= sp.answerStart() && i < sp.answerEnd() ? " ans"
                        : i >= sp.cotEnd() && i < sp.answerStart() ? " delim" : "";
                b.append("<div class=\"tc").append(kind).append("\">");
                for (int r = 0; r < rows(s); r++) b.append("<span>").append(text).append("</span>");
                b.append("</div>");
            }
        }
        return b.append("</div></div>").toString();
    }

    /** 0 for none or no values. */
    private static double largestAbs(double[] values) {
        double largest = 0;
        if (values != null) for (double v : values) largest = Math.max(largest, Math.abs(v));
        return largest;
    }

    /** A value on the diverging scale, divided by its sample's largest absolute value. */
    private static String signedCell(String cls, double v, double scale, String text, String what) {
        double norm = scale == 0 ? 0 : v / scale;
        return cell(cls, signedColour(norm), Math.abs(norm) > 0.6, v, text, what);
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
    static String signedColour(double t) {
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
