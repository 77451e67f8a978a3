/*
 * Talk embed loader. On the article page:
 *
 *   <div id="talk-embed" data-story-url="https://news.example.com/2024/story"></div>
 *   <script src="https://TALK_HOST/static/talk/embed.js" async></script>
 *
 * Every container (#talk-embed, or any element with data-talk-embed) gets an iframe of
 * TALK_HOST/embed/stream for its story: data-story-id, else data-story-url, else the
 * page's canonical link, else its address without the hash. TALK_HOST is this script's
 * own origin. The iframe reports its height with postMessage; messages from any other
 * origin or window are ignored.
 */
(function () {
  "use strict";

  var SCRIPT_PATH = /\/static\/talk\/embed\.js(?:[?#].*)?$/;

  function findScript() {
    if (document.currentScript) return document.currentScript;
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (SCRIPT_PATH.test(scripts[i].src)) return scripts[i];
    }
    return null;
  }

  var script = findScript();
  if (!script || !script.src) return;
  var talkBase = script.src.replace(SCRIPT_PATH, "");
  var talkOrigin = new URL(talkBase + "/").origin;
  var frames = [];

  function defaultStoryURL() {
    var canonical = document.querySelector('link[rel="canonical"][href]');
    if (canonical) return canonical.href; // .href is absolute even when the attribute is not
    return window.location.href.split("#")[0];
  }

  function mount(container) {
    if (container.getAttribute("data-talk-mounted")) return;
    container.setAttribute("data-talk-mounted", "true");
    var params = new URLSearchParams();
    var storyID = container.getAttribute("data-story-id");
    if (storyID) params.set("storyID", storyID);
    else params.set("storyURL", container.getAttribute("data-story-url") || defaultStoryURL());

    var iframe = document.createElement("iframe");
    iframe.src = talkBase + "/embed/stream?" + params.toString();
    iframe.title = container.getAttribute("data-title") || "Comments";
    iframe.name = "talk-embed-" + frames.length;
    iframe.setAttribute("scrolling", "no");
    iframe.setAttribute("allowtransparency", "true");
    iframe.style.cssText = "display:block;width:100%;min-width:100%;height:320px;border:0;overflow:hidden;background:transparent";
    container.appendChild(iframe);
    frames.push(iframe);
  }

  function mountAll() {
    var containers = document.querySelectorAll("#talk-embed, [data-talk-embed]");
    for (var i = 0; i < containers.length; i++) mount(containers[i]);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== talkOrigin) return;
    var data = event.data;
    if (!data || data.type !== "talk:resize" || typeof data.height !== "number") return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.max(0, Math.ceil(data.height)) + "px";
        return;
      }
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  } else {
    mountAll();
  }
})();
