package io.cairn.verify.report;

/** The page's stylesheet; inline so the report has no external resources. */
final class Style {
    static final String CSS = """
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em 2em;color:#222}
            h1{font-size:1.45em;margin:0 0 .4em}
            h2{font-size:1.15em;margin:1.6em 0 .5em;border-bottom:1px solid #ddd}
            ul.summary{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;padding-left:1.2em}
            .meta{color:#555}
            .note{background:#fff4d6;border-left:4px solid #e0a000;padding:4px 8px}
            .empty{color:#666;font-style:italic}
            .legend{font-size:12px;color:#444}
            .sw{display:inline-block;width:12px;height:10px;margin:0 4px 0 10px;vertical-align:middle;border-radius:2px}
            .s-ok{background:#3b9c4b}.s-fail{background:#a0a0a0}.s-info{background:#f5b041}.s-hl{background:#d40000}
            table{border-collapse:collapse;font-size:13px}
            th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}
            th{background:#f4f4f4}
            .l{text-align:left}
            code{font-size:12px;white-space:pre-wrap;word-break:break-all}
            svg{display:block;max-width:100%;height:auto;font:10px system-ui,sans-serif}
            .lane-bg{fill:#f6f6f6}
            .lane-label,.tick,.caption{fill:#555}
            .axis{stroke:#888}.grid{stroke:#e4e4e4}
            .op.ok{fill:#3b9c4b}
            .op.fail{fill:#a0a0a0;stroke:#b03a2e;stroke-width:.6}
            .op.info{fill:url(#hatch-info);stroke:#e08a00;stroke-width:.6;stroke-dasharray:3 2}
            .op.hl{fill:#d40000;fill-opacity:1;stroke:#4a0000;stroke-width:2;stroke-dasharray:none}
            .lat{fill-opacity:.75}
            .lat.hl{fill:#d40000;fill-opacity:1;stroke:#4a0000;stroke-width:1.5}
            .op:hover,.lat:hover{stroke:#000;stroke-width:2}
            .fault{fill-opacity:.13}
            .fault-label{font-size:11px;font-weight:600}
            """;

    private Style() {
    }
}
