// Talk comment stream: the page inside the embed's iframe.
//
// It loads the story over GraphQL (fetch, same origin, CSRF token from the `csrftoken`
// cookie), renders threads from <template>s in stream.html, follows the story live over a
// WebSocket (GraphQL subscriptions, graphql-transport-ws), and tells the host page its
// height with postMessage. Bodies are sanitised HTML from the API and the only thing ever
// assigned to innerHTML; everything else goes through textContent. No inline handlers.

import { LiveSocket, socketURL } from "./live.js";

const root = document.getElementById("talk-stream");
const config = {
  storyURL: root.dataset.storyUrl || null,
  storyID: root.dataset.storyId || null,
  graphqlURL: root.dataset.graphqlUrl,
  liveURL: root.dataset.liveUrl,
  maxChars: Number(root.dataset.maxChars) || 5000,
};
const PAGE_SIZE = 20;
const REPLY_PAGE_SIZE = 10;
const REPLIES_PER_LEVEL = 3; // replies prefetched at each level on the first load
const PREFETCH_LEVELS = 3;
const MAX_INDENT_DEPTH = 7; // Coral's MAX_REPLY_INDENT_DEPTH
const HELD_STATUSES = new Set(["PREMOD", "SYSTEM_WITHHELD"]);
const SORT_LABELS = {
  CREATED_AT_DESC: "Newest",
  CREATED_AT_ASC: "Oldest",
  REPLIES_DESC: "Most replies",
  REACTION_DESC: "Most reactions",
};

const state = {
  viewer: null,
  story: null,
  orderBy: "CREATED_AT_DESC",
  endCursor: null,
  hasNextPage: false,
  comments: new Map(), // id -> {data, el, refs, repliesCursor, repliesHasNext, loadedReplies, fetchedReplies, newReplies}
  openForm: null, // {el, close} of the inline reply/edit/report form
  newComments: new Map(), // id -> data of top-level comments that arrived live, not shown yet
  live: { cursor: null, createdAt: null }, // the newest comment seen: where a resume starts
};

// ---------------------------------------------------------------------------------------
// GraphQL

const COMMENT_FIELDS = `
  id createdAt depth body status
  author { id username }
  replyCount
  actionCounts { reaction { total } }
  viewerActionPresence { reaction flag }
  editing { edited editableUntil }
  tags { code }`;

function repliesSelection(levels) {
  if (levels === 0) return "";
  return `replies(first: ${REPLIES_PER_LEVEL}) {
    pageInfo { hasNextPage endCursor }
    nodes { ${COMMENT_FIELDS} ${repliesSelection(levels - 1)} }
  }`;
}

const STREAM_QUERY = `
query TalkStream($storyURL: String, $storyID: ID, $orderBy: COMMENT_SORT, $after: String, $first: Int) {
  viewer { id username status { warning { active message } } }
  stream(storyURL: $storyURL, storyID: $storyID) {
    id url isClosed
    metadata { title }
    site { name domain }
    commentCounts { totalPublished }
    comments(first: $first, orderBy: $orderBy, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ${COMMENT_FIELDS} ${repliesSelection(PREFETCH_LEVELS)} }
    }
    latest: comments(first: 1, orderBy: CREATED_AT_DESC) { edges { cursor node { createdAt } } }
  }
}`;

const REPLIES_QUERY = `
query TalkReplies($id: ID!, $after: String, $first: Int) {
  comment(id: $id) {
    id replyCount
    replies(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ${COMMENT_FIELDS} ${repliesSelection(PREFETCH_LEVELS - 1)} }
    }
  }
}`;

const ERRORS = "errors { code message field }";
const MUTATIONS = {
  createComment: `mutation TalkCreateComment($input: CreateCommentInput!) {
    createComment(input: $input) { ${ERRORS}
      comment { ${COMMENT_FIELDS} story { commentCounts { totalPublished } } } } }`,
  createCommentReply: `mutation TalkCreateReply($input: CreateCommentReplyInput!) {
    createCommentReply(input: $input) { ${ERRORS}
      comment { ${COMMENT_FIELDS} story { commentCounts { totalPublished } } } } }`,
  editComment: `mutation TalkEditComment($input: EditCommentInput!) {
    editComment(input: $input) { ${ERRORS} comment { ${COMMENT_FIELDS} } } }`,
  createCommentReaction: `mutation TalkReact($input: CommentIDInput!) {
    createCommentReaction(input: $input) { ${ERRORS}
      comment { id actionCounts { reaction { total } } viewerActionPresence { reaction flag } } } }`,
  removeCommentReaction: `mutation TalkUnreact($input: CommentIDInput!) {
    removeCommentReaction(input: $input) { ${ERRORS}
      comment { id actionCounts { reaction { total } } viewerActionPresence { reaction flag } } } }`,
  createCommentFlag: `mutation TalkReport($input: CreateCommentFlagInput!) {
    createCommentFlag(input: $input) { ${ERRORS} comment { id viewerActionPresence { reaction flag } } } }`,
  signIn: `mutation TalkSignIn($input: SignInInput!) {
    signIn(input: $input) { ${ERRORS} viewer { id username } } }`,
  signUp: `mutation TalkSignUp($input: SignUpInput!) {
    signUp(input: $input) { ${ERRORS} viewer { id username } } }`,
  signOut: `mutation TalkSignOut { signOut { ${ERRORS} } }`,
  acknowledgeWarning: `mutation TalkAcknowledgeWarning {
    acknowledgeWarning { ${ERRORS} } }`,
};

