// Talk's graphql-transport-ws client (the protocol of the graphql-ws library), shared by
// the embed's stream and the moderation console. One connection per page: it sends
// connection_init, re-subscribes after every reconnect (evaluating each subscription's
// variables again, so a resume carries the latest cursor), answers pings, pings the
// server to notice a dead connection, and reconnects with jittered exponential backoff
// unless the server refused the socket. ``onState`` hears "connecting", "open", "closed".

const LIVE_PROTOCOL = "graphql-transport-ws";
const LIVE_NO_RETRY = new Set([4400, 4403, 4406, 4409]); // refused, or a bug: retrying won't help
const LIVE_PING_MS = 25000;
const LIVE_MAX_BACKOFF_MS = 30000;

// One graphql-transport-ws connection; subscriptions are re-sent after each reconnect,
// with their variables evaluated again (so a resume carries the latest cursor).
export class LiveSocket {
  constructor(url, { onState = () => {} } = {}) {
    this.url = url;
    this.onState = onState;
    this.subscriptions = new Map(); // id -> {query, variables(), next(payload), error(errors)}
    this.socket = null;
    this.ready = false;
    this.attempt = 0;
    this.pingTimer = null;
  }

  subscribe(id, query, handlers) {
    this.subscriptions.set(id, { query, ...handlers });
    if (this.ready) this.sendSubscribe(id);
  }

  restart(id) {
    this.send({ id, type: "complete" });
    if (this.ready) this.sendSubscribe(id);
  }

  open() {
    const socket = new WebSocket(this.url, LIVE_PROTOCOL);
    this.socket = socket;
    this.ready = false;
    this.onState("connecting");
    socket.addEventListener("open", () => this.send({ type: "connection_init" }));
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => this.closed(socket, event.code));
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  sendSubscribe(id) {
    const { query, variables } = this.subscriptions.get(id);
    this.send({ id, type: "subscribe", payload: { query, variables: variables() } });
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const subscription = this.subscriptions.get(message.id);
    if (message.type === "connection_ack") {
      this.ready = true;
      this.attempt = 0;
      this.onState("open");
      for (const id of this.subscriptions.keys()) this.sendSubscribe(id);
      this.keepAlive();
    } else if (message.type === "ping") {
      this.send({ type: "pong" });
    } else if (message.type === "pong") {
      this.awaitingPong = false;
    } else if (message.type === "next" && subscription) {
      if (message.payload.errors) console.warn("Talk live update:", message.payload.errors);
      if (message.payload.data) subscription.next(message.payload.data);
    } else if (message.type === "error" && subscription) {
      subscription.error(message.payload);
    }
  }

  // A connection that answers no ping is dead even if the browser has not noticed.
  keepAlive() {
    window.clearInterval(this.pingTimer);
    this.awaitingPong = false;
    this.pingTimer = window.setInterval(() => {
      if (this.awaitingPong) return void this.socket.close();
      this.awaitingPong = true;
      this.send({ type: "ping" });
    }, LIVE_PING_MS);
  }

  closed(socket, code) {
    if (socket !== this.socket) return;
    this.ready = false;
    window.clearInterval(this.pingTimer);
    this.onState("closed");
    if (LIVE_NO_RETRY.has(code)) return;
    const backoff = Math.min(LIVE_MAX_BACKOFF_MS, 1000 * 2 ** this.attempt);
    this.attempt += 1;
    window.setTimeout(() => this.open(), backoff * (0.5 + Math.random() / 2));
  }
}

/** Return the ws:// or wss:// URL of ``path`` on this page's host. */
export function socketURL(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}
