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
  { path: "partners", title: "Partner search", roles: ["officer", "examiner", "supervisor", "auditor"], render: partnersPage },
  { path: "exchange", title: "Partner request", roles: ["officer", "examiner", "supervisor", "auditor"], render: exchangePage, hidden: true },
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
  const fused = cands.some((c) => c.fusion);
  return table(`Candidates (threshold ${score(threshold)}${fused ? ", fused evidence" : ""})`, [
    ["Rank", (c) => String(c.rank)],
    ["Person", (c) => el("a", { href: "#/persons/" + encodeURIComponent(c.person_id) }, c.person_id)],
    ["Fused score", (c) => score(c.score)],
    ["Per sample", (c) => sampleScores(c.scores)],
    fused ? ["Fusion", (c) => c.fusion ? fusionText(c.fusion) : ""] : null,
  ].filter(Boolean), cands);
}

// sampleScores lists a candidate's per-sample scores: fingers by position,
// the face by name, with the rank the sample alone gives and its evidence
// in fused searches.
function sampleScores(scores) {
  return (scores || []).map((s) => `${s.modality === "face" ? "Face" : "F" + s.position}: ${score(s.score)}` +
    `${s.evidence ? ", evidence " + s.evidence.toFixed(2) : ""} (rank ${s.rank})`).join("; ");
}

// fusionText summarises a candidate's FusionScore: the fingers compared and
// their evidence, the face score and its evidence, and whether the match
// rests on the face alone (which needs a second examiner).
function fusionText(f) {
  const parts = [`${f.fingers} finger${f.fingers === 1 ? "" : "s"}, evidence ${(f.finger_evidence || 0).toFixed(2)}`];
  parts.push(f.face ? `face ${score(f.face_score)}, evidence ${(f.face_evidence || 0).toFixed(2)}` : "no face compared");
  if (f.face_only) parts.push("face-only match");
  return parts.join("; ");
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
    el("p", { class: "note" }, "To search a partner's records under an agreement, use ", el("a", { href: "#/partners" }, "Partner search"), "."));
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

// --- partner exchange ----------------------------------------------------

// Roles the exchange API lets search a partner and ask for disclosure
// (officer, examiner, supervisor), and confirm a partner's candidate
// (examiner, supervisor); auditors may only read the requests.
const searchRoles = ["officer", "examiner", "supervisor"];
const confirmRoles = ["examiner", "supervisor"];

// isNoExchange reports the API's answer on a node without a partner
// exchange (501 on every /v1/exchange route).
function isNoExchange(err) {
  return err instanceof APIError && err.status === 501;
}

// noExchange is the page of a node without a partner exchange.
function noExchange(title, err) {
  setMain(title, el("section", { class: "card narrow-text", id: "no-exchange", role: "status" },
    el("h2", {}, "This node has no partner exchange"),
    el("p", {}, "Partner searches are not available on this node: its configuration has no exchange: block, so it shares no agreement with any partner and can neither send nor answer partner searches."),
    el("p", {}, "Local searches of this node's own records work as before: ", el("a", { href: "#/search" }, "Search this node"), "."),
    el("p", { class: "note" }, "To connect the node to a partner, its administrator generates the node's exchange identity (bix exchange identity), both agencies sign an agreement, and the agreement is named in the node's configuration. The node answered: ", err.message, ".")));
}

async function partnersPage() {
  const s = session();
  let partners;
  try {
    partners = await call("GET", "/v1/exchange/partners");
  } catch (err) {
    if (isNoExchange(err)) return noExchange("Partner search", err);
    throw err;
  }
  const requests = el("div", { id: "exchange-requests-box" }, requestsTable(await call("GET", "/v1/exchange/messages?limit=100")));
  const refresh = async () => requests.replaceChildren(requestsTable(await call("GET", "/v1/exchange/messages?limit=100")));
  const left = searchRoles.includes(s.role)
    ? partnerSearchForm(partners, refresh)
    : el("section", { class: "card" }, el("p", { class: "note", id: "no-search" },
      `Your role (${s.role}) may read the exchange's requests below but not search partners.`));
  setMain("Partner search", el("div", { class: "two" }, left, partnersTable(partners)), requests);
}

