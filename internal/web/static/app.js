// app.js: the bix console. Hash routes (#/enroll, #/tasks/ID, …) render
// pages from the node's API; each page lists the roles that may open it,
// and the API enforces the same roles on every call.

import { call, session, signIn, signOut, fileBase64, APIError } from "./api.js";
import { el, field, table, fmtTime, score, badge } from "./dom.js";
import { comparison } from "./draw.js";

const main = document.getElementById("main");

// Pages: path pattern, title, roles that may open it, render function.
const pages = [
  { path: "enroll", title: "Enroll", roles: ["officer", "supervisor"], render: enrollPage },
  { path: "search", title: "Search", roles: ["officer", "examiner", "supervisor"], render: searchPage },
  { path: "persons", title: "Person", roles: ["officer", "examiner", "supervisor"], render: personPage, hidden: true },
  { path: "tasks", title: "Adjudication", roles: ["examiner", "supervisor"], render: tasksPage },
  { path: "task", title: "Task", roles: ["examiner", "supervisor"], render: taskPage, hidden: true },
  { path: "alerts", title: "Alerts", roles: ["officer", "examiner", "supervisor", "auditor"], render: alertsPage },
  { path: "audit", title: "Audit log", roles: ["auditor"], render: auditPage },
  { path: "proof", title: "Audit proof", roles: ["auditor"], render: proofPage, hidden: true },
  { path: "trail", title: "Record trail", roles: ["auditor"], render: trailPage },
  { path: "demographics", title: "Demographics", roles: ["auditor"], render: demographicsPage },
  { path: "users", title: "Users", roles: ["admin"], render: usersPage },
];

const home = { officer: "enroll", examiner: "tasks", supervisor: "tasks", auditor: "audit", admin: "users" };

function setMain(title, ...content) {
  document.title = title + " — bix console";
  main.replaceChildren(el("h1", {}, title), el("div", { class: "page" }, content));
  main.focus({ preventScroll: true });
}

function errorBox(err) {
  const msg = err instanceof APIError ? `${err.message} (HTTP ${err.status})` : String(err && err.message || err);
  return el("p", { class: "error", role: "alert" }, msg);
}

async function header() {
  const s = session();
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  nav.replaceChildren();
  who.replaceChildren();
  if (!s) return;
  const cur = location.hash.slice(2).split("/")[0];
  nav.append(...pages.filter((p) => !p.hidden && p.roles.includes(s.role)).map((p) =>
    el("a", { href: "#/" + p.path, "aria-current": p.path === cur ? "page" : null }, p.title)));
  who.append(el("span", {}, s.user, " ", el("span", { class: "role" }, s.role)),
    el("button", { type: "button", class: "link", onclick: () => { signOut(); location.hash = "#/signin"; route(); } }, "Sign out"));
}

async function nodeName() {
  try {
    const h = await call("GET", "/healthz");
    document.getElementById("node").textContent = h.node ? "node " + h.node : "";
  } catch { /* the header works without it */ }
}

async function route() {
  const s = session();
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  await header();
  if (!s || parts[0] === "signin" || parts[0] === "") {
    if (s && parts[0] === "") {
      location.hash = "#/" + (home[s.role] || "alerts");
      return;
    }
    return signInPage();
  }
  const page = pages.find((p) => p.path === parts[0]);
  if (!page) return setMain("Not found", el("p", {}, "There is no page ", el("code", {}, location.hash), "."));
  if (!page.roles.includes(s.role)) {
    return setMain("Not permitted", el("p", { class: "error", role: "alert", id: "forbidden" },
      `Your role (${s.role}) may not open ${page.title}. It is for: ${page.roles.join(", ")}.`));
  }
  try {
    await page.render(...parts.slice(1));
  } catch (err) {
    if (err instanceof APIError && err.status === 401) {
      signOut();
      location.hash = "#/signin";
      return;
    }
    setMain(page.title, errorBox(err));
  }
}

// --- sign-in -------------------------------------------------------------

function signInPage() {
  const tok = el("input", { type: "password", name: "token", autocomplete: "off", required: true, spellcheck: "false" });
  const out = el("div", { "aria-live": "assertive" });
  const form = el("form", { class: "card narrow", id: "signin" },
    field("Access token", tok, "The bearer token your node administrator issued to you (bix node user add)."),
    el("button", { type: "submit" }, "Sign in"), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.replaceChildren();
    try {
      const me = await signIn(tok.value.trim());
      location.hash = "#/" + (home[me.role] || "alerts");
    } catch (err) {
      out.append(errorBox(err instanceof APIError && err.status === 401 ? new Error("Unknown or revoked token.") : err));
    }
  });
  setMain("Sign in", form);
  tok.focus();
}

