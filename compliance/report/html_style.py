"""The auditor report's stylesheet (screen and print), kept apart from the page's structure."""

CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#d1d5db;--soft:#f3f4f6;--err:#9b1c1c;--err-bg:#fde8e8;
--warn:#8a4b08;--warn-bg:#fdf3d0;--info:#1e429f;--info-bg:#e1effe;--ok:#03543f;--ok-bg:#def7ec;--na:#4b5563;
--na-bg:#eef0f3}
*{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}
html{font:15px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans",Roboto,Helvetica,Arial,sans-serif;color:var(--ink)}
body{margin:0 auto;max-width:1180px;padding:28px 32px 48px}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.86em}
code{overflow-wrap:anywhere}
code.path{overflow-wrap:break-word}
pre{background:var(--soft);padding:8px 10px;border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere}
a{color:inherit}
h1{font-size:1.9em;margin:.1em 0 .2em;line-height:1.2}
h2{font-size:1.35em;margin:1.8em 0 .6em;padding-bottom:.25em;border-bottom:2px solid var(--ink)}
h3{font-size:1.1em;margin:1.4em 0 .5em}
h5{font-size:.8em;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:.7em 0 .1em}
p{margin:.4em 0}
.muted{color:var(--muted)}
.masthead{border-bottom:1px solid var(--line);padding-bottom:14px;margin-bottom:18px}
.eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:.78em;color:var(--muted);font-weight:600}
.sub{color:var(--muted);margin:0}
.verdict{display:flex;gap:16px;align-items:center;border:2px solid;border-radius:8px;padding:12px 18px;margin:14px 0}
.verdict.fail{border-color:var(--err);background:var(--err-bg);color:var(--err)}
.verdict.pass{border-color:var(--ok);background:var(--ok-bg);color:var(--ok)}
.verdict-mark{font-size:2.2em;font-weight:700;line-height:1}
.verdict-head{font-size:1.3em;font-weight:700;margin:0}
.verdict-detail{margin:0;color:var(--ink)}
.figures{display:grid;grid-template-columns:repeat(8,minmax(0,1fr));gap:8px;margin:12px 0 6px}
.figure{border:1px solid var(--line);border-radius:6px;padding:8px 10px;background:#fff}
.figure-n{display:block;font-size:1.5em;font-weight:700;line-height:1.1}
.figure-l{font-size:.8em;color:var(--muted)}
.figure.sev-error .figure-n{color:var(--err)}.figure.sev-warning .figure-n{color:var(--warn)}
.figure.sev-info .figure-n{color:var(--info)}
nav.toc{font-size:.9em;color:var(--muted);margin:8px 0 0}
nav.toc a{margin-right:14px}
table{border-collapse:collapse;width:100%;margin:.5em 0}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-weight:600}
.num{text-align:right;font-variant-numeric:tabular-nums}
table.facts th{width:190px;background:var(--soft);font-weight:600}
ul.changed{margin:.3em 0 0;padding-left:1.3em;font-size:.9em}
.badge{display:inline-block;border-radius:4px;padding:0 7px;font-size:.8em;font-weight:700;white-space:nowrap;
border:1px solid;line-height:1.6;vertical-align:baseline}
.sev-error.badge,.st-fail.badge{color:var(--err);background:var(--err-bg);border-color:var(--err)}
.sev-warning.badge{color:var(--warn);background:var(--warn-bg);border-color:var(--warn)}
.sev-info.badge{color:var(--info);background:var(--info-bg);border-color:var(--info)}
.st-pass.badge{color:var(--ok);background:var(--ok-bg);border-color:var(--ok)}
.st-n-a.badge{color:var(--na);background:var(--na-bg);border-color:#9ca3af}
.st-not-run.badge{color:var(--warn);background:var(--warn-bg);border-color:var(--warn);border-style:dashed}
.legend{font-size:.88em;color:var(--muted)}
table.matrix{table-layout:fixed}
table.matrix th:first-child{width:17%}
table.matrix thead th{font-size:.85em;padding:6px 3px;vertical-align:bottom}
table.matrix thead th a{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;display:inline-block}
table.matrix thead th:first-child{text-align:left}
table.matrix thead th:not(:first-child){text-align:center}
table.matrix tbody th{font-weight:600;overflow-wrap:anywhere}
td.cell{text-align:center;font-size:.8em;padding:6px 3px}
td.cell.st-fail{background:var(--err-bg)}td.cell.st-pass{background:var(--ok-bg)}td.cell.st-n-a{background:var(--na-bg)}
.cell-detail{display:block;color:var(--ink);line-height:1.3;margin-top:2px}
td.cell.st-n-a .cell-detail{color:var(--muted)}td.cell.st-not-run{background:var(--warn-bg)}
.row-note{display:block;font-weight:400;font-size:.8em;color:var(--muted)}
.h-count{font-weight:400;font-size:.8em;color:var(--muted);margin-left:6px}
.finding{border:1px solid var(--line);border-left:6px solid;border-radius:6px;padding:10px 14px;margin:10px 0}
.finding.sev-error{border-left-color:var(--err)}.finding.sev-warning{border-left-color:var(--warn)}
.finding.sev-info{border-left-color:var(--info)}
.finding header{font-weight:600;display:flex;flex-wrap:wrap;gap:4px 8px;align-items:baseline}
.fingerprint{margin-left:auto;font:400 .72em ui-monospace,"DejaVu Sans Mono",monospace;color:var(--muted)}
.rule-id{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-weight:700}
.message{margin:.4em 0 .5em}
.finding-facts{display:grid;grid-template-columns:2.4fr 1fr 1fr 2fr;gap:2px 16px;margin:0 0 6px;font-size:.86em}
.finding-facts dt{color:var(--muted);font-size:.85em;text-transform:uppercase;letter-spacing:.03em}
.finding-facts dd{margin:0;overflow-wrap:anywhere}
table.evidence{font-size:.86em;margin:.3em 0 0}
table.evidence td:first-child{width:130px;white-space:nowrap}
table.evidence td:nth-child(2){width:38%}
table.finding-rows{font-size:.84em;table-layout:fixed}table.finding-rows td{padding:2px 6px}
table.finding-rows thead th:first-child{width:34%}table.finding-rows thead th:nth-child(3){width:24%}
table.finding-rows tr.rule-head th{background:#fff;border-left:0;border-right:0;padding-top:6px}
table.finding-rows .fingerprint{margin:0;font-size:.8em;overflow-wrap:anywhere}
ul.places{margin:0;padding-left:1.1em}
.rule{border-top:1px solid var(--line);padding:8px 0 6px}
.rule header{font-size:1.02em}
.rule-title{font-weight:600}
.rule-meta{font-size:.85em;display:flex;flex-wrap:wrap;gap:4px 12px;align-items:center}
.rule-text{display:grid;grid-template-columns:repeat(3,1fr);gap:0 22px;font-size:.92em}
table.inventory{font-size:.78em;table-layout:fixed}
table.inventory th:first-child{width:19%}table.inventory th:nth-child(2){width:5%}
table.inventory td{padding:1px 6px;line-height:1.3}
table.inventory .entry{display:inline-block;margin-right:10px;white-space:nowrap}
table.infos{font-size:.84em}table.infos td{padding:2px 6px}table.infos td:first-child{white-space:nowrap}
code.path{overflow-wrap:break-word}
code.hash{font-size:.92em;white-space:nowrap}
table.exceptions,table.register{font-size:.86em}
table.exceptions td:first-child,table.register td:first-child{white-space:nowrap}
.reason{margin:0;font-weight:600}
table.by-rule,table.controls{font-size:.86em}
table.by-rule td:nth-child(3),table.controls td:nth-child(3){white-space:nowrap}
table.controls td:first-child{white-space:nowrap;color:var(--muted)}
.mark-fail{color:var(--err);font-weight:700}.mark-pass{color:var(--ok)}.mark-n-a{color:var(--muted)}
.mark-not-run{color:var(--warn);font-weight:700}
footer{margin-top:32px;border-top:1px solid var(--line);padding-top:8px;font-size:.82em;color:var(--muted)}
@page{size:A4;margin:14mm 12mm 16mm;@bottom-right{content:"page " counter(page) " of " counter(pages);
font:8pt system-ui,sans-serif;color:#6b7280}}
@media print{
html{font-size:9.5pt}
body{max-width:none;padding:0 2px}
code.hash{font-size:.85em}
table.inventory{font-size:6.6pt}table.inventory code.hash{font-size:6pt}table.inventory .entry{margin-right:6px}
.rule-text{font-size:.86em}.rule{padding:4px 0 2px}.rule-text p{margin:.2em 0}.rule-text pre{padding:4px 6px}
.rule.quiet{padding:1px 0;font-size:.84em;line-height:1.35}
.rule.quiet .rule-text,.rule.quiet .scope,.rule.quiet .provider{display:none}
.rule.quiet header{font-size:1em;display:inline;margin-right:8px}.rule.quiet .rule-meta{margin:0;display:inline}
.rule.quiet .rule-meta>*{margin-right:6px}
.quiet-rules{columns:2;column-gap:16px}.rule.quiet .rule-meta>.badge[class*="sev-"]{display:none}
.rule.quiet{break-inside:avoid;border-top:0}.rule.quiet .why{display:none}
#catalog h3{margin:.7em 0 .2em}
table.finding-rows,table.infos{font-size:.8em}
.na-what{display:none}
nav.toc{display:none}
a{text-decoration:none}
section.page{break-before:page}
h2,h3,h5{break-after:avoid}
thead{display:table-header-group}
tr,.finding,.rule,.verdict,.figure{break-inside:avoid}
}
@media screen and (max-width:800px){.figures{grid-template-columns:repeat(4,minmax(0,1fr))}body{padding:16px}
.finding-facts,.rule-text{grid-template-columns:1fr 1fr}code.hash{white-space:normal;word-break:break-all}}
"""