// partnersTable lists the node's partners with the agreement and the
// purposes (and their legal basis) this node may search them for.
function partnersTable(partners) {
  return table("Partners and agreements", [
    ["Partner", (p) => [el("strong", {}, p.name || p.id), el("br"), el("code", {}, p.id), ` (${p.country})`]],
    ["Agreement", (p) => [el("code", {}, p.agreement), ` v${p.agreement_version}`, el("br"), `valid until ${p.valid_until}`]],
    ["Purposes (legal basis; search types)", (p) => el("ul", { class: "plain" }, (p.purposes || []).map((u) =>
      el("li", {}, el("code", {}, u.id), ` — ${u.legal_basis}; ${(u.search_types || []).join(", ")}`)))],
  ], partners || [], { id: "partners" });
}

// partnerSearchForm is step 1: a partner, a purpose of the agreement with
// it, a search type, and finger images (templates are extracted by the
// node; only templates are sent).
function partnerSearchForm(partners, refresh) {
  const partner = el("select", { id: "partner", name: "partner", required: true },
    partners.map((p) => el("option", { value: p.id }, `${p.name || p.id} (${p.id})`)));
  const purpose = el("select", { id: "purpose", name: "purpose", required: true });
  const stype = el("select", { id: "search-type", name: "search_type" });
  const basis = el("small", { id: "legal-basis" });
  const current = () => partners.find((p) => p.id === partner.value);
  const purposeOf = () => ((current() || {}).purposes || []).find((u) => u.id === purpose.value);
  const setTypes = () => {
    const u = purposeOf();
    stype.replaceChildren(...((u && u.search_types) || []).map((t) => el("option", { value: t }, t)));
    basis.textContent = u ? "Legal basis: " + u.legal_basis : "";
  };
  const setPurposes = () => {
    purpose.replaceChildren(...((current() || {}).purposes || []).map((u) => el("option", { value: u.id }, u.id)));
    setTypes();
  };
  partner.addEventListener("change", setPurposes);
  purpose.addEventListener("change", setTypes);
  setPurposes();
  const purposeField = field("Purpose", purpose);
  purposeField.append(basis);
  const fingers = fingerInputs("partner");
  const out = el("div", { "aria-live": "polite", id: "partner-out" });
  const form = el("form", { class: "card", id: "partner-search" },
    el("h2", {}, "Search a partner (step 1: hit or no hit)"),
    partners.length === 0 ? el("p", { class: "error" }, "This node's agreements name no partner.") : null,
    field("Partner", partner), purposeField, field("Search type", stype),
    fingers.node,
    el("p", { class: "note" }, "Only finger templates leave this node, signed; the partner answers no hit, or a hit with pseudonymous references and a score band. Data about a person is asked for separately, after an examiner confirms the match."),
    el("button", { type: "submit", disabled: partners.length === 0 }, "Search partner"), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    out.replaceChildren(el("p", {}, "Searching the partner…"));
    try {
      const fs = await fingers.values();
      if (!fs.length) throw new Error("Choose at least one finger image.");
      const r = await call("POST", "/v1/exchange/searches", { partner: partner.value, purpose: purpose.value, search_type: stype.value, fingers: fs });
      out.replaceChildren(await outcomeSection(r), r.samples ? samplesTable(r.samples) : null);
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
    try {
      await refresh();
    } catch { /* the list is refreshed on the next visit */ }
  });
  return form;
}

// requestsTable lists the exchange's requests sent and received, newest
// first, each linked to its page.
function requestsTable(ms) {
  return table("Partner requests sent and received, newest first", [
    ["Time", (m) => fmtTime(m.created_at)],
    ["Direction", (m) => m.direction === "out" ? "sent to" : "received from"],
    ["Partner", (m) => m.partner],
    ["Request", (m) => el("a", { href: "#/exchange/" + encodeURIComponent(m.request_id), class: "request-link" }, m.request_id)],
    ["Type", (m) => m.type + (m.search_type ? ` (${m.search_type})` : "")],
    ["Purpose", (m) => m.purpose || ""],
    ["Officer", (m) => m.officer || ""],
    ["Status", (m) => m.status],
    ["Result", (m) => [m.result || "", m.code ? [" ", el("code", {}, m.code)] : null]],
    ["Attempts", (m) => String(m.attempts)],
  ], ms || [], { id: "exchange-requests" });
}

