/**
 * The one stylesheet, served at /assets/app.css (CSP: style-src 'self', so no
 * inline styles anywhere). Calm and plain: system fonts, one accent colour,
 * cards, light and dark via prefers-color-scheme. No framework.
 *
 * Conventions the pages use:
 * - `.card` a white box; `.notice.{ok,info,warning,error}` feedback;
 * - `.badge.{ok,warn,err}` statuses (key status, active);
 * - `.actions` a row of buttons; `button.secondary`, `button.danger`;
 * - `.table-wrap` scrolls a wide table; `table.stack` (with `data-label` on
 *   each cell) becomes one card per row under 720 px, so nothing hides
 *   off-screen on a phone;
 * - `pre[data-copy]` a command (wraps instead of scrolling; the page script
 *   adds a small Copy button after it).
 */
export const APP_CSS = `
:root{--bg:#f5f6f8;--fg:#1b1e23;--muted:#57606a;--card:#fff;--line:#d8dce2;--accent:#1f5fbf;--accent-fg:#fff;--accent-soft:#e8f0fc;
--ok:#1d6b3f;--warn:#7a5200;--err:#b3261e;--ok-bg:#e7f4ec;--warn-bg:#fff5db;--err-bg:#fcebea;--danger:#b3261e;--danger-fg:#fff;--focus:#b35c00;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",sans-serif;font-size:16px;line-height:1.5;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#14161a;--fg:#e6e8eb;--muted:#a4acb6;--card:#1c1f24;--line:#353a42;--accent:#8ab4ff;--accent-fg:#0b1a33;--accent-soft:#1d2a40;
--ok:#7dd3a0;--warn:#f0c560;--err:#ff9b94;--ok-bg:#13271b;--warn-bg:#2b2410;--err-bg:#331816;--danger:#c0392b;--danger-fg:#fff;--focus:#ffb454}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg)}
a{color:var(--accent);text-underline-offset:2px}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
input[type=date]:focus,input[type=date]:focus-within{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:8px}.skip:focus{left:8px;background:var(--card);padding:6px 10px;z-index:9}

header.top{background:var(--card);border-bottom:1px solid var(--line)}
header.top .bar{max-width:1180px;margin:0 auto;padding:10px 16px 4px;display:flex;gap:8px 16px;align-items:center;flex-wrap:wrap}
header.top .brand{font-weight:700;font-size:1.05rem;text-decoration:none;color:var(--fg);margin-right:auto;letter-spacing:.01em}
header.top .account{display:flex;gap:10px;align-items:center;color:var(--muted);font-size:.9rem}
header.top .account button{padding:3px 12px;font-size:.9rem}
nav.main{max-width:1180px;margin:0 auto;padding:0 10px}
nav.main ul{list-style:none;display:flex;flex-wrap:wrap;gap:0 2px;margin:0;padding:0}
nav.main a{display:block;text-decoration:none;padding:8px 8px 7px;border-bottom:3px solid transparent;color:var(--fg)}
nav.main a:hover{color:var(--accent)}
nav.main a[aria-current=page]{border-bottom-color:var(--accent);color:var(--accent);font-weight:600}

main{max-width:1180px;margin:0 auto;padding:22px 16px 56px}
h1{font-size:1.55rem;line-height:1.25;margin:.1em 0 .7em}h2{font-size:1.15rem;margin:1.4em 0 .5em}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:0 0 18px}
.card>:first-child{margin-top:0}.card>:last-child{margin-bottom:0}
.card:has(form[action="/login"]){max-width:27rem;margin:7vh auto 0}
form.card[action="/account/password"]{max-width:36rem}
.notice{border-radius:8px;padding:10px 14px;margin:0 0 16px;border:1px solid;border-left-width:5px;overflow-wrap:anywhere}
.notice.ok,.notice.info{background:var(--ok-bg);border-color:var(--ok)}
.notice.info{background:var(--accent-soft);border-color:var(--accent)}
.notice.warning{background:var(--warn-bg);border-color:var(--warn)}.notice.error{background:var(--err-bg);border-color:var(--err)}
.notice p{margin:.2em 0}
.hint{color:var(--muted);font-size:.9rem}

.table-wrap{overflow-x:auto;margin:0 0 18px}
table{border-collapse:collapse;width:100%;background:var(--card)}
caption{text-align:left;padding:0 0 6px}
th,td{text-align:left;padding:9px 10px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:.8rem;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.03em;white-space:nowrap}
tbody tr:last-child>*{border-bottom:0}
td code{overflow-wrap:anywhere}
td select{width:auto;max-width:none}
.card>.table-wrap>table,.card>table{background:transparent}

label{display:block;font-weight:600;margin:12px 0 4px}
input,select,textarea{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:7px 9px;width:100%;max-width:32rem}
input[type=checkbox],input[type=radio]{width:auto;margin:.2em 0 0;accent-color:var(--accent);flex:none}
label:has(>input[type=checkbox]),label:has(>input[type=radio]){display:flex;gap:.6rem;align-items:flex-start;font-weight:400}
input[readonly]{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
fieldset{border:1px solid var(--line);border-radius:8px;padding:6px 14px 14px;margin:16px 0}
legend{font-weight:600;padding:0 6px}

button,.button{font:inherit;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);border-radius:6px;padding:7px 14px;cursor:pointer;text-decoration:none;display:inline-block;line-height:1.3}
button:hover,.button:hover{filter:brightness(1.08)}
button.secondary,.button.secondary{background:transparent;color:var(--accent)}
button.danger,.button.danger{background:var(--danger);border-color:var(--danger);color:var(--danger-fg)}
form.inline{display:inline}
.actions{display:flex;gap:6px;flex-wrap:wrap;align-items:center}
td .actions{gap:4px}td .actions button,td .actions .button{padding:3px 10px;font-size:.85rem}
details>summary{cursor:pointer;color:var(--accent)}details[open]>summary{margin-bottom:6px}
details form{margin:0 0 10px}details label{margin-top:4px}

.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:.8rem;border:1px solid var(--line);white-space:nowrap}
.badge.ok{color:var(--ok);border-color:var(--ok);background:var(--ok-bg)}
.badge.warn{color:var(--warn);border-color:var(--warn);background:var(--warn-bg)}
.badge.err{color:var(--err);border-color:var(--err);background:var(--err-bg);white-space:normal}

code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:9px 12px;margin:6px 0 10px;white-space:pre-wrap;overflow-wrap:anywhere}
pre[data-copy]+button{display:block;margin:-4px 0 12px auto;padding:2px 12px;font-size:.8rem}
progress{width:100%;height:14px;accent-color:var(--accent)}
.filters{display:flex;gap:10px 14px;flex-wrap:wrap;align-items:end}.filters label{margin:0 0 4px}.filters>div{min-width:9rem}.filters>a{padding:8px 2px}

@media (max-width:720px){
  main{padding:14px 10px 40px}h1{font-size:1.3rem}
  header.top .bar{padding:8px 10px 2px}nav.main{padding:0 4px}nav.main a{padding:6px 6px 5px}
  .card{padding:12px}th,td{padding:7px 6px}thead th{white-space:normal}
  table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
  table.stack caption{display:block}
  table.stack thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
  table.stack tr{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:6px 10px}
  table.stack td{border:0;padding:4px 0}
  table.stack td[data-label]{display:flex;gap:10px}
  table.stack td[data-label]::before{content:attr(data-label);flex:0 0 6.5rem;color:var(--muted);font-size:.85rem}
  table.stack td>*{min-width:0}
}
`;
