// The bridge's dashboard: renders /dashboard/data (embedded in the page, then polled) with uPlot.
(function () {
  "use strict";
  var script = document.currentScript;
  var pollMs = parseInt(script.getAttribute("data-poll-ms"), 10) || 2000;
  var charts = {};
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"];

  function fixed(value, digits) {
    return typeof value === "number" && isFinite(value) ? value.toFixed(digits) : "-";
  }
  function ms(seconds) {
    return typeof seconds === "number" && isFinite(seconds) ? (seconds * 1000).toFixed(0) + " ms" : "-";
  }
  function cell(row, field, text, cls) {
    var td = document.createElement("td");
    td.setAttribute("data-field", field);
    if (cls) td.className = cls;
    td.textContent = text;
    row.appendChild(td);
  }

  // The rows of table ``id``: one per item, filled by ``fill(tr, item)``.
  function renderRows(id, items, fill) {
    var rows = document.createDocumentFragment();
    items.forEach(function (item) {
      var tr = document.createElement("tr");
      fill(tr, item);
      rows.appendChild(tr);
    });
    document.querySelector("#" + id + " tbody").replaceChildren(rows);
  }

  function renderMetagraph(data) {
    renderRows("metagraph", data.metagraph, function (tr, m) {
      tr.setAttribute("data-uid", String(m.uid));
      cell(tr, "uid", String(m.uid));
      cell(tr, "hotkey", m.hotkey, "text");
      cell(tr, "role", m.role, "text");
      cell(tr, "stake", fixed(m.stake, 4));
      cell(tr, "incentive", fixed(m.incentive, 4));
      cell(tr, "dividends", fixed(m.dividends, 4));
      cell(tr, "emission", fixed(m.emission, 4));
      cell(tr, "trust", fixed(m.trust, 4));
      cell(tr, "score", fixed(m.score, 4));
      cell(tr, "latency", ms(m.latency_s));
      cell(tr, "weight", fixed(m.weight, 4));
    });
  }

  function renderWeights(data) {
    renderRows("weights", data.weights, function (tr, w) {
      cell(tr, "when", new Date(w.time * 1000).toLocaleTimeString(), "text");
      cell(tr, "block", String(w.block));
      cell(tr, "weights", w.uids.map(function (uid, i) { return uid + ": " + w.weights[i].toFixed(4); }).join(", "),
           "text");
    });
  }

  // One uPlot per chart, rebuilt when its series change (a miner appears), else given new data.
  function plot(id, title, xs, named) {
    var el = document.getElementById(id);
    var names = Object.keys(named);
    var key = names.join(",");
    var data = [xs].concat(names.map(function (n) { return named[n]; }));
    var chart = charts[id];
    if (chart && chart.key === key) {
      chart.plot.setData(data);
      return;
    }
    if (chart) chart.plot.destroy();
    var series = [{}].concat(names.map(function (n, i) {
      return {label: n, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: {show: true, size: 4}};
    }));
    var options = {title: title, width: 460, height: 240, series: series, scales: {x: {time: true}}};
    charts[id] = {key: key, plot: new uPlot(options, data, el)};
  }

  function uidSeries(table) {
    var named = {};
    Object.keys(table).forEach(function (uid) { named["uid " + uid] = table[uid]; });
    return named;
  }

  function render(data) {
    document.getElementById("block").textContent = data.block === null ? "-" : String(data.block);
    document.getElementById("updated").textContent = new Date(data.time * 1000).toLocaleTimeString();
    var status = document.getElementById("status");
    var failing = data.ready && !data.ready.ok ? "; not ready: " + data.ready.failing.join(", ") : "";
    status.className = failing ? "bad" : "";
    status.setAttribute("data-ready", data.ready ? String(data.ready.ok) : "unknown");
    document.getElementById("status").lastChild.textContent = failing;
    renderMetagraph(data);
    renderWeights(data);
    var s = data.series;
    plot("chart-latency_s", "latency (s)", s.t, uidSeries(s.latency_s));
    plot("chart-tokens_per_s", "tokens/s", s.t, uidSeries(s.tokens_per_s));
    plot("chart-score", "running score", s.t, uidSeries(s.score));
    plot("chart-requests", "API requests per second", data.requests.t, {"requests/s": data.requests.per_second});
    document.body.setAttribute("data-rendered", String(data.time));
  }

  function poll() {
    fetch("/dashboard/data", {cache: "no-store"})
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(render)
      .catch(function (e) {
        var status = document.getElementById("status");
        status.className = "bad";
        status.lastChild.textContent = "; refresh failed: " + e.message;
      })
      .finally(function () { setTimeout(poll, pollMs); });
  }

  document.getElementById("status").appendChild(document.createTextNode(""));
  render(JSON.parse(document.getElementById("initial").textContent));
  setTimeout(poll, pollMs);
})();
