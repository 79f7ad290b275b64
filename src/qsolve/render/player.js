// The solution player: draws each state of a solution path and animates the moves between them.
// Everything it needs is in the JSON block #player-data, written by qsolve.render.player.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("player-data").textContent);
  const root = document.getElementById("player");
  const SVG = "http://www.w3.org/2000/svg";
  const MOVE_MS = 600; // one move at speed 1

  function make(tag, attrs, parent) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }
  function byId(id) { return document.getElementById(id); }
  function svgBox(parent, w, h, label) {
    return make("svg", { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: "img", "aria-label": label }, parent);
  }
  function mix(a, b, t) { // two #rrggbb colours
    const pa = [1, 3, 5].map((i) => parseInt(a.substr(i, 2), 16));
    const pb = [1, 3, 5].map((i) => parseInt(b.substr(i, 2), 16));
    return "rgb(" + pa.map((x, i) => Math.round(x + (pb[i] - x) * t)).join(",") + ")";
  }

  // ---- cube: two isometric views (U F R, and D L B from the opposite corner) and the net ----
  function rotate(v, axis, degrees) { // Rodrigues' formula, right-handed
    const t = (degrees * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t);
    const [kx, ky, kz] = axis, [x, y, z] = v;
    const dot = kx * x + ky * y + kz * z;
    const cross = [ky * z - kz * y, kz * x - kx * z, kx * y - ky * x];
    return [0, 1, 2].map((i) => v[i] * c + cross[i] * s + axis[i] * dot * (1 - c));
  }
  function cubeRenderer(stage) {
    const f = data.facelets, n = data.size, count = f.centre.length;
    const cos30 = Math.cos(Math.PI / 6), unit = 39 / n;
    const views = [
      { name: "U F R", map: (v) => v },
      { name: "D L B (seen from below, behind)", map: (v) => [-v[2], -v[1], -v[0]] },
    ];
    const half = n * 2.4 * unit, w = Math.ceil(2 * cos30 * half + 20), h = Math.ceil(2 * half + 20);
    const project = (p) => [w / 2 + cos30 * (p[0] - p[2]) * unit, h / 2 + (0.5 * (p[0] + p[2]) - p[1]) * unit];
    for (const view of views) {
      const figure = document.createElement("figure");
      stage.appendChild(figure);
      view.svg = svgBox(figure, w, h, "cube seen from " + view.name);
      const caption = document.createElement("figcaption");
      caption.textContent = view.name;
      figure.appendChild(caption);
      // The cube's body: its three visible faces, drawn behind the stickers.
      for (const normal of [[0, 1, 0], [1, 0, 0], [0, 0, 1]]) {
        const axes = [0, 1, 2].filter((a) => normal[a] === 0);
        const corners = [[-1, -1], [-1, 1], [1, 1], [1, -1]].map(([s, t]) => {
          const p = normal.map((x) => x * n);
          p[axes[0]] += s * n; p[axes[1]] += t * n;
          return project(p).join(",");
        });
        make("polygon", { points: corners.join(" "), fill: "#1b1b1b", stroke: "#1b1b1b" }, view.svg);
      }
      view.group = make("g", {}, view.svg);
      view.stickers = [];
      for (let i = 0; i < count; i++) {
        view.stickers.push(make("polygon", { stroke: "#1b1b1b", "stroke-width": 1.2, "stroke-linejoin": "round", "data-facelet": i }, null));
      }
    }
    const netUnit = 48 / n, netFigure = document.createElement("figure");
    stage.appendChild(netFigure);
    const net = svgBox(netFigure, 4 * n * netUnit + 4, 3 * n * netUnit + 4, "the unfolded net");
    const netCaption = document.createElement("figcaption");
    netCaption.textContent = "net: U above, L F R B, D below";
    netFigure.appendChild(netCaption);
    const cells = f.net.map(([x, y], i) => make("rect", {
      x: 2 + x * netUnit + 1, y: 2 + y * netUnit + 1, width: netUnit - 2, height: netUnit - 2,
      rx: 2, "data-facelet": i, class: "sticker",
    }, net));

    function draw(colours, turn, degrees) {
      const moving = new Set(turn && degrees !== 0 ? turn.layer : []);
      for (const view of views) {
        const items = [];
        for (let i = 0; i < count; i++) {
          let c = f.centre[i], d = f.down[i], r = f.right[i], nn = f.normal[i];
          if (moving.has(i)) {
            [c, d, r, nn] = [c, d, r, nn].map((v) => rotate(v, turn.axis, degrees));
          }
          [c, d, r, nn] = [c, d, r, nn].map(view.map);
          if (nn[0] + nn[1] + nn[2] <= 1e-6) continue; // faces away from the viewer
          const k = data.sticker;
          const corners = [[-1, -1], [-1, 1], [1, 1], [1, -1]].map(([s, t]) =>
            project([0, 1, 2].map((a) => c[a] + k * (s * d[a] + t * r[a]))).map((x) => x.toFixed(2)).join(","));
          items.push({ i, depth: c[0] + c[1] + c[2], points: corners.join(" ") });
        }
        items.sort((a, b) => a.depth - b.depth);
        view.group.replaceChildren();
        for (const item of items) {
          const poly = view.stickers[item.i];
          poly.setAttribute("points", item.points);
          poly.setAttribute("fill", data.colours[colours[item.i]]);
          view.group.appendChild(poly);
        }
      }
      cells.forEach((cell, i) => {
        cell.setAttribute("fill", data.colours[colours[i]]);
        cell.classList.toggle("moving", moving.has(i));
      });
    }
    return {
      show(k) { draw(current.states[k], null, 0); },
      frame(from, to, t) {
        const forward = to > from, turn = current.turns[forward ? from : to];
        draw(current.states[from], turn, (forward ? 1 : -1) * turn.angle * t);
      },
    };
  }

  // ---- sliding puzzle: tiles glide into the blank ----
  function slidingRenderer(stage) {
    const n = data.size, side = 56, board = svgBox(stage, n * side + 12, n * side + 12, "the board");
    make("rect", { x: 0, y: 0, width: n * side + 12, height: n * side + 12, rx: 8, fill: "#3b3b46" }, board);
    const tiles = {};
    for (let t = 1; t < n * n; t++) {
      const g = make("g", { "data-tile": t, class: "tile" }, board);
      make("rect", { x: 8, y: 8, width: side - 4, height: side - 4, rx: 6, fill: "#e9c27a", stroke: "#7a5a20" }, g);
      const text = make("text", { x: 6 + side / 2, y: 6 + side / 2, "text-anchor": "middle", "dominant-baseline": "central", "font-size": 22, fill: "#3a2a10" }, g);
      text.textContent = String(t);
      tiles[t] = g;
    }
    const where = (state) => { const pos = {}; state.forEach((tile, cell) => { pos[tile] = cell; }); return pos; };
    function place(a, b, t) {
      const pa = where(a), pb = where(b);
      for (let tile = 1; tile < n * n; tile++) {
        const [ra, ca] = [Math.floor(pa[tile] / n), pa[tile] % n], [rb, cb] = [Math.floor(pb[tile] / n), pb[tile] % n];
        const x = (ca + (cb - ca) * t) * side, y = (ra + (rb - ra) * t) * side;
        tiles[tile].setAttribute("transform", `translate(${x.toFixed(2)},${y.toFixed(2)})`);
      }
    }
    return {
      show(k) { place(current.states[k], current.states[k], 0); },
      frame(from, to, t) { place(current.states[from], current.states[to], t); },
    };
  }

  // ---- Lights Out: the pressed cell is ringed, the lights it toggles fade ----
  function lightsRenderer(stage) {
    const n = data.size, side = 40, board = svgBox(stage, n * side + 12, n * side + 12, "the board");
    make("rect", { x: 0, y: 0, width: n * side + 12, height: n * side + 12, rx: 8, fill: "#3b3b46" }, board);
    const cells = [];
    for (let i = 0; i < n * n; i++) {
      const r = Math.floor(i / n), c = i % n;
      cells.push(make("rect", { x: 9 + c * side, y: 9 + r * side, width: side - 6, height: side - 6, rx: 5, "data-cell": i, stroke: "#111" }, board));
    }
    const on = "#ffd84a", off = "#2a2a36";
    function paint(a, b, t, pressed) {
      cells.forEach((cell, i) => {
        cell.setAttribute("fill", a[i] === b[i] ? (a[i] ? on : off) : mix(a[i] ? on : off, b[i] ? on : off, t));
        cell.classList.toggle("pressed", i === pressed);
      });
    }
    return {
      show(k) { paint(current.states[k], current.states[k], 0, -1); },
      frame(from, to, t) {
        paint(current.states[from], current.states[to], t, Number(current.moves[Math.min(from, to)]));
      },
    };
  }

  // ---- Sokoban: the player steps one cell; a pushed box slides along in front of it ----
  function sokobanRenderer(stage) {
    const n = data.size, side = 40, pad = 6, colours = data.colours, WALL = 6;
    const isBox = (v) => v === 2 || v === 3, isPlayer = (v) => v === 4 || v === 5;
    const cellsOf = (state, test) => state.flatMap((v, i) => (test(v) ? [i] : []));
    const corner = (cell) => [pad + (cell % n) * side, pad + Math.floor(cell / n) * side];
    let level = null, boxes = [], player = null;
    function build() { // each instance has its own level: its walls and targets never move
      level = current.level;
      stage.replaceChildren();
      const start = current.states[0];
      const w = level.cols * side + 2 * pad, h = level.rows * side + 2 * pad;
      const board = svgBox(stage, w, h, "the level");
      const cells = level.walls.concat(cellsOf(start, (v) => v !== WALL)).sort((a, b) => a - b);
      for (const cell of cells) {
        const [x, y] = corner(cell), v = start[cell];
        const kind = v === WALL ? "wall" : v & 1 ? "target" : "floor";
        make("rect", { x, y, width: side, height: side, fill: colours[kind], stroke: v === WALL ? "#4e3322" : "#d8ccb2", class: kind, "data-cell": cell }, board);
        if (kind === "target") {
          const [cx, cy, r] = [x + side / 2, y + side / 2, 0.16 * side];
          make("polygon", { points: `${cx + r},${cy} ${cx},${cy + r} ${cx - r},${cy} ${cx},${cy - r}`, fill: colours.mark }, board);
        }
      }
      boxes = cellsOf(start, isBox).map(() => make("rect", {
        x: 5, y: 5, width: side - 10, height: side - 10, stroke: "#3a2a10", "stroke-width": 2, class: "box",
      }, board));
      player = make("circle", { cx: side / 2, cy: side / 2, r: 0.32 * side, fill: colours.player, stroke: "#12306b", "stroke-width": 1.5, class: "player" }, board);
    }
    function put(node, from, to, t) {
      const [xa, ya] = corner(from), [xb, yb] = corner(to);
      node.setAttribute("transform", `translate(${(xa + (xb - xa) * t).toFixed(2)},${(ya + (yb - ya) * t).toFixed(2)})`);
      node.dataset.cell = String(t < 0.5 ? from : to);
    }
    function place(a, b, t) { // the box that leaves its cell in a is the one that arrives in b
      if (level !== current.level) build();
      const before = cellsOf(a, isBox), after = cellsOf(b, isBox);
      const left = before.filter((c) => !after.includes(c)), came = after.filter((c) => !before.includes(c));
      const look = (v) => (v === 3 ? colours["box-on-target"] : colours.box);
      before.forEach((cell, i) => {
        const j = left.indexOf(cell), to = j < 0 ? cell : came[j];
        put(boxes[i], cell, to, t);
        const fa = look(a[cell]), fb = look(b[to]);
        boxes[i].setAttribute("fill", fa === fb ? fa : mix(fa, fb, t));
        boxes[i].dataset.onTarget = String((t < 0.5 ? a[cell] : b[to]) === 3);
      });
      put(player, a.findIndex(isPlayer), b.findIndex(isPlayer), t);
    }
    return {
      show(k) { place(current.states[k], current.states[k], 0); },
      frame(from, to, t) { place(current.states[from], current.states[to], t); },
    };
  }

  // ---- the player: one instance at a time, one state at a time ----
  const stage = byId("stage");
  const renderer = {
    cube: cubeRenderer, sliding: slidingRenderer, lightsout: lightsRenderer, sokoban: sokobanRenderer,
  }[data.kind](stage);
  const slider = byId("slider"), playButton = byId("play"), speedInput = byId("speed");
  let current = null, step = 0, playing = false, anim = null;

  // How move k is written: its name, or Sokoban's LURD letter (upper case: a push).
  function moveName(k) {
    const name = (current.names || current.moves)[k];
    return data.kind === "sokoban" && name !== name.toLowerCase() ? name + " (push)" : name;
  }
  function moveLabel() {
    const total = current.moves.length;
    if (anim) {
      const k = Math.min(anim.from, anim.to);
      return `${anim.to > anim.from ? "move" : "undoing move"} ${k + 1} of ${total}: ${moveName(k)}`;
    }
    if (!current.solved) return "not solved (" + current.stop + "): the start state";
    if (total === 0) return "already solved";
    return step === 0 ? `start: ${total} moves to go` : `after move ${step} of ${total}: ${moveName(step - 1)}`;
  }
  function refresh() {
    byId("move").textContent = moveLabel();
    root.dataset.playing = String(playing);
    root.dataset.animating = String(anim !== null);
    playButton.textContent = playing ? "❚❚ pause" : "▶ play";
    document.querySelectorAll("#moves .move").forEach((span, i) => {
      const active = anim ? i === Math.min(anim.from, anim.to) : i === step - 1;
      span.classList.toggle("current", active);
      span.classList.toggle("done", i < step);
    });
  }
  function setStep(k) {
    step = k;
    renderer.show(k);
    root.dataset.step = String(k);
    root.dataset.state = current.texts[k];
    slider.value = String(k);
    byId("state-text").textContent = current.texts[k];
    refresh();
  }
  function finish() { // jump to the end of a running animation
    if (!anim) return;
    const to = anim.to;
    anim = null;
    setStep(to);
  }
  function animateTo(k) {
    finish();
    if (k < 0 || k > current.moves.length || k === step) return;
    anim = { from: step, to: k, start: performance.now(), ms: MOVE_MS / Number(speedInput.value) };
    refresh();
    requestAnimationFrame(frame);
  }
  function frame(now) {
    if (!anim) return;
    const t = Math.min(1, (now - anim.start) / anim.ms);
    renderer.frame(anim.from, anim.to, 0.5 - 0.5 * Math.cos(Math.PI * t));
    if (t < 1) { requestAnimationFrame(frame); return; }
    finish();
    if (playing) {
      if (step < current.moves.length) animateTo(step + 1);
      else { playing = false; refresh(); }
    }
  }
  function play() {
    if (playing) { playing = false; refresh(); return; }
    if (current.moves.length === 0) return;
    finish();
    playing = true;
    if (step >= current.moves.length) setStep(0);
    animateTo(step + 1);
  }
  function stop() { playing = false; finish(); }
  function forward() { playing = false; const k = anim ? anim.to : step; animateTo(k + 1); }
  function back() { playing = false; const k = anim ? anim.to : step; animateTo(k - 1); }
  function jump(k) { stop(); setStep(Math.max(0, Math.min(current.moves.length, k))); }

  function load(index) {
    stop();
    current = data.instances[index];
    root.dataset.instance = String(index);
    root.dataset.steps = String(current.moves.length);
    slider.max = String(current.moves.length);
    byId("label").textContent = current.label;
    const pushes = current.pushes === undefined ? "" : ` · ${current.pushes} pushes`;
    byId("stats").textContent = current.solved
      ? `cost ${current.cost} · ${current.moves.length} moves${pushes} · ${current.nodes.toLocaleString("en")} nodes · ${current.seconds.toFixed(3)} s`
      : `not solved (${current.stop}) · ${current.nodes.toLocaleString("en")} nodes · ${current.seconds.toFixed(3)} s`;
    const list = byId("moves");
    list.replaceChildren();
    (current.names || current.moves).forEach((m, i) => {
      const span = document.createElement("button");
      span.className = "move";
      span.textContent = m;
      span.title = `after move ${i + 1}`;
      span.addEventListener("click", () => jump(i + 1));
      list.appendChild(span);
    });
    document.querySelectorAll("#instances tbody tr").forEach((tr, i) => tr.classList.toggle("selected", i === index));
    setStep(0);
  }

  const table = byId("instances");
  if (data.instances.length > 1) {
    const body = table.querySelector("tbody");
    data.instances.forEach((inst, i) => {
      const tr = document.createElement("tr");
      tr.dataset.index = String(i);
      const cells = [String(i + 1), inst.label, inst.solved ? "yes" : "no", inst.solved ? String(inst.cost) : "-",
        inst.nodes.toLocaleString("en"), inst.seconds.toFixed(3)];
      for (const text of cells) { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); }
      tr.addEventListener("click", () => load(i));
      body.appendChild(tr);
    });
  } else {
    table.hidden = true;
  }
  playButton.addEventListener("click", play);
  byId("first").addEventListener("click", () => jump(0));
  byId("last").addEventListener("click", () => jump(current.moves.length));
  byId("back").addEventListener("click", back);
  byId("forward").addEventListener("click", forward);
  slider.addEventListener("input", () => jump(Number(slider.value)));
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLSelectElement || (target instanceof HTMLInputElement && target.type !== "range")) return;
    const actions = { ArrowRight: forward, ArrowLeft: back, " ": play, Home: () => jump(0), End: () => jump(current.moves.length) };
    if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
  });
  // A clicked button gives the focus back, so that space always means play or pause.
  document.addEventListener("click", (event) => {
    if (event.target instanceof HTMLButtonElement) event.target.blur();
  });
  load(0);
})();