// resultLine is the answer to a request in a sentence, with a badge:
// queued, failed, refused by the protocol, and the search's or the
// disclosure request's result. id names the badge, whose data-status is the
// result's code.
function resultLine(o, id) {
  const st = (cls, code, ...text) => el("p", { class: "result-line" },
    el("span", { class: "badge " + cls, id, "data-status": code }, String(code).replace("_", " ")), " ", ...text);
  if (o.status === "queued") return st("bad", "queued", "The partner could not be reached; the outbox keeps retrying. ", o.last_error ? "Last error: " + o.last_error : "");
  if (o.status === "failed") return st("bad", "failed", o.last_error || "Delivery failed.");
  if (o.refusal) return st("bad", "refused", "Refused by the partner's exchange: ", el("code", { class: "code" }, o.refusal.code), " ", o.refusal.message || "");
  if (o.search) {
    const r = o.search;
    if (r.result === "hit") return st("ok", "hit", `${(r.candidates || []).length} candidate(s) at the partner.`);
    if (r.result === "no_hit") return st("ok", "no_hit", "The partner holds no one matching the probe under this agreement and purpose.");
    return st("bad", "refused", "Refused under the agreement: ", el("code", { class: "code" }, r.code || "no code"));
  }
  if (o.disclosure) {
    const d = o.disclosure;
    if (d.result === "disclosed") return st("ok", "disclosed", `${Object.keys(d.fields || {}).length} field(s) disclosed${d.retain_until ? ", to be kept until " + d.retain_until : ""}.`);
    if (d.result === "unknown_reference") return st("bad", "unknown_reference", "The partner answers that it holds nothing it may disclose under this reference.");
    return st("bad", "refused", "Refused under the agreement: ", el("code", { class: "code" }, d.code || "no code"));
  }
  return st("ok", o.status, "");
}

