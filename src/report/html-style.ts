/** The report page's stylesheet, inlined so report.html works offline and as a single file. */
export const HTML_STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--good:#1a7f37;--good-bg:#dafbe1;--bad:#cf222e;--bad-bg:#ffebe9;
--warn:#9a6700;--warn-bg:#fff8c5;--mute:#59636e;--mute-bg:#eff2f5;--accent:#0969da}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;line-height:1.25;margin:0 0 4px}
h2{font-size:19px;margin:36px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line);display:flex;gap:10px;align-items:center;flex-wrap:wrap}
h3{font-size:15px;margin:22px 0 8px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.muted{color:var(--muted);font-weight:400}
.banner{display:flex;gap:20px;align-items:flex-start;border-radius:10px;padding:18px 22px;border:1px solid;margin-bottom:10px}
.banner.tone-good{background:var(--good-bg);border-color:#aceebb}.banner.tone-bad{background:var(--bad-bg);border-color:#ffcecb}
.banner.tone-warn,.banner.tone-muted{background:var(--warn-bg);border-color:#f5e0a0}
.pill{font-weight:700;font-size:22px;letter-spacing:.04em;color:#fff;border-radius:8px;padding:8px 16px;flex:none}
.tone-good .pill{background:var(--good)}.tone-bad .pill{background:var(--bad)}.tone-warn .pill,.tone-muted .pill{background:var(--warn)}
.headline p{margin:2px 0}
.banner ul{margin:8px 0 0;padding:0;list-style:none}.banner li{margin:4px 0}
.counts{font-weight:600}
.meta{color:var(--muted);font-size:13px;margin:0 0 6px}
nav{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:13px;padding:8px 0;border-bottom:1px solid var(--line)}
.badge{display:inline-block;font-size:11.5px;font-weight:700;letter-spacing:.03em;border-radius:999px;padding:1px 9px;white-space:nowrap;border:1px solid transparent}
.badge.tone-good{color:var(--good);background:var(--good-bg);border-color:#aceebb}
.badge.tone-bad{color:var(--bad);background:var(--bad-bg);border-color:#ffcecb}
.badge.tone-warn{color:var(--warn);background:var(--warn-bg);border-color:#f5e0a0}
.badge.tone-muted{color:var(--mute);background:var(--mute-bg);border-color:var(--line)}
.callout{border-left:4px solid var(--warn);background:var(--warn-bg);padding:8px 14px;border-radius:0 6px 6px 0;margin:14px 0}
.callout.info{border-color:var(--accent);background:#ddf4ff}
.callout p{margin:3px 0}
.callout ul{margin:4px 0 2px;padding-left:20px}.callout li{margin:2px 0}
.callout.diagnosis{border-color:#8250df;background:#fbefff}
.diag{display:block;margin:3px 0 0;font-size:13.5px}
.diag-tag{display:inline-block;font-size:10.5px;font-weight:700;letter-spacing:.04em;text-transform:uppercase;color:#8250df;background:#fbefff;border:1px solid #e6c8f5;border-radius:4px;padding:0 6px;margin-right:4px;vertical-align:1px}
.hover{border-bottom:1px dotted var(--muted);cursor:help}
table.impact .sub{white-space:normal}table.impact .sub.time-to-verdict{font-weight:600;margin:4px 0 10px}table.timing{width:auto;min-width:60%}
.nowrap{white-space:nowrap}table.impact td.fails{background:var(--bad-bg)}
.sub.sampled{color:var(--warn);font-weight:600}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:7px 8px;border-bottom:1px solid var(--line)}
th{background:var(--soft);font-weight:600;font-size:12px;color:var(--muted)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.sub{display:block;color:var(--muted);font-size:11.5px;white-space:nowrap}
tr.reason-row td{padding-top:0;border-bottom:1px solid var(--line);color:var(--fg);font-size:12.5px}
tr.has-reason td{border-bottom:none}
.nowrap{white-space:nowrap}.identical{background:var(--good-bg);border:1px solid #aceebb;border-radius:6px;padding:8px 12px;color:var(--good)}
.bad{color:var(--bad);font-weight:600}.good{color:var(--good)}
.text-cell{max-width:420px;white-space:pre-wrap;overflow-wrap:anywhere}
.backend-name{font-weight:600;white-space:nowrap}
pre.message{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:10px 12px;white-space:pre-wrap;overflow-wrap:anywhere;margin:10px 0}
ul.reasons{margin:6px 0;padding-left:20px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:14px 22px;margin:12px 0}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px 12px 8px;background:#fff}
figure.wide{grid-column:1/-1}
figcaption{font-weight:600;font-size:13px;margin-bottom:4px}
figure p{margin:4px 0 0;color:var(--muted);font-size:12px}
svg.chart{display:block;width:100%;height:auto;max-width:100%}
svg.chart text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg .tick{font-size:11px;fill:#59636e}svg .axis-label{font-size:11.5px;fill:#3d444d}
svg .thr{font-size:11px;font-weight:600}svg .halo{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}svg .note{font-size:12.5px;fill:#59636e}
svg .cell-value{font-size:11px;fill:#1f2328}svg .cell-value.on-dark{fill:#fff}
svg .bars rect:hover,svg .cell:hover rect{opacity:.7}
.bi{display:flex;flex-wrap:wrap;gap:14px 28px;align-items:flex-start}.bi figure{flex:0 1 664px;min-width:0}.bi-summary{flex:1 1 300px}
.agree{display:flex;flex-wrap:wrap;gap:18px 28px;align-items:flex-start}.heat{width:fit-content;max-width:100%}.pairs{flex:1 1 320px;max-width:520px}.pairs h3{margin-top:0}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:6px 0}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;overflow-wrap:anywhere}
.provenance{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:8px 28px}.provenance .wide{grid-column:1/-1}
.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere}
table.impact .sub.env-change{white-space:normal;overflow-wrap:anywhere;min-width:14em;max-width:30em}ul.drift{margin:6px 0 12px;padding-left:20px}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:10px}
@media print{main{max-width:none}.charts{grid-template-columns:1fr 1fr}}
`;