// --- officer -------------------------------------------------------------

const categories = ["visa_applicant", "irregular_entrant", "asylum_applicant", "refugee", "resident", "criminal_record", "citizen"];

function encounterFields() {
  const loc = el("input", { name: "location", value: "Border post 1" });
  const cat = el("select", { name: "category" }, categories.map((c) => el("option", { value: c }, c)));
  const consent = el("input", { type: "checkbox", name: "consent" });
  const notice = el("input", { type: "checkbox", name: "notice" });
  return {
    nodes: [field("Location", loc), field("Category of person", cat),
      el("div", { class: "check" }, consent, el("label", { for: consent.id = "consent-" + Math.random().toString(36).slice(2, 7) }, "Consent given")),
      el("div", { class: "check" }, notice, el("label", { for: notice.id = "notice-" + Math.random().toString(36).slice(2, 7) }, "Privacy notice given"))],
    values: () => ({ location: loc.value, category: cat.value, consent: consent.checked, notice: notice.checked }),
  };
}

function samplesTable(samples) {
  return table("Quality per finger", [
    ["Finger", (s) => String(s.position)],
    ["Status", (s) => s.status === "ok" ? badge(true, "ok", "") : badge(false, "", s.status)],
    ["Quality (0–100)", (s) => el("span", { class: "q" }, el("meter", { min: 0, max: 100, low: 40, high: 70, optimum: 100, value: s.quality, "aria-hidden": "true" }), " ", String(s.quality))],
    ["Minutiae", (s) => String(s.minutiae || 0)],
    ["Reason", (s) => s.reason || ""],
  ], samples || [], { class: "samples" });
}

function enrollResult(r) {
  return el("section", { class: "card", id: "enroll-result", "aria-label": "Enrollment result" },
    el("h2", {}, "Result: ", el("span", { class: "status", id: "enroll-status" }, r.status)),
    el("p", {}, "Person ", el("a", { href: "#/persons/" + encodeURIComponent(r.person_id) }, r.person_id),
      ", encounter ", el("code", {}, r.encounter_id)),
    r.task_id ? el("p", {}, "Possible duplicate: adjudication task ", el("code", { id: "enroll-task" }, r.task_id), " waits for an examiner.") : null,
    r.alerts && r.alerts.length ? el("p", { class: "error" }, `${r.alerts.length} watchlist alert(s) raised.`) : null,
    samplesTable(r.samples),
    r.candidates && r.candidates.length ? candidatesTable(r.candidates, r.threshold) : null);
}

function candidatesTable(cands, threshold) {
  return table(`Candidates (threshold ${score(threshold)})`, [
    ["Rank", (c) => String(c.rank)],
    ["Person", (c) => el("a", { href: "#/persons/" + encodeURIComponent(c.person_id) }, c.person_id)],
    ["Fused score", (c) => score(c.score)],
    ["Per finger", (c) => (c.scores || []).map((s) => `F${s.position}: ${score(s.score)} (rank ${s.rank})`).join(", ")],
  ], cands);
}

const positions = [[1, "R thumb"], [2, "R index"], [3, "R middle"], [4, "R ring"], [5, "R little"], [6, "L thumb"], [7, "L index"], [8, "L middle"], [9, "L ring"], [10, "L little"]];

// fingerInputs are ten labelled file inputs; values() reads the chosen
// images as the API's FingerImage list.
function fingerInputs(prefix) {
  const inputs = positions.map(([p, name]) => [p, el("input", { type: "file", accept: "image/png,image/jpeg,image/bmp,image/tiff,.wsq", id: `${prefix}-f${p}`, name: `finger${p}` })]);
  return {
    node: el("fieldset", { class: "fingers" }, el("legend", {}, "Finger images (PNG, JPEG, BMP, TIFF or WSQ; 500 ppi)"),
      inputs.map(([p, i]) => field(`${p} ${positions[p - 1][1]}`, i))),
    values: async () => {
      const out = [];
      for (const [p, i] of inputs) if (i.files[0]) out.push({ position: p, image: await fileBase64(i.files[0]) });
      return out;
    },
  };
}