// fieldsList renders disclosed fields exactly as the partner returned them.
function fieldsList(fields, id) {
  return el("dl", { class: "facts disclosed", id }, Object.entries(fields || {}).sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

// outcomeSection shows a request's outcome and, for a search with a hit,
// each candidate with what the role may do: an examiner confirms it (the
// signed decision a disclosure request carries), and officers and examiners
// ask for its data once confirmed as the same person.
async function outcomeSection(o) {
  const s = session();
  const cands = (o.search && o.search.result === "hit" && o.search.candidates) || [];
  const sec = el("section", { class: "card", id: "partner-result", "aria-label": "Partner's answer" },
    el("h2", {}, "Answer from ", o.partner, " to request ", el("a", { href: "#/exchange/" + encodeURIComponent(o.request_id) }, el("code", {}, o.request_id))),
    resultLine(o, "partner-status"),
    o.disclosure && o.disclosure.result === "disclosed" ? fieldsList(o.disclosure.fields, "disclosed-fields") : null);
  for (const [i, c] of cands.entries()) sec.append(await candidateCard(o, c, i, s.role));
  return sec;
}

async function candidateCard(o, c, i, role) {
  const n = i + 1;
  const box = el("section", { class: "partner-candidate", id: `pc-${n}`, "aria-label": `Partner candidate ${n}` },
    el("h3", {}, `Candidate ${n}: `, el("code", { class: "reference" }, c.reference)),
    el("p", {}, "Score band: ", el("strong", { class: "band" }, c.band),
      `. Reference templates returned for finger${(c.fingers || []).length === 1 ? "" : "s"} `,
      (c.fingers || []).map((f) => f.position).join(", ") || "none", "."));
  // confirmed shows the examiner's confirmation, out the data asked for or
  // already held.
  const confirmed = el("div", { "aria-live": "polite" });
  const out = el("div", { "aria-live": "polite", class: "candidate-out" });
  // Data already received under this reference (while it may be kept).
  if (searchRoles.includes(role)) {
    try {
      const r = await call("GET", `/v1/exchange/received?partner=${encodeURIComponent(o.partner)}&reference=${encodeURIComponent(c.reference)}`);
      out.append(el("p", { class: "ok" }, "Data received from the partner under this reference:"), fieldsList(r.fields, `received-${n}`));
    } catch (err) {
      if (!(err instanceof APIError && err.status === 404)) out.append(errorBox(err));
    }
  }
  const actions = el("div", { class: "actions" });
  if (confirmRoles.includes(role)) {
    const outcome = el("select", { name: "outcome", id: `pc-${n}-outcome` }, ["same", "different", "inconclusive"].map((x) => el("option", { value: x }, x)));
    const reason = el("select", { name: "reason_code", id: `pc-${n}-reason` });
    const setReasons = () => reason.replaceChildren(...reasons[outcome.value].map((r) => el("option", { value: r }, r)));
    setReasons();
    outcome.addEventListener("change", setReasons);
    const form = el("form", { class: "confirm", id: `pc-${n}-confirm` },
      el("div", { class: "grid" }, field("Your decision", outcome), field("Reason code", reason)),
      el("button", { type: "submit", class: "secondary" }, "Record confirmation"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const r = await call("POST", `/v1/exchange/searches/${encodeURIComponent(o.request_id)}/confirmations`,
          { reference: c.reference, outcome: outcome.value, reason_code: reason.value });
        confirmed.replaceChildren(el("p", { class: r.outcome === "same" ? "ok" : "note", id: `pc-${n}-confirmed` },
          `Confirmed ${r.outcome} (${r.reason_code}) by examiner ${r.examiner} at ${fmtTime(r.decided_at)}; 1:1 score of the probe against the returned templates ${score(r.score)}.`,
          r.outcome === "same" ? " The partner's data may now be asked for." : " Only a confirmation as the same person allows a disclosure request."));
      } catch (err) {
        confirmed.replaceChildren(errorBox(err));
      }
    });
    box.append(form, confirmed);
  }
  if (searchRoles.includes(role)) {
    const ask = el("button", { type: "button", id: `pc-${n}-disclose` }, "Request disclosure (step 2)");
    ask.addEventListener("click", async () => {
      out.replaceChildren(el("p", {}, "Asking the partner…"));
      try {
        const r = await call("POST", `/v1/exchange/searches/${encodeURIComponent(o.request_id)}/disclosures`, { reference: c.reference });
        out.replaceChildren(resultLine(r, `pc-${n}-status`),
          r.disclosure && r.disclosure.result === "disclosed" ? fieldsList(r.disclosure.fields, `disclosed-${n}`) : null,
          el("p", { class: "note" }, "Disclosure request ", el("a", { href: "#/exchange/" + encodeURIComponent(r.request_id) }, r.request_id), "; only the fields the agreement allows for this purpose and the person's category are returned."));
      } catch (err) {
        out.replaceChildren(errorBox(err));
      }
    });
    actions.append(ask);
    if (!confirmRoles.includes(role)) {
      box.append(el("p", { class: "note" }, "An examiner must confirm this candidate as the same person before its data can be asked for."));
    }
  }
  box.append(actions, out);
  return box;
}

// exchangePage shows one request: its messages (sent and received with
// that id) and, for a request this node sent, the partner's answer.
async function exchangePage(id) {
  let v;
  try {
    v = await call("GET", "/v1/exchange/messages/" + encodeURIComponent(id));
  } catch (err) {
    if (isNoExchange(err)) return noExchange("Partner request", err);
    throw err;
  }
  const ms = v.messages || [];
  setMain("Partner request " + id,
    v.outcome ? await outcomeSection(v.outcome) : null,
    table("Messages with this request id", [
      ["Direction", (m) => m.direction === "out" ? "sent to" : "received from"], ["Partner", (m) => m.partner],
      ["Type", (m) => m.type + (m.search_type ? ` (${m.search_type})` : "")], ["Purpose", (m) => m.purpose || ""],
      ["Officer", (m) => m.officer || ""], ["Status", (m) => m.status], ["Result", (m) => [m.result || "", m.code ? [" ", el("code", {}, m.code)] : null]],
      ["Attempts", (m) => String(m.attempts)], ["Created", (m) => fmtTime(m.created_at)], ["Updated", (m) => fmtTime(m.updated_at)],
      ["Request hash", (m) => el("code", { class: "detail" }, m.request_hash)],
    ], ms, { id: "request-messages" }),
    ms.some((m) => m.last_error) ? el("p", { class: "error" }, "Last delivery error: ", ms.find((m) => m.last_error).last_error) : null,
    el("p", {}, el("a", { href: "#/partners" }, "Back to partner search")));
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
  const tabs = el("nav", { class: "tabs", "aria-label": "Task state" }, ["open", "claimed", "review", "decided"].map((s) =>
    el("a", { href: "#/tasks/" + s, "aria-current": s === state ? "page" : null }, s)));
  setMain("Adjudication queue", tabs, table(`${l.length} ${state} task(s)`, [
    ["Task", (t) => el("a", { href: "#/task/" + encodeURIComponent(t.id), class: "task-link" }, t.id)],
    ["Kind", (t) => t.kind], ["Created", (t) => fmtTime(t.created_at)], ["Candidates", (t) => String((t.candidates || []).length)],
    ["Best score", (t) => t.candidates && t.candidates[0] ? score(t.candidates[0].score) : ""],
    ["Examiners", (t) => reviewCount(t)],
    ["Claimed by", (t) => t.claimed_by || ""], ["Decision", (t) => t.decision ? `${t.decision.outcome} (${t.decision.reason_code})` : ""],
  ], l, { id: "task-list" }),
    state === "review" ? el("p", { class: "note" }, "Tasks in review were decided by fewer examiners than the second-examiner rule requires (a minor, or a face-only match); a different examiner decides them again.") : null);
}

// reviewCount is "decided by k of n examiners" for tasks needing more than
// one, with the rule's reasons.
function reviewCount(t) {
  const n = t.reviews_required || 1;
  if (n < 2) return "1";
  const k = (t.reviews || []).length;
  return `${k} of ${n} (${(t.review_reasons || []).map(reviewReason).join(", ") || "second-examiner rule"})`;
}

// reviewReason explains a review reason code.
function reviewReason(r) {
  return { minor: "minor", face_only: "face-only match" }[r] || r;
}

// reasons are the reason codes offered per outcome: fingerprint ones, then
// facial comparison ones (morphological features, as FISWG's facial
// comparison guidelines describe them).
const reasons = {
  same: ["minutiae-agree", "minutiae-and-pattern-agree", "facial-features-agree"],
  different: ["minutiae-disagree", "pattern-differs", "core-delta-differ", "facial-features-differ"],
  inconclusive: ["insufficient-quality", "insufficient-overlap", "face-image-insufficient", "needs-second-examiner"],
};

async function taskPage(id) {
  const s = session();
  const v = await call("GET", "/v1/console/tasks/" + encodeURIComponent(id));
  const t = v.task;
  const decided = t.state === "decided";
  const reviews = t.reviews || [];
  const required = t.reviews_required || 1;
  // An examiner whose review is recorded cannot be the task's second examiner.
  const reviewedByMe = reviews.some((r) => r.examiner === s.user);
  const probeByPos = new Map(v.probe.map((f) => [f.position, f]));
  // The task's candidate list carries per-sample scores and, for searches
  // with a face, the fusion breakdown; the console view adds the minutiae.
  const scored = new Map((t.candidates || []).map((c) => [c.person_id, c]));
  const cands = await Promise.all(v.candidates.map(async (c) => {
    const tc = scored.get(c.person_id) || {};
    const faces = (tc.scores || []).filter((x) => x.modality === "face");
    return el("section", { class: "card candidate", "aria-label": `Candidate ${c.rank}` },
      el("h2", {}, `Candidate ${c.rank}: `, el("a", { href: "#/persons/" + encodeURIComponent(c.person_id) }, c.person_id),
        ` — ${tc.fusion ? "fused evidence" : "fused score"} ${score(c.score)}`),
      tc.fusion || v.probe_face || c.face
        ? el("div", { class: "face-evidence" }, tc.fusion ? fusionFacts(tc.fusion, faces[0]) : null, faceComparison(v.probe_face, c.face, c.rank))
        : null,
      c.fingers.length === 0 ? el("p", {}, "No finger of this candidate at the probe's positions.") : null,
      await Promise.all(c.fingers.map(async (f) => {
        const p = probeByPos.get(f.position);
        return el("figure", { class: "finger" },
          await comparison(p, f.candidate, f.pairs || []),
          el("figcaption", {}, `Finger ${f.position} (${positions[f.position - 1] ? positions[f.position - 1][1] : "unknown"}): score ${score(f.score)}, `,
            `${(f.pairs || []).length} paired minutiae of ${p.minutiae.length} (probe) and ${f.candidate.minutiae.length} (candidate); `,
            `probe quality ${p.quality}, candidate quality ${f.candidate.quality}.`));
      })));
  }));

  const outcome = el("select", { id: "outcome", name: "outcome" }, ["same", "different", "inconclusive"].map((o) => el("option", { value: o }, o)));
  const cand = el("select", { id: "candidate", name: "candidate" }, t.candidates.map((c) => el("option", { value: c.person_id }, `${c.rank}: ${c.person_id}`)));
  const reason = el("select", { id: "reason", name: "reason_code" });
  const setReasons = () => reason.replaceChildren(...reasons[outcome.value].map((r) => el("option", { value: r }, r)));
  setReasons();
  outcome.addEventListener("change", setReasons);
  const out = el("div", { "aria-live": "assertive" });
  // Open tasks and tasks waiting for their second examiner can be claimed.
  const claimable = (t.state === "open" || t.state === "review") && !reviewedByMe;
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
    el("h2", {}, t.state === "review" ? "Second examiner's decision" : "Decision"),
    el("p", { class: "note", id: "keys" }, "Keys: ", el("kbd", {}, "S"), " same as candidate 1, ", el("kbd", {}, "D"), " different, ",
      el("kbd", {}, "I"), " inconclusive, ", el("kbd", {}, "C"), " claim, ", el("kbd", {}, "Ctrl"), "+", el("kbd", {}, "Enter"), " records the decision."),
    required > 1 ? el("p", { class: "note" }, t.state === "review"
      ? "Decide independently: the decision takes effect if it agrees with the first examiner's; if not, the identities are kept apart (inconclusive, examiners-disagree)."
      : `This task needs ${required} different examiners; your decision is recorded as the first review and takes effect only when a second examiner agrees.`) : null,
    field("Outcome", outcome), field("Candidate (for same)", cand), field("Reason code", reason),
    el("div", { class: "actions" }, claimable ? claim : null, el("button", { type: "submit", id: "decide" }, "Record decision")), out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const d = { outcome: outcome.value, reason_code: reason.value };
      if (outcome.value === "same") d.candidate = cand.value;
      await call("POST", `/v1/tasks/${encodeURIComponent(t.id)}/decision`, d);
      // Show the task as it now is: decided, or waiting for its second examiner.
      await taskPage(id);
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
    else if (k === "c" && claimable) claim.click();
  };
  const showForm = !decided && !reviewedByMe;
  if (showForm) document.addEventListener("keydown", keys);

  const facts = el("dl", { class: "facts" }, [
    ["Task", t.id], ["Kind", t.kind], ["State", t.state], ["Probe identity", t.person_id], ["Encounter", t.encounter_id],
    ["Created", fmtTime(t.created_at)], ["Claimed by", t.claimed_by || "—"],
    ["Examiners required", required > 1 ? `${required} (second-examiner rule: ${(t.review_reasons || []).map(reviewReason).join(", ") || "configured"})` : "1"],
    ["Signed in as", `${s.user} (${s.role})`],
  ].map(([k, val]) => [el("dt", {}, k), el("dd", {}, val)]));
  const decision = t.decision ? el("p", { class: "ok", id: "decided" },
    `Decided: ${t.decision.outcome}${t.decision.candidate ? " " + t.decision.candidate : ""} (${t.decision.reason_code}) by ${t.decision.examiner} at ${fmtTime(t.decision.decided_at)}.`) : null;
  setMain("Task " + t.id, el("div", { class: "task-head" },
    el("section", { class: "card" }, facts, decision, reviewSection(t, reviewedByMe)),
    showForm ? form : null), cands);
}

