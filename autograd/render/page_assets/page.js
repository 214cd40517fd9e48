// chainrule's interactive graph page: pan and zoom, a panel per node, search, expanding
// modules and stacks, and a stepper through the forward and backward passes.
// Everything it shows comes from the JSON data block of the page and reaches the
// document as text (textContent), never as markup; the SVG drawings are parsed as
// XML and stripped of anything that could run.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('chainrule-data').textContent);
  var views = data.views;
  var graphBox = document.getElementById('graph');
  var panel = document.getElementById('panel');
  var tip = document.getElementById('tip');
  var say = document.getElementById('say');
  var counter = document.getElementById('counter');
  var search = document.getElementById('search');
  var matches = document.getElementById('matches');
  var backButton = document.getElementById('back');
  var playButton = document.getElementById('play');

  var state = {
    view: -1, history: [], svg: null, pz: null,
    nodes: {}, edges: {}, clusters: {}, fields: {},
    step: null, timer: null
  };

  function make(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  // Nothing in a drawing may run or load anything: no scripts, no foreign content, no
  // event attributes, no links out, no inline styles.
  function sanitize(root) {
    var all = Array.prototype.slice.call(root.querySelectorAll('*'));
    all.push(root);
    all.forEach(function (e) {
      var tag = (e.localName || '').toLowerCase();
      if (tag === 'script' || tag === 'foreignobject' || tag === 'iframe' ||
          tag === 'image' || tag === 'use' || tag === 'style') {
        if (e.parentNode) { e.parentNode.removeChild(e); }
        return;
      }
      Array.prototype.slice.call(e.attributes).forEach(function (a) {
        var name = a.name.toLowerCase();
        var local = name.indexOf(':') >= 0 ? name.split(':')[1] : name;
        if (local.indexOf('on') === 0 || local === 'style' ||
            ((local === 'href' || local === 'src') && a.value.charAt(0) !== '#')) {
          e.removeAttributeNode(a);
        }
      });
    });
  }

  function unit(name) { return views[state.view].units[name]; }

  // The <text> elements of a node that hold its data and its grad.
  function classify(name, g) {
    var fields = { data: [], grad: [] };
    Array.prototype.forEach.call(g.querySelectorAll('text'), function (t) {
      var s = t.textContent;
      var entry = { el: t, text: s };
      if (s.indexOf('data ') === 0) { fields.data.push(entry); }
      else if (s.indexOf('grad ') === 0 || s.indexOf('mean |grad| ') === 0 ||
               s.indexOf(', mean |grad| ') >= 0) { fields.grad.push(entry); }
    });
    state.fields[name] = fields;
  }

  function hidden(entry, field) {
    var s = entry.text;
    if (field === 'data') { return 'data \u00b7'; }
    if (s.indexOf('grad ') === 0) { return 'grad \u00b7'; }
    var at = s.indexOf('mean |grad| ');
    return s.slice(0, at) + 'mean |grad| \u00b7';
  }

  function show(v, remember) {
    if (!views[v]) { return; }
    if (remember && state.view >= 0) { state.history.push(state.view); }
    pause();
    if (state.pz) { state.pz.destroy(); state.pz = null; }
    graphBox.textContent = '';
    var doc = new DOMParser().parseFromString(views[v].svg, 'image/svg+xml');
    var svg = doc.documentElement;
    if (!svg || svg.localName !== 'svg') {
      graphBox.appendChild(make('p', 'error', 'this drawing could not be read'));
      return;
    }
    sanitize(svg);
    svg = document.importNode(svg, true);
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('id', 'drawing');
    // Through the style object (which the page's policy allows), so that svg-pan-zoom
    // finds it there and adds no style attribute of its own.
    svg.style.overflow = 'hidden';
    graphBox.appendChild(svg);
    state.view = v;
    state.svg = svg;
    state.nodes = {}; state.edges = {}; state.clusters = {}; state.fields = {};
    Array.prototype.forEach.call(svg.querySelectorAll('g.node, g.edge, g.cluster'), function (g) {
      var title = g.querySelector('title');
      if (!title) { return; }
      var name = title.textContent;
      title.parentNode.removeChild(title);  // our own hover box replaces the names
      Array.prototype.forEach.call(g.querySelectorAll('a'), function (a) {
        a.removeAttribute('xlink:title');
        a.removeAttributeNS('http://www.w3.org/1999/xlink', 'title');
        a.removeAttribute('title');
      });
      g.setAttribute('data-name', name);
      if (g.classList.contains('node')) {
        state.nodes[name] = g;
        g.setAttribute('data-unit', name);
        classify(name, g);
        var u = unit(name);
        if (u && u.grad !== undefined) { g.setAttribute('data-grad', u.grad); }
        if (u && u.data !== undefined) { g.setAttribute('data-data', u.data); }
      } else if (g.classList.contains('edge')) {
        state.edges[name] = g;
      } else {
        state.clusters[name] = g;
        var c = views[v].clusters[name];
        if (c) { g.classList.add('stack'); g.setAttribute('data-stack', name); }
      }
    });
    state.pz = window.svgPanZoom(svg, {
      zoomEnabled: true, controlIconsEnabled: false, fit: true, center: true,
      minZoom: 0.05, maxZoom: 40, dblClickZoomEnabled: false
    });
    state.step = null;
    backButton.disabled = state.history.length === 0;
    say.textContent = views[v].name === 'as drawn' ? '' : 'showing: ' + views[v].name;
    showCounter();
    runSearch();
  }

  // --- the panel and the hover box -----------------------------------------------------

  function describe(name) {
    panel.textContent = '';
    var u = unit(name);
    if (!u) { return; }
    panel.appendChild(make('h2', null, u.label || name));
    panel.appendChild(make('p', 'kind', u.kind + (u.members > 1 ? ' (' + u.members + ' nodes)' : '')));
    if (u.data !== undefined) {
      var dl = make('dl');
      dl.appendChild(make('dt', null, 'data'));
      dl.appendChild(make('dd', 'data', u.data));
      dl.appendChild(make('dt', null, 'grad'));
      dl.appendChild(make('dd', 'grad', u.grad));
      panel.appendChild(dl);
    }
    if (u.info && u.info.length) { panel.appendChild(make('pre', 'info', u.info.join('\n'))); }
    if (u.explain) {
      panel.appendChild(make('h3', null, 'why its grad is what it is'));
      panel.appendChild(make('pre', 'explain', u.explain));
    }
    if (u.expand !== undefined) { expandButton(u.expand, u.label); }
  }

  function expandButton(target, what) {
    if (target >= 0) {
      var b = make('button', 'expand', 'expand ' + what);
      b.type = 'button';
      b.addEventListener('click', function () { show(target, true); });
      panel.appendChild(b);
    } else {
      panel.appendChild(make('p', 'note', 'Expanding ' + what + ' would be more than the ' +
        'layout budget allows on this page: draw it with draw_dot(root, collapse=..., ' +
        'fold=False) or max_nodes=None.'));
    }
  }

  function select(name) {
    Array.prototype.forEach.call(state.svg.querySelectorAll('.selected'), function (e) {
      e.classList.remove('selected');
    });
    if (state.nodes[name]) { state.nodes[name].classList.add('selected'); }
    describe(name);
  }

  graphBox.addEventListener('click', function (event) {
    var node = event.target.closest ? event.target.closest('g.node') : null;
    if (node) {
      var name = node.getAttribute('data-unit');
      var u = unit(name);
      if (u && u.kind === 'group' && u.expand >= 0) { show(u.expand, true); return; }
      select(name);
      return;
    }
    var cluster = event.target.closest ? event.target.closest('g.cluster') : null;
    if (cluster && cluster.getAttribute('data-stack')) {
      var c = views[state.view].clusters[cluster.getAttribute('data-stack')];
      if (c.expand >= 0) { show(c.expand, true); return; }
      panel.textContent = '';
      panel.appendChild(make('h2', null, c.label));
      panel.appendChild(make('pre', 'info', c.info.join('\n')));
      expandButton(c.expand, 'this stack');
    }
  });

  graphBox.addEventListener('mouseover', function (event) {
    var node = event.target.closest ? event.target.closest('g.node') : null;
    var u = node ? unit(node.getAttribute('data-unit')) : null;
    if (!u || !u.info || !u.info.length) { tip.hidden = true; return; }
    tip.textContent = u.info.join('\n');
    tip.hidden = false;
  });
  graphBox.addEventListener('mousemove', function (event) {
    tip.style.left = (event.clientX + 14) + 'px';
    tip.style.top = (event.clientY + 14) + 'px';
  });
  graphBox.addEventListener('mouseleave', function () { tip.hidden = true; });

  backButton.addEventListener('click', function () {
    if (state.history.length) { show(state.history.pop(), false); }
  });

  // --- search -----------------------------------------------------------------------------

  function runSearch() {
    var q = search.value.trim().toLowerCase();
    var found = [];
    Object.keys(state.nodes).forEach(function (name) {
      var g = state.nodes[name];
      var u = unit(name);
      var hit = q !== '' && u && (u.label || '').toLowerCase().indexOf(q) >= 0;
      g.classList.toggle('match', !!hit);
      if (hit) { found.push(name); }
    });
    matches.textContent = q === '' ? '' : found.length + (found.length === 1 ? ' match' : ' matches');
    return found;
  }

  function centre(name) {
    var g = state.nodes[name];
    if (!g || !state.pz) { return; }
    var box = g.getBoundingClientRect();
    var area = state.svg.getBoundingClientRect();
    state.pz.panBy({ x: (area.left + area.width / 2) - (box.left + box.width / 2),
                     y: (area.top + area.height / 2) - (box.top + box.height / 2) });
  }

  search.addEventListener('input', runSearch);
  search.addEventListener('keydown', function (event) {
    if (event.key === 'Enter') {
      var found = runSearch();
      if (found.length) { select(found[0]); centre(found[0]); }
    }
  });

  // --- the stepper ------------------------------------------------------------------------

  function steps() { return views[state.view].steps; }

  function showCounter() {
    counter.textContent = state.step === null ? '' : 'step ' + state.step + ' / ' + steps().length;
    playButton.textContent = state.timer ? 'pause' : 'play';
  }

  function setField(name, field, text, full) {
    var f = state.fields[name];
    var g = state.nodes[name];
    if (!f || !g) { return; }
    f[field].forEach(function (entry) {
      if (text === 'final') { entry.el.textContent = entry.text; }
      else if (text === 'hidden') { entry.el.textContent = hidden(entry, field); }
      else { entry.el.textContent = text; }
    });
    if (field === 'grad') {
      var u = unit(name);
      if (text === 'final') { g.setAttribute('data-grad', u && u.grad !== undefined ? u.grad : ''); }
      else if (text === 'hidden') { g.setAttribute('data-grad', ''); }
      else if (full !== undefined) { g.setAttribute('data-grad', full); }
      g.classList.toggle('has-grad', text !== 'hidden');
    } else {
      g.classList.toggle('has-data', text !== 'hidden');
    }
  }

  function clearMarks() {
    Array.prototype.forEach.call(state.svg.querySelectorAll('.lit, .current'), function (e) {
      e.classList.remove('lit');
      e.classList.remove('current');
    });
    Array.prototype.forEach.call(state.svg.querySelectorAll('text.mark'), function (e) {
      e.parentNode.removeChild(e);
    });
  }

  // The step's local derivative x upstream gradient, written beside its edge.
  function markEdge(edge, text) {
    var path = edge.querySelector('path');
    if (!path || !path.getTotalLength) { return; }
    var at = path.getPointAtLength(path.getTotalLength() / 2);
    var t = document.createElementNS('http://www.w3.org/2000/svg', 'text');
    t.setAttribute('class', 'mark');
    t.setAttribute('x', String(at.x + 4));
    t.setAttribute('y', String(at.y - 4));
    t.textContent = text;
    edge.appendChild(t);
  }

  function apply(step, mark) {
    step.set.forEach(function (s) { setField(s[0], s[1], s[2], s[3]); });
    if (!mark) { return; }
    clearMarks();
    step.edges.forEach(function (e) { if (state.edges[e]) { state.edges[e].classList.add('lit'); } });
    if (step.mark && state.edges[step.edges[0]]) { markEdge(state.edges[step.edges[0]], step.mark); }
    if (step.node && state.nodes[step.node]) { state.nodes[step.node].classList.add('current'); }
    say.textContent = step.say;
  }

  function goTo(k) {
    var all = steps();
    k = Math.max(0, Math.min(k, all.length));
    Object.keys(state.fields).forEach(function (name) {
      setField(name, 'data', 'hidden');
      setField(name, 'grad', 'hidden');
    });
    clearMarks();
    say.textContent = k === 0 ? 'reset: press step (right arrow) or play' : '';
    for (var j = 0; j < k; j++) { apply(all[j], j === k - 1); }
    state.step = k;
    graphBox.classList.add('stepping');
    showCounter();
  }

  function next() {
    if (state.step === null) { goTo(1); return true; }
    if (state.step >= steps().length) { pause(); return false; }
    apply(steps()[state.step], true);
    state.step += 1;
    showCounter();
    return true;
  }

  function prev() { goTo(state.step === null ? 0 : state.step - 1); }

  function pause() {
    if (state.timer) { window.clearInterval(state.timer); state.timer = null; }
    showCounter();
  }

  function play() {
    if (state.timer) { pause(); return; }
    if (state.step === null || state.step >= steps().length) { goTo(0); }
    state.timer = window.setInterval(function () { if (!next()) { pause(); } }, 600);
    showCounter();
  }

  document.getElementById('reset').addEventListener('click', function () { pause(); goTo(0); });
  document.getElementById('next').addEventListener('click', function () { pause(); next(); });
  document.getElementById('prev').addEventListener('click', function () { pause(); prev(); });
  playButton.addEventListener('click', play);
  document.addEventListener('keydown', function (event) {
    if (event.target === search) { return; }
    if (event.key === 'ArrowRight') { pause(); next(); event.preventDefault(); }
    else if (event.key === 'ArrowLeft') { pause(); prev(); event.preventDefault(); }
    else if (event.key === ' ') { play(); event.preventDefault(); }
    else if (event.key === 'Home') { pause(); goTo(0); event.preventDefault(); }
  });

  // For tests and the curious: the page's state, read-only.
  window.chainrule = {
    view: function () { return state.view; },
    step: function () { return state.step; },
    steps: function () { return steps().length; },
    goTo: goTo,
    show: function (v) { show(v, true); }
  };

  show(0, false);
}());
