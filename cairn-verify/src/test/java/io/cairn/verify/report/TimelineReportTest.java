package io.cairn.verify.report;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cairn.verify.history.History;
import io.cairn.verify.history.Op;
import io.cairn.verify.history.OpKind;
import io.cairn.verify.history.Status;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TimelineReportTest {
    private static final long MS = 1_000_000;
    /** nanoTime readings are arbitrary; a large base catches code that assumes they start at 0. */
    private static final long T0 = 7_000_000_000_000L;
    private static final String EVIL = "<script>&\"";
    private static final Pattern OP_RECT = Pattern.compile(
            "<rect class=\"op ([a-z ]+)\" x=\"([-0-9.]+)\" y=\"[-0-9.]+\" width=\"([-0-9.]+)\"[^>]*><title>#(\\d+) ");

    @TempDir
    Path dir;

    @Test
    void rendersEscapedTimelineWithFaultsAndHighlights() throws Exception {
        History h = History.builder()
                .write(1, EVIL, "a<b>&'c'", T0, T0 + 10 * MS)                           // #0
                .read(2, EVIL, "a<b>&'c'", T0 + 12 * MS, T0 + 15 * MS)                  // #1
                .fail(3, "x", OpKind.CAS, T0 + 2 * MS, T0 + 3 * MS, "old", "new")       // #2
                .info(2, EVIL, OpKind.WRITE, T0 + 20 * MS, "lost?")                     // #3, never completed
                .op(4, "ctl\u0007\uD800", OpKind.INCR, null, T0 + 30 * MS, T0 + 40 * MS, Status.INFO, "1") // #4, gave up
                .cas(3, "x", null, "v", true, T0 + 41 * MS, T0 + 50 * MS)              // #5
                .build();
        List<FaultWindow> faults = List.of(
                new FaultWindow("partition", "n1 | n2 <n3>", T0 + 5 * MS, T0 + 25 * MS),
                FaultWindow.open("kill", "n2 & n3", T0 + 45 * MS));
        Path file = dir.resolve("sub/report.html");

        TimelineReport.writeHtml(file, "run <1> & \"more\"", h, faults,
                List.of("verdict: NOT_LINEARIZABLE <bad>", "seed: 42"), Set.of(0L, 1L, 999L));

        String html = Files.readString(file, StandardCharsets.UTF_8);
        assertAll(
                () -> assertTrue(html.startsWith("<!DOCTYPE html>")),
                () -> assertTrue(html.contains("<svg"), "has a chart"),
                () -> assertTrue(html.contains("&quot;&lt;script&gt;&amp;\\&quot;&quot;"), "key escaped in tooltips"),
                () -> assertFalse(html.contains("<script"), "no raw key, and the page itself has no scripts"),
                () -> assertTrue(html.contains("a&lt;b&gt;&amp;&#39;c&#39;"), "values escaped"),
                () -> assertTrue(html.contains("ctl\\u0007\\ud800"), "control chars and broken surrogates made visible"),
                () -> assertFalse(html.contains("\u0007"), "no raw control chars"),
                () -> assertTrue(html.contains("<title>run &lt;1&gt; &amp; &quot;more&quot;</title>")),
                () -> assertTrue(html.contains("verdict: NOT_LINEARIZABLE &lt;bad&gt;")),
                () -> assertTrue(html.contains("class=\"fault\""), "fault band drawn"),
                () -> assertTrue(html.contains(">partition n1 | n2 &lt;n3&gt;</text>"), "fault band labelled"),
                () -> assertTrue(html.contains("never healed"), "open fault listed"),
                () -> assertTrue(html.contains("1 highlighted op ids are not in this history")),
                () -> assertTrue(html.contains("p99"), "latency table"),
                () -> assertTrue(html.contains(">p4</text>"), "lane label"));

        Map<Long, Rect> rects = opRects(html);
        assertEquals(Set.of(0L, 1L, 2L, 3L, 4L, 5L), rects.keySet(), "every op drawn once");
        assertEquals("ok hl", rects.get(0L).classes());
        assertEquals("ok hl", rects.get(1L).classes());
        assertEquals("fail", rects.get(2L).classes());
        assertEquals("ok", rects.get(5L).classes());
        assertEquals(TimelineChart.LEFT, rects.get(0L).x(), 0.01, "the first op starts at time zero");
        for (long info : new long[] {3, 4}) {
            Rect r = rects.get(info);
            assertEquals("info", r.classes());
            assertEquals(TimelineChart.WIDTH - 16, r.x() + r.width(), 0.2, "INFO ops run to the end of the chart");
        }
        assertSvgsAreWellFormed(html);
    }

    @Test
    void samplesLargeHistoriesAndCapsLanes() throws Exception {
        History.Builder b = History.builder();
        for (int i = 0; i < 30_000; i++) {
            b.write(i % 300, "k" + (i % 7), "v" + i, T0 + i * MS / 10, T0 + i * MS / 10 + MS);
        }
        History h = b.build();
        Set<Long> highlighted = Set.of(1L, 14_999L, 29_998L);
        Path file = dir.resolve("big.html");

        TimelineReport.writeHtml(file, "big", h, List.of(), List.of(), highlighted);

        String html = Files.readString(file, StandardCharsets.UTF_8);
        int drawn = count(html, "class=\"op ");
        assertTrue(drawn <= TimelineReport.MAX_DRAWN_OPS, drawn + " op rects");
        assertEquals(TimelineReport.MAX_DRAWN_OPS, drawn, "the budget is used");
        assertTrue(html.contains("Sampled: the history has 30,000 operations"), "sampling is disclosed");
        assertTrue(html.contains("show 20,000 of them"));
        Map<Long, Rect> rects = opRects(html);
        for (long id : highlighted) {
            assertEquals("ok hl", rects.get(id).classes(), "highlighted op #" + id + " survives sampling");
        }
        assertTrue(html.contains("100 more share the &ldquo;other&rdquo; lane"), "lanes capped");
        assertTrue(html.contains(">other</text>"));
        assertEquals(30_000, Integer.parseInt(
                html.replaceAll("(?s).*<b>all</b></td><td>([0-9,]+)</td>.*", "$1").replace(",", "")),
                "tables count every op, not just the drawn ones");
        assertTrue(Files.size(file) < 20_000_000, "bounded output: " + Files.size(file));
    }

    @Test
    void emptyHistoryYieldsAValidPage() throws Exception {
        Path file = dir.resolve("empty.html");
        TimelineReport.writeHtml(file, "empty", History.builder().build(),
                List.of(new FaultWindow("partition", "n1 | n2", 100, 200)), List.of("verdict: UNKNOWN"), Set.of());

        String html = Files.readString(file, StandardCharsets.UTF_8);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.trim().endsWith("</html>"));
        assertTrue(html.contains("No operations"), html);
        assertTrue(html.contains("<td>0.000</td><td>0.000</td>"), "fault times relative to the first fault");
        assertFalse(html.contains("class=\"op "));
    }

    @Test
    void faultWindowsMustNotEndBeforeTheyStart() {
        assertThrows(IllegalArgumentException.class, () -> new FaultWindow("kill", "n1", 10, 9));
        assertTrue(new FaultWindow("kill", "n1", 10, 10).ended());
        assertFalse(FaultWindow.open("kill", "n1", Long.MIN_VALUE).ended());
    }

    @Test
    void survivesExtremeClockReadings() throws Exception {
        // HistoryTest uses Long.MIN_VALUE invocations; time differences must not overflow.
        History h = History.builder()
                .add(Op.of(0, 0, "k", OpKind.WRITE, null, Long.MIN_VALUE, Long.MIN_VALUE + 5, Status.OK, "v"))
                .write(1, "k", "w", Long.MAX_VALUE - 10, Long.MAX_VALUE - 1)
                .build();
        String html = TimelineReport.render("extreme", h, List.of(), List.of(), Set.of());
        assertEquals(2, count(html, "class=\"op "));
        assertFalse(html.contains("NaN") || html.contains("Infinity"), "coordinates are finite");
        assertSvgsAreWellFormed(html);
    }

    @Test
    void percentilesAreNearestRank() {
        double[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, LatencyStats.percentile(sorted, 0.5));
        assertEquals(10, LatencyStats.percentile(sorted, 0.99));
        assertEquals(10, LatencyStats.percentile(sorted, 1.0));
        assertEquals(7, LatencyStats.percentile(new double[] {7}, 0.5));
    }

    /** A drawn op: its CSS classes after "op" and its horizontal extent. */
    private record Rect(String classes, double x, double width) {
    }

    private static Map<Long, Rect> opRects(String html) {
        Map<Long, Rect> rects = new HashMap<>();
        Matcher m = OP_RECT.matcher(html);
        while (m.find()) {
            long id = Long.parseLong(m.group(4));
            Rect r = new Rect(m.group(1), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)));
            assertTrue(rects.put(id, r) == null, "op #" + id + " drawn twice");
        }
        return rects;
    }

    /** Inline SVG must also be well-formed XML, which catches any escaping slip in the charts. */
    private static void assertSvgsAreWellFormed(String html) throws Exception {
        Matcher svg = Pattern.compile("(?s)<svg .*?</svg>").matcher(html);
        int n = 0;
        while (svg.find()) {
            n++;
            DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(svg.group().getBytes(StandardCharsets.UTF_8)));
        }
        assertTrue(n > 0, "no svg found");
    }

    private static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