// reviewSection shows a task's second-examiner state: how many examiners
// decided of how many required, why, and each examiner's decision. Nothing
// for tasks one examiner decides.
function reviewSection(t, reviewedByMe) {
  const required = t.reviews_required || 1;
  const rs = t.reviews || [];
  if (required < 2 && rs.length === 0) return null;
  let status;
  if (t.state === "decided") status = el("p", {}, `Decided by ${rs.length} of ${required} examiners.`);
  else if (reviewedByMe) status = el("p", { class: "note", id: "review-wait" }, "You have reviewed this task; a different examiner must decide it.");
  else if (rs.length > 0) status = el("p", { class: "error" }, `Waiting for a second examiner: ${rs.length} of ${required} decisions recorded.`);
  else status = el("p", {}, `Needs decisions by ${required} different examiners.`);
  return el("section", { id: "review", "aria-label": "Second-examiner review" },
    el("h2", {}, "Second-examiner review"),
    el("p", { id: "review-state" }, el("span", { class: "badge " + (t.state === "decided" ? "ok" : "bad") }, t.state === "decided" ? "complete" : `${rs.length} of ${required}`),
      " Reasons: ", (t.review_reasons || []).map(reviewReason).join(", ") || "—"),
    status,
    table("Examiners' decisions", [
      ["Examiner", (r) => r.examiner], ["Outcome", (r) => r.outcome], ["Candidate", (r) => r.candidate || ""],
      ["Reason code", (r) => r.reason_code], ["Decided", (r) => fmtTime(r.decided_at)],
    ], rs, { id: "reviews" }));
}

