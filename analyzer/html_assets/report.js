/* leaktrace html - draws the charts and the flame graphs of the page from
 * the JSON in #lt-data, and makes the leak tables sortable. No library,
 * nothing fetched. Errors are shown in the page (#lt-js-error) so that a
 * broken page is visible, and tests can check for it. When every part is
 * drawn, <body> gets data-lt-rendered="ok". */
(function () {
  'use strict';
  var errors = [];
  function reportError(msg) {
    errors.push(msg);
    var e = document.getElementById('lt-js-error');
    if (!e) {
      e = document.createElement('div');
      e.id = 'lt-js-error';
      document.body.insertBefore(e, document.body.firstChild);
    }
    e.textContent = 'The page could not draw everything (JavaScript error):\n' + errors.join('\n');
  }
  window.addEventListener('error', function (ev) {
    reportError((ev.message || 'error') + (ev.lineno ? ' (line ' + ev.lineno + ')' : ''));
  });

  var SVGNS = 'http://www.w3.org/2000/svg';
  var PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f'];
  var OTHER = '#c9ced6';

  function el(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var k in attrs) if (attrs.hasOwnProperty(k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function sv(tag, attrs, parent, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (attrs.hasOwnProperty(k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function human(b) {
    var a = Math.abs(b);
    if (a < 10240) return Math.round(b) + ' B';
    if (a < 10485760) return (b / 1024).toFixed(1) + ' KiB';
    if (a < 10737418240) return (b / 1048576).toFixed(1) + ' MiB';
    return (b / 1073741824).toFixed(1) + ' GiB';
  }
  function htime(s) {
    if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 1 : 0) + ' ms';
    if (s < 120) return s.toFixed(2) + ' s';
    if (s < 7200) return (s / 60).toFixed(1) + ' min';
    return (s / 3600).toFixed(1) + ' h';
  }
  function grouped(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
  function nice(x) {
    if (x <= 0) return 1;
    var p = Math.pow(10, Math.floor(Math.log(x) / Math.LN10)), f = x / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }
  /* Axis ticks 0..top: top is a nice multiple of a step. */
  function ticks(max, n, integer) {
    var step = nice(max / n);
    if (integer) step = Math.max(1, Math.round(step));
    var top = Math.max(step, Math.ceil(max / step) * step), v = [];
    for (var x = 0; x <= top + step / 2; x += step) v.push(x);
    return { step: step, top: top, v: v };
  }
  /* Ticks inside 0..max for an axis that ends at max itself. */
  function innerTicks(max, n) {
    var step = nice(max / n), v = [];
    for (var x = 0; x <= max * 1.0001; x += step) v.push(x);
    return { step: step, top: max, v: v };
  }
  function byteTicks(max) {
    if (max <= 0) max = 1;
    var units = [1, 1024, 1048576, 1073741824], names = ['B', 'KiB', 'MiB', 'GiB'], u = 0;
    for (var i = 0; i < units.length; i++) if (max >= units[i]) u = i;
    var t = ticks(max / units[u], 4), dec = t.step < 1 ? (t.step < 0.1 ? 2 : 1) : 0;
    return { top: t.top * units[u], v: t.v.map(function (x) { return x * units[u]; }),
             label: function (v) { return v ? (v / units[u]).toFixed(dec) + ' ' + names[u] : '0'; } };
  }
  function shorten(s, n) { return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }
  function tip(container) {
    var t = el('div', { 'class': 'tip' }, container);
    return {
      show: function (html, x, y) {
        t.innerHTML = html;
        t.style.display = 'block';
        var w = t.offsetWidth, cw = container.clientWidth;
        t.style.left = Math.max(0, Math.min(x + 14, cw - w - 4)) + 'px';
        t.style.top = (y + 16) + 'px';
      },
      hide: function () { t.style.display = 'none'; }
    };
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  /* ---- timeline: stacked top sites, total, threads, marks ---- */
  function drawTimeline(box, P) {
    var T = P.timeline;
    box.textContent = '';
    if (!T || T.t.length < 2) {
      el('p', { 'class': 'none' }, box, 'The run is too short to plot (under two time slices).');
      box.setAttribute('data-drawn', '0');
      return;
    }
    /* The tracer started with nothing live: the plot starts at (0, 0). */
    if (T.t[0] > 0) {
      T = { t: [0].concat(T.t), total: [0].concat(T.total), threads: T.threads ? [T.threads[0]].concat(T.threads) : null,
            sites: T.sites.map(function (x) { return { label: x.label, peak: x.peak, end: x.end, bytes: [0].concat(x.bytes) }; }),
            other: [0].concat(T.other), nother: T.nother };
    }
    /* Marks' labels get a band of their own above the plot. */
    var W = 1200, H = 340, L = 74, R = T.threads ? 56 : 18, TOP = P.marks.length ? 40 : 16, B = 40;
    var n = T.t.length, tmax = T.t[n - 1], maxv = 0, i, k;
    for (i = 0; i < n; i++) maxv = Math.max(maxv, T.total[i]);
    maxv = Math.max(maxv, P.peak);   /* the peak can fall between two slice ends */
    var ya = byteTicks(maxv), xa = innerTicks(tmax > 0 ? tmax : 1, 8);
    var X = function (t) { return L + (W - L - R) * t / xa.top; };
    var Y = function (v) { return H - B - (H - B - TOP) * v / ya.top; };
    var svg = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, 'class': 'timeline', role: 'img' }, box);
    sv('title', {}, svg, 'Live heap of ' + P.exe + ' over time');
    for (i = 0; i < ya.v.length; i++) {
      var y = Y(ya.v[i]);
      sv('line', { x1: L, x2: W - R, y1: y, y2: y, stroke: '#e6e9ee' }, svg);
      sv('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', fill: '#5f6b7a' }, svg, ya.label(ya.v[i]));
    }
    for (i = 0; i < xa.v.length; i++) {
      var x = X(xa.v[i]);
      sv('line', { x1: x, x2: x, y1: H - B, y2: H - B + 4, stroke: '#8a94a3' }, svg);
      sv('text', { x: x, y: H - B + 17, 'text-anchor': 'middle', fill: '#5f6b7a' }, svg, htime(xa.v[i]));
    }
    /* Stacked areas: each top site, then "other". */
    var layers = T.sites.map(function (s) { return s.bytes; }).concat([T.other]);
    var base = new Array(n).fill(0), colors = [], g = sv('g', { 'class': 'areas' }, svg);
    for (k = 0; k < layers.length; k++) {
      var top = [], d = '', c = k < T.sites.length ? PALETTE[k % PALETTE.length] : OTHER;
      colors.push(c);
      for (i = 0; i < n; i++) top.push(base[i] + layers[k][i]);
      var empty = true;
      for (i = 0; i < n; i++) if (layers[k][i]) { empty = false; break; }
      if (!empty) {
        for (i = 0; i < n; i++) d += (i ? 'L' : 'M') + X(T.t[i]).toFixed(1) + ',' + Y(top[i]).toFixed(1);
        for (i = n - 1; i >= 0; i--) d += 'L' + X(T.t[i]).toFixed(1) + ',' + Y(base[i]).toFixed(1);
        sv('path', { d: d + 'Z', fill: c, 'fill-opacity': '0.85', 'class': 'area', 'data-site': k }, g);
      }
      base = top;
    }
    var d2 = '';
    for (i = 0; i < n; i++) d2 += (i ? 'L' : 'M') + X(T.t[i]).toFixed(1) + ',' + Y(T.total[i]).toFixed(1);
    sv('path', { d: d2, fill: 'none', stroke: '#1d2330', 'stroke-width': 1.5, 'class': 'total' }, svg);
    /* Threads on the right-hand axis. */
    if (T.threads) {
      var tm = 0;
      for (i = 0; i < n; i++) tm = Math.max(tm, T.threads[i]);
      var ta = ticks(Math.max(tm, 1), 4, true), YT = function (v) { return H - B - (H - B - TOP) * v / ta.top; }, d3 = '';
      for (i = 0; i < ta.v.length; i++)
        sv('text', { x: W - R + 6, y: YT(ta.v[i]) + 4, fill: '#7048e8' }, svg, String(ta.v[i]));
      for (i = 0; i < n; i++) d3 += (i ? 'L' : 'M') + X(T.t[i]).toFixed(1) + ',' + YT(T.threads[i]).toFixed(1);
      sv('path', { d: d3, fill: 'none', stroke: '#7048e8', 'stroke-width': 1.5, 'stroke-dasharray': '5 3', 'class': 'threads' }, svg);
      sv('text', { x: W - 4, y: TOP - 3, 'text-anchor': 'end', fill: '#7048e8' }, svg, 'threads');
    }
    sv('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: '#8a94a3' }, svg);
    if (P.peak) {
      var pk = sv('circle', { cx: X(Math.min(P.peak_t, xa.top)), cy: Y(P.peak), r: 4, fill: '#1d2330', 'class': 'peak' }, svg);
      sv('title', {}, pk, 'peak: ' + human(P.peak) + ' live at ' + htime(P.peak_t));
    }
    /* Marks: dashed lines, labels staggered in two rows, crowded ones dropped. */
    var lastx = [-1e9, -1e9], hidden = 0;
    for (i = 0; i < P.marks.length; i++) {
      var m = P.marks[i], mx = X(Math.min(m.t, xa.top));
      var ml = sv('line', { x1: mx, x2: mx, y1: 2, y2: H - B, stroke: '#d6336c', 'stroke-dasharray': '3 3', 'class': 'mark' }, svg);
      sv('title', {}, ml, m.label + ' at ' + htime(m.t) + ': ' + human(m.live) + ' live');
      var row = mx - lastx[0] > 110 ? 0 : mx - lastx[1] > 110 ? 1 : -1;
      if (row < 0) { hidden++; continue; }
      lastx[row] = mx;
      var lab = m.label.length > 16 ? m.label.slice(0, 15) + '\u2026' : m.label;
      sv('text', { x: mx + 3, y: 12 + row * 13, fill: '#d6336c', 'font-size': 11, 'class': 'marklabel' }, svg, lab);
    }
    /* Hover: the values at the nearest slice. */
    var cursor = sv('line', { x1: 0, x2: 0, y1: TOP, y2: H - B, stroke: '#1d2330', 'stroke-opacity': 0, 'pointer-events': 'none' }, svg);
    var hover = sv('rect', { x: L, y: TOP, width: W - L - R, height: H - B - TOP, fill: 'transparent' }, svg);
    var tp = tip(box);
    hover.addEventListener('mousemove', function (ev) {
      var r = svg.getBoundingClientRect(), sx = (ev.clientX - r.left) * W / r.width;
      var t = (sx - L) / (W - L - R) * xa.top, j = 0;
      while (j < n - 1 && T.t[j] < t) j++;
      cursor.setAttribute('x1', X(T.t[j]));
      cursor.setAttribute('x2', X(T.t[j]));
      cursor.setAttribute('stroke-opacity', 0.4);
      var h = '<b>' + htime(T.t[j]) + '</b>: ' + human(T.total[j]) + ' live';
      if (T.threads) h += ', ' + T.threads[j] + ' threads';
      for (var q = 0; q < T.sites.length; q++)
        if (T.sites[q].bytes[j]) h += '<br><span style="color:' + colors[q] + '">\u25A0</span> <span class=fnt>' +
          esc(shorten(T.sites[q].label, 120)) + '</span>: ' + human(T.sites[q].bytes[j]);
      if (T.other[j]) h += '<br><span style="color:' + OTHER + '">\u25A0</span> other sites: ' + human(T.other[j]);
      tp.show(h, ev.clientX - box.getBoundingClientRect().left, ev.clientY - box.getBoundingClientRect().top);
    });
    hover.addEventListener('mouseleave', function () { tp.hide(); cursor.setAttribute('stroke-opacity', 0); });
    /* Legend. */
    var lg = el('div', { 'class': 'legend' }, box);
    for (k = 0; k < T.sites.length; k++) {
      var it = el('div', {}, lg);
      el('span', { 'class': 'sw', style: 'background:' + colors[k] }, it);
      el('span', { 'class': 'fn', title: T.sites[k].label }, it, shorten(T.sites[k].label, 90));
      el('span', { 'class': 'lv' }, it, ' ' + human(T.sites[k].end) + ' at the end, peak ' + human(T.sites[k].peak));
    }
    if (T.nother) {
      var io = el('div', {}, lg);
      el('span', { 'class': 'sw', style: 'background:' + OTHER }, io);
      el('span', {}, io, T.nother + ' other sites');
      el('span', { 'class': 'lv' }, io, ' ' + human(T.other[n - 1]) + ' at the end');
    }
    var il = el('div', {}, lg);
    el('span', { 'class': 'sw', style: 'background:#1d2330;height:2px;vertical-align:3px' }, il);
    el('span', {}, il, 'total live (at the end of each time slice); \u25CF the peak, ' + human(P.peak) + ' at ' + htime(P.peak_t));
    if (T.threads) {
      var ih = el('div', {}, lg);
      el('span', { 'class': 'sw', style: 'background:#7048e8;height:2px;vertical-align:3px' }, ih);
      el('span', {}, ih, 'live threads (right axis, as sampled by the tracer)');
    }
    if (P.marks.length) {
      var im = el('div', {}, lg);
      el('span', { 'class': 'sw', style: 'background:#d6336c;width:2px' }, im);
      el('span', {}, im, P.marks.length + ' mark' + (P.marks.length > 1 ? 's' : '') + (hidden ? ' (' + hidden + ' labels hidden: hover the lines)' : ''));
    }
    box.setAttribute('data-drawn', String(T.sites.length + 1));
  }

  /* ---- growth curves ---- */
  function drawCurve(box, t, ys) {
    var W = 260, H = 90, L = 4, R = 4, TOP = 6, B = 16, n = t.length, mx = 0, i;
    for (i = 0; i < n; i++) mx = Math.max(mx, ys[i]);
    if (mx <= 0) mx = 1;
    var t0 = t[0], t1 = t[n - 1] > t0 ? t[n - 1] : t0 + 1;
    var X = function (v) { return L + (W - L - R) * (v - t0) / (t1 - t0); }, Y = function (v) { return H - B - (H - B - TOP) * v / mx; };
    var svg = sv('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' }, box), d = '';
    for (i = 0; i < n; i++) d += (i ? 'L' : 'M') + X(t[i]).toFixed(1) + ',' + Y(ys[i]).toFixed(1);
    sv('path', { d: d + 'L' + X(t[n - 1]).toFixed(1) + ',' + Y(0) + 'L' + X(t[0]).toFixed(1) + ',' + Y(0) + 'Z', fill: '#ffe8d9' }, svg);
    sv('path', { d: d, fill: 'none', stroke: '#e8590c', 'stroke-width': 1.8, 'class': 'gcurve' }, svg);
    sv('line', { x1: L, x2: W - R, y1: Y(0), y2: Y(0), stroke: '#8a94a3' }, svg);
    sv('text', { x: L + 2, y: TOP + 10, fill: '#5f6b7a', 'font-size': 11 }, svg, human(mx));
    sv('text', { x: L, y: H - 3, fill: '#5f6b7a', 'font-size': 11 }, svg, htime(t0));
    sv('text', { x: W - R, y: H - 3, fill: '#5f6b7a', 'font-size': 11, 'text-anchor': 'end' }, svg, htime(t1));
  }

  /* ---- flame graph (icicle: the root on top, callees below) ---- */
  function Flame(box, P) {
    this.box = box;
    this.P = P;
    this.s = P.s;
    this.kind = P.flame.leaked && P.flame.leaked.total ? 'leaked' : 'allocated';
    this.search = '';
    box.textContent = '';
    var bar = el('div', { 'class': 'fbar' }, box), self = this;
    this.buttons = {};
    ['leaked', 'allocated', 'peak'].forEach(function (k) {
      var b = el('button', { type: 'button', 'data-kind': k }, bar, k === 'peak' ? 'live at the peak' : k);
      b.addEventListener('click', function () { self.setKind(k); });
      self.buttons[k] = b;
    });
    this.input = el('input', { type: 'search', placeholder: 'search functions (regex)', 'aria-label': 'search' }, bar);
    this.input.addEventListener('input', function () { self.setSearch(self.input.value); });
    this.info = el('span', { 'class': 'finfo' }, bar);
    this.canvas = el('canvas', {}, box);
    this.crumb = el('div', { 'class': 'fcrumb' }, box);
    this.note = el('div', { 'class': 'fcrumb' }, box);
    this.tip = tip(box);
    this.canvas.addEventListener('click', function (ev) { self.click(ev); });
    this.canvas.addEventListener('mousemove', function (ev) { self.move(ev); });
    this.canvas.addEventListener('mouseleave', function () { self.tip.hide(); });
    var rt;
    window.addEventListener('resize', function () { clearTimeout(rt); rt = setTimeout(function () { self.draw(); }, 100); });
    this.setKind(this.kind);
  }
  Flame.prototype.setKind = function (k) {
    this.kind = k;
    for (var b in this.buttons) this.buttons[b].className = b === k ? 'on' : '';
    var F = this.P.flame[k];
    this.F = F;
    this.zoom = 0;
    if (F) this.prepare(F);
    this.draw();
  };
  Flame.prototype.prepare = function (F) {
    if (F.nodes) return;
    var d = F.d, n = F.n, nodes = new Array(n), i;
    for (i = 0; i < n; i++) {
      var o = i * 8;
      nodes[i] = { parent: d[o], label: d[o + 1], value: d[o + 2], self: d[o + 3], file: d[o + 4], line: d[o + 5],
                   module: d[o + 6], kind: d[o + 7], kids: [], depth: 0, x: 0 };
    }
    var maxd = 0;
    for (i = 1; i < n; i++) {
      var p = nodes[nodes[i].parent];
      p.kids.push(i);
      nodes[i].depth = p.depth + 1;
      if (nodes[i].depth > maxd) maxd = nodes[i].depth;
    }
    /* x offsets (bytes left of the node within the root), children in order. */
    for (i = 0; i < n; i++) {
      var x = nodes[i].x;
      for (var k = 0; k < nodes[i].kids.length; k++) {
        nodes[nodes[i].kids[k]].x = x;
        x += nodes[nodes[i].kids[k]].value;
      }
    }
    F.nodes = nodes;
    F.maxd = maxd;
  };
  Flame.prototype.color = function (nd, hit) {
    if (hit) return '#d6336c';
    var s = this.s[nd.label] || '', h = 0;
    for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
    var kind = nd.kind & 3, mod = nd.module >= 0 ? this.s[nd.module] : '';
    if (kind === 2) return '#c9ced6';
    if (kind === 1) return 'hsl(210,8%,' + (70 + h % 10) + '%)';
    if (nd.kind & 4) return 'hsl(' + (175 + h % 20) + ',55%,' + (62 + h % 12) + '%)';
    if (/^(libc|libstdc\+\+|ld-linux|libm|libgcc)/.test(mod)) return 'hsl(' + (38 + h % 14) + ',62%,' + (66 + h % 12) + '%)';
    return 'hsl(' + (h % 40) + ',78%,' + (58 + (h >> 8) % 14) + '%)';
  };
  Flame.prototype.matches = function (nd) {
    if (!this.re) return false;
    return this.re.test(this.s[nd.label] || '');
  };
  Flame.prototype.setSearch = function (q) {
    this.search = q;
    this.re = null;
    if (q) {
      try { this.re = new RegExp(q, 'i'); } catch (e) {
        this.re = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      }
    }
    this.draw();
  };
  Flame.prototype.draw = function () {
    var F = this.F, cv = this.canvas, ctx = cv.getContext('2d');
    var W = Math.max(300, this.box.clientWidth - 16), ROW = 18, dpr = window.devicePixelRatio || 1;
    if (!F || !F.total) {
      cv.width = W * dpr; cv.height = 40 * dpr; cv.style.height = '40px';
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, W, 40);
      ctx.fillStyle = '#5f6b7a';
      ctx.font = '13px system-ui, sans-serif';
      ctx.fillText('Nothing to show: no bytes ' + (this.kind === 'leaked' ? 'leaked' : this.kind === 'peak' ? 'live at the peak' : 'allocated') + '.', 8, 24);
      this.info.textContent = '';
      this.crumb.textContent = '';
      this.note.textContent = '';
      this.box.setAttribute('data-drawn', '0');
      this.box.setAttribute('data-kind', this.kind);
      this.rects = [];
      return;
    }
    var nodes = F.nodes, z = nodes[this.zoom], H = (F.maxd + 1) * ROW + 2;
    cv.width = W * dpr; cv.height = H * dpr; cv.style.height = H + 'px';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = '12px ui-monospace, "DejaVu Sans Mono", monospace';
    ctx.textBaseline = 'middle';
    var scale = W / z.value, rects = [], drawn = 0, matched = 0, self = this;
    /* Ancestors of the zoomed node: full width. */
    var anc = [], a = this.zoom;
    while (a >= 0) { anc.unshift(a); a = nodes[a].parent; }
    var cw = 7.3;
    function box(i, x, w) {
      var nd = nodes[i], y = nd.depth * ROW, hit = self.matches(nd);
      ctx.fillStyle = self.color(nd, hit);
      ctx.fillRect(x, y, Math.max(w - 1, 0.5), ROW - 1);
      rects.push([x, y, w, i]);
      drawn++;
      if (w > 30) {
        var lab = self.s[nd.label] || '?', max = Math.floor((w - 6) / cw);
        if (lab.length > max) lab = max > 2 ? lab.slice(0, max - 1) + '\u2026' : '';
        ctx.fillStyle = '#1d2330';
        ctx.fillText(lab, x + 3, y + ROW / 2);
      }
    }
    for (var q = 0; q < anc.length - 1; q++) box(anc[q], 0, W);
    /* The zoomed subtree: iterative, skipping what is under half a pixel. */
    var stack = [this.zoom];
    while (stack.length) {
      var i = stack.pop(), nd = nodes[i], w = nd.value * scale;
      if (w < 0.5) continue;
      var x = (nd.x - z.x) * scale;
      if (i === this.zoom) x = 0;
      box(i, x, w);
      for (var k = nd.kids.length - 1; k >= 0; k--) stack.push(nd.kids[k]);
    }
    /* Search: bytes under matching frames, counting nested matches once. */
    if (this.re) {
      var mstack = [[0, false]], mb = 0;
      while (mstack.length) {
        var e = mstack.pop(), m = nodes[e[0]], hit2 = !e[1] && this.matches(m);
        if (hit2) { mb += m.value; matched++; }
        for (var k2 = 0; k2 < m.kids.length; k2++) mstack.push([m.kids[k2], e[1] || hit2]);
      }
      this.info.textContent = matched ? 'matched: ' + human(mb) + ' (' + (100 * mb / F.total).toFixed(1) + '% of ' + human(F.total) + ')' : 'no frame matches';
      this.info.setAttribute('data-matched', String(matched));
    } else {
      this.info.textContent = human(F.total) + ' ' + (this.kind === 'allocated' ? 'allocated' : this.kind === 'peak' ? 'live at the peak' : 'leaked') + '; click a frame to zoom';
      this.info.removeAttribute('data-matched');
    }
    this.rects = rects;
    this.crumb.textContent = this.zoom ? 'zoomed into ' + (this.s[z.label] || '?') + ' (' + human(z.value) + ', ' + (100 * z.value / F.total).toFixed(1) + '%). Click the top frame to zoom out.' : '';
    this.note.textContent = F.n < F.all ? F.all - F.n + ' frames smaller than ' + human(F.cutmax) + ' are not shown (' + grouped(F.all) + ' in all; their bytes are counted in their callers).' : '';
    this.box.setAttribute('data-drawn', String(drawn));
    this.box.setAttribute('data-kind', this.kind);
  };
  /* Zooms into the first frame (depth-first) whose label is name. */
  Flame.prototype.zoomTo = function (name) {
    var F = this.F;
    if (!F || !F.nodes) return false;
    for (var i = 0; i < F.nodes.length; i++)
      if (this.s[F.nodes[i].label] === name) { this.zoom = i; this.draw(); return true; }
    return false;
  };
  Flame.prototype.hit = function (ev) {
    var r = this.canvas.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
    var rs = this.rects || [];
    for (var i = rs.length - 1; i >= 0; i--)
      if (x >= rs[i][0] && x < rs[i][0] + rs[i][2] && y >= rs[i][1] && y < rs[i][1] + 18) return rs[i][3];
    return -1;
  };
  Flame.prototype.click = function (ev) {
    var i = this.hit(ev);
    if (i < 0) return;
    this.zoom = i === this.zoom ? Math.max(this.F.nodes[i].parent, 0) : i;
    this.draw();
  };
  Flame.prototype.move = function (ev) {
    var i = this.hit(ev);
    if (i < 0) { this.tip.hide(); return; }
    var nd = this.F.nodes[i], s = this.s, h = '<span class=fnt><b>' + esc(s[nd.label] || '?') + '</b></span>';
    if (nd.file >= 0) h += '<br>' + esc(s[nd.file]) + (nd.line ? ':' + nd.line : '');
    if (nd.module >= 0) h += '<br>in ' + esc(s[nd.module]);
    if (nd.kind & 4) h += ' (inlined)';
    h += '<br>' + human(nd.value) + ' (' + grouped(nd.value) + ' bytes, ' + (100 * nd.value / this.F.total).toFixed(2) + '%)';
    if (nd.self) h += ', ' + human(nd.self) + ' allocated here directly';
    var br = this.box.getBoundingClientRect();
    this.tip.show(h, ev.clientX - br.left, ev.clientY - br.top);
  };

  /* ---- sortable leak tables ---- */
  function sortable(table) {
    var ths = table.querySelectorAll('th[data-key]'), state = { key: 'bytes', dir: -1 };
    function apply() {
      var rows = Array.prototype.slice.call(table.querySelectorAll('tbody.leak')), key = state.key, dir = state.dir;
      rows.sort(function (a, b) {
        var x, y;
        if (key === 'site') { x = a.getAttribute('data-site'); y = b.getAttribute('data-site'); return dir * x.localeCompare(y); }
        var k = key === 'share' ? 'bytes' : key;
        x = +a.getAttribute('data-' + k); y = +b.getAttribute('data-' + k);
        return x !== y ? dir * (x - y) : (+a.getAttribute('data-rank')) - (+b.getAttribute('data-rank'));
      });
      for (var i = 0; i < rows.length; i++) table.appendChild(rows[i]);
      for (var j = 0; j < ths.length; j++)
        ths[j].className = ths[j].className.replace(/ ?sorted-(asc|desc)/g, '') + (ths[j].getAttribute('data-key') === key ? (dir < 0 ? ' sorted-desc' : ' sorted-asc') : '');
    }
    for (var j = 0; j < ths.length; j++) ths[j].addEventListener('click', function () {
      var k = this.getAttribute('data-key');
      state.dir = state.key === k ? -state.dir : (k === 'site' ? 1 : -1);
      state.key = k;
      apply();
    });
    /* A click on a row (not on its stack) opens or closes the stack. */
    table.addEventListener('click', function (ev) {
      var t = ev.target;
      if (t.closest('details') || t.closest('th')) return;
      var tb = t.closest('tbody.leak');
      if (tb) { var d = tb.querySelector('details'); if (d) d.open = !d.open; }
    });
    apply();
  }

  function main() {
    var data = JSON.parse(document.getElementById('lt-data').textContent), done = 0;
    var hash = location.hash || '';
    try { hash = decodeURIComponent(hash); } catch (e) { /* a malformed address: use it as it is */ }
    var m = /search=([^&]*)/.exec(hash), kind = /flame=(leaked|allocated|peak)/.exec(hash), zoom = /zoom=([^&]*)/.exec(hash);
    data.procs.forEach(function (P) {
      function part(name, fn) {
        try { fn(); done++; } catch (e) { reportError(name + ' of process ' + P.pid + ': ' + (e && e.stack || e)); }
      }
      part('timeline', function () { drawTimeline(document.getElementById('timeline-' + P.id), P); });
      part('growth curves', function () {
        if (!P.growth) return;
        P.growth.suspects.forEach(function (s, i) {
          var b = document.getElementById('curve-' + P.id + '-' + i);
          if (b) drawCurve(b, P.growth.t, s.series);
        });
      });
      part('flame graph', function () {
        var f = new Flame(document.getElementById('flame-' + P.id), P);
        if (kind) f.setKind(kind[1]);
        if (m) { f.input.value = m[1]; f.setSearch(m[1]); }
        if (zoom) f.zoomTo(zoom[1]);
      });
    });
    part0('leak tables', function () {
      var ts = document.querySelectorAll('table.sortable');
      for (var i = 0; i < ts.length; i++) sortable(ts[i]);
    });
    function part0(name, fn) { try { fn(); } catch (e) { reportError(name + ': ' + (e && e.stack || e)); } }
    if (!errors.length) document.body.setAttribute('data-lt-rendered', 'ok');
  }
  try { main(); } catch (e) { reportError('page: ' + (e && e.stack || e)); }
})();
