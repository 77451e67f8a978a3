// Talk's moderation console: keyboard shortcuts and in-place actions for the queue pages.
//
// Progressive enhancement: every action is a plain POST form that works without this
// script. On a queue page, submits go through fetch (the server answers JSON with each
// comment's new state, its card's HTML when it stays in the queue, and the new counts),
// so the card leaves or updates in place and the tab counts follow. On other console
// pages the forms submit normally. Shortcuts follow Coral's: j / k move between cards,
// a approves, r opens the rejection reasons (Enter confirms, Esc cancels), f features,
// x ticks a card for a bulk action, ? shows the help. No inline handlers.

import { LiveSocket, socketURL } from "../live.js";

const page = document.querySelector("[data-console]");
const isQueue = page?.dataset.console === "queue";
const list = document.querySelector(".talk-cards");
const live = document.getElementById("talk-live");
const help = document.getElementById("talk-shortcuts");
const bulkForm = document.getElementById("talk-bulk-form");
let selected = null;

function cards() {
  return list ? Array.from(list.querySelectorAll(":scope > .talk-card")) : [];
}

function announce(message, { error = false } = {}) {
  if (!live) return;
  live.classList.toggle("is-error", error);
  live.textContent = "";
  // A fresh text node after a tick makes screen readers repeat an identical message.
  window.setTimeout(() => {
    live.textContent = message;
  }, 30);
}

function select(card, { focus = true } = {}) {
  if (!card) return;
  if (selected && selected !== card) {
    selected.classList.remove("is-selected");
    selected.removeAttribute("aria-current");
  }
  selected = card;
  card.classList.add("is-selected");
  card.setAttribute("aria-current", "true");
  if (focus) {
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest", behavior: "auto" });
  }
}

function move(step) {
  const all = cards();
  if (!all.length) {
    announce("No comments in this queue.");
    return;
  }
  const index = selected ? all.indexOf(selected) : -1;
  const next = index === -1 ? all[step > 0 ? 0 : all.length - 1] : all[index + step];
  if (next) select(next);
}

function isEditable(element) {
  if (!element) return false;
  return (
    element.isContentEditable ||
    ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName)
  );
}

function requireSelection() {
  if (selected && selected.isConnected) return selected;
  announce("Select a comment first: press j.");
  return null;
}

function submitAct(card, act) {
  const form = card.querySelector(`form.talk-act[data-act="${act}"]`);
  if (form) form.requestSubmit();
}

function openReject(card) {
  const picker = card.querySelector("details.talk-reject");
  if (!picker) return;
  picker.open = true;
  picker.querySelector("select")?.focus({ preventScroll: true });
  picker.querySelector("form")?.scrollIntoView({ block: "nearest" });
}

function closeReject(picker, { restoreFocus = true } = {}) {
  picker.open = false;
  if (restoreFocus) {
    const card = picker.closest(".talk-card");
    if (card) select(card);
  }
}

// ---------------------------------------------------------------------------------------
// Acting through fetch

function setBusy(card, busy) {
  card.classList.toggle("is-busy", busy);
  card.setAttribute("aria-busy", String(busy));
  for (const button of card.querySelectorAll("button")) button.disabled = busy;
}

function showCardError(card, message) {
  const slot = card.querySelector("[data-ref=error]");
  if (!slot) return;
  slot.textContent = message;
  slot.hidden = !message;
}

function updateCounts(counts) {
  if (!counts) return;
  for (const [queue, count] of Object.entries(counts)) {
    for (const badge of document.querySelectorAll(`[data-queue-count="${queue}"]`)) {
      badge.textContent = String(count);
    }
  }
  const current = list?.dataset.queue;
  const total = document.querySelector("[data-ref=queue-total]");
  if (current && total && current in counts) total.textContent = String(counts[current]);
}

function removeCard(card) {
  const all = cards();
  const index = all.indexOf(card);
  const wasSelected = card === selected;
  card.remove();
  if (wasSelected) selected = null;
  const rest = cards();
  updateEmptyState();
  if (wasSelected && rest.length) select(rest[Math.min(index, rest.length - 1)]);
  else if (!rest.length) document.querySelector("[data-ref=empty]")?.focus();
  updateBulkState();
}

function replaceCard(card, html) {
  const template = document.createElement("template");
  template.innerHTML = html.trim();
  const fresh = template.content.firstElementChild;
  if (!fresh) return;
  const wasSelected = card === selected;
  card.replaceWith(fresh);
  if (wasSelected) {
    selected = null;
    select(fresh);
  }
}

function updateEmptyState() {
  const empty = document.querySelector("[data-ref=empty]");
  if (empty) {
    empty.hidden = cards().length > 0;
    empty.tabIndex = -1;
  }
}

