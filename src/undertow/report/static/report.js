"use strict";
// undertow report charts: a small SVG renderer with no dependencies.
// Data arrive only through the JSON block; every string reaches the page through
// textContent or createTextNode, never as markup.
(function () {
  var NS = "http://www.w3.org/2000/svg";
  var W = 680, H = 300, M = { top: 14, right: 18, bottom: 36, left: 56 };
  var PALETTE = ["#1f5f8b", "#c26a00", "#3d7a3d", "#8a1c1c", "#6a4c93", "#0f7c7c", "#b5527b", "#5b6577"];

  function el(tag, attrs, parent) {
    var node = document.createElementNS(NS, tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        if (attrs[key] !== null && attrs[key] !== undefined) node.setAttribute(key, String(attrs[key]));
      });
    }
    if (parent) parent.appendChild(node);
    return node;
  }

  function label(parent, x, y, text, anchor, extra) {
    var node = el("text", Object.assign({ x: x, y: y, "text-anchor": anchor || "middle" }, extra || {}), parent);
    node.textContent = String(text);
    return node;
  }

  function tip(node, text) {
    var title = el("title", null, node);
    title.textContent = String(text);
  }

  function isNum(v) { return typeof v === "number" && isFinite(v); }

  function fmt(v) {
    if (!isNum(v)) return String(v);
    var a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e6) return (v / 1e6).toFixed(1).replace(/\.0$/, "") + "M";
    if (a >= 1e4) return (v / 1e3).toFixed(0) + "k";
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return v.toFixed(2).replace(/\.?0+$/, "");
    return v.toPrecision(2).replace(/\.?0+$/, "");
  }

  function fmtTime(ms, span) {
    var d = new Date(ms);
    var y = d.getUTCFullYear(), m = ("0" + (d.getUTCMonth() + 1)).slice(-2), day = ("0" + d.getUTCDate()).slice(-2);
    if (span > 2 * 365 * 864e5) return String(y);
    if (span > 60 * 864e5) return y + "-" + m;
    return m + "-" + day;
  }

  function value(payload, column, raw) {
    if (raw === null || raw === undefined) return null;
    if (payload.types[column] === "time") {
      var t = Date.parse(raw);
      return isFinite(t) ? t : null;
    }
    if (payload.types[column] === "bool") return raw ? 1 : 0;
    return raw;
  }

  function rows(payload) {
    var cols = payload.columns, names = Object.keys(cols), n = names.length ? cols[names[0]].length : 0, out = [];
    for (var i = 0; i < n; i++) {
      var row = {};
      names.forEach(function (name) { row[name] = value(payload, name, cols[name][i]); });
      if (row.suppressed) continue;
      out.push(row);
    }
    return out;
  }

  function extent(values) {
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) { if (isNum(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } });
    if (lo === Infinity) return [0, 1];
    if (lo === hi) { var pad = lo === 0 ? 1 : Math.abs(lo) * 0.1; return [lo - pad, hi + pad]; }
    return [lo, hi];
  }

  function niceTicks(lo, hi, count) {
    var span = hi - lo, step = Math.pow(10, Math.floor(Math.log10(span / count))), err = span / count / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var ticks = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return ticks;
  }

  function scale(domain, range, log) {
    if (log) {
      var a = Math.log(domain[0]), b = Math.log(domain[1]);
      return function (v) { return range[0] + (Math.log(v) - a) / (b - a) * (range[1] - range[0]); };
    }
    return function (v) { return range[0] + (v - domain[0]) / (domain[1] - domain[0]) * (range[1] - range[0]); };
  }

  function frame(plot, height) {
    var svg = el("svg", { viewBox: "0 0 " + W + " " + (height || H), role: "img", preserveAspectRatio: "xMidYMid meet" }, plot);
    return svg;
  }

  function axes(svg, xs, ys, xd, yd, opts) {
    var h = opts.height || H, gx = el("g", { class: "axis" }, svg), gy = el("g", { class: "axis" }, svg), grid = el("g", { class: "grid" }, svg);
    svg.insertBefore(grid, svg.firstChild);
    var yt = opts.ylog ? logTicks(yd) : niceTicks(yd[0], yd[1], 5);
    yt.forEach(function (t) {
      var y = ys(t);
      el("line", { x1: M.left, x2: W - M.right, y1: y, y2: y }, grid);
      label(gy, M.left - 6, y + 4, fmt(t), "end");
    });
    el("line", { x1: M.left, x2: M.left, y1: M.top, y2: h - M.bottom }, gy);
    el("line", { x1: M.left, x2: W - M.right, y1: h - M.bottom, y2: h - M.bottom }, gx);
    if (!opts.noX) {
      var xt = opts.xtime ? timeTicks(xd) : niceTicks(xd[0], xd[1], 6);
      xt.forEach(function (t) {
        var x = xs(t);
        el("line", { x1: x, x2: x, y1: h - M.bottom, y2: h - M.bottom + 4 }, gx);
        label(gx, x, h - M.bottom + 16, opts.xtime ? fmtTime(t, xd[1] - xd[0]) : fmt(t));
      });
    }
    if (opts.xlabel) label(svg, (M.left + W - M.right) / 2, h - 4, opts.xlabel);
    if (opts.ylabel) label(svg, 12, (M.top + h - M.bottom) / 2, opts.ylabel, "middle", { transform: "rotate(-90 12 " + (M.top + h - M.bottom) / 2 + ")" });
  }

  function logTicks(d) {
    var out = [], candidates = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];
    candidates.forEach(function (c) { if (c >= d[0] && c <= d[1]) out.push(c); });
    return out.length ? out : [d[0], d[1]];
  }

  function timeTicks(d) {
    var span = d[1] - d[0], day = 864e5, out = [], a = new Date(d[0]), t, step, i;
    if (span > 2 * 365 * day) {
      step = Math.max(1, Math.ceil(span / (365.25 * day) / 7));
      for (i = a.getUTCFullYear() + 1; (t = Date.UTC(i, 0, 1)) <= d[1]; i += step) out.push(t);
    } else if (span > 60 * day) {
      step = Math.max(1, Math.ceil(span / (30.44 * day) / 7));
      for (i = 1; (t = Date.UTC(a.getUTCFullYear(), a.getUTCMonth() + i, 1)) <= d[1]; i += step) out.push(t);
    } else {
      step = Math.max(1, Math.ceil(span / day / 7));
      for (i = 1; (t = Date.UTC(a.getUTCFullYear(), a.getUTCMonth(), a.getUTCDate() + i)) <= d[1]; i += step) out.push(t);
    }
    return out.length ? out : [d[0], d[1]];
  }

  function groups(data, key) {
    var map = {}, order = [];
    data.forEach(function (row) {
      var g = key && row[key] !== null && row[key] !== undefined ? String(row[key]) : "";
      if (!(g in map)) { map[g] = []; order.push(g); }
      map[g].push(row);
    });
    order.sort();
    return order.map(function (g) { return { name: g, rows: map[g] }; });
  }

  function legend(figure, series) {
    if (series.length < 2 && !(series.length === 1 && series[0].name)) return;
    var box = document.createElement("div");
    box.className = "legend";
    series.forEach(function (s, i) {
      var span = document.createElement("span");
      span.style.setProperty("--swatch", s.color || PALETTE[i % PALETTE.length]);
      span.textContent = s.name || "all";
      box.appendChild(span);
    });
    figure.appendChild(box);
  }

  function note(figure, text) {
    var p = document.createElement("p");
    p.className = "note";
    p.textContent = text;
    figure.appendChild(p);
  }

  function path(points, breaks) {
    return points.map(function (p, i) { return (i && !(breaks && breaks[i]) ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1); }).join("");
  }

  // A series with missing periods must not draw a line across the gap: break the path
  // where the step to the next point is far longer than the series' usual step.
  function gaps(xs) {
    if (xs.length < 4) return null;
    var steps = [];
    for (var i = 1; i < xs.length; i++) steps.push(xs[i] - xs[i - 1]);
    var sorted = steps.slice().sort(function (a, b) { return a - b; }), usual = sorted[Math.floor(sorted.length / 2)];
    if (!(usual > 0)) return null;
    return [false].concat(steps.map(function (d) { return d > 3 * usual; }));
  }

  function stepPath(points) {
    var out = [];
    points.forEach(function (p, i) {
      if (i === 0) out.push("M" + p[0].toFixed(1) + "," + p[1].toFixed(1));
      else { out.push("H" + p[0].toFixed(1)); out.push("V" + p[1].toFixed(1)); }
    });
    return out.join("");
  }

  function lines(figure, plot, payload, opts) {
    var data = rows(payload).filter(function (r) { return isNum(r[payload.x]) && isNum(r[payload.y]); });
    if (!data.length) return note(figure, "Nothing to draw: every row is empty or suppressed.");
    var xtime = payload.types[payload.x] === "time";
    var xv = data.map(function (r) { return r[payload.x]; }), yv = data.map(function (r) { return r[payload.y]; });
    if (payload.lo && payload.hi) data.forEach(function (r) { if (isNum(r[payload.lo])) yv.push(r[payload.lo]); if (isNum(r[payload.hi])) yv.push(r[payload.hi]); });
    var marks = [];
    (payload.marks || []).forEach(function (m) {
      m.values.forEach(function (v, i) {
        var t = m.values.length && typeof v === "string" ? Date.parse(v) : v;
        if (isNum(t)) { marks.push({ at: t, label: m.labels[i], phases: m.phases, metric: m.metric }); xv.push(t); }
      });
    });
    var xd = extent(xv), yd = extent(yv);
    // Counts and rates read from zero unless that would flatten a narrow band.
    if (yd[0] > 0 && (opts.zeroBase || (!opts.step && yd[0] < 0.5 * yd[1]))) yd[0] = 0;
    if (opts.unit) { xd = [Math.min(0, xd[0]), Math.max(1, xd[1])]; yd = [Math.min(0, yd[0]), Math.max(1, yd[1])]; }
    var svg = frame(plot), xs = scale(xd, [M.left, W - M.right]), ys = scale(yd, [H - M.bottom, M.top]);
    axes(svg, xs, ys, xd, yd, { xtime: xtime, xlabel: payload.x, ylabel: payload.y });
    if (opts.diagonal) el("line", { class: "ref", x1: xs(0), y1: ys(0), x2: xs(1), y2: ys(1) }, svg);
    var phaseMarks = marks.filter(function (m) { return m.phases; }).sort(function (a, b) { return a.at - b.at; });
    phaseMarks.forEach(function (m, i) {
      if (i % 2) return;
      var end = i + 1 < phaseMarks.length ? phaseMarks[i + 1].at : xd[1];
      var rect = el("rect", { class: "phase", x: xs(m.at), y: M.top, width: Math.max(0, xs(end) - xs(m.at)), height: H - M.bottom - M.top }, null);
      svg.insertBefore(rect, svg.firstChild.nextSibling);
    });
    var series = groups(data, payload.group);
    series.forEach(function (s, i) {
      s.color = PALETTE[i % PALETTE.length];
      var sorted = s.rows.slice().sort(function (a, b) { return a[payload.x] - b[payload.x]; });
      if (opts.diagonal && (sorted[0][payload.x] > 0 || sorted[0][payload.y] > 0)) sorted.unshift(Object.assign({}, sorted[0], (function () { var o = {}; o[payload.x] = 0; o[payload.y] = 0; return o; })()));
      var draw = opts.step ? stepPath : path;
      if (payload.lo && payload.hi) {
        var band = sorted.filter(function (r) { return isNum(r[payload.lo]) && isNum(r[payload.hi]); });
        if (band.length > 1) {
          var upper = band.map(function (r) { return [xs(r[payload.x]), ys(r[payload.hi])]; });
          var lower = band.map(function (r) { return [xs(r[payload.x]), ys(r[payload.lo])]; }).reverse();
          el("path", { d: path(upper.concat(lower)) + "Z", fill: s.color, "fill-opacity": 0.14, stroke: "none" }, svg);
        }
      }
      var points = sorted.map(function (r) { return [xs(r[payload.x]), ys(r[payload.y])]; });
      if (opts.area) el("path", { d: path(points) + "L" + points[points.length - 1][0].toFixed(1) + "," + ys(yd[0]).toFixed(1) + "L" + points[0][0].toFixed(1) + "," + ys(yd[0]).toFixed(1) + "Z", fill: s.color, "fill-opacity": 0.1, stroke: "none" }, svg);
      var breaks = opts.step || opts.diagonal ? null : gaps(sorted.map(function (r) { return r[payload.x]; }));
      el("path", { d: opts.step ? draw(points) : path(points, breaks), fill: "none", stroke: s.color, "stroke-width": 2, "stroke-linejoin": "round" }, svg);
      if (sorted.length <= 40 && !opts.step || breaks && breaks.some(Boolean) && sorted.length <= 200) {
        sorted.forEach(function (r) {
          var dot = el("circle", { cx: xs(r[payload.x]), cy: ys(r[payload.y]), r: 2.6, fill: s.color }, svg);
          tip(dot, (s.name ? s.name + ": " : "") + fmt(r[payload.y]) + (isNum(r.n) ? " (n = " + r.n + ")" : ""));
        });
      }
    });
    marks.forEach(function (m, i) {
      var x = xs(m.at), line = el("line", { class: "mark", x1: x, x2: x, y1: M.top, y2: H - M.bottom }, svg);
      tip(line, (m.label ? m.label + " · " : "") + m.metric + " · " + new Date(m.at).toISOString().slice(0, 10));
      var right = x > W - M.right - 60;
      if (m.label && marks.length <= 12) label(svg, right ? x - 3 : x + 3, M.top + 10 + (i % 3) * 11, m.label, right ? "end" : "start", { class: "mark-label" });
    });
    legend(figure, series);
  }

  function bars(figure, plot, payload, forest) {
    var data = rows(payload).filter(function (r) { return isNum(r[payload.y]) && r[payload.x] !== null; });
    if (!data.length) return note(figure, "Nothing to draw: every row is empty or suppressed.");
    var ratio = /ratio|_or$|^or$/.test(payload.y), lo = payload.lo, hi = payload.hi;
    var values = data.map(function (r) { return r[payload.y]; });
    if (lo && hi) data.forEach(function (r) { if (isNum(r[lo])) values.push(r[lo]); if (isNum(r[hi])) values.push(r[hi]); });
    var log = forest && ratio && values.every(function (v) { return v > 0; });
    var xd = extent(values);
    if (log) { xd = [Math.min(xd[0], 0.9) / 1.15, Math.max(xd[1], 1.1) * 1.15]; }
    else {
      if (xd[0] > 0) xd[0] = 0;
      if (xd[1] < 0) xd[1] = 0;
      var pad = (xd[1] - xd[0]) * 0.06;
      if (xd[1] > 0) xd[1] += pad;
      if (xd[0] < 0) xd[0] -= pad;
    }
    var xtime = payload.types[payload.x] === "time";
    var labels = data.map(function (r) {
      var x = xtime ? new Date(r[payload.x]).toISOString().slice(0, 10) : isNum(r[payload.x]) ? payload.x + " = " + fmt(r[payload.x]) : r[payload.x];
      return (payload.group && r[payload.group] !== null ? r[payload.group] + " · " : "") + x;
    });
    var longest = labels.reduce(function (a, s) { return Math.max(a, String(s).length); }, 0);
    var left = Math.min(W * 0.5, 18 + longest * 6.1), fit = Math.floor((left - 18) / 6.1), row = 22, height = M.top + M.bottom + row * data.length;
    var svg = frame(plot, height), xs = scale(xd, [left, W - M.right], log);
    var grid = el("g", { class: "grid" }, svg), axis = el("g", { class: "axis" }, svg);
    (log ? logTicks(xd) : niceTicks(xd[0], xd[1], 6)).forEach(function (t) {
      el("line", { x1: xs(t), x2: xs(t), y1: M.top, y2: height - M.bottom }, grid);
      label(axis, xs(t), height - M.bottom + 16, fmt(t));
    });
    el("line", { x1: left, x2: W - M.right, y1: height - M.bottom, y2: height - M.bottom }, axis);
    label(svg, (left + W - M.right) / 2, height - 4, payload.y + (log ? " (log scale)" : ""));
    var ref = log ? 1 : 0;
    if (ref >= xd[0] && ref <= xd[1]) el("line", { class: "ref", x1: xs(ref), x2: xs(ref), y1: M.top, y2: height - M.bottom }, svg);
    var series = groups(data, payload.group), color = {};
    series.forEach(function (s, i) { color[s.name] = PALETTE[i % PALETTE.length]; });
    data.forEach(function (r, i) {
      var y = M.top + row * i + row / 2, c = color[payload.group && r[payload.group] !== null ? String(r[payload.group]) : ""] || PALETTE[0];
      var shown = String(labels[i]);
      tip(label(svg, left - 8, y + 4, shown.length > fit ? shown.slice(0, fit - 1) + "…" : shown, "end"), shown);
      var mark;
      if (forest) {
        if (lo && hi && isNum(r[lo]) && isNum(r[hi])) el("line", { x1: xs(r[lo]), x2: xs(r[hi]), y1: y, y2: y, stroke: c, "stroke-width": 2 }, svg);
        mark = el("circle", { cx: xs(r[payload.y]), cy: y, r: 4.5, fill: c }, svg);
      } else {
        var x0 = xs(0), x1 = xs(r[payload.y]);
        mark = el("rect", { x: Math.min(x0, x1), y: y - row * 0.35, width: Math.max(1, Math.abs(x1 - x0)), height: row * 0.7, fill: c, rx: 2 }, svg);
        if (lo && hi && isNum(r[lo]) && isNum(r[hi])) el("line", { x1: xs(r[lo]), x2: xs(r[hi]), y1: y, y2: y, stroke: "#1d2433", "stroke-width": 1.2 }, svg);
      }
      tip(mark, labels[i] + ": " + fmt(r[payload.y]) + (lo && isNum(r[lo]) ? " [" + fmt(r[lo]) + ", " + fmt(r[hi]) + "]" : "") + (isNum(r.n) ? " · n = " + r.n : ""));
    });
    if (payload.group) legend(figure, series.map(function (s) { return { name: s.name, color: color[s.name] }; }));
    var hidden = rows({ columns: payload.columns, types: payload.types }).length < payload.columns[payload.x].length;
    if (payload.total_rows > data.length) note(figure, "Showing " + data.length + " of " + payload.total_rows + " rows" + (hidden ? "; suppressed rows (fewer than k people) are not drawn." : " (largest first)."));
  }

  function timeBars(figure, plot, payload) {
    var data = rows(payload).filter(function (r) { return isNum(r[payload.x]) && isNum(r[payload.y]); });
    if (!data.length) return note(figure, "Nothing to draw: every row is empty or suppressed.");
    lines(figure, plot, payload, { zeroBase: true, area: true });
  }

  function scatter(figure, plot, payload) {
    var data = rows(payload).filter(function (r) { return isNum(r[payload.x]) && isNum(r[payload.y]); });
    if (!data.length) return note(figure, "Nothing to draw: every row is empty or suppressed.");
    var xd = extent(data.map(function (r) { return r[payload.x]; })), yd = extent(data.map(function (r) { return r[payload.y]; }));
    var xtime = payload.types[payload.x] === "time";
    if (!xtime && xd[0] > 0 && xd[0] < 0.5 * xd[1]) xd[0] = 0;
    if (yd[0] > 0 && yd[0] < 0.5 * yd[1]) yd[0] = 0;
    var svg = frame(plot), xs = scale(xd, [M.left, W - M.right]), ys = scale(yd, [H - M.bottom, M.top]);
    axes(svg, xs, ys, xd, yd, { xtime: xtime, xlabel: payload.x, ylabel: payload.y });
    var series = groups(data, payload.group);
    series.forEach(function (s, i) {
      s.color = PALETTE[i % PALETTE.length];
      s.rows.forEach(function (r) {
        tip(el("circle", { cx: xs(r[payload.x]), cy: ys(r[payload.y]), r: 3.2, fill: s.color, "fill-opacity": 0.7 }, svg),
          (s.name ? s.name + ": " : "") + fmt(r[payload.x]) + ", " + fmt(r[payload.y]));
      });
    });
    legend(figure, series);
  }

  function network(figure, plot, payload) {
    var data = rows(payload), nodes = {}, edges = [], x = payload.x, y = payload.y;
    var roleKey = ["role", "formal_role"].filter(function (k) { return k in payload.columns; })[0] || payload.group;
    function node(id) {
      if (!(id in nodes)) nodes[id] = { id: id, size: 0, group: null, formal: false, core: false };
      return nodes[id];
    }
    data.forEach(function (r) {
      if (r[x] === null || r[x] === undefined) return;
      var a = node(String(r[x]));
      if (r[y] === null || r[y] === undefined) {
        a.size += isNum(r.n) ? r.n : 1;
        if (payload.group && r[payload.group] !== null) a.group = String(r[payload.group]);
        if (roleKey && r[roleKey] !== null && r[roleKey] !== undefined && r[roleKey] !== "") a.formal = true;
        if (r.is_core) a.core = true;
      } else {
        var b = node(String(r[y]));
        edges.push({ a: a, b: b, w: isNum(r.n) ? r.n : 1 });
        if (payload.group && a.group === null && r[payload.group] !== null) a.group = String(r[payload.group]);
      }
    });
    var list = Object.keys(nodes).sort().map(function (k) { return nodes[k]; });
    if (!list.length) return note(figure, "Nothing to draw: every row is empty or suppressed.");
    list.forEach(function (n) { if (!n.size) n.size = edges.filter(function (e) { return e.a === n || e.b === n; }).reduce(function (s, e) { return s + e.w; }, 0) || 1; });
    // Deterministic layout: nodes start on a circle ordered by id, then a few hundred
    // rounds of a Fruchterman-Reingold style spring embedding.
    var h = 380, cx = W / 2, cy = h / 2, k = Math.sqrt((W * h) / Math.max(1, list.length)) * 0.85;
    list.forEach(function (n, i) { var a = 2 * Math.PI * i / list.length; n.x = cx + Math.cos(a) * h * 0.35; n.y = cy + Math.sin(a) * h * 0.35; });
    var maxW = edges.reduce(function (m, e) { return Math.max(m, e.w); }, 1);
    for (var it = 0, temp = 40; it < 250; it++, temp *= 0.985) {
      list.forEach(function (n) { n.dx = 0; n.dy = 0; });
      for (var i = 0; i < list.length; i++) for (var j = i + 1; j < list.length; j++) {
        var p = list[i], q = list[j], dx = p.x - q.x, dy = p.y - q.y, d = Math.sqrt(dx * dx + dy * dy) || 0.01, f = k * k / d;
        p.dx += dx / d * f; p.dy += dy / d * f; q.dx -= dx / d * f; q.dy -= dy / d * f;
      }
      edges.forEach(function (e) {
        var dx = e.a.x - e.b.x, dy = e.a.y - e.b.y, d = Math.sqrt(dx * dx + dy * dy) || 0.01, f = d * d / k * (0.3 + 0.7 * e.w / maxW);
        e.a.dx -= dx / d * f; e.a.dy -= dy / d * f; e.b.dx += dx / d * f; e.b.dy += dy / d * f;
      });
      list.forEach(function (n) {
        n.dx += (cx - n.x) * 0.02 * k; n.dy += (cy - n.y) * 0.02 * k;
        var d = Math.sqrt(n.dx * n.dx + n.dy * n.dy) || 1, step = Math.min(d, temp);
        n.x = Math.max(20, Math.min(W - 20, n.x + n.dx / d * step));
        n.y = Math.max(16, Math.min(h - 16, n.y + n.dy / d * step));
      });
    }
    var svg = frame(plot, h), maxSize = list.reduce(function (m, n) { return Math.max(m, n.size); }, 1);
    edges.forEach(function (e) { el("line", { class: "edge", x1: e.a.x.toFixed(1), y1: e.a.y.toFixed(1), x2: e.b.x.toFixed(1), y2: e.b.y.toFixed(1), "stroke-width": (0.5 + 3 * e.w / maxW).toFixed(2) }, svg); });
    var groupNames = [], color = {};
    list.forEach(function (n) { var g = n.group || ""; if (!(g in color)) { groupNames.push(g); color[g] = null; } });
    groupNames.sort().forEach(function (g, i) { color[g] = g ? PALETTE[i % PALETTE.length] : "#9aa3b2"; });
    var ranked = list.slice().sort(function (a, b) { return b.size - a.size || (a.id < b.id ? -1 : 1); });
    list.forEach(function (n) {
      var r = 3 + 9 * Math.sqrt(n.size / maxSize);
      var c = el("circle", { class: "node" + (n.formal ? " formal" : ""), cx: n.x.toFixed(1), cy: n.y.toFixed(1), r: r.toFixed(1), fill: color[n.group || ""] }, svg);
      tip(c, n.id + (n.group ? " · " + n.group : "") + (n.formal ? " · formal role" : "") + " · " + fmt(n.size));
    });
    ranked.slice(0, 6).forEach(function (n) { label(svg, n.x + 8, n.y - 6, n.id.length > 14 ? n.id.slice(0, 13) + "…" : n.id, "start", { class: "node-label" }); });
    legend(figure, groupNames.filter(function (g) { return g; }).map(function (g) { return { name: g, color: color[g] }; }));
    note(figure, list.length + " people, " + edges.length + " ties; a dark ring marks a formal role; size = activity.");
  }

  var DRAW = {
    lorenz: function (f, p, d) { lines(f, p, d, { diagonal: true, unit: true, area: true }); },
    line: function (f, p, d) { lines(f, p, d, {}); },
    timeline: function (f, p, d) { lines(f, p, d, { zeroBase: true }); },
    survival: function (f, p, d) { lines(f, p, d, { step: true }); },
    bar: function (f, p, d) {
      var t = d.types[d.x];
      if (t === "time" || t === "number") timeBars(f, p, d); else bars(f, p, d, false);
    },
    errorbar: function (f, p, d) { bars(f, p, d, true); },
    scatter: scatter,
    network: network
  };

  function main() {
    var source = document.getElementById("undertow-data");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var figures = document.querySelectorAll("figure.chart");
    Array.prototype.forEach.call(figures, function (figure) {
      var payload = data.charts[figure.getAttribute("data-chart")];
      var plot = figure.querySelector(".plot");
      if (!payload || !plot || !DRAW[payload.kind]) return;
      try {
        DRAW[payload.kind](figure, plot, payload);
      } catch (error) {
        note(figure, "This chart could not be drawn (" + error.message + "); the table below has the numbers.");
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
})();