async function enrollPage() {
  // From an ANSI/NIST-ITL transaction.
  const file = el("input", { type: "file", id: "nist-file", name: "transaction", accept: ".an2,.nist,.eft,.xml,.int,application/octet-stream", required: true });
  const encA = encounterFields();
  const outA = el("div", { "aria-live": "polite" });
  const formA = el("form", { class: "card", id: "enroll-nist" },
    el("h2", {}, "From an ANSI/NIST-ITL file"),
    field("Transaction file", file, "Traditional or XML encoding; Type-2 biographics and Type-4/14 finger images are read."),
    encA.nodes, el("button", { type: "submit" }, "Enroll transaction"), outA);
  formA.addEventListener("submit", async (e) => {
    e.preventDefault();
    outA.replaceChildren(el("p", {}, "Enrolling…"));
    try {
      const v = encA.values();
      const q = new URLSearchParams({ location: v.location, category: v.category, consent: v.consent, notice: v.notice });
      const r = await call("POST", "/v1/enrollments/ansi-nist?" + q, await file.files[0].arrayBuffer());
      outA.replaceChildren(enrollResult(r));
    } catch (err) {
      outA.replaceChildren(errorBox(err));
    }
  });

  // From images and a form, with quality feedback before submitting.
  const given = el("input", { name: "given_name", autocomplete: "off" });
  const family = el("input", { name: "family_name", autocomplete: "off" });
  const sex = el("select", { name: "sex" }, ["U", "F", "M", "X"].map((s) => el("option", { value: s }, s)));
  const birth = el("input", { type: "date", name: "birth_date" });
  const nat = el("input", { name: "nationality", pattern: "[A-Z]{3}", maxlength: 3, placeholder: "COL", autocomplete: "off" });
  const prot = el("input", { type: "checkbox", name: "protection_status", id: "prot" });
  const encB = encounterFields();
  const fingers = fingerInputs("enroll");
  const feedback = el("div", { "aria-live": "polite", id: "quality-feedback" });
  const outB = el("div", { "aria-live": "polite" });
  const check = el("button", { type: "button", class: "secondary", id: "check-quality" }, "Check quality");
  check.addEventListener("click", async () => {
    feedback.replaceChildren(el("p", {}, "Checking…"));
    try {
      const fs = await fingers.values();
      if (!fs.length) throw new Error("Choose at least one finger image.");
      const r = await call("POST", "/v1/console/quality", { fingers: fs });
      feedback.replaceChildren(samplesTable(r.samples));
    } catch (err) {
      feedback.replaceChildren(errorBox(err));
    }
  });
  const formB = el("form", { class: "card", id: "enroll-images" },
    el("h2", {}, "From finger images"),
    el("div", { class: "grid" }, field("Given name", given), field("Family name", family), field("Sex", sex),
      field("Birth date", birth), field("Nationality (ISO 3166 alpha-3)", nat)),
    el("div", { class: "check" }, prot, el("label", { for: "prot" }, "International protection status (asylum claim or refugee)")),
    encB.nodes, fingers.node, el("div", { class: "actions" }, check, el("button", { type: "submit" }, "Enroll")), feedback, outB);
  formB.addEventListener("submit", async (e) => {
    e.preventDefault();
    outB.replaceChildren(el("p", {}, "Enrolling…"));
    try {
      const v = encB.values();
      const req = {
        person: { given_name: given.value, family_name: family.value, sex: sex.value, birth_date: birth.value, nationality: nat.value, category: v.category, protection_status: prot.checked },
        encounter: v, fingers: await fingers.values(),
      };
      outB.replaceChildren(enrollResult(await call("POST", "/v1/enrollments", req)));
    } catch (err) {
      outB.replaceChildren(errorBox(err));
    }
  });
  setMain("Enroll an encounter", el("div", { class: "two" }, formA, formB));
}

async function searchPage() {
  const fingers = fingerInputs("search");
  const out = el("div", { "aria-live": "polite" });
  const form = el("form", { class: "card", id: "search" }, el("h2", {}, "Local 1:N search"), fingers.node,
    el("button", { type: "submit" }, "Search this node"), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.replaceChildren(el("p", {}, "Searching…"));
    try {
      const r = await call("POST", "/v1/identify", { fingers: await fingers.values() });
      out.replaceChildren(el("p", {}, badge(r.hit, "Hit", "No hit")), r.samples ? samplesTable(r.samples) : null, candidatesTable(r.candidates || [], r.threshold));
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  });
  setMain("Search", form,
    el("p", { class: "note" }, "Partner searches run through the partner exchange (bix exchange search); their status and disclosures appear on the person page and in the audit log."));
}