async function post(form, submitter) {
  // form.action would be the <input name="action">, not the attribute.
  const response = await fetch(form.getAttribute("action"), {
    method: "POST",
    body: new FormData(form, submitter || undefined),
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  let data = null;
  if ((response.headers.get("Content-Type") || "").includes("application/json")) {
    data = await response.json();
  }
  if (!data) {
    const message =
      response.status === 403
        ? "You are not allowed to do this (or your session expired: reload the page)."
        : `The server answered ${response.status}. Nothing was changed; try again.`;
    return { ok: false, message, results: [] };
  }
  return data;
}

function applyResults(data) {
  const byId = new Map(cards().map((card) => [card.dataset.commentId, card]));
  for (const result of data.results || []) {
    const card = byId.get(result.id);
    if (!card) continue;
    setBusy(card, false);
    if (!result.ok) {
      showCardError(card, result.error);
    } else if (result.in_queue === false) {
      card.classList.add("is-leaving");
      removeCard(card);
    } else if (result.html) {
      replaceCard(card, result.html);
    }
  }
  updateCounts(data.counts);
  announce(data.message, { error: !data.ok });
}

async function act(form, submitter, targets) {
  for (const card of targets) {
    actedHere.add(card.dataset.commentId); // its live events are this tab's own
    setBusy(card, true);
    showCardError(card, "");
  }
  try {
    const data = await post(form, submitter);
    applyResults(data);
    if (!data.results?.length) {
      for (const card of targets) setBusy(card, false);
    }
  } catch (error) {
    for (const card of targets) setBusy(card, false);
    announce("Could not reach the server. Nothing was changed; try again.", { error: true });
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!isQueue || !(form instanceof HTMLFormElement)) return;
  if (form.matches("form.talk-act")) {
    event.preventDefault();
    const card = form.closest(".talk-card");
    const picker = form.closest("details.talk-reject");
    if (picker) picker.open = false;
    select(card, { focus: true });
    act(form, event.submitter, [card]);
  } else if (form === bulkForm) {
    event.preventDefault();
    const targets = checkedCards();
    if (!targets.length) {
      announce("Tick at least one comment first (x ticks the selected one).", { error: true });
      return;
    }
    act(form, event.submitter, targets);
  }
});

// ---------------------------------------------------------------------------------------
// Bulk selection

function checkedCards() {
  return cards().filter((card) => card.querySelector("[data-ref=select]")?.checked);
}

function updateBulkState() {
  if (!bulkForm) return;
  const count = checkedCards().length;
  const label = bulkForm.querySelector("[data-ref=selected-count]");
  if (label) label.textContent = count ? `${count} selected` : "None selected";
  for (const button of bulkForm.querySelectorAll("[data-ref=bulk-button]")) {
    button.disabled = count === 0;
  }
  const all = bulkForm.querySelector("[data-action=select-all]");
  if (all) {
    const total = cards().length;
    all.checked = total > 0 && count === total;
    all.indeterminate = count > 0 && count < total;
  }
}

document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("[data-action=select-all]")) {
    for (const card of cards()) {
      const box = card.querySelector("[data-ref=select]");
      if (box) box.checked = target.checked;
    }
    updateBulkState();
  } else if (target.matches("[data-ref=select]")) {
    updateBulkState();
  } else if (target.matches("select[data-autosubmit]")) {
    const form = target.form;
    if (target.name === "site" && form.elements.story) form.elements.story.value = "";
    form.requestSubmit();
  }
});

// ---------------------------------------------------------------------------------------
// Pointer and focus keep the selection in step

document.addEventListener("click", (event) => {
  const shortcuts = event.target.closest("[data-action=shortcuts]");
  if (shortcuts) {
    help?.showModal();
    return;
  }
  const card = event.target.closest(".talk-card");
  if (card && !event.target.closest("a, button, input, select, summary, label, textarea")) {
    select(card, { focus: true });
  }
});

document.addEventListener("focusin", (event) => {
  const card = event.target.closest?.(".talk-card");
  if (card && card !== selected) select(card, { focus: false });
});

document.addEventListener(
  "toggle",
  (event) => {
    const picker = event.target;
    if (!(picker instanceof HTMLDetailsElement) || !picker.matches(".talk-reject")) return;
    if (picker.open) {
      // One picker at a time.
      for (const other of document.querySelectorAll("details.talk-reject[open]")) {
        if (other !== picker) other.open = false;
      }
      const card = picker.closest(".talk-card");
      if (card && card !== selected) select(card, { focus: false });
      if (!picker.contains(document.activeElement) || document.activeElement.tagName === "SUMMARY") {
        picker.querySelector("select")?.focus();
      }
    }
  },
  true,
);

