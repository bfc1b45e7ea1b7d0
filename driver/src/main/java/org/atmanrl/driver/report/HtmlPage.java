package org.atmanrl.driver.report;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One self-contained HTML page: inline CSS, Chart.js inlined ({@link ChartLibrary}) and a small
 * script of ours that draws every chart, sorts tables whose header is clicked, and marks what it
 * drew ({@code data-drawn} and {@code data-ink}, the canvas's non-blank pixels, on each canvas;
 * {@code data-charts-drawn} on the body) so that a browser test can read from the DOM that the
 * charts really rendered. Shared by run reports and sweep pages. Chart configs use Chart.js's own
 * JSON form; animation and responsiveness are switched off so that a chart is complete as soon as
 * it is constructed.
 */
final class HtmlPage {
    static final int CHART_WIDTH = 560, CHART_HEIGHT = 280;

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fff}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
            h3{font-size:15px;margin:16px 0 6px}.note{color:#666;font-size:13px}
            .charts{display:flex;flex-wrap:wrap;gap:16px}
            figure{margin:0;border:1px solid #e4e4e4;border-radius:4px;padding:8px}
            figcaption{font-size:13px;font-weight:600;margin-bottom:4px}
            table.data{border-collapse:collapse;font-size:13px}
            table.data th,table.data td{border:1px solid #ddd;padding:3px 8px;text-align:left}
            table.data td.num{text-align:right;font-variant-numeric:tabular-nums}
            table.sortable th{cursor:pointer;background:#f3f3f3}
            table.sortable th[data-dir=asc]::after{content:" \\25B2"}table.sortable th[data-dir=desc]::after{content:" \\25BC"}
            pre.config{background:#f7f7f7;border:1px solid #e4e4e4;padding:8px;font-size:12px;overflow:auto;max-height:480px}
            .heat{display:flex;flex-wrap:wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;row-gap:6px}
            .tc{display:flex;flex-direction:column;margin-right:1px}
            .tc>span{display:block;min-width:9px;padding:1px 2px;white-space:pre;text-align:center;border:1px solid transparent}
            .tc.label>span{font-family:system-ui,sans-serif;font-size:11px;color:#555;text-align:right;padding-right:6px}
            .tc.ans>span{border-color:#e6a100;background:#fff2c6;font-weight:700}
            .tc.delim>span{color:#888;background:#f2f2f2}
            .ws{color:#999}
            .legend{display:flex;gap:24px;align-items:center;font-size:12px;margin:6px 0}
            .bar{display:inline-block;width:160px;height:12px;border:1px solid #ccc;vertical-align:middle;margin:0 6px}
            """;

    /** Draws the charts, marks them, makes tables sortable. */
    private static final String RUNTIME = """
            (function(){
              var drawn=0;
              document.querySelectorAll('canvas[data-chart]').forEach(function(c){
                try{
                  var cfg=JSON.parse(document.getElementById(c.getAttribute('data-chart')).textContent);
                  cfg.options=cfg.options||{};cfg.options.animation=false;cfg.options.responsive=false;
                  new Chart(c,cfg);
                  var d=c.getContext('2d').getImageData(0,0,c.width,c.height).data,ink=0;
                  for(var i=3;i<d.length;i+=4){if(d[i]!==0)ink++;}
                  c.setAttribute('data-ink',String(ink));c.setAttribute('data-drawn','true');drawn++;
                }catch(e){c.setAttribute('data-error',String(e));}
              });
              document.body.setAttribute('data-charts-drawn',String(drawn));
              document.querySelectorAll('table.sortable').forEach(function(t){
                t.querySelectorAll('th').forEach(function(th,col){
                  th.addEventListener('click',function(){
                    var asc=th.getAttribute('data-dir')!=='asc',numeric=th.hasAttribute('data-numeric');
                    t.querySelectorAll('th').forEach(function(h){h.removeAttribute('data-dir');});
                    th.setAttribute('data-dir',asc?'asc':'desc');
                    var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
                    rows.sort(function(a,b){
                      var x=a.cells[col].getAttribute('data-v'),y=b.cells[col].getAttribute('data-v'),r;
                      if(numeric){x=parseFloat(x);y=parseFloat(y);
                        r=isNaN(x)?(isNaN(y)?0:1):isNaN(y)?-1:x-y;if(!asc&&!isNaN(x)&&!isNaN(y))r=-r;}
                      else{r=x.localeCompare(y);if(!asc)r=-r;}
                      return r;});
                    rows.forEach(function(r){body.appendChild(r);});
                  });
                });
              });
            })();
            """;

    private final String title;
    private final StringBuilder body = new StringBuilder();
    private int charts;

    HtmlPage(String title) {
        this.title = title;
        body.append("<h1>").append(escape(title)).append("</h1>\n");
    }

    HtmlPage section(String heading) {
        body.append("<h2>").append(escape(heading)).append("</h2>\n");
        return this;
    }

    HtmlPage note(String text) {
        body.append("<p class=\"note\">").append(escape(text)).append("</p>\n");
        return this;
    }

    /** Markup built by this package, its text already escaped. */
    HtmlPage html(String markup) {
        body.append(markup).append('\n');
        return this;
    }

    HtmlPage openCharts() {
        body.append("<div class=\"charts\">\n");
        return this;
    }

    HtmlPage closeCharts() {
        body.append("</div>\n");
        return this;
    }

    /** A captioned chart; {@code config} is a Chart.js configuration ({@code type}, {@code data}, {@code options}). */
    HtmlPage chart(String caption, ObjectNode config) {
        String id = "chart-" + charts++;
        body.append("<figure><figcaption>").append(escape(caption)).append("</figcaption>")
                .append("<canvas width=\"").append(CHART_WIDTH).append("\" height=\"").append(CHART_HEIGHT)
                .append("\" data-chart=\"").append(id).append("-config\" data-caption=\"").append(escape(caption))
                .append("\"></canvas>")
                .append("<script type=\"application/json\" id=\"").append(id).append("-config\">")
                .append(scriptJson(config.toString())).append("</script></figure>\n");
        return this;
    }

    int charts() {
        return charts;
    }

    String render() {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(title)
                + "</title>\n<style>\n" + CSS + "</style>\n<script>\n" + ChartLibrary.source() + "\n</script>\n</head>\n"
                + "<body>\n" + body + "<script>\n" + RUNTIME + "</script>\n</body>\n</html>\n";
    }

    /** Text for HTML content and attribute values. */
    static String escape(String text) {
        if (text == null) return "";
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** JSON inside a script element: a '<' only occurs in strings there, where \\u003c means the same. */
    private static String scriptJson(String json) {
        return json.replace("<", "\\u003c");
    }
}