async function personPage(id) {
  const p = await call("GET", "/v1/persons/" + encodeURIComponent(id));
  const dl = el("dl", { class: "facts" }, [
    ["Identity", p.id], ["Name", [p.given_name, p.family_name].filter(Boolean).join(" ")], ["Sex", p.sex], ["Birth date", p.birth_date],
    ["Nationality", p.nationality], ["Category", p.category], ["Minor", p.minor ? "yes" : "no"], ["Status", p.status],
    ["Protection status", p.protection_status ? "yes" : "no"], ["Templates", String(p.templates)], ["Merged into", p.merged_into],
  ].filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  // Decisions about this person, for the roles that may read tasks.
  let decisions = null;
  if (["examiner", "supervisor"].includes(session().role)) {
    const ts = await call("GET", "/v1/tasks");
    const mine = ts.filter((t) => t.person_id === p.id || (t.candidates || []).some((c) => c.person_id === p.id));
    decisions = table("Adjudication tasks and decisions", [
      ["Task", (t) => el("a", { href: "#/task/" + encodeURIComponent(t.id) }, t.id)], ["State", (t) => t.state],
      ["Created", (t) => fmtTime(t.created_at)],
      ["Decision", (t) => t.decision ? `${t.decision.outcome}${t.decision.candidate ? " " + t.decision.candidate : ""} (${t.decision.reason_code})` : ""],
      ["Examiner", (t) => t.decision ? t.decision.examiner : t.claimed_by || ""],
    ], mine, { id: "person-decisions" });
  }
  setMain("Person " + p.id, el("section", { class: "card" }, dl), decisions,
    table("Encounters", [
      ["Captured", (e) => fmtTime(e.captured_at)], ["Location", (e) => e.location || ""], ["Category", (e) => e.category || ""],
      ["Officer", (e) => e.officer], ["Source", (e) => e.source], ["Status", (e) => e.status],
      ["Consent / notice", (e) => `${e.consent ? "yes" : "no"} / ${e.notice ? "yes" : "no"}`],
    ], p.encounters || []),
    table("Watchlist", [["List", (w) => w.list], ["Reason", (w) => w.reason || ""], ["Added by", (w) => w.added_by], ["Since", (w) => fmtTime(w.added_at)]], p.watchlist || []));
}

async function alertsPage() {
  const l = await call("GET", "/v1/alerts");
  setMain("Watchlist alerts", table("", [
    ["Raised", (a) => fmtTime(a.created_at)], ["Person", (a) => a.person_id ? el("a", { href: "#/persons/" + encodeURIComponent(a.person_id) }, a.person_id) : ""],
    ["Encounter", (a) => a.encounter_id || ""], ["List", (a) => a.list || ""], ["Score", (a) => score(a.score)],
  ], l || []));
}

// --- admin ---------------------------------------------------------------

// usersPage lists the node's users and adds one; the new token is shown
// once (the node keeps only its hash).
async function usersPage() {
  const us = await call("GET", "/v1/users");
  const name = el("input", { name: "name", required: true, autocomplete: "off", pattern: "[A-Za-z0-9._-]+" });
  const role = el("select", { name: "role" }, ["officer", "examiner", "supervisor", "auditor", "admin"].map((r) => el("option", { value: r }, r)));
  const out = el("div", { "aria-live": "assertive" });
  const form = el("form", { class: "card narrow", id: "add-user" }, el("h2", {}, "Add a user (or renew a user's token)"),
    field("Name", name), field("Role", role), el("button", { type: "submit" }, "Add user"), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const u = await call("POST", "/v1/users", { name: name.value.trim(), role: role.value });
      const tok = el("input", { readonly: true, value: u.token, class: "token", "aria-label": "New token", size: 48, id: "new-token" });
      out.replaceChildren(el("p", { class: "ok" }, `Token for ${u.name} (${u.role}); it is shown only now:`), tok);
      tok.select();
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  });
  setMain("Users", el("div", { class: "two" },
    table("Users of this node", [["Name", (u) => u.name], ["Role", (u) => u.role], ["Created", (u) => fmtTime(u.created_at)]], us || [], { id: "users" }),
    form));
}

// --- examiner ------------------------------------------------------------