class MutationError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join(" "));
    this.errors = errors;
  }
}

function csrfToken() {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
  return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
}

async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch(config.graphqlURL, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new Error("Could not reach the comments server. Check your connection.");
  }
  let payload;
  try {
    payload = await response.json();
  } catch {
    const hint = response.status === 403 ? " Reload the page and try again." : "";
    throw new Error(`The comments server answered ${response.status}.${hint}`);
  }
  if (payload.errors && payload.errors.length) {
    const error = new Error(payload.errors[0].message);
    error.code = payload.errors[0].extensions && payload.errors[0].extensions.code;
    throw error;
  }
  return payload.data;
}

async function mutate(name, input) {
  const data = await gql(MUTATIONS[name], input === undefined ? {} : { input });
  const payload = data[name];
  if (payload.errors.length) throw new MutationError(payload.errors);
  return payload;
}

// ---------------------------------------------------------------------------------------
// Small DOM helpers

function refsOf(el) {
  const refs = {};
  for (const node of el.querySelectorAll("[data-ref]")) {
    if (!(node.dataset.ref in refs)) refs[node.dataset.ref] = node;
  }
  return refs;
}

const page = refsOf(root);
let uid = 0;
const nextId = (prefix) => `${prefix}-${++uid}`;

function cloneTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

function announce(message) {
  page.announcer.textContent = "";
  window.setTimeout(() => { page.announcer.textContent = message; }, 50);
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const absoluteFormat = new Intl.DateTimeFormat("en", { dateStyle: "long", timeStyle: "short" });
const TIME_UNITS = [
  ["year", 31536000], ["month", 2592000], ["week", 604800],
  ["day", 86400], ["hour", 3600], ["minute", 60],
];

function relativeTime(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  for (const [unit, size] of TIME_UNITS) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.trunc(seconds / size), unit);
  }
  return "just now";
}

function setTime(el, iso) {
  el.dateTime = iso;
  el.title = absoluteFormat.format(new Date(iso));
  el.textContent = relativeTime(iso);
}

function showFormError(form, error) {
  const box = form.querySelector("[data-ref=error]");
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
  if (!error) {
    box.textContent = "";
    return;
  }
  const errors = error instanceof MutationError ? error.errors : [{ message: error.message }];
  box.textContent = errors.map((e) => e.message).join(" ");
  if (!box.id) box.id = nextId("talk-error");
  for (const e of errors) {
    const field = e.field && form.elements.namedItem(e.field);
    if (field && field.setAttribute) {
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-errormessage", box.id);
    }
  }
}