// ---------------------------------------------------------------------------------------
// Keyboard

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (help?.open) return;
  const target = event.target;
  const picker = target.closest?.("details.talk-reject");

  if (picker) {
    if (event.key === "Escape") {
      event.preventDefault();
      closeReject(picker);
      return;
    }
    if (event.key === "Enter" && target.tagName === "SELECT") {
      // A closed <select> does not submit its form on Enter; the picker should.
      event.preventDefault();
      picker.querySelector("form")?.requestSubmit();
      return;
    }
  }
  if (isEditable(target)) return;
  if (!list && event.key !== "?") return;

  switch (event.key) {
    case "j":
      event.preventDefault();
      move(1);
      break;
    case "k":
      event.preventDefault();
      move(-1);
      break;
    case "a": {
      const card = requireSelection();
      if (card) {
        event.preventDefault();
        submitAct(card, "approve");
      }
      break;
    }
    case "r": {
      const card = requireSelection();
      if (card) {
        event.preventDefault();
        openReject(card);
      }
      break;
    }
    case "f": {
      const card = requireSelection();
      if (card) {
        event.preventDefault();
        submitAct(card, card.dataset.featured === "true" ? "unfeature" : "feature");
      }
      break;
    }
    case "x": {
      const card = requireSelection();
      const box = card?.querySelector("[data-ref=select]");
      if (box) {
        event.preventDefault();
        box.checked = !box.checked;
        updateBulkState();
        announce(box.checked ? "Ticked for a bulk action." : "Unticked.");
      }
      break;
    }
    case "?":
      if (help) {
        event.preventDefault();
        help.showModal();
      }
      break;
    default:
  }
});

// On the comment page the single card starts selected, so a / r / f work at once.
if (!isQueue && cards().length === 1) select(cards()[0], { focus: false });
updateEmptyState();
updateBulkState();

// ---------------------------------------------------------------------------------------
// Live queues: counts and lists follow other moderators and new reports without a reload,
// through the moderator-only subscriptions commentEntered/LeftModerationQueue over
// graphql-transport-ws with the embed's client (../live.js; the session cookie signs the
// socket in). New comments in the shown queue are announced behind a link, as Coral
// does, rather than pushed under the moderator's cursor; comments another moderator
// decided leave the list at once.

const QUEUE_EVENTS = `
subscription TalkConsoleQueues($siteID: ID) {
  entered: commentEnteredModerationQueue(siteID: $siteID) {
    queue comment { id story { id } }
  }
}`;
const QUEUE_LEFT_EVENTS = `
subscription TalkConsoleQueuesLeft($siteID: ID) {
  left: commentLeftModerationQueue(siteID: $siteID) {
    queue comment { id story { id } }
  }
}`;

function globalId(type, id) {
  return id ? window.btoa(`${type}:${id}`) : null;
}

function localId(gid) {
  try {
    return window.atob(gid).split(":").slice(1).join(":");
  } catch {
    return gid;
  }
}

function bumpCount(queue, delta) {
  for (const badge of document.querySelectorAll(`[data-queue-count="${queue}"]`)) {
    badge.textContent = String(Math.max(0, Number(badge.textContent || 0) + delta));
  }
  const total = document.querySelector("[data-ref=queue-total]");
  if (total && list?.dataset.queue === queue) {
    total.textContent = String(Math.max(0, Number(total.textContent || 0) + delta));
  }
}

let newInQueue = 0;
// Comments this tab acted on: the server's answer already set absolute counts, so their
// live events must not change the counts a second time.
const actedHere = new Set();

function noteNewInQueue() {
  const notice = document.querySelector("[data-ref=live-notice]");
  if (!notice) return;
  newInQueue += 1;
  notice.querySelector("[data-ref=live-notice-text]").textContent =
    newInQueue === 1 ? "1 new comment in this queue." : `${newInQueue} new comments in this queue.`;
  notice.querySelector("[data-ref=live-notice-link]").href = window.location.href;
  notice.hidden = false;
  announce(notice.textContent.trim());
}

function onQueueEvent(kind, payload) {
  const storyFilter = page.dataset.storyId;
  if (storyFilter && localId(payload.comment.story.id) !== storyFilter) return;
  const commentId = localId(payload.comment.id);
  if (actedHere.has(commentId)) return;
  const inList = document.querySelector(`.talk-card[data-comment-id="${commentId}"]`);
  if (kind === "entered") {
    bumpCount(payload.queue, +1);
    if (list && payload.queue === list.dataset.queue && !inList) noteNewInQueue();
    return;
  }
  bumpCount(payload.queue, -1);
  // Decided elsewhere (another moderator, a job): drop it unless this tab is acting on it.
  if (inList && payload.queue === list?.dataset.queue && inList.getAttribute("aria-busy") !== "true") {
    removeCard(inList);
  }
}

function connectLive() {
  if (!isQueue || !page.dataset.liveUrl || !("WebSocket" in window)) return;
  const socket = new LiveSocket(socketURL(page.dataset.liveUrl), {
    onState: (value) => {
      page.dataset.live = value;
    },
  });
  const variables = () => ({ siteID: globalId("Site", page.dataset.siteId) });
  const warn = (errors) => console.warn("Talk live queues:", errors);
  socket.subscribe("entered", QUEUE_EVENTS, {
    variables,
    next: (data) => onQueueEvent("entered", data.entered),
    error: warn,
  });
  socket.subscribe("left", QUEUE_LEFT_EVENTS, {
    variables,
    next: (data) => onQueueEvent("left", data.left),
    error: warn,
  });
  socket.open();
}

connectLive();