// faceComparison shows the probe's and the candidate's faces side by side,
// each aligned as the face embedder sees it, with the quality and the
// cosine score; the kept photographs are behind a disclosure. A face the
// node cannot show says why (images not kept, no face engine). Nothing
// when neither has a face.
function faceComparison(probe, cand, rank) {
  if (!probe && !cand) return null;
  const side = (label, f) => {
    if (!f) return el("div", { class: "face-side" }, el("p", { class: "face-missing" }, `${label}: no face sample.`));
    const facts = `quality ${f.quality}${f.status === "ok" ? "" : ` (${f.status})`}${typeof f.score === "number" ? `, cosine ${score(f.score)} to the probe` : ""}`;
    return el("div", { class: "face-side" },
      f.chip
        ? el("img", { class: "face-chip", src: f.chip, width: f.chip_size, height: f.chip_size,
          alt: `${label} face, aligned to the face model's template (eyes and mouth at fixed places); ${facts}.` })
        : el("p", { class: "face-missing", role: "note" }, `${label}: no aligned face — ${f.reason || "unavailable"}.`),
      el("div", { class: "face-caption" }, `${label}: ${facts}`));
  };
  const photos = [["Probe", probe], ["Candidate", cand]].filter(([, f]) => f && f.image);
  return el("figure", { class: "faces", "aria-label": `Faces of the probe and candidate ${rank}` },
    el("div", { class: "face-pair" }, side("Probe", probe), side("Candidate", cand)),
    el("figcaption", {}, "Aligned faces, probe left, candidate right."),
    photos.length ? el("details", { class: "face-photos" }, el("summary", {}, "Photographs as captured"),
      photos.map(([label, f]) => el("img", { src: f.image, width: f.width, height: f.height, alt: `${label} photograph as captured, ${f.width}×${f.height} pixels.` }))) : null);
}

// fusionFacts shows how a candidate's fused evidence is made up (searches
// with a face): fingers and face, each with its evidence.
function fusionFacts(f, face) {
  return el("dl", { class: "facts fusion" }, [
    ["Fingers compared", String(f.fingers)], ["Finger evidence", (f.finger_evidence || 0).toFixed(2)],
    ["Face compared", f.face ? "yes" : "no"],
    f.face ? ["Face score (cosine)", `${score(f.face_score)}${face ? ` (rank ${face.rank})` : ""}`] : null,
    f.face ? ["Face evidence", (f.face_evidence || 0).toFixed(2)] : null,
    ["Face-only match", f.face_only ? "yes — the fingers alone do not reach the threshold; a second examiner is required" : "no"],
  ].filter(Boolean).map(([k, val]) => [el("dt", {}, k), el("dd", {}, val)]));
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