async function withBusy(form, work) {
  const buttons = form.querySelectorAll("button[type=submit]");
  buttons.forEach((b) => { b.disabled = true; });
  form.setAttribute("aria-busy", "true");
  try {
    showFormError(form, null);
    return await work();
  } catch (error) {
    showFormError(form, error);
    return undefined;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    form.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------------------------------
// Composer: contenteditable with a few formatting commands and a character counter

function visibleLength(editor) {
  return editor.textContent.replace(/\s+/g, " ").trim().length;
}

const BLOCKS = new Set(["P", "DIV", "BLOCKQUOTE", "UL", "OL"]);

function editorHTML(editor) {
  const copy = editor.cloneNode(true);
  // Chrome wraps new lines in <div>s, which the server's allowlist would unwrap.
  for (const div of copy.querySelectorAll("div")) {
    const p = document.createElement("p");
    p.append(...div.childNodes);
    div.replaceWith(p);
  }
  // Lists and quotes made inside a paragraph would be split apart by any HTML parser.
  for (const p of [...copy.querySelectorAll("p")].reverse()) {
    if (p.querySelector("ul, ol, blockquote, p")) p.replaceWith(...p.childNodes);
  }
  // Text typed before the first Enter is not in a block: give it a paragraph of its own.
  let run = null;
  for (const node of [...copy.childNodes]) {
    if (BLOCKS.has(node.nodeName)) {
      run = null;
    } else {
      if (!run) {
        run = document.createElement("p");
        node.before(run);
      }
      run.append(node);
    }
  }
  for (const p of copy.querySelectorAll("p")) {
    if (!p.textContent.trim()) p.remove();
  }
  return copy.innerHTML.trim();
}

function safeLink(raw) {
  const value = (raw || "").trim();
  if (!value) return null;
  const url = /^[a-z][a-z0-9+.-]*:/i.test(value) ? value : `https://${value}`;
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

function applyFormat(editor, format) {
  editor.focus();
  if (format === "bold" || format === "italic") {
    document.execCommand(format);
  } else if (format === "list") {
    document.execCommand("insertUnorderedList");
  } else if (format === "blockquote") {
    const inQuote = document.queryCommandValue("formatBlock").toLowerCase() === "blockquote";
    document.execCommand("formatBlock", false, inQuote ? "p" : "blockquote");
  } else if (format === "link") {
    const url = safeLink(window.prompt("Link address (https://…)"));
    if (!url) return;
    const selection = window.getSelection();
    if (selection && !selection.isCollapsed) {
      document.execCommand("createLink", false, url);
    } else {
      const a = document.createElement("a");
      a.href = url;
      a.textContent = url;
      document.execCommand("insertHTML", false, a.outerHTML);
    }
  }
}

function createComposer({ label, submitLabel, placeholder = "", html = "", onSubmit, onCancel }) {
  const form = cloneTemplate("talk-composer-template");
  const refs = refsOf(form);
  const editorId = nextId("talk-editor");
  refs.label.textContent = label;
  refs.label.id = `${editorId}-label`;
  refs.editor.id = editorId;
  refs.editor.setAttribute("aria-labelledby", refs.label.id);
  refs.editor.dataset.placeholder = placeholder || label;
  refs.counter.id = `${editorId}-counter`;
  refs.editor.setAttribute("aria-describedby", refs.counter.id);
  refs.editor.innerHTML = html;
  refs.submit.textContent = submitLabel;
  if (onCancel) {
    refs.cancel.hidden = false;
    refs.cancel.addEventListener("click", onCancel);
  }

  const update = () => {
    const length = visibleLength(refs.editor);
    const left = config.maxChars - length;
    refs.counter.textContent = left < 0
      ? `${plural(-left, "character", "characters")} over the limit`
      : `${length} / ${config.maxChars}`;
    refs.counter.classList.toggle("is-over", left < 0);
    refs.editor.classList.toggle("is-empty", length === 0 && !refs.editor.querySelector("li,blockquote"));
    refs.submit.disabled = length === 0 || left < 0;
  };
  refs.editor.addEventListener("input", update);
  refs.editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  for (const button of form.querySelectorAll("[data-format]")) {
    button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
    button.addEventListener("click", () => { applyFormat(refs.editor, button.dataset.format); update(); });
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (refs.submit.disabled) return;
    const done = await withBusy(form, () => onSubmit(editorHTML(refs.editor)));
    if (done) {
      refs.editor.innerHTML = "";
      update();
    } else {
      update();
    }
  });
  document.execCommand("defaultParagraphSeparator", false, "p");
  update();
  form.focusEditor = () => refs.editor.focus();
  return form;
}

// ---------------------------------------------------------------------------------------
// Comments

function initials(name) {
  return (name || "?").replace(/[^\p{L}\p{N}]/gu, "").slice(0, 1).toUpperCase() || "?";
}

function avatarHue(name) {
  let hash = 0;
  for (const ch of name || "") hash = (hash * 31 + ch.codePointAt(0)) % 360;
  return hash;
}

// The API may return an author's own rejected comments; readers never see rejections.
function isShown(data) {
  return data.status !== "REJECTED";
}

function isOwn(data) {
  return Boolean(state.viewer && data.author && data.author.id === state.viewer.id);
}

function canEdit(data) {
  return isOwn(data) && !state.story.isClosed && Date.parse(data.editing.editableUntil) > Date.now();
}

function fillBody(el, html) {
  el.innerHTML = html; // sanitised by the server (comments.sanitize); bodies are the only HTML
  for (const a of el.querySelectorAll("a[href]")) {
    a.target = "_blank";
    a.rel = "nofollow ugc noopener noreferrer";
  }
}

function renderReaction(entry) {
  const { data, refs } = entry;
  const button = entry.el.querySelector("[data-action=react]");
  const pressed = data.viewerActionPresence.reaction;
  const total = data.actionCounts.reaction.total;
  button.setAttribute("aria-pressed", String(pressed));
  refs["react-label"].textContent = pressed ? "Respected" : "Respect";
  refs["react-count"].textContent = total > 0 ? String(total) : "";
  button.setAttribute("aria-label", `${pressed ? "Respected" : "Respect"} (${plural(total, "reaction", "reactions")})`);
}

function renderReported(entry) {
  const button = entry.el.querySelector("[data-action=report]");
  if (entry.data.viewerActionPresence.flag) {
    button.textContent = "Reported";
    button.disabled = true;
  }
}

function updateEditButton(entry) {
  const button = entry.el.querySelector("[data-action=edit]");
  if (!canEdit(entry.data)) {
    button.hidden = true;
    return false;
  }
  const left = Math.max(0, Math.ceil((Date.parse(entry.data.editing.editableUntil) - Date.now()) / 1000));
  const text = left >= 60 ? `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : `${left}s`;
  entry.refs["edit-left"].textContent = `(${text} left)`;
  button.hidden = false;
  return true;
}

function renderCommentState(entry) {
  const { data, refs, el } = entry;
  fillBody(refs.content, data.body);
  refs.edited.hidden = !data.editing.edited;
  refs.pending.hidden = !HELD_STATUSES.has(data.status);
  el.classList.toggle("talk-comment--held", HELD_STATUSES.has(data.status));
  el.classList.toggle("talk-comment--own", isOwn(data));
  renderReaction(entry);
  renderReported(entry);
  updateEditButton(entry);
  el.querySelector("[data-action=reply]").hidden = state.story.isClosed;
}

function renderComment(data) {
  const el = cloneTemplate("talk-comment-template");
  const refs = refsOf(el);
  const entry = {
    data, el, refs, repliesCursor: null, repliesHasNext: false, loadedReplies: 0, fetchedReplies: false,
    newReplies: new Map(), // id -> data of replies that arrived live, not shown yet
  };
  state.comments.set(data.id, entry);
  el.dataset.id = data.id;
  el.dataset.depth = String(data.depth);
  el.id = `comment-${data.id}`;

  const name = data.author ? data.author.username : "Deleted account";
  refs.author.textContent = name;
  refs.avatar.textContent = initials(name);
  refs.avatar.style.setProperty("--talk-avatar-hue", String(avatarHue(name)));
  refs.article.setAttribute("aria-label", `Comment by ${name}`);
  for (const tag of data.tags) {
    const badge = document.createElement("span");
    badge.className = `talk-badge talk-badge--${tag.code.toLowerCase()}`;
    badge.textContent = tag.code.charAt(0) + tag.code.slice(1).toLowerCase();
    refs.badges.append(badge);
  }
  setTime(refs.time, data.createdAt);
  if (data.depth >= MAX_INDENT_DEPTH) refs.replies.classList.add("talk-replies--flat");
  renderCommentState(entry);

  if (data.replies) {
    entry.fetchedReplies = true;
    appendReplies(entry, data.replies);
  } else if (data.replyCount === 0) {
    entry.fetchedReplies = true; // nothing to fetch: replies posted now are appended
  }
  updateMoreReplies(entry);
  return el;
}

function setInReply(entry, parentId) {
  const parent = state.comments.get(parentId);
  if (!parent || !parent.data.author) return;
  entry.refs["in-reply"].textContent = `In reply to ${parent.data.author.username}`;
  entry.refs["in-reply"].hidden = false;
}

function appendReplies(entry, connection) {
  for (const reply of connection.nodes) {
    if (state.comments.has(reply.id) || !isShown(reply)) continue;
    const child = renderComment(reply);
    if (reply.depth > MAX_INDENT_DEPTH) setInReply(state.comments.get(reply.id), entry.data.id);
    entry.refs.replies.append(child);
    entry.loadedReplies += 1;
  }
  entry.repliesCursor = connection.pageInfo.endCursor || entry.repliesCursor;
  entry.repliesHasNext = connection.pageInfo.hasNextPage;
}

function updateMoreReplies(entry) {
  const button = entry.el.querySelector(":scope > [data-action=more-replies]");
  const remaining = Math.max(0, entry.data.replyCount - entry.loadedReplies);
  const show = entry.fetchedReplies ? entry.repliesHasNext : entry.data.replyCount > 0;
  button.hidden = !show;
  if (!show) return;
  if (!entry.fetchedReplies) button.textContent = `Show ${plural(entry.data.replyCount, "reply", "replies")}`;
  else button.textContent = remaining > 0 ? `Show ${remaining} more ${remaining === 1 ? "reply" : "replies"}` : "Show more replies";
}

function closeOpenForm() {
  if (state.openForm) {
    state.openForm.close();
    state.openForm = null;
  }
}

function openInline(entry, form, close) {
  closeOpenForm();
  entry.refs.slot.append(form);
  state.openForm = { el: form, close: () => { form.remove(); if (close) close(); } };
}

// ---------------------------------------------------------------------------------------
// Rendering the stream

function renderHeader() {
  const story = state.story;
  page.count.hidden = false;
  page.count.textContent = String(story.commentCounts.totalPublished);
  page.count.setAttribute("aria-label", plural(story.commentCounts.totalPublished, "comment", "comments"));
  page.title.textContent = story.metadata.title || "";
}

function renderAccount() {
  page.account.hidden = false;
  const signedIn = Boolean(state.viewer);
  page["viewer-bar"].hidden = !signedIn;
  page.auth.hidden = signedIn;
  const warning = signedIn && state.viewer.status ? state.viewer.status.warning : null;
  page.warning.hidden = !(warning && warning.active);
  if (warning && warning.active) page["warning-message"].textContent = warning.message || "";
  if (signedIn) {
    page["viewer-name"].textContent = state.viewer.username;
    page["auth-lead"].textContent = "Sign in to join the conversation.";
    selectAuthTab("sign-in"); // what a returning reader needs after signing out
  }
}

function renderComposer() {
  page["composer-slot"].replaceChildren();
  page.closed.hidden = !state.story.isClosed;
  if (state.story.isClosed || !state.viewer) return;
  const composer = createComposer({
    label: "Post a comment",
    submitLabel: "Post",
    placeholder: "Join the conversation",
    onSubmit: async (body) => {
      const { comment } = await mutate("createComment", { storyID: state.story.id, body });
      insertTopLevel(comment);
      return true;
    },
  });
  page["composer-slot"].append(composer);
}

function renderPage(connection, { append }) {
  if (!append) {
    state.comments.clear();
    state.newComments.clear();
    updateNewComments();
    page.comments.replaceChildren();
  }
  for (const data of connection.nodes) {
    if (!state.comments.has(data.id) && isShown(data)) page.comments.append(renderComment(data));
  }
  state.endCursor = connection.pageInfo.endCursor;
  state.hasNextPage = connection.pageInfo.hasNextPage;
  root.querySelector("[data-action=load-more]").hidden = !state.hasNextPage;
  page.empty.hidden = page.comments.children.length > 0;
  page.toolbar.hidden = page.comments.children.length === 0 && !state.hasNextPage;
}

async function loadStream({ after = null } = {}) {
  const variables = { orderBy: state.orderBy, after, first: PAGE_SIZE };
  if (state.story) variables.storyID = state.story.id;
  else if (config.storyID) variables.storyID = config.storyID;
  else variables.storyURL = config.storyURL || document.referrer.split("#")[0] || null;
  const data = await gql(STREAM_QUERY, variables);
  if (!data.stream) throw new Error("This story could not be found.");
  state.viewer = data.viewer;
  state.story = data.stream;
  const [latest] = data.stream.latest.edges;
  if (latest) noteSeen(latest.node, latest.cursor);
  return data.stream.comments;
}

async function reload({ focus } = {}) {
  root.setAttribute("aria-busy", "true");
  closeOpenForm();
  try {
    const connection = await loadStream();
    page.fatal.hidden = true;
    renderHeader();
    renderAccount();
    renderComposer();
    renderPage(connection, { append: false });
    startLive();
    if (focus) focus();
  } catch (error) {
    page.fatal.textContent = `Comments are unavailable: ${error.message}`;
    page.fatal.hidden = false;
  } finally {
    page.loading.hidden = true;
    root.setAttribute("aria-busy", "false");
  }
}

function insertTopLevel(data) {
  // Its live update may have come first: never show a comment twice.
  forgetNew(state.newComments, data.id, updateNewComments);
  if (!state.comments.has(data.id)) {
    const el = renderComment(data);
    const atEnd = state.orderBy === "CREATED_AT_ASC" && !state.hasNextPage;
    if (atEnd) page.comments.append(el);
    else page.comments.prepend(el);
    el.classList.add("talk-comment--new");
    page.empty.hidden = true;
    page.toolbar.hidden = false;
  }
  afterPost(data);
}

function afterPost(data) {
  if (HELD_STATUSES.has(data.status)) {
    announce("Your comment was submitted and is awaiting review.");
  } else {
    // The server's count includes this comment; a live update may have brought a newer one.
    const counts = state.story.commentCounts;
    counts.totalPublished = Math.max(counts.totalPublished, data.story.commentCounts.totalPublished);
    renderHeader();
    announce("Your comment was posted.");
  }
  startEditTimer();
}

// ---------------------------------------------------------------------------------------
// Actions

function requireViewer(message) {
  if (state.viewer) return true;
  page["auth-lead"].textContent = message;
  page.auth.hidden = false;
  page.auth.scrollIntoView({ block: "nearest" });
  page.auth.querySelector("form:not([hidden]) input").focus();
  announce(message);
  return false;
}

function startReply(entry) {
  if (!requireViewer("Sign in to reply.")) return;
  const name = entry.data.author ? entry.data.author.username : "this comment";
  const form = createComposer({
    label: `Reply to ${name}`,
    submitLabel: "Reply",
    onCancel: closeOpenForm,
    onSubmit: async (body) => {
      const { comment } = await mutate("createCommentReply", {
        storyID: state.story.id, parentID: entry.data.id, body,
      });
      closeOpenForm();
      // Its live update may have come first: never show a reply twice.
      forgetNew(entry.newReplies, comment.id, () => updateNewReplies(entry));
      if (!state.comments.has(comment.id)) {
        const child = renderComment(comment);
        if (comment.depth > MAX_INDENT_DEPTH) setInReply(state.comments.get(comment.id), entry.data.id);
        child.classList.add("talk-comment--new");
        entry.refs.replies.append(child);
        if (!HELD_STATUSES.has(comment.status)) {
          entry.data.replyCount += 1;
          entry.loadedReplies += 1;
        }
        updateMoreReplies(entry);
      }
      afterPost(comment);
      return true;
    },
  });
  openInline(entry, form);
  form.focusEditor();
}

function startEdit(entry) {
  const { refs } = entry;
  const form = createComposer({
    label: "Edit your comment",
    submitLabel: "Save",
    html: entry.data.body,
    onCancel: closeOpenForm,
    onSubmit: async (body) => {
      const { comment } = await mutate("editComment", { commentID: entry.data.id, body });
      entry.data = { ...entry.data, ...comment, replies: undefined };
      closeOpenForm();
      renderCommentState(entry);
      announce("Your comment was updated.");
      return true;
    },
  });
  const actions = entry.el.querySelector(".talk-comment-actions");
  refs.content.hidden = true;
  actions.hidden = true;
  openInline(entry, form, () => {
    refs.content.hidden = false;
    actions.hidden = false;
  });
  form.focusEditor();
}

async function toggleReaction(entry, button) {
  if (!requireViewer("Sign in to react to comments.")) return;
  const name = entry.data.viewerActionPresence.reaction ? "removeCommentReaction" : "createCommentReaction";
  button.disabled = true;
  try {
    const { comment } = await mutate(name, { commentID: entry.data.id });
    entry.data.actionCounts = comment.actionCounts;
    entry.data.viewerActionPresence = comment.viewerActionPresence;
    renderReaction(entry);
  } catch (error) {
    announce(error.message);
  } finally {
    button.disabled = false;
  }
}

function startReport(entry) {
  if (!requireViewer("Sign in to report comments.")) return;
  const form = cloneTemplate("talk-report-template");
  const refs = refsOf(form);
  const noteId = nextId("talk-report-note");
  refs.note.id = noteId;
  refs["note-label"].htmlFor = noteId;
  for (const radio of form.querySelectorAll("input[type=radio]")) radio.name = nextId("talk-reason");
  refs.cancel.addEventListener("click", closeOpenForm);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const checked = form.querySelector("input[type=radio]:checked");
    if (!checked) {
      showFormError(form, new Error("Choose a reason for your report."));
      form.querySelector("input[type=radio]").focus();
      return;
    }
    const ok = await withBusy(form, async () => {
      const input = { commentID: entry.data.id, reason: checked.value };
      if (refs.note.value.trim()) input.additionalDetails = refs.note.value.trim();
      const { comment } = await mutate("createCommentFlag", input);
      entry.data.viewerActionPresence = comment.viewerActionPresence;
      return true;
    });
    if (!ok) return;
    closeOpenForm();
    renderReported(entry);
    const thanks = document.createElement("p");
    thanks.className = "talk-notice talk-notice--success";
    thanks.setAttribute("role", "status");
    thanks.textContent = "Thank you for your report. Our moderators will take a look.";
    entry.refs.slot.append(thanks);
  });
  openInline(entry, form);
  form.querySelector("input[type=radio]").focus();
}

async function loadMoreReplies(entry, button) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    const data = await gql(REPLIES_QUERY, {
      id: entry.data.id, after: entry.fetchedReplies ? entry.repliesCursor : null, first: REPLY_PAGE_SIZE,
    });
    if (data.comment) {
      entry.data.replyCount = data.comment.replyCount;
      entry.fetchedReplies = true;
      appendReplies(entry, data.comment.replies);
    }
  } catch (error) {
    announce(error.message);
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    updateMoreReplies(entry);
  }
}

async function loadMore(button) {
  button.disabled = true;
  try {
    const connection = await loadStream({ after: state.endCursor });
    renderPage(connection, { append: true });
  } catch (error) {
    announce(error.message);
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  try {
    await mutate("signOut");
  } catch (error) {
    announce(error.message);
    return;
  }
  state.viewer = null;
  await reload();
  announce("You are signed out.");
}

root.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action]");
  if (!button || !root.contains(button)) return;
  const action = button.dataset.action;
  if (action === "load-more") return void loadMore(button);
  if (action === "show-new-comments") return void showNewComments();
  if (action === "sign-out") return void signOut();
  if (action === "auth-tab") return void selectAuthTab(button.dataset.tab);
  const item = button.closest(".talk-comment");
  const entry = item && state.comments.get(item.dataset.id);
  if (!entry) return;
  if (action === "reply") startReply(entry);
  else if (action === "react") toggleReaction(entry, button);
  else if (action === "report") startReport(entry);
  else if (action === "edit") startEdit(entry);
  else if (action === "more-replies") loadMoreReplies(entry, button);
  else if (action === "new-replies") showNewReplies(entry);
});

page.sort.addEventListener("change", async () => {
  state.orderBy = page.sort.value;
  await reload();
  announce(`Comments sorted by ${SORT_LABELS[state.orderBy].toLowerCase()}.`);
});

// ---------------------------------------------------------------------------------------
// Sign in / sign up

function selectAuthTab(name) {
  for (const tab of page.auth.querySelectorAll("[role=tab]")) {
    const selected = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    document.getElementById(tab.getAttribute("aria-controls")).hidden = !selected;
  }
}

page.auth.querySelector("[role=tablist]").addEventListener("keydown", (event) => {
  if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
  const tabs = [...page.auth.querySelectorAll("[role=tab]")];
  const current = tabs.findIndex((t) => t.getAttribute("aria-selected") === "true");
  const next = tabs[(current + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
  selectAuthTab(next.dataset.tab);
  next.focus();
});

// A moderator's warning stays on screen until the reader acknowledges it (Coral's
// acknowledgeWarning); the composer remains usable meanwhile.
page["warning-form"].addEventListener("submit", async (event) => {
  event.preventDefault();
  const done = await withBusy(page["warning-form"], async () => {
    await mutate("acknowledgeWarning");
    return true;
  });
  if (!done) return;
  state.viewer.status = { warning: { active: false, message: null } };
  page.warning.hidden = true;
  announce("Warning acknowledged.");
});

for (const form of page.auth.querySelectorAll("form[data-form]")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    const name = form.dataset.form === "sign-up" ? "signUp" : "signIn";
    const viewer = await withBusy(form, async () => (await mutate(name, fields)).viewer);
    if (!viewer) return;
    form.reset();
    state.viewer = viewer;
    await reload({ focus: () => page["composer-slot"].querySelector("[contenteditable]")?.focus() });
    announce(`Signed in as ${viewer.username}.`);
  });
}

// ---------------------------------------------------------------------------------------
// Live updates: GraphQL subscriptions over a plain WebSocket (graphql-transport-ws)
//
// New top-level comments wait behind "View N new comments" (newest first, as in Coral) or
// are appended at the end (oldest first, once every page is loaded). New replies wait
// behind "Show N new replies" under a thread whose replies are all shown; otherwise
// "Show more replies" brings them. Edits and reaction counts apply at once. The socket
// reconnects with backoff and resumes from the newest comment seen, so nothing posted
// while it was down is lost; comments already on the page are never added twice.

// No viewer-specific fields (viewerActionPresence): every reader shares one payload.
const LIVE_COMMENT_FIELDS = `
  id createdAt depth body status
  author { id username }
  replyCount
  actionCounts { reaction { total } }
  editing { edited editableUntil }
  tags { code }
  ancestorIds`;

const LIVE_SUBSCRIPTIONS = {
  entered: `subscription TalkCommentEntered($storyID: ID!, $after: String) {
    commentEntered(storyID: $storyID, after: $after) {
      cursor
      comment { ${LIVE_COMMENT_FIELDS} story { commentCounts { totalPublished } } }
    }
  }`,
  edited: `subscription TalkCommentEdited($storyID: ID!) {
    commentEdited(storyID: $storyID) { comment { id body editing { edited editableUntil } } }
  }`,
  reactions: `subscription TalkCommentReactionUpdated($storyID: ID!) {
    commentReactionUpdated(storyID: $storyID) { comment { id actionCounts { reaction { total } } } }
  }`,
};

let live = null;

function startLive() {
  if (live || !config.liveURL || !("WebSocket" in window)) return;
  live = new LiveSocket(socketURL(config.liveURL), {
    onState: (value) => {
      root.dataset.live = value;
    },
  });
  const storyID = () => state.story.id;
  live.subscribe("entered", LIVE_SUBSCRIPTIONS.entered, {
    variables: () => ({ storyID: storyID(), after: state.live.cursor }),
    next: (data) => commentEntered(data.commentEntered),
    error: (errors) => {
      // Too much was missed to catch up comment by comment: reload, then follow again.
      if (errors.some((e) => e.extensions && e.extensions.code === "RESUME_TOO_FAR")) {
        state.live = { cursor: null, createdAt: null };
        reload().then(() => live.restart("entered"));
      } else {
        console.warn("Talk live updates:", errors);
      }
    },
  });
  live.subscribe("edited", LIVE_SUBSCRIPTIONS.edited, {
    variables: () => ({ storyID: storyID() }),
    next: (data) => commentEdited(data.commentEdited.comment),
    error: (errors) => console.warn("Talk live updates:", errors),
  });
  live.subscribe("reactions", LIVE_SUBSCRIPTIONS.reactions, {
    variables: () => ({ storyID: storyID() }),
    next: (data) => reactionUpdated(data.commentReactionUpdated.comment),
    error: (errors) => console.warn("Talk live updates:", errors),
  });
  live.open();
}

// Remember the newest comment seen (by creation time): a resume starts after it.
function noteSeen(comment, cursor) {
  if (state.live.createdAt && Date.parse(comment.createdAt) < Date.parse(state.live.createdAt)) return;
  state.live = { cursor, createdAt: comment.createdAt };
}

function forgetNew(pending, id, update) {
  if (pending.delete(id)) update();
}

function commentEntered({ cursor, comment }) {
  noteSeen(comment, cursor);
  state.story.commentCounts = comment.story.commentCounts;
  renderHeader();
  const known = state.comments.get(comment.id);
  if (known) {
    // e.g. the viewer's own comment, shown as awaiting review, was just approved
    known.data = { ...known.data, status: comment.status };
    renderCommentState(known);
    return;
  }
  if (!isShown(comment)) return;
  const data = { ...comment, viewerActionPresence: { reaction: false, flag: false } };
  const parentId = comment.ancestorIds[comment.ancestorIds.length - 1];
  if (!parentId) return void topLevelEntered(data);
  const parent = state.comments.get(parentId);
  // Under a thread with replies still to load, "Show more replies" will bring it.
  if (!parent || !parent.fetchedReplies || parent.repliesHasNext) return;
  replyEntered(parent, data);
}

function topLevelEntered(data) {
  if (state.orderBy === "CREATED_AT_ASC") {
    if (state.hasNextPage) return; // "Load more comments" will bring it, in its place
    showTopLevel(data, { atEnd: true });
    announce("A new comment was added at the end.");
  } else if (isOwn(data)) {
    showTopLevel(data, { atEnd: false }); // the viewer's own, from this page or another
  } else {
    state.newComments.set(data.id, data);
    updateNewComments();
  }
}

function showTopLevel(data, { atEnd }) {
  const el = renderComment(data);
  el.classList.add("talk-comment--new");
  if (atEnd) page.comments.append(el);
  else page.comments.prepend(el);
  page.empty.hidden = true;
  page.toolbar.hidden = false;
  startEditTimer();
}

function updateNewComments() {
  const button = root.querySelector("[data-action=show-new-comments]");
  const count = state.newComments.size;
  button.hidden = count === 0;
  button.textContent = `View ${plural(count, "new comment", "new comments")}`;
}

function showNewComments() {
  const count = state.newComments.size;
  for (const data of state.newComments.values()) {
    // The newest arrived last and ends up on top.
    if (!state.comments.has(data.id)) showTopLevel(data, { atEnd: false });
  }
  state.newComments.clear();
  updateNewComments();
  announce(`${plural(count, "new comment", "new comments")} shown.`);
}

function replyEntered(parent, data) {
  if (isOwn(data)) return void showReply(parent, data);
  parent.newReplies.set(data.id, data);
  updateNewReplies(parent);
}

function showReply(entry, data) {
  const child = renderComment(data);
  if (data.depth > MAX_INDENT_DEPTH) setInReply(state.comments.get(data.id), entry.data.id);
  child.classList.add("talk-comment--new");
  entry.refs.replies.append(child);
  entry.data.replyCount += 1;
  entry.loadedReplies += 1;
  updateMoreReplies(entry);
  startEditTimer();
}

function updateNewReplies(entry) {
  const button = entry.el.querySelector(":scope > [data-action=new-replies]");
  const count = entry.newReplies.size;
  button.hidden = count === 0;
  button.textContent = `Show ${count} new ${count === 1 ? "reply" : "replies"}`;
}

function showNewReplies(entry) {
  const count = entry.newReplies.size;
  for (const data of entry.newReplies.values()) {
    if (!state.comments.has(data.id)) showReply(entry, data);
  }
  entry.newReplies.clear();
  updateNewReplies(entry);
  announce(`${count === 1 ? "1 new reply" : `${count} new replies`} shown.`);
}

function commentEdited(comment) {
  const entry = state.comments.get(comment.id);
  if (!entry) return;
  entry.data = { ...entry.data, body: comment.body, editing: comment.editing };
  const editing = state.openForm && entry.refs.slot.contains(state.openForm.el);
  if (!editing) renderCommentState(entry);
}

function reactionUpdated(comment) {
  const entry = state.comments.get(comment.id);
  if (!entry) return;
  entry.data.actionCounts = comment.actionCounts;
  renderReaction(entry);
}

// ---------------------------------------------------------------------------------------
// Timers and the host page

let editTimer = null;
function startEditTimer() {
  if (editTimer) return;
  editTimer = window.setInterval(() => {
    let any = false;
    for (const entry of state.comments.values()) {
      if (isOwn(entry.data)) any = updateEditButton(entry) || any;
    }
    if (!any) {
      window.clearInterval(editTimer);
      editTimer = null;
    }
  }, 1000);
}

window.setInterval(() => {
  for (const el of root.querySelectorAll("time[datetime]")) el.textContent = relativeTime(el.dateTime);
}, 60000);

function postHeight() {
  if (window.parent === window) return;
  const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
  window.parent.postMessage({ type: "talk:resize", height }, "*"); // height only: no secret
}
new ResizeObserver(postHeight).observe(document.documentElement);

reload().then(startEditTimer);
