/// The dashboard's stylesheet, shared by the sign-in page and the app: system fonts only, so it
/// looks right with no internet access.
enum Style {
    static let css = #"""
    :root { --bg:#f4f5f7; --card:#fff; --ink:#1d2330; --muted:#667085; --line:#e3e6eb; --accent:#2457d6;
            --ok:#1f9d55; --warn:#c98a00; --bad:#d64545; --vip:#7a3fd1; }
    * { box-sizing: border-box; }
    body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
           background:var(--bg); color:var(--ink); }
    header { display:flex; align-items:center; gap:16px; padding:10px 20px; background:#111827; color:#fff; }
    header h1 { font-size:18px; margin:0; font-weight:600; }
    header .spacer { flex:1; }
    header .conn { font-size:13px; padding:2px 10px; border-radius:12px; background:#374151; }
    header .conn.live { background:var(--ok); }
    header .conn.down { background:var(--bad); }
    header form { margin:0; }
    header button, header label { color:#fff; background:transparent; border:1px solid #4b5563; border-radius:6px; padding:4px 10px; font:inherit; font-size:13px; cursor:pointer; }
    nav { display:flex; gap:4px; padding:0 20px; background:#fff; border-bottom:1px solid var(--line); }
    nav button { border:0; background:none; padding:12px 14px; font:inherit; color:var(--muted); cursor:pointer; border-bottom:3px solid transparent; }
    nav button.active { color:var(--ink); border-bottom-color:var(--accent); font-weight:600; }
    nav .badge[hidden] { display:none; }
    nav .badge { display:inline-block; min-width:20px; padding:0 6px; margin-left:6px; border-radius:10px; background:var(--bad); color:#fff; font-size:12px; }
    main { padding:20px; max-width:1200px; margin:0 auto; }
    section.tab { display:none; }
    section.tab.active { display:block; }
    h2 { font-size:16px; margin:24px 0 10px; color:var(--muted); font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
    .cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(190px, 1fr)); gap:14px; }
    .card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
    .card .label { color:var(--muted); font-size:13px; }
    .card .value { font-size:30px; font-weight:650; margin-top:2px; }
    .card .sub { color:var(--muted); font-size:13px; }
    .zone .value span { font-size:14px; color:var(--muted); font-weight:400; margin-left:4px; }
    table { width:100%; border-collapse:collapse; background:var(--card); border:1px solid var(--line); border-radius:10px; overflow:hidden; }
    th, td { text-align:left; padding:8px 12px; border-bottom:1px solid var(--line); font-size:14px; }
    th { background:#f9fafb; color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
    tr:last-child td { border-bottom:0; }
    .state { display:inline-block; padding:2px 10px; border-radius:12px; font-size:13px; font-weight:600; color:#fff; background:var(--muted); }
    .state.connected { background:var(--ok); }
    .state.dropping { background:var(--warn); }
    .state.disconnected, .state.error { background:var(--bad); }
    tr.reader.bad td { background:#fde8e8; }
    tr.reader.bad td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
    .empty { color:var(--muted); padding:18px; background:var(--card); border:1px dashed var(--line); border-radius:10px; }
    .vip-banner { display:none; position:fixed; top:70px; right:20px; width:360px; z-index:10; background:var(--vip); color:#fff;
                  border-radius:14px; padding:18px 20px; box-shadow:0 12px 30px rgba(0,0,0,.25); }
    .vip-banner.show { display:block; animation:pop .25s ease-out; }
    .vip-banner .title { font-size:13px; text-transform:uppercase; letter-spacing:.08em; opacity:.85; }
    .vip-banner .name { font-size:30px; font-weight:700; margin:4px 0; }
    .vip-banner button { margin-top:10px; background:#fff; color:var(--vip); border:0; border-radius:8px; padding:8px 16px; font:inherit; font-weight:600; cursor:pointer; }
    .alert-card { border-left:6px solid var(--vip); }
    .alert-card.acked { border-left-color:var(--line); opacity:.7; }
    .alert-card button { margin-top:8px; background:var(--vip); color:#fff; border:0; border-radius:6px; padding:6px 12px; font:inherit; cursor:pointer; }
    .bar { height:10px; background:#eef0f3; border-radius:5px; overflow:hidden; min-width:120px; }
    .bar > div { height:100%; background:var(--accent); }
    .bar.hot > div { background:var(--bad); }
    svg.spark { vertical-align:middle; }
    svg.chart { background:var(--card); border:1px solid var(--line); border-radius:10px; font-size:13px; fill:var(--ink); margin-bottom:10px; }
    #segment-run { margin-top:16px; }
    .card.warn .value { color:var(--warn); }
    .muted { color:var(--muted); }
    @keyframes pop { from { transform:scale(.9); opacity:0 } to { transform:scale(1); opacity:1 } }
    .login { max-width:360px; margin:12vh auto; background:var(--card); border:1px solid var(--line); border-radius:12px; padding:28px; }
    .login h1 { margin:0 0 4px; font-size:22px; }
    .login label { display:block; margin-top:14px; font-size:14px; color:var(--muted); }
    .login input { width:100%; padding:10px; margin-top:4px; border:1px solid var(--line); border-radius:8px; font:inherit; }
    .login button { width:100%; margin-top:20px; padding:11px; border:0; border-radius:8px; background:var(--accent); color:#fff; font:inherit; font-weight:600; cursor:pointer; }
    .login .error { margin-top:12px; color:var(--bad); }
    """#
}
