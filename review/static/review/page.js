/* The review page (templates/review/page.html). Every write goes through the API with the line's
   version and the CSRF token; the server checks permissions again. DOM is built with nodes and
   textContent only: no HTML from data. */
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("review-config").textContent);
  const csrf = document.getElementById("csrf").value;
  const player = document.getElementById("player");
  const statusBox = document.getElementById("status");
  const panel = document.getElementById("panel");
  const panelBody = document.getElementById("panel-body");
  const help = document.getElementById("help");
  const rows = Array.from(document.querySelectorAll("tr.line"));
  const approvedCount = document.getElementById("approved-count");
  const totalCount = document.getElementById("total-count");
  let current = null;
  let budgetMissing = false;  // the budget endpoint answered 404: say so once, stop asking

  // ---------- helpers ----------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }
  let statusTimer = null;
  function status(message, isError) {
    statusBox.textContent = message;
    statusBox.className = isError ? "error" : "";
    statusBox.hidden = false;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => { statusBox.hidden = true; }, isError ? 7000 : 3500);
  }
  async function api(method, url, body) {
    const init = {method, credentials: "same-origin", headers: {"X-CSRFToken": csrf, "Accept": "application/json"}};
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
    let response;
    try { response = await fetch(url, init); } catch (e) { return {ok: false, status: 0, data: {message: "network error: " + e}}; }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return {ok: response.ok, status: response.status, data: data || {}};
  }
  function reason(result) {
    if (result.status === 0) return result.data.message;
    return (result.data && result.data.message) || ("HTTP " + result.status);
  }
  const idOf = tr => tr.dataset.id;
  const version = tr => parseInt(tr.dataset.version, 10);
  const slot = tr => parseFloat(tr.dataset.end) - parseFloat(tr.dataset.start);
  const lineUrl = (tr, rest) => "/api/lines/" + idOf(tr) + (rest || "");
  function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

  // ---------- the current line ----------
  function select(tr, scroll, quiet) {
    if (!tr) return;
    if (current) current.classList.remove("current");
    document.querySelectorAll(".tl-current").forEach(n => n.classList.remove("tl-current"));
    current = tr;
    tr.classList.add("current");
    const mark = document.getElementById("tl-" + idOf(tr));
    if (mark) mark.classList.add("tl-current");
    if (scroll) tr.scrollIntoView({block: "center", behavior: "smooth"});
    // the address names the current line (a reload comes back to it); not on the first selection of a
    // plain load: Chromium would scroll to that fragment once the page has loaded
    if (!quiet) history.replaceState(null, "", location.pathname + location.search + "#line-" + idOf(tr));
    if (!panel.hidden && panel.dataset.line !== idOf(tr)) openPanel(panel.dataset.kind, tr);
  }
  function move(step) {
    const i = current ? rows.indexOf(current) : -1;
    const next = rows[i + step];
    if (next) { select(next, true); return; }
    const link = document.querySelector(step > 0 ? "a.next-page" : "a.prev-page");
    if (link) location.href = link.getAttribute("href") + (step > 0 ? "#first" : "#last");
  }

  // ---------- a line's state from the server ----------
  function applyLine(tr, seg) {
    const wasApproved = tr.classList.contains("is-approved");
    tr.dataset.version = seg.version;
    if (seg.target_text !== undefined) tr.querySelector("td.target .text").textContent = seg.target_text;
    tr.classList.toggle("is-approved", !!seg.approved);
    tr.classList.toggle("is-locked", !!seg.locked);
    const approve = tr.querySelector("input.approve"), lock = tr.querySelector("input.lock");
    if (approve) approve.checked = !!seg.approved;
    if (lock) lock.checked = !!seg.locked;
    if (!approve) { const m = tr.querySelector("td.check .mark"); if (m) m.textContent = seg.approved ? "✓" : ""; }
    if (Array.isArray(seg.flags)) {
      const cell = tr.querySelector("td.flags"); cell.replaceChildren();
      for (const f of seg.flags) cell.append(el("span", {class: "flag flag-" + f}, f), " ");
    }
    if (wasApproved !== !!seg.approved) {
      approvedCount.textContent = parseInt(approvedCount.textContent, 10) + (seg.approved ? 1 : -1);
      const total = parseInt(totalCount.textContent, 10) || 1;
      document.getElementById("progress-bar").style.width = Math.round(100 * approvedCount.textContent / total) + "%";
      const mark = document.getElementById("tl-" + idOf(tr));
      if (mark) mark.classList.toggle("tl-approved", !!seg.approved);
    }
    const editor = tr.querySelector(".editor");
    // my own approve/lock while the editor is open: the text I started from is still the saved one
    if (editor && seg.target_text === editor.dataset.original) editor.dataset.base = seg.version;
  }
  function refused(tr, result, what) {
    if (result.status === 409 && result.data.current) {
      applyLine(tr, result.data.current);
      const by = result.data.current.changed_by ? " by " + result.data.current.changed_by : "";
      status("Line #" + tr.dataset.index + " was changed meanwhile" + by + "; it shows the saved state now. " + what, true);
    } else {
      status("Line #" + tr.dataset.index + ": " + reason(result), true);
    }
  }

  // ---------- editing in place, with the duration budget ----------
  function startEdit(tr) {
    if (!cfg.edit || !tr) return;
    if (tr.classList.contains("is-locked")) {
      status("Line #" + tr.dataset.index + " is locked: unlock it" + (cfg.lock ? " (l)" : "") + " before editing its text.", true);
      return;
    }
    const cell = tr.querySelector("td.target .cell");
    let editor = cell.querySelector(".editor");
    if (editor) { editor.querySelector("textarea").focus(); return; }
    const shown = cell.querySelector(".text");
    const original = shown.textContent;
    const area = el("textarea", {maxlength: cfg.textMax, rows: 3, "aria-label": "target text of line " + tr.dataset.index});
    area.value = original;
    const budget = el("span", {class: "budget", id: "budget-" + idOf(tr)}, "slot " + slot(tr).toFixed(2) + " s");
    editor = el("div", {class: "editor"}, area,
      el("div", {class: "row"},
        el("button", {type: "button", class: "save", onclick: () => save(tr)}, "Save"),
        el("button", {type: "button", class: "cancel", onclick: () => stopEdit(tr)}, "Cancel"),
        cfg.regenerate ? el("button", {type: "button", class: "save-hear", title: "save, then speak it as a new take and play it",
                                       onclick: () => regenerate(tr)}, "Save & hear") : null,
        budget));
    editor.dataset.original = original;
    editor.dataset.base = tr.dataset.version;
    shown.hidden = true;
    const button = cell.querySelector("button.edit"); if (button) button.hidden = true;
    cell.prepend(editor);
    let timer = null;
    area.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => askBudget(tr, area.value), 350); });
    area.addEventListener("keydown", e => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); save(tr); }
      else if (e.key === "Escape") { e.preventDefault(); stopEdit(tr); }
    });
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
    askBudget(tr, area.value);
  }
  function stopEdit(tr) {
    const cell = tr.querySelector("td.target .cell");
    const editor = cell.querySelector(".editor");
    if (editor) editor.remove();
    const conflict = conflictRow(tr); if (conflict) conflict.remove();
    cell.querySelector(".text").hidden = false;
    const button = cell.querySelector("button.edit"); if (button) button.hidden = false;
  }
  async function askBudget(tr, text) {
    const box = document.getElementById("budget-" + idOf(tr));
    if (!box) return;
    const base = "slot " + slot(tr).toFixed(2) + " s";
    if (budgetMissing) { box.textContent = base + " · no estimate (budget not available)"; box.className = "budget unknown"; return; }
    const result = await api("GET", lineUrl(tr, "/budget?text=" + encodeURIComponent(text.trim())));
    if (!document.body.contains(box)) return;
    if (result.status === 404 && !(result.data && result.data.code === "not_found" && /line/.test(result.data.message || ""))) {
      budgetMissing = true;
      box.textContent = base + " · no estimate (budget not available)"; box.className = "budget unknown";
      box.dataset.state = "unavailable";
      return;
    }
    if (!result.ok) { box.textContent = base + " · no estimate: " + reason(result); box.className = "budget unknown"; return; }
    const b = result.data;
    const speed = Number(b.speed_needed);
    box.className = "budget" + (b.warn ? " warn" : "");
    box.dataset.state = b.warn ? "warn" : "ok";
    box.dataset.speed = speed.toFixed(2);
    box.textContent = "slot " + Number(b.slot).toFixed(2) + " s · spoken ≈ " + Number(b.estimated).toFixed(2) + " s · " +
      (speed > 1 ? "needs ×" + speed.toFixed(2) + " speed-up" : "fits (×" + speed.toFixed(2) + ")") +
      (b.warn ? " ⚠ over ×" + Number(b.cap || cfg.budgetCap).toFixed(2) : "");
    box.title = b.voice ? "estimated in voice " + b.voice : "";
  }
  async function save(tr) {
    const editor = tr.querySelector(".editor");
    if (!editor) return true;
    const area = editor.querySelector("textarea");
    const text = area.value.trim();
    if (!text) { status("The text must not be empty.", true); return false; }
    if (text === editor.dataset.original && !conflictRow(tr)) { stopEdit(tr); return true; }  // nothing to save
    const result = await api("PATCH", lineUrl(tr), {target_text: text, version: parseInt(editor.dataset.base, 10)});
    if (result.ok) {
      stopEdit(tr); applyLine(tr, result.data);
      const shown = tr.querySelector("td.target .text");
      shown.classList.remove("saved"); void shown.offsetWidth; shown.classList.add("saved");
      status("Line #" + tr.dataset.index + " saved (version " + result.data.version + ").");
      if (!panel.hidden && panel.dataset.line === idOf(tr)) openPanel(panel.dataset.kind, tr);
      return true;
    }
    if (result.status === 409 && result.data.current) { showConflict(tr, editor, result.data); return false; }
    status("Not saved: " + reason(result), true);
    return false;
  }
  /* A stale save: the other person's text beside mine, in a full-width row under the line. Mine
     stays in the box (edit it to merge); "Save mine" writes it over theirs from their version,
     "Use theirs" drops mine. Nothing is lost until the editor chooses. */
  const conflictRow = tr => document.getElementById("conflict-" + idOf(tr));
  function showConflict(tr, editor, body) {
    const cur = body.current;
    applyLine(tr, cur);
    editor.dataset.base = cur.version;
    editor.dataset.original = cur.target_text;
    const old = conflictRow(tr); if (old) old.remove();
    const locked = body.code === "locked";
    const area = editor.querySelector("textarea");
    const mine = el("div", {class: "mine"}, area.value);
    area.addEventListener("input", () => { mine.textContent = area.value; });
    const box = el("div", {class: "conflict"},
      el("div", null, el("strong", null, locked ? "This line is locked: unlock it before editing its text." :
        "Someone else saved this line meanwhile" + (cur.changed_by ? " (" + cur.changed_by + (cur.changed_at ? ", " + when(cur.changed_at) : "") + ")" : "") +
        ". Nothing of yours was saved, and nothing is lost:")),
      el("div", {class: "sides"},
        el("div", null, el("div", {class: "muted"}, "Theirs (saved, version " + cur.version + ")"), el("div", {class: "theirs"}, cur.target_text)),
        el("div", null, el("div", {class: "muted"}, "Yours (not saved; edit it in the box above to merge)"), mine)),
      el("div", {class: "row"},
        locked ? null : el("button", {type: "button", class: "keep-mine", onclick: () => save(tr)}, "Save mine over theirs"),
        locked ? null : el("button", {type: "button", class: "insert-theirs", onclick: () => {
          area.value = area.value.trim() + " " + cur.target_text; mine.textContent = area.value; area.focus();
        }}, "Append theirs to mine"),
        el("button", {type: "button", class: "use-theirs", onclick: () => { stopEdit(tr); status("Kept their text."); }}, "Use theirs")));
    const row = el("tr", {class: "conflict-row", id: "conflict-" + idOf(tr)});
    const cell = row.insertCell(); cell.colSpan = tr.cells.length; cell.append(box);
    tr.after(row);
    status(locked ? "Not saved: the line is locked." : "Not saved: the line changed meanwhile. Compare and choose.", true);
  }

  // ---------- approve, lock ----------
  async function toggle(tr, kind, value) {
    const result = await api("POST", lineUrl(tr, "/" + kind), {[kind === "approve" ? "approved" : "locked"]: value, version: version(tr)});
    if (result.ok) {
      applyLine(tr, result.data);
      status("Line #" + tr.dataset.index + (kind === "approve" ? (value ? " approved." : ": approval withdrawn.") : (value ? " locked." : " unlocked.")));
      if (!panel.hidden && panel.dataset.line === idOf(tr) && panel.dataset.kind === "history") openPanel("history", tr);
    } else {
      const box = tr.querySelector("input." + (kind === "approve" ? "approve" : "lock"));
      if (box) box.checked = !value;
      refused(tr, result, "Try again.");
    }
  }

  // ---------- audio: one player for the whole page ----------
  let playing = "";
  function play(url, label) {
    playing = label;
    player.src = url;
    const started = player.play();
    if (started && started.catch) started.catch(() => {});
    status("Playing " + label + "…");
  }
  player.addEventListener("error", () => { if (player.getAttribute("src")) status("Cannot play " + playing + ": no audio for it yet.", true); });
  const playOriginal = tr => play(lineUrl(tr, "/audio/original"), "the original of line #" + tr.dataset.index);
  const playDub = tr => play(lineUrl(tr, "/audio/dub"), "the dub of line #" + tr.dataset.index);

  // ---------- regenerate, takes ----------
  async function regenerate(tr) {
    if (!cfg.regenerate) return;
    // the server speaks the saved text: an open edit is saved first, and a refused save stops here
    if (tr.querySelector(".editor") && !(await save(tr))) return;
    const began = performance.now();
    status("Regenerating line #" + tr.dataset.index + "…");
    const result = await api("POST", lineUrl(tr, "/regenerate"), {version: version(tr)});
    if (result.ok) {
      const take = result.data;
      play(take.audio_url, "take " + take.number + " of line #" + tr.dataset.index);
      status("Take " + take.number + " of line #" + tr.dataset.index + " ready in " + ((performance.now() - began) / 1000).toFixed(2) + " s.");
      const button = tr.querySelector("button.takes"); if (button) button.textContent = "takes (" + take.number + ")";
      if (!panel.hidden && panel.dataset.line === idOf(tr) && panel.dataset.kind === "takes") openPanel("takes", tr);
    } else if (result.status === 404 && !result.data.current) {
      status("Regenerate is not available: " + reason(result), true);
    } else {
      refused(tr, result, "Regenerate again to speak the saved text.");
    }
  }
  async function chooseTake(tr, number) {
    const result = await api("POST", lineUrl(tr, "/choose-take"), {take: number});
    if (!result.ok) { status("Not chosen: " + reason(result), true); return; }
    status(number === null ? "The dub uses the pass's own clip again." : "The dub uses take " + number + " now.");
    renderTakes(tr, result.data);
  }
  function renderTakes(tr, takes) {
    const list = el("ol");
    const none = !takes.some(t => t.chosen);
    list.append(el("li", null,
      el("div", null, el("strong", null, "The pass's clip"), none ? el("span", {class: "chosen"}, " · the dub uses it") : null),
      el("div", {class: "row"},
        el("button", {type: "button", class: "small", onclick: () => playDub(tr)}, "▶ play current dub"),
        cfg.edit && !none ? el("button", {type: "button", class: "small", onclick: () => chooseTake(tr, null)}, "use the pass's clip") : null)));
    for (const t of takes.slice().reverse()) {
      list.append(el("li", {class: "take", "data-number": t.number},
        el("div", null, el("strong", null, "Take " + t.number), t.chosen ? el("span", {class: "chosen"}, " · chosen: the dub uses it") : null),
        el("div", {class: "meta"}, [t.provider, Number(t.duration).toFixed(2) + " s", "×" + Number(t.speed).toFixed(2),
          "ready in " + Number(t.seconds).toFixed(2) + " s", t.created_by || "", when(t.created)].filter(Boolean).join(" · ")),
        el("div", null, t.text),
        el("div", {class: "row"},
          el("button", {type: "button", class: "small play-take", onclick: () => play(t.audio_url, "take " + t.number)}, "▶ play"),
          cfg.edit && !t.chosen ? el("button", {type: "button", class: "small choose-take", onclick: () => chooseTake(tr, t.number)}, "choose") : null)));
    }
    panelBody.replaceChildren(
      cfg.regenerate ? el("p", null, el("button", {type: "button", onclick: () => regenerate(tr)}, "⟳ Regenerate (new take of the saved text)")) : null,
      takes.length ? list : el("div", null, list, el("p", {class: "muted"}, "No takes yet.")));
  }

  // ---------- history ----------
  function renderHistory(tr, revisions) {
    const list = el("ol");
    const latest = revisions.length ? revisions[revisions.length - 1].version : null;
    const text = tr.querySelector("td.target .text").textContent;  // restoring the text it has changes nothing
    for (const r of revisions.slice().reverse()) {
      const diff = el("div", {class: "diff"});
      for (const op of r.diff) {
        diff.append(op.op === "delete" ? el("del", null, op.text) : op.op === "insert" ? el("ins", null, op.text) : op.text, " ");
      }
      list.append(el("li", {class: "revision", "data-version": r.version},
        el("div", {class: "meta"}, "v" + r.version + " · " + (r.note || "edit") + " · " + (r.editor || "pipeline") + " · " + when(r.time) +
          (r.approved && !/approv/.test(r.note) ? " · approved" : "") + (r.locked && !/lock/.test(r.note) ? " · locked" : "")),
        diff,
        cfg.edit && r.version !== latest && r.target_text !== text ? el("button", {type: "button", class: "small restore", onclick: () => restore(tr, r.version)}, "Restore this text") : null));
    }
    panelBody.replaceChildren(revisions.length ? list : el("p", {class: "muted"}, "No revisions."));
  }
  async function restore(tr, revision) {
    const result = await api("POST", lineUrl(tr, "/restore"), {revision, version: version(tr)});
    if (result.ok) { applyLine(tr, result.data); status("Line #" + tr.dataset.index + ": text of version " + revision + " restored."); }
    else refused(tr, result, "Restore again if you still want it.");
    openPanel("history", tr);
  }

  async function openPanel(kind, tr) {
    if (!tr) return;
    panel.dataset.kind = kind; panel.dataset.line = idOf(tr); panel.hidden = false;
    document.body.classList.add("panel-open");
    document.getElementById("panel-title").textContent = (kind === "takes" ? "Takes" : "History") + " of line #" + tr.dataset.index;
    const result = await api("GET", lineUrl(tr, kind === "takes" ? "/takes" : "/revisions"));
    if (panel.dataset.line !== idOf(tr) || panel.dataset.kind !== kind) return;  // another line was opened meanwhile
    if (!result.ok) {
      const missing = result.status === 404 && !(result.data && result.data.code);
      panelBody.replaceChildren(el("p", {class: "muted"}, missing ? (kind === "takes" ? "Takes are" : "History is") +
        " not available on this server yet (HTTP 404)." : "Not available: " + reason(result)));
      return;
    }
    (kind === "takes" ? renderTakes : renderHistory)(tr, result.data);
  }
  function closePanel() { panel.hidden = true; panel.dataset.line = ""; document.body.classList.remove("panel-open"); }
  document.getElementById("panel-close").addEventListener("click", closePanel);

  // ---------- page wiring ----------
  document.getElementById("lines").addEventListener("click", e => {
    const tr = e.target.closest("tr.line");
    if (!tr) return;
    if (tr !== current) select(tr, false);
    const b = e.target.closest("button");
    if (!b) return;
    if (b.classList.contains("edit")) startEdit(tr);
    else if (b.classList.contains("play-original")) playOriginal(tr);
    else if (b.classList.contains("play-dub")) playDub(tr);
    else if (b.classList.contains("regenerate")) regenerate(tr);
    else if (b.classList.contains("takes")) openPanel("takes", tr);
    else if (b.classList.contains("history")) openPanel("history", tr);
  });
  document.getElementById("lines").addEventListener("dblclick", e => {
    const tr = e.target.closest("tr.line");
    if (tr && e.target.closest(".text")) startEdit(tr);
  });
  document.getElementById("lines").addEventListener("change", e => {
    const tr = e.target.closest("tr.line");
    if (!tr) return;
    if (e.target.classList.contains("approve")) toggle(tr, "approve", e.target.checked);
    else if (e.target.classList.contains("lock")) toggle(tr, "lock", e.target.checked);
  });
  document.getElementById("timeline").addEventListener("click", e => {
    const a = e.target.closest("a.tl-line");
    const tr = a && document.getElementById("line-" + a.dataset.line);
    if (tr) { e.preventDefault(); select(tr, true); }
  });
  function flip(tr, cls) {
    const box = tr && tr.querySelector("input." + cls);
    if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", {bubbles: true})); }
  }
  function showHelp(show) { help.hidden = !show; }
  document.getElementById("help-button").addEventListener("click", () => showHelp(true));
  document.getElementById("help-close").addEventListener("click", () => showHelp(false));
  help.addEventListener("click", e => { if (e.target === help) showHelp(false); });

  document.addEventListener("keydown", e => {
    const t = e.target;
    // never while typing: text fields handle their own keys (Ctrl+Enter, Esc)
    if (t.closest && t.closest("textarea, input[type=text], input[type=search], input:not([type]), select, [contenteditable]")) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const keys = {
      j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
      p: () => current && playOriginal(current), d: () => current && playDub(current),
      a: () => flip(current, "approve"), l: () => flip(current, "lock"), e: () => startEdit(current),
      t: () => openPanel("takes", current), h: () => openPanel("history", current),
      "?": () => showHelp(help.hidden),
      Escape: () => { if (!help.hidden) showHelp(false); else closePanel(); },
    };
    const action = keys[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  });

  // import an edited CSV: the report says what was updated, unchanged and refused
  const importForm = document.getElementById("import-form");
  if (importForm) importForm.addEventListener("submit", async e => {
    e.preventDefault();
    const out = document.getElementById("import-report");
    out.textContent = "importing…";
    const result = await api("POST", importForm.getAttribute("action"), new FormData(importForm));
    if (!result.ok) { out.textContent = "Not imported: " + reason(result); out.className = "lvl-error"; return; }
    const r = result.data;
    out.className = "";
    out.replaceChildren("updated " + r.updated + ", unchanged " + r.unchanged + ", refused " + r.refused.length +
      (r.refused.length ? " (" + r.refused.slice(0, 5).map(x => "#" + x.index + ": " + x.reason).join("; ") + (r.refused.length > 5 ? "; …" : "") + ")" : "") + " · ",
      el("a", {href: location.pathname + location.search}, "reload"));
  });

  const retranslate = document.getElementById("retranslate");
  if (retranslate) retranslate.addEventListener("click", async () => {
    if (!confirm("Retranslate the unlocked lines flagged needs_retranslate?")) return;
    const result = await api("POST", "/api/jobs/" + cfg.job + "/lines/retranslate");
    if (!result.ok) { status("Not retranslated: " + reason(result), true); return; }
    const r = result.data;
    status("Retranslated " + r.retranslated + ", skipped (locked) " + r.skipped_locked + ", failed " + r.failed + ". Reloading…");
    setTimeout(() => location.reload(), 1200);
  });

  // where to start: the line in the address (#line-ID), or the first/last after paging
  const hash = location.hash;
  if (hash.startsWith("#line-") && document.getElementById(hash.slice(1))) select(document.getElementById(hash.slice(1)), true);
  else if (hash === "#last" && rows.length) select(rows[rows.length - 1], true);
  else if (rows.length) select(rows[0], hash === "#first", hash !== "#first");
})();