async function tasksPage(state) {
  state = state || "open";
  const l = await call("GET", "/v1/tasks?state=" + encodeURIComponent(state));
  const tabs = el("nav", { class: "tabs", "aria-label": "Task state" }, ["open", "claimed", "decided"].map((s) =>
    el("a", { href: "#/tasks/" + s, "aria-current": s === state ? "page" : null }, s)));
  setMain("Adjudication queue", tabs, table(`${l.length} ${state} task(s)`, [
    ["Task", (t) => el("a", { href: "#/task/" + encodeURIComponent(t.id), class: "task-link" }, t.id)],
    ["Kind", (t) => t.kind], ["Created", (t) => fmtTime(t.created_at)], ["Candidates", (t) => String((t.candidates || []).length)],
    ["Best score", (t) => t.candidates && t.candidates[0] ? score(t.candidates[0].score) : ""],
    ["Claimed by", (t) => t.claimed_by || ""], ["Decision", (t) => t.decision ? `${t.decision.outcome} (${t.decision.reason_code})` : ""],
  ], l, { id: "task-list" }));
}

const reasons = {
  same: ["minutiae-agree", "minutiae-and-pattern-agree"],
  different: ["minutiae-disagree", "pattern-differs", "core-delta-differ"],
  inconclusive: ["insufficient-quality", "insufficient-overlap", "needs-second-examiner"],
};

async function taskPage(id) {
  const s = session();
  const v = await call("GET", "/v1/console/tasks/" + encodeURIComponent(id));
  const t = v.task;
  const decided = t.state === "decided";
  const probeByPos = new Map(v.probe.map((f) => [f.position, f]));
  const cands = await Promise.all(v.candidates.map(async (c) => el("section", { class: "card candidate", "aria-label": `Candidate ${c.rank}` },
    el("h2", {}, `Candidate ${c.rank}: `, el("a", { href: "#/persons/" + encodeURIComponent(c.person_id) }, c.person_id), ` — fused score ${score(c.score)}`),
    c.fingers.length === 0 ? el("p", {}, "No finger of this candidate at the probe's positions.") : null,
    await Promise.all(c.fingers.map(async (f) => {
      const p = probeByPos.get(f.position);
      return el("figure", { class: "finger" },
        await comparison(p, f.candidate, f.pairs || []),
        el("figcaption", {}, `Finger ${f.position} (${positions[f.position - 1] ? positions[f.position - 1][1] : "unknown"}): score ${score(f.score)}, `,
          `${(f.pairs || []).length} paired minutiae of ${p.minutiae.length} (probe) and ${f.candidate.minutiae.length} (candidate); `,
          `probe quality ${p.quality}, candidate quality ${f.candidate.quality}.`));
    })))));

  const outcome = el("select", { id: "outcome", name: "outcome" }, ["same", "different", "inconclusive"].map((o) => el("option", { value: o }, o)));
  const cand = el("select", { id: "candidate", name: "candidate" }, t.candidates.map((c) => el("option", { value: c.person_id }, `${c.rank}: ${c.person_id}`)));
  const reason = el("select", { id: "reason", name: "reason_code" });
  const setReasons = () => reason.replaceChildren(...reasons[outcome.value].map((r) => el("option", { value: r }, r)));
  setReasons();
  outcome.addEventListener("change", setReasons);
  const out = el("div", { "aria-live": "assertive" });
  const claim = el("button", { type: "button", class: "secondary", id: "claim" }, "Claim (C)");
  claim.addEventListener("click", async () => {
    try {
      await call("POST", `/v1/tasks/${encodeURIComponent(t.id)}/claim`, {});
      await taskPage(id);
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  });
  const form = el("form", { class: "card decision", id: "decision" },
    el("h2", {}, "Decision"),
    el("p", { class: "note", id: "keys" }, "Keys: ", el("kbd", {}, "S"), " same as candidate 1, ", el("kbd", {}, "D"), " different, ",
      el("kbd", {}, "I"), " inconclusive, ", el("kbd", {}, "C"), " claim, ", el("kbd", {}, "Ctrl"), "+", el("kbd", {}, "Enter"), " records the decision."),
    field("Outcome", outcome), field("Candidate (for same)", cand), field("Reason code", reason),
    el("div", { class: "actions" }, t.state === "open" ? claim : null, el("button", { type: "submit", id: "decide" }, "Record decision")), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const d = { outcome: outcome.value, reason_code: reason.value };
      if (outcome.value === "same") d.candidate = cand.value;
      const r = await call("POST", `/v1/tasks/${encodeURIComponent(t.id)}/decision`, d);
      out.replaceChildren(el("p", { class: "ok", id: "decided" }, `Decided: ${r.decision.outcome} (${r.decision.reason_code}) by ${r.decision.examiner}.`));
      form.querySelector("#decide").disabled = true;
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  });
  const choose = (o) => { outcome.value = o; setReasons(); if (o === "same") cand.selectedIndex = 0; reason.focus(); };
  const keys = (e) => {
    if (!document.body.contains(form)) return document.removeEventListener("keydown", keys);
    const tag = (e.target.tagName || "").toLowerCase();
    if (e.ctrlKey && e.key === "Enter") { e.preventDefault(); form.requestSubmit(); return; }
    if (e.ctrlKey || e.altKey || e.metaKey || tag === "input" || tag === "textarea") return;
    const k = e.key.toLowerCase();
    if (k === "s") choose("same");
    else if (k === "d") choose("different");
    else if (k === "i") choose("inconclusive");
    else if (k === "c" && t.state === "open") claim.click();
  };
  document.addEventListener("keydown", keys);

  const facts = el("dl", { class: "facts" }, [
    ["Task", t.id], ["Kind", t.kind], ["State", t.state], ["Probe identity", t.person_id], ["Encounter", t.encounter_id],
    ["Created", fmtTime(t.created_at)], ["Claimed by", t.claimed_by || "—"], ["Signed in as", `${s.user} (${s.role})`],
  ].map(([k, val]) => [el("dt", {}, k), el("dd", {}, val)]));
  const decision = t.decision ? el("p", { class: "ok", id: "decided" },
    `Decided: ${t.decision.outcome}${t.decision.candidate ? " " + t.decision.candidate : ""} (${t.decision.reason_code}) by ${t.decision.examiner} at ${fmtTime(t.decision.decided_at)}.`) : null;
  setMain("Task " + t.id, el("div", { class: "task-head" }, el("section", { class: "card" }, facts, decision), decided ? null : form), cands);
}

