package org.atmanrl.driver.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** Chart.js configurations for the few kinds of chart the pages draw. */
final class Charts {
    /** Colour-blind-safe (Okabe-Ito), in the order series are given. */
    private static final String[] COLOURS = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
        "#F0E442", "#000000"};

    /** One line or bar series: x values and y values, a y being NaN where there is none (a gap). */
    record Series(String label, double[] x, double[] y) {
        Series {
            if (x.length != y.length) throw new IllegalArgumentException(label + ": " + x.length + " x, " + y.length + " y");
        }
    }

    private Charts() {
    }

    /** Lines over a numeric x axis; points are drawn too, so a one-step run still shows. */
    static ObjectNode lines(String xTitle, String yTitle, List<Series> series) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("type", "line");
        ArrayNode sets = c.putObject("data").putArray("datasets");
        for (int s = 0; s < series.size(); s++) {
            Series one = series.get(s);
            ObjectNode d = sets.addObject();
            d.put("label", one.label()).put("borderColor", colour(s)).put("backgroundColor", colour(s))
                    .put("pointRadius", one.x().length > 60 ? 0 : 2.5).put("borderWidth", 1.5).put("spanGaps", false);
            ArrayNode points = d.putArray("data");
            for (int i = 0; i < one.x().length; i++) {
                ObjectNode p = points.addObject().put("x", one.x()[i]);
                if (Double.isFinite(one.y()[i])) p.put("y", one.y()[i]); else p.putNull("y");
            }
        }
        ObjectNode scales = c.putObject("options").putObject("scales");
        axis(scales.putObject("x").put("type", "linear"), xTitle);
        axis(scales.putObject("y"), yTitle);
        return c;
    }

    /** Bars over category labels, stacked when {@code stacked}. */
    static ObjectNode bars(List<String> labels, String xTitle, String yTitle, List<Series> series, boolean stacked) {
        ObjectNode c = JsonNodeFactory.instance.objectNode();
        c.put("type", "bar");
        ObjectNode data = c.putObject("data");
        ArrayNode l = data.putArray("labels");
        labels.forEach(l::add);
        ArrayNode sets = data.putArray("datasets");
        for (int s = 0; s < series.size(); s++) {
            Series one = series.get(s);
            ObjectNode d = sets.addObject().put("label", one.label()).put("backgroundColor", colour(s));
            ArrayNode values = d.putArray("data");
            for (double y : one.y()) {
                if (Double.isFinite(y)) values.add(y); else values.addNull();
            }
        }
        ObjectNode options = c.putObject("options");
        ObjectNode scales = options.putObject("scales");
        axis(scales.putObject("x").put("stacked", stacked), xTitle);
        axis(scales.putObject("y").put("stacked", stacked), yTitle);
        if (series.size() == 1) options.putObject("plugins").putObject("legend").put("display", false);
        return c;
    }

    /**
     * Per category a bar of its mean and, beside it, a floating bar from low to high (Chart.js 4 has
     * no error bars of its own; a floating bar is its documented way to draw a range). NaN leaves
     * out a bar.
     */
    static ObjectNode meansWithIntervals(List<String> labels, String yTitle, double[] mean, double[] low, double[] high) {
        if (mean.length != labels.size() || low.length != labels.size() || high.length != labels.size()) {
            throw new IllegalArgumentException(yTitle + ": " + labels.size() + " labels, " + mean.length + " means, "
                    + low.length + " lows, " + high.length + " highs");
        }
        ObjectNode c = bars(labels, null, yTitle, List.of(new Series("mean", new double[mean.length], mean)), false);
        ArrayNode range = ((ArrayNode) c.get("data").get("datasets")).addObject()
                .put("label", "95% confidence interval").put("backgroundColor", colour(5)).putArray("data");
        for (int i = 0; i < mean.length; i++) {
            if (Double.isFinite(low[i]) && Double.isFinite(high[i])) range.addArray().add(low[i]).add(high[i]);
            else range.addNull();
        }
        // two kinds of bar: the legend says which is which
        ((ObjectNode) c.get("options")).remove("plugins");
        return c;
    }

    private static void axis(ObjectNode axis, String title) {
        axis.putObject("title").put("display", title != null).put("text", title == null ? "" : title);
    }

    private static String colour(int i) {
        return COLOURS[i % COLOURS.length];
    }
}
