/** The one stylesheet, served at /assets/app.css. Calm, system fonts, light and dark. */
export const APP_CSS = `
:root{--bg:#f7f7f5;--fg:#1d1f21;--muted:#5b6168;--card:#fff;--line:#dcdcd6;--accent:#2457a6;--accent-fg:#fff;
--ok:#1f6f43;--warn:#8a5a00;--err:#a32020;--ok-bg:#e6f3ea;--warn-bg:#fff4d6;--err-bg:#fbe7e7;--focus:#f0a500;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:16px;line-height:1.5;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#16181b;--fg:#e6e6e3;--muted:#a2a8ae;--card:#1f2226;--line:#33373c;--accent:#7aa7ff;--accent-fg:#0c1a33;
--ok:#7fd19b;--warn:#f2c562;--err:#ff8f8f;--ok-bg:#15291d;--warn-bg:#2e2510;--err-bg:#321717}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg)}
a{color:var(--accent)}:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--card);padding:6px 10px;z-index:9}
header.top{background:var(--card);border-bottom:1px solid var(--line)}
header.top .bar{max-width:1180px;margin:0 auto;padding:10px 16px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
header.top .brand{font-weight:700;text-decoration:none;color:var(--fg);margin-right:auto}
nav.main ul{list-style:none;display:flex;gap:4px 14px;flex-wrap:wrap;margin:0;padding:0}
nav.main a{text-decoration:none;padding:4px 2px}nav.main a[aria-current=page]{font-weight:700;border-bottom:2px solid var(--accent)}
main{max-width:1180px;margin:0 auto;padding:20px 16px 48px}
h1{font-size:1.6rem;margin:.2em 0 .6em}h2{font-size:1.2rem;margin:1.4em 0 .5em}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px;margin:0 0 16px}
.notice{border-radius:6px;padding:10px 14px;margin:0 0 14px;border:1px solid}
.notice.ok,.notice.info{background:var(--ok-bg);border-color:var(--ok);color:var(--fg)}
.notice.warning{background:var(--warn-bg);border-color:var(--warn)}.notice.error{background:var(--err-bg);border-color:var(--err)}
.table-wrap{overflow-x:auto}table{border-collapse:collapse;width:100%;background:var(--card)}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}th{font-size:.85rem;color:var(--muted)}
label{display:block;font-weight:600;margin:10px 0 4px}.hint{color:var(--muted);font-size:.9rem}
input,select,textarea{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:7px 9px;width:100%;max-width:32rem}
input[type=checkbox]{width:auto}
button,.button{font:inherit;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);border-radius:6px;padding:7px 14px;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:transparent;color:var(--accent)}button.danger{background:var(--err);border-color:var(--err);color:#fff}
form.inline{display:inline}.actions{display:flex;gap:6px;flex-wrap:wrap}
.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:.8rem;border:1px solid var(--line)}
.badge.ok{color:var(--ok);border-color:var(--ok)}.badge.warn{color:var(--warn);border-color:var(--warn)}.badge.err{color:var(--err);border-color:var(--err)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:10px;overflow-x:auto}
progress{width:100%;height:18px}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:end}.filters label{margin:0}
@media (max-width:600px){main{padding:12px 10px 40px}th,td{padding:6px}h1{font-size:1.35rem}}
`;