// --- auditor -------------------------------------------------------------

async function auditPage() {
  const [cp, es, xs] = await Promise.all([call("GET", "/v1/audit/checkpoint"), call("GET", "/v1/audit/entries?count=100"), call("GET", "/v1/audit/oversight")]);
  const sigs = table("Checkpoint signatures", [
    ["Signer", (g) => g.name], ["Key hash", (g) => el("code", {}, g.key_hash)], ["Kind", (g) => g.witness ? "partner witness cosignature" : "log signature"],
  ], cp.signatures || []);
  const status = el("section", { class: "card", id: "checkpoint", "aria-label": "Checkpoint status" },
    el("h2", {}, "Checkpoint"),
    el("dl", { class: "facts" }, [
      ["Log", cp.origin], ["Entries", String(cp.log_size)], ["Latest checkpoint size", String(cp.size)],
      ["Stored checkpoints", String(cp.checkpoints)], ["Root hash", cp.root || ""],
    ].map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
    el("p", {}, badge(cp.verified, "Log verified", "Verification FAILED"), " ",
      cp.verified ? (cp.signatures_checked ? "Every entry recomputed; every stored checkpoint is consistent with them and its signature checks." : "Every entry recomputed; checkpoints consistent (signatures not checked by this node).") : cp.verify_error),
    cp.size < cp.log_size ? el("p", { class: "note" }, `${cp.log_size - cp.size} entries are newer than the latest checkpoint; they get proofs once the next checkpoint is signed.`) : null,
    sigs);
  const rows = (es.entries || []).slice().reverse();
  setMain("Audit log", status, oversightSection(xs),
    auditTable(`Entries ${es.start}–${es.start + es.entries.length - 1} of ${es.size}, newest first`, rows, cp.size, { id: "audit-entries" }));
}

// bar is a horizontal bar of n out of max (decorative: the number is
// in the table next to it).
function bar(n, max, cls) {
  const w = max > 0 && n > 0 ? Math.max(2, Math.round((200 * n) / max)) : 0;
  return el("span", { class: "barcell" }, el("span", { class: "bar " + (cls || ""), style: null, "aria-hidden": "true", "data-w": w }), " ", String(n));
}

// counts renders a {name: count} map as a table with bars, largest first.
function counts(caption, keyHeader, m, cls, attrs) {
  const rows = Object.entries(m || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const max = Math.max(0, ...rows.map(([, n]) => n));
  return table(caption, [[keyHeader, ([k]) => el("code", {}, k)], ["Count", ([, n]) => bar(n, max, cls)]], rows, attrs);
}

function mapText(m) {
  const e = Object.entries(m || {});
  return e.length ? e.map(([k, n]) => `${k}: ${n}`).join(", ") : "—";
}

// oversightSection shows the oversight report (the same counts as bix
// report): the partner exchange per partner and purpose, refusals by rule,
// and every logged action by kind.
function oversightSection(o) {
  const xs = o.exchanges || [];
  const max = Math.max(0, ...xs.map((x) => Math.max(x.searches_sent, x.searches_received)));
  const refusals = {};
  for (const x of xs) {
    for (const [rule, n] of Object.entries(x.refusals_given || {})) refusals[`${x.partner} / ${x.purpose}: ${rule} (by this node)`] = n;
    for (const [code, n] of Object.entries(x.refusals_received || {})) refusals[`${x.partner} / ${x.purpose}: ${code} (by the partner)`] = n;
  }
  const sec = el("section", { class: "card", id: "oversight", "aria-label": "Oversight report" },
    el("h2", {}, "Oversight report"),
    el("p", { class: "note" }, `Counted from the ${o.entries} audit entries logged ${String(o.from).startsWith("0001-") ? "since the log began" : "from " + fmtTime(o.from)} until ${fmtTime(o.to)} (the same report as bix report).`),
    table("Partner exchange per partner and purpose", [
      ["Partner", (x) => x.partner], ["Purpose", (x) => x.purpose || "—"],
      ["Searches sent", (x) => bar(x.searches_sent, max)], ["Hits received", (x) => String(x.hits_received)],
      ["Searches received", (x) => bar(x.searches_received, max)], ["Hits given", (x) => bar(x.hits_given, max, "hit")],
      ["Disclosures given / received", (x) => `${x.disclosures_given} / ${x.disclosures_received}`],
      ["Notifications", (x) => String(x.notifications)],
      ["Daily peak received", (x) => x.quota_peak ? `${x.quota_peak} (${x.quota_day})` : "0"],
    ], xs, { id: "exchange-flows" }),
    el("div", { class: "two" },
      counts("Refusals by rule", "Partner / purpose: rule or code", refusals, "refused", { id: "exchange-refusals" }),
      counts("Actions logged", "Action", o.actions, "", { id: "actions" })),
    el("p", {}, "Erasures: ", mapText(o.erasures), ". Rights requests: ", mapText(o.rights), "."));
  // Widths are set from script (the style-src policy allows no inline styles).
  for (const b of sec.querySelectorAll(".bar")) b.style.width = b.dataset.w + "px";
  return sec;
}

function auditTable(caption, rows, proofSize, attrs) {
  return table(caption, [
    ["#", (e) => String(e.index)], ["Time", (e) => fmtTime(e.entry.time)], ["Actor", (e) => e.entry.actor], ["Role", (e) => e.entry.role],
    ["Action", (e) => e.entry.action], ["Purpose", (e) => e.entry.purpose || ""],
    ["Objects", (e) => (e.entry.objects || []).map((o, i) => [i ? ", " : "", el("a", { href: "#/trail/" + encodeURIComponent(o.replace(/^[^:]*:/, "")) }, o)])],
    ["Detail", (e) => e.entry.detail ? el("code", { class: "detail" }, JSON.stringify(e.entry.detail)) : ""],
    ["Proof", (e) => e.index < proofSize ? el("a", { href: "#/proof/" + e.index, class: "proof-link" }, "inclusion proof") : "pending checkpoint"],
  ], rows, attrs);
}

// rate shows a proportion with its 95 % interval as a bar with a whisker
// (scale: maxV is the full width) and as text.
function rate(r, maxV) {
  const px = (v) => Math.round((120 * Math.min(v, maxV)) / (maxV || 1));
  const box = el("span", { class: "rate", "aria-hidden": "true" },
    el("span", { class: "rate-bar", "data-w": px(r.value) }),
    el("span", { class: "rate-ci", "data-l": px(r.low), "data-w": Math.max(1, px(r.high) - px(r.low)) }));
  return el("span", { class: "ratecell" }, box, el("small", {}, `${(100 * r.value).toFixed(2)}% [${(100 * r.low).toFixed(2)}, ${(100 * r.high).toFixed(2)}] (${r.errors}/${r.trials})`));
}

// demographicsPage shows the demographic differential report kept on the
// node (bix report demographics): error rates per group with intervals.
async function demographicsPage() {
  let d;
  try {
    d = await call("GET", "/v1/audit/demographics");
  } catch (err) {
    if (err instanceof APIError && err.status === 404) {
      return setMain("Demographic differentials", el("p", { class: "note", id: "no-demographics" }, err.message));
    }
    throw err;
  }
  const groups = [d.overall, ...(d.groups || [])];
  const maxOf = (k) => Math.max(0.0001, ...groups.map((g) => g[k].high));
  const [mF, mM, mT] = [maxOf("fnmr"), maxOf("fmr"), maxOf("fte")];
  const t = table(`Error rates by group at threshold ${d.threshold} (95 % Wilson intervals; bars share a scale per column)`, [
    ["Dimension", (g) => g.dimension || "overall"], ["Group", (g) => g.group || "all"], ["Subjects", (g) => String(g.subjects)],
    ["FNMR", (g) => rate(g.fnmr, mF)], ["FMR", (g) => rate(g.fmr, mM)], ["FTE", (g) => rate(g.fte, mT)],
    ["Median score genuine / impostor", (g) => `${score(g.genuine_median)} / ${score(g.impostor_median)}`],
  ], groups, { id: "demographics" });
  for (const b of t.querySelectorAll(".rate-bar")) b.style.width = b.dataset.w + "px";
  for (const b of t.querySelectorAll(".rate-ci")) { b.style.left = b.dataset.l + "px"; b.style.width = b.dataset.w + "px"; }
  setMain("Demographic differentials", el("p", {}, d.source, `; ${d.subjects} subjects; computed in ${d.elapsed}.`), t,
    el("p", { class: "note" }, "Measured offline on a labelled population, not on this node's records. FNMR: mated comparisons below the threshold; FMR: non-mated comparisons at or above it; FTE: failures to enrol."));
}

// trailPage lists every audit entry naming a record: who enrolled, read,
// searched, decided or disclosed it, and to whom.
async function trailPage(id) {
  const input = el("input", { name: "object", value: id || "", autocomplete: "off", spellcheck: "false", size: 40 });
  const form = el("form", { class: "card", id: "trail-form" }, field("Record id (person, encounter, task or request)", input), el("button", { type: "submit" }, "Show trail"));
  form.addEventListener("submit", (e) => { e.preventDefault(); location.hash = "#/trail/" + encodeURIComponent(input.value.trim()); });
  if (!id) return setMain("Record trail", form);
  const [cp, es] = await Promise.all([call("GET", "/v1/audit/checkpoint"), call("GET", "/v1/audit/entries?count=500&object=" + encodeURIComponent(id))]);
  const rows = (es.entries || []).slice().reverse();
  const disclosed = rows.filter((e) => ["disclosure", "search.received", "search.sent", "notification"].includes(e.entry.action));
  setMain("Record trail: " + id, form,
    el("p", {}, `${rows.length} entr${rows.length === 1 ? "y names" : "ies name"} this record; ${disclosed.length} of them ${disclosed.length === 1 ? "is a partner exchange message" : "are partner exchange messages"}.`),
    auditTable("Entries naming the record, newest first", rows, cp.size, { id: "trail-entries" }));
}

async function proofPage(index) {
  const p = await call("GET", "/v1/audit/proofs/" + encodeURIComponent(index));
  setMain("Inclusion proof for entry " + p.index,
    el("section", { class: "card", id: "proof" },
      el("p", {}, badge(p.proof_ok, "Proof checks", "Proof does NOT check"), " ",
        p.proof_ok ? `The entry's leaf hash and ${p.proof.length} sibling hash(es) lead to the root hash of the checkpoint of size ${p.size}.` : p.proof_error),
      el("dl", { class: "facts" }, [["Index", String(p.index)], ["Tree size", String(p.size)], ["Root hash", p.root],
        ["Action", p.entry.action], ["Actor", `${p.entry.actor} (${p.entry.role})`], ["Time", fmtTime(p.entry.time)]].map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
      el("h2", {}, "Entry (canonical JSON)"), el("pre", {}, p.body),
      el("h2", {}, "Proof hashes"), el("ol", { start: 0 }, (p.proof || []).map((h) => el("li", {}, el("code", {}, h)))),
      el("h2", {}, "Signed checkpoint"), el("pre", {}, p.checkpoint),
      el("p", { class: "note" }, "Check offline with the log's public key: bix audit check.")),
    el("p", {}, el("a", { href: "#/audit" }, "Back to the audit log")));
}

window.addEventListener("hashchange", route);
nodeName();
route();
