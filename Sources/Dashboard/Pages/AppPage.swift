/// The dashboard app: one page with six tabs, fed by the WebSocket.
enum AppPage {
    /// The tabs, in order; each also has its own path (`/floor`), so a bookmark opens it.
    static let tabs = ["alerts", "floor", "readers", "sales", "segments", "system"]

    static func render(user: String, tab: String = "alerts") -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Store dashboard</title><style>\(Style.css)</style></head>
        <body data-tab="\(tabs.contains(tab) ? tab : "alerts")">
        <header>
          <h1>Store dashboard</h1><span id="gateways" class="muted"></span>
          <span class="spacer"></span>
          <span id="conn" class="conn">connecting…</span>
          <label><input type="checkbox" id="sound"> Sound</label>
          <span>\(escape(user))</span>
          <form method="post" action="/logout"><button id="sign-out" type="submit">Sign out</button></form>
        </header>
        <nav>
          <button data-tab="alerts">Alerts<span id="alert-badge" class="badge" hidden></span></button>
          <button data-tab="floor">Floor</button>
          <button data-tab="readers">Readers</button>
          <button data-tab="sales">Sales</button>
          <button data-tab="segments">Segments</button>
          <button data-tab="system">System</button>
        </nav>
        <div id="vip-banner" class="vip-banner" role="alert">
          <div class="title">VIP arrival</div>
          <div class="name" id="vip-name"></div>
          <div id="vip-detail"></div>
          <button id="vip-ack">Acknowledge</button>
        </div>
        <main>
          <section class="tab" id="tab-alerts"><h2>Waiting for a greeting</h2><div id="alerts-open" class="cards"></div>
            <h2>Recent VIP arrivals</h2><div id="alerts-recent"></div></section>
          <section class="tab" id="tab-floor"><h2>Zones now</h2><div id="zones" class="cards"></div>
            <h2>Latest movements</h2><div id="presence"></div></section>
          <section class="tab" id="tab-readers"><h2>Readers and tills</h2><div id="readers"></div></section>
          <section class="tab" id="tab-sales"><h2 id="sales-day">Today</h2><div id="sales-kpis" class="cards"></div>
            <h2>Latest sales</h2><div id="sales-recent"></div></section>
          <section class="tab" id="tab-segments"><div id="segment-run" class="muted"></div>
            <h2>Customers per tier</h2><div id="tiers"></div>
            <h2>Customers per segment and tier</h2><div id="segments"></div>
            <h2>Top customers by lifetime value</h2><div id="top-customers"></div></section>
          <section class="tab" id="tab-system"><h2>Flow</h2><div id="system-kpis" class="cards"></div>
            <h2>Source rings</h2><div id="rings"></div></section>
        </main>
        <script>\(script)</script>
        </body></html>
        """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The browser side: keeps the state the server sends, re-renders the open tab, pops up VIPs.
    static let script = #"""
    "use strict";
    const S = { alerts: [], zones: [], presence: [], readers: [], sales: {}, segments: {}, system: {}, gateways: [] };
    let lastSeq = 0, epoch = null, socket = null, retry = 0, shown = null;
    const $ = (id) => document.getElementById(id);
    function h(tag, attrs, ...kids) {
      const e = document.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) {
        if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
      }
      for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
      return e;
    }
    const put = (id, ...kids) => $(id).replaceChildren(...kids);
    const time = (ts) => ts ? new Date(ts).toLocaleTimeString() : "—";
    const ago = (ts) => { if (!ts) return "never"; const s = Math.max(0, (Date.now() - new Date(ts)) / 1000);
      return s < 2 ? "just now" : s < 90 ? Math.round(s) + " s ago" : Math.round(s / 60) + " min ago"; };
    const money = (v, c) => { const n = Number(v || 0); try { return n.toLocaleString(undefined, { style: "currency", currency: c || "USD" }); } catch (e) { return n.toFixed(2) + " " + (c || ""); } };
    const pct = (x) => x === null || x === undefined ? "—" : Math.round(x * 100) + " %";
    const bytes = (n) => n === null || n === undefined ? "—" : n < 1e6 ? (n / 1e3).toFixed(1) + " kB" : (n / 1e6).toFixed(1) + " MB";
    const card = (label, value, sub, cls) => h("div", { class: "card " + (cls || "") }, h("div", { class: "label" }, label), h("div", { class: "value" }, value), sub ? h("div", { class: "sub" }, sub) : null);
    const table = (heads, rows, empty) => rows.length ? h("table", {}, h("thead", {}, h("tr", {}, heads.map((t) => h("th", {}, t)))), h("tbody", {}, rows)) : h("div", { class: "empty" }, empty);

    function tab() { return document.body.dataset.tab; }
    function showTab(name, push) {
      document.body.dataset.tab = name;
      for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.tab === name);
      for (const s of document.querySelectorAll("section.tab")) s.classList.toggle("active", s.id === "tab-" + name);
      if (push) history.replaceState(null, "", "/" + name);
      render();
    }
    for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => showTab(b.dataset.tab, true));

    function sparkline(values) {
      const w = 120, hgt = 28, max = Math.max(1, ...values);
      const pts = values.map((v, i) => `${(i * w / Math.max(1, values.length - 1)).toFixed(1)},${(hgt - 2 - v / max * (hgt - 4)).toFixed(1)}`).join(" ");
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("class", "spark"); svg.setAttribute("width", w); svg.setAttribute("height", hgt);
      const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
      line.setAttribute("points", pts || `0,${hgt - 2} ${w},${hgt - 2}`); line.setAttribute("fill", "none");
      line.setAttribute("stroke", "#2457d6"); line.setAttribute("stroke-width", "1.5");
      svg.append(line); return svg;
    }
    const NS = "http://www.w3.org/2000/svg";
    function svgEl(tag, attrs, text) {
      const e = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      return e;
    }
    function chartFrame(id, rows, top) {
      const svg = svgEl("svg", { id, viewBox: `0 0 640 ${top + rows * 30 + 4}`, width: "100%", class: "chart" });
      svg.style.maxWidth = "640px"; return svg;
    }
    // One bar per row ({label, value, text, colour, data}); the longest bar is the largest value.
    function barChart(rows, id) {
      const labelW = 170, w = 640, max = Math.max(1e-9, ...rows.map((r) => r.value)), svg = chartFrame(id, rows.length, 0);
      rows.forEach((r, i) => {
        const y = i * 30 + 4, bw = Math.max(2, (w - labelW - 90) * r.value / max);
        svg.append(svgEl("text", { x: 10, y: y + 18 }, r.label),
          svgEl("rect", { x: labelW, y: y + 4, width: bw, height: 20, rx: 4, fill: r.colour || "#2457d6", ...(r.data || {}) }),
          svgEl("text", { x: labelW + bw + 8, y: y + 18 }, r.text));
      });
      return svg;
    }
    const TIER_COLOURS = ["#2457d6", "#1f9d55", "#c98a00", "#d64545", "#0e7490", "#667085"];
    function tierColour(tier, tiers) { return tier === "vip" ? "#7a3fd1" : TIER_COLOURS[Math.max(0, tiers.filter((t) => t !== "vip").indexOf(tier)) % TIER_COLOURS.length]; }
    const countBars = (counts, tiers) => counts.map((c) => ({ label: c.name, value: c.count, text: c.count.toLocaleString(), colour: tierColour(c.name, tiers),
      data: { "data-tier": c.name, "data-count": c.count } }));
    // One stacked bar per segment, one colour per tier, a legend on top.
    function stackedChart(cells, segments, tiers, id) {
      const labelW = 170, w = 640, top = 30, max = Math.max(1, ...segments.map((s) => s.count)), svg = chartFrame(id, segments.length, top);
      let x = 10;
      for (const t of tiers) {
        svg.append(svgEl("rect", { x, y: 8, width: 12, height: 12, rx: 2, fill: tierColour(t, tiers) }), svgEl("text", { x: x + 18, y: 19 }, t));
        x += 30 + t.length * 8;
      }
      segments.forEach((s, i) => {
        const y = top + i * 30 + 4;
        let at = labelW;
        svg.append(svgEl("text", { x: 10, y: y + 18 }, s.name));
        for (const c of cells.filter((c) => c.segment === s.name)) {
          const bw = (w - labelW - 90) * c.count / max;
          const r = svgEl("rect", { x: at, y: y + 4, width: Math.max(1, bw), height: 20, fill: tierColour(c.tier, tiers),
            "data-segment": c.segment, "data-tier": c.tier, "data-count": c.count });
          r.append(svgEl("title", {}, `${c.segment} · ${c.tier}: ${c.count}`));
          svg.append(r); at += bw;
        }
        svg.append(svgEl("text", { x: at + 8, y: y + 18 }, s.count.toLocaleString()));
      });
      return svg;
    }

    function renderAlerts() {
      const open = S.alerts.filter((a) => !a.acknowledged);
      put("alerts-open", ...(open.length ? open.map((a) => h("div", { class: "card alert-card", "data-alert": a.id },
        h("div", { class: "label" }, `${a.tier.toUpperCase()} · ${a.zone} · ${time(a.ts)}`), h("div", { class: "value" }, a.firstName),
        h("button", { onclick: () => ack(a.id) }, "Acknowledge"))) : [h("div", { class: "empty" }, "No one waiting. New VIP arrivals appear here.")]));
      put("alerts-recent", table(["Time", "Name", "Tier", "Zone", "Status"], S.alerts.map((a) => h("tr", { class: "alert-row" },
        h("td", {}, time(a.ts)), h("td", {}, a.firstName), h("td", {}, a.tier), h("td", {}, a.zone),
        h("td", {}, a.acknowledged ? "greeted" + (a.acknowledgedBy ? " (" + a.acknowledgedBy + ")" : "") : "waiting"))), "No VIP arrivals yet today."));
    }
    function renderFloor() {
      put("zones", ...(S.zones.length ? S.zones.map((z) => h("div", { class: "card zone", "data-zone": z.name },
        h("div", { class: "label" }, z.name),
        h("div", { class: "value" }, h("b", { class: "people" }, z.customers + z.visitors), h("span", {}, "people")),
        h("div", { class: "sub" }, `${z.customers} customers · ${z.visitors} visitors · `, h("b", { class: "items" }, z.items), " tagged items"))) : [h("div", { class: "empty" }, "No zones yet.")]));
      put("presence", table(["Time", "", "Zone", "Who / what", "Reader"], S.presence.map((p) => h("tr", {},
        h("td", {}, time(p.ts)), h("td", {}, p.kind === "enter" ? "→ in" : "← out"), h("td", {}, p.zone),
        h("td", {}, p.label ? `${p.subject}: ${p.label}` : p.subject), h("td", {}, p.reader))), "Nothing has moved yet."));
    }
    function renderReaders() {
      put("readers", table(["Source", "State", "Reads/s", "", "Reads", "Drops", "Last seen", "Message"], S.readers.map((r) => {
        const bad = r.state === "disconnected" || r.state === "error";
        return h("tr", { class: "reader" + (bad ? " bad" : ""), "data-reader": r.name, "data-state": r.state },
          h("td", {}, h("b", {}, r.name), h("div", { class: "muted" }, (r.kind === "transactions" ? "till" : "reader") + (S.gateways.length > 1 ? " · " + r.gateway : ""))),
          h("td", {}, h("span", { class: "state " + r.state }, r.state)), h("td", {}, r.rate.toFixed(1)), h("td", {}, sparkline(r.history || [])),
          h("td", {}, r.reads.toLocaleString()), h("td", {}, r.drops.toLocaleString()), h("td", {}, ago(r.lastSeen)), h("td", { class: "muted" }, r.message || ""));
      }), "No sources reported yet."));
    }
    function renderSales() {
      const s = S.sales, n = s.transactions || 0;
      $("sales-day").textContent = s.day ? "Today · " + s.day : "Today";
      put("sales-kpis", card("Sales", n), card("Revenue", money(s.revenue, s.currency)),
        card("Average basket", n ? money(Number(s.revenue) / n, s.currency) : "—"),
        card("Loyalty customers", n ? pct(s.withCustomer / n) : "—", `${s.withCustomer || 0} of ${n} sales`),
        card("Basket match rate", pct(s.matchRate), s.basketLinks ? `${s.matched} of ${s.matched + s.unmatched} items matched` : "no RFID basket links yet"));
      put("sales-recent", table(["Time", "Till", "Receipt", "Lines", "Customer", "Total"], (s.recent || []).map((t) => h("tr", {},
        h("td", {}, time(t.ts)), h("td", {}, t.workstation), h("td", {}, t.number), h("td", {}, t.lines), h("td", {}, t.customer ? "loyalty" : "—"),
        h("td", {}, money(t.total, t.currency)))), "No sales yet today."));
    }
    function renderSegments() {
      const g = S.segments, tiers = (g.tiers || []).map((t) => t.name), empty = (id, text) => h("div", { class: "empty", id }, text);
      const run = g.lastRun;
      $("segment-run").textContent = !g.fromStore ? "" : run
        ? `Last segmentation: purchases up to ${run.asOf}, computed ${new Date(run.finishedAt).toLocaleString()}, ${run.customers.toLocaleString()} customers scored.`
        : "No segmentation run yet: run gateway segment, or set segmentation.schedule.";
      if (!g.fromStore) {
        for (const id of ["tiers", "segments", "top-customers"]) put(id, empty(id + "-pending", "Segments come from the CRM store; this dashboard has none."));
        return;
      }
      put("tiers", tiers.length ? barChart(countBars(g.tiers, tiers), "tier-chart") : empty("tiers-pending", "No customers in the CRM store yet."));
      put("segments", (g.segments || []).length ? stackedChart(g.bySegmentAndTier || [], g.segments, tiers, "segment-chart")
        : empty("segments-pending", "Segments not computed yet."));
      const top = g.topCustomers || [], clv = (v) => S.sales.currency ? money(v, S.sales.currency) : Number(v).toFixed(2);
      put("top-customers", ...(top.length ? [
        barChart(top.map((c) => ({ label: `${c.firstName || "—"} · ${c.token.slice(0, 6)}…`, value: c.clv, text: clv(c.clv), colour: "#7a3fd1",
          data: { "data-token": c.token } })), "clv-chart"),
        table(["Customer", "Token", "Lifetime value"], top.map((c) => h("tr", { class: "top-customer" },
          h("td", {}, c.firstName || "—"), h("td", { class: "muted" }, c.token), h("td", {}, clv(c.clv)))), "")]
        : [empty("clv-pending", "Lifetime value not computed yet.")]));
    }
    function renderSystem() {
      const y = S.system;
      put("system-kpis", card("Events / s", (y.eventsPerSecond || 0).toFixed(1)), card("Last seq", y.lastSeq || 0),
        card("Dashboard lag", y.dashboardLag ?? "—", "events behind the bus"), card("Store lag", y.storeLag ?? "—", "events behind the bus"),
        card("Bus refused", y.busRefused ?? "—"), card("Journal", bytes(y.journalBytes)), card("Bus gaps", y.gaps || 0, `${y.recovered || 0} events recovered · ${y.lost || 0} lost`, y.lost ? "warn" : ""), card("Screens", y.clients || 0),
        y.inProcess ? null : card("Source", "bus only", "ring numbers need the gateway's own dashboard"));
      put("rings", table(["Source", "Fill", "", "Dropped"], (y.rings || []).map((r) => {
        const fill = r.capacity ? r.queued / r.capacity : 0;
        return h("tr", {}, h("td", {}, r.name), h("td", {}, `${r.queued} / ${r.capacity}`),
          h("td", {}, h("div", { class: "bar" + (fill > 0.8 ? " hot" : "") }, h("div", { style: `width:${Math.round(fill * 100)}%` }))), h("td", {}, r.dropped));
      }), "Ring numbers are available when the dashboard runs inside the gateway."));
    }
    const renderers = { alerts: renderAlerts, floor: renderFloor, readers: renderReaders, sales: renderSales, segments: renderSegments, system: renderSystem };
    function render() {
      const open = S.alerts.filter((a) => !a.acknowledged).length, badge = $("alert-badge");
      badge.hidden = open === 0; badge.textContent = open;
      $("gateways").textContent = S.gateways.join(", ");
      if (shown && S.alerts.some((a) => a.id === shown && a.acknowledged)) hideBanner();
      renderers[tab()]();
    }

    function beep() {
      if (!$("sound").checked) return;
      try { const c = new AudioContext(), o = c.createOscillator(), g = c.createGain(); o.frequency.value = 880; g.gain.value = 0.15;
        o.connect(g).connect(c.destination); o.start(); o.stop(c.currentTime + 0.35); } catch (e) {}
    }
    function popAlerts(list) {
      const a = list[list.length - 1];
      shown = a.id; $("vip-name").textContent = a.firstName;
      $("vip-detail").textContent = `${a.tier.toUpperCase()} · ${a.zone} · ${time(a.ts)}`;
      $("vip-banner").classList.add("show"); beep();
    }
    function hideBanner() { shown = null; $("vip-banner").classList.remove("show"); }
    function ack(id) { if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "ack", id })); if (id === shown) hideBanner(); }
    $("vip-ack").addEventListener("click", () => shown && ack(shown));
    $("sound").checked = localStorage.getItem("sound") === "on";
    $("sound").addEventListener("change", () => localStorage.setItem("sound", $("sound").checked ? "on" : "off"));

    function status(text, cls) { const c = $("conn"); c.textContent = text; c.className = "conn " + cls; }
    function connect() {
      const query = epoch ? `?after=${lastSeq}&epoch=${encodeURIComponent(epoch)}` : "";
      socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws" + query);
      let first = true;
      socket.onopen = () => { retry = 0; status("live", "live"); };
      socket.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (first) { $("conn").dataset.first = m.kind; first = false; }  // a resume starts with a patch, a fresh start with a snapshot
        if (m.kind === "snapshot") { Object.assign(S, m.state); lastSeq = m.seq; epoch = m.epoch; render(); return; }
        if (m.epoch !== epoch || m.seq > lastSeq + 1) { socket.close(); return; }  // missed some: resume from lastSeq
        if (m.seq <= lastSeq) return;
        lastSeq = m.seq;
        for (const [k, v] of Object.entries(m.patch)) if (k !== "newAlerts") S[k] = v;
        if (m.patch.newAlerts) popAlerts(m.patch.newAlerts);
        render();
      };
      socket.onclose = async (e) => {
        status("reconnecting…", "down");
        // The server closes with 4401 when the session ended (signed out, possibly in another tab, or lapsed).
        if (e.code === 4401) { location.href = "/login"; return; }
        // A refused upgrade after a restart or a sign-out elsewhere: back to the sign-in page.
        try { const r = await fetch("/api/state", { cache: "no-store" }); if (r.status === 401) { location.href = "/login"; return; } } catch (e) {}
        setTimeout(connect, Math.min(5000, 250 * 2 ** retry++));
      };
    }
    setInterval(() => { if (tab() === "readers") renderReaders(); }, 1000);  // keeps "last seen" ticking
    showTab(tab(), false);
    connect();
    """#
}
