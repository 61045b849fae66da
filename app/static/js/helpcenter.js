// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body || {})
    }).catch(function () { /* counting a view must never disturb reading */ });
  }

  // Results as you type: an ARIA combobox over /api/search.
  function setupTypeahead(row) {
    var input = row.querySelector("input[type=search]");
    var list = row.querySelector("[role=listbox]");
    var status = row.parentNode.querySelector("[data-typeahead-status]");
    var timer = null, active = -1, lastQuery = "", controller = null;

    function close() {
      list.hidden = true; list.innerHTML = ""; active = -1;
      input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && options[index]) { input.setAttribute("aria-activedescendant", options[index].id); }
      else { input.removeAttribute("aria-activedescendant"); }
    }
    function option(index, href, title, summary, promoted) {
      // An option is not a link inside an option (axe: nested-interactive); choosing it opens href.
      var li = document.createElement("li");
      li.setAttribute("role", "option"); li.id = list.id + "-" + index; li.setAttribute("aria-selected", "false");
      li.dataset.href = href;
      if (promoted) {
        var mark = document.createElement("span");
        mark.className = "sugg-promoted"; mark.textContent = document.documentElement.lang === "en" ? "Recommended" : "Empfohlen";
        li.appendChild(mark);
      }
      var name = document.createElement("span");
      name.className = "sugg-title"; name.textContent = title;
      li.appendChild(name);
      if (summary) {
        var small = document.createElement("span");
        small.className = "sugg-summary"; small.textContent = summary;
        li.appendChild(small);
      }
      li.addEventListener("mousedown", function (e) { e.preventDefault(); });
      li.addEventListener("click", function () { choose(li); });
      list.appendChild(li);
      return li;
    }
    function choose(li) {
      // An article remembers the query and its place among the articles; a shortcut just opens its flow.
      if (li.dataset.position) { rememberQuery(input.value.trim(), parseInt(li.dataset.position, 10)); }
      window.location.href = li.dataset.href;
    }
    function render(query, results, actions) {
      list.innerHTML = "";
      // Shortcuts into a flow ("Bestellung 100411 verfolgen") come first, then the articles.
      actions.forEach(function (action, i) {
        var li = option(i, action.url, action.label, "");
        li.className = "sugg-action"; li.dataset.action = action.kind;
      });
      results.forEach(function (r, i) {
        var li = option(actions.length + i, r.url, r.title, r.summary, r.promoted);
        li.dataset.position = String(i + 1);
      });
      var count = actions.length + results.length;
      var open = count > 0;
      list.hidden = !open; input.setAttribute("aria-expanded", open ? "true" : "false");
      if (status) { status.textContent = open ? count + " " + (document.documentElement.lang === "en" ? "suggestions" : "Vorschläge") : ""; }
      active = -1;
    }
    function rememberQuery(query, position) {
      // The article page reports the view; this tells it the search that led there and where the article stood.
      try {
        sessionStorage.setItem("helpcenter.lastQuery", query);
        sessionStorage.setItem("helpcenter.lastPosition", String(position || ""));
      } catch (e) {}
    }
    function fetchSuggestions() {
      var query = input.value.trim();
      if (query.length < 2) { close(); lastQuery = ""; return; }
      if (query === lastQuery) { return; }
      lastQuery = query;
      if (controller) { controller.abort(); }
      controller = new AbortController();
      var url = "/api/search?limit=5&log=0&lang=" + encodeURIComponent(input.dataset.lang || document.documentElement.lang || "de") + "&q=" + encodeURIComponent(query);
      fetch(url, { signal: controller.signal, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [], actions: [] }; })
        .then(function (body) { if (input.value.trim() === query) { render(query, body.results || [], body.actions || []); } })
        .catch(function () {});
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(fetchSuggestions, 180); });
    input.addEventListener("keydown", function (e) {
      var options = list.querySelectorAll("[role=option]");
      if (e.key === "ArrowDown" && options.length) { e.preventDefault(); highlight((active + 1) % options.length); }
      else if (e.key === "ArrowUp" && options.length) { e.preventDefault(); highlight(active <= 0 ? options.length - 1 : active - 1); }
      else if (e.key === "Enter" && active >= 0 && options[active]) { e.preventDefault(); choose(options[active]); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function reportArticleView(article) {
    var body = {};
    if (article.dataset.searchId) {
      body.search_id = parseInt(article.dataset.searchId, 10);
      if (article.dataset.searchPosition) { body.position = parseInt(article.dataset.searchPosition, 10); }
    }
    else {
      try {
        var query = sessionStorage.getItem("helpcenter.lastQuery");
        var position = parseInt(sessionStorage.getItem("helpcenter.lastPosition") || "", 10);
        sessionStorage.removeItem("helpcenter.lastQuery");
        sessionStorage.removeItem("helpcenter.lastPosition");
        if (query) { body.query = query; if (position > 0) { body.position = position; } }
      } catch (e) {}
    }
    postJSON("/api/articles/" + encodeURIComponent(article.dataset.article) + "/view", body);
  }

  // Contact form: show only the fields the chosen topic and channel need; suggest articles while typing.
  function setupContactForm(form) {
    var topics = {};
    try { topics = JSON.parse(document.getElementById("contact-topics").textContent); } catch (e) {}
    var topic = form.querySelector("select[name=topic]");
    var order = form.querySelector("[name=order_number]");
    function toggle(selector, show) {
      form.querySelectorAll(selector).forEach(function (el) { el.hidden = !show; });
    }
    function update() {
      var needs = topics[topic.value] || {};
      toggle("[data-needs=order]", !!needs.order || !topic.value);
      toggle("[data-needs=items]", !!needs.items);
      toggle("[data-needs=outcome]", !!needs.outcome);
      var chosenOrder = order ? order.value : "";
      form.querySelectorAll("[data-order]").forEach(function (el) { el.hidden = el.dataset.order !== chosenOrder; });
      var channel = form.querySelector("input[name=channel]:checked");
      toggle("[data-channel=phone]", channel && channel.value === "phone");
    }
    form.addEventListener("change", update);
    update();

    var message = form.querySelector("[data-suggest]");
    var box = form.querySelector("[data-suggest-box]");
    var list = form.querySelector("[data-suggest-list]");
    var timer = null, last = "";
    function suggest() {
      var text = message.value.trim();
      if (text.length < 12 || text === last) { return; }
      last = text;
      var words = text.split(/\s+/).slice(-25).join(" ");
      fetch("/api/search?limit=3&log=0&q=" + encodeURIComponent(words.slice(0, 200)), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (body) {
          list.innerHTML = "";
          (body.results || []).forEach(function (r) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = r.url; a.target = "_blank"; a.rel = "noopener"; a.textContent = r.title;
            a.addEventListener("click", function () { postJSON("/kontakt/vorschlag-geoeffnet", { slug: r.slug }); });
            var p = document.createElement("span"); p.className = "sugg-summary"; p.textContent = " – " + r.summary;
            li.appendChild(a); li.appendChild(p); list.appendChild(li);
          });
          box.hidden = list.children.length === 0;
        }).catch(function () {});
    }
    if (message) { message.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(suggest, 400); }); }
  }

  // Withdrawal form: only the chosen order's articles, and none of another order stays ticked.
  function setupWithdrawalForm(form) {
    var order = form.querySelector("select[name=order_number]");
    if (!order) { return; }
    form.querySelectorAll("[data-without-script]").forEach(function (el) { el.hidden = true; });
    order.addEventListener("change", function () {
      form.querySelectorAll("[data-order]").forEach(function (el) {
        el.hidden = el.dataset.order !== order.value;
        if (el.hidden) { el.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = false; }); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-withdrawal-form]").forEach(setupWithdrawalForm);
    document.querySelectorAll("[data-contact-form]").forEach(setupContactForm);
    document.querySelectorAll("[data-typeahead]").forEach(setupTypeahead);
    var article = document.querySelector("[data-article]");
    if (article) { reportArticleView(article); }
  });
})();

// Agent console and live chat: presence heartbeat and short polling (the forms work without this).
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function send(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body || {})
    });
  }

  // Every agent page reports "online" every 30 s while open; without reports the agent counts as away.
  function setupPresence(marker) {
    var form = document.querySelector("[data-presence-form]");
    var state = marker.dataset.agentPresence;
    function beat() { if (state === "online") { send("/api/agent/presence", { status: "online" }).catch(function () {}); } }
    if (form) {
      form.addEventListener("change", function (e) { if (e.target.name === "status") { state = e.target.value; } });
    }
    setInterval(beat, 30000);
  }

  function setupChat(box) {
    var url = box.dataset.chatUrl;
    var log = box.querySelector("[data-chat-log]");
    var status = box.querySelector("[data-chat-status]");
    var form = box.querySelector("[data-chat-form]");
    var lastId = 0, timer = null;
    log.querySelectorAll("[data-message-id]").forEach(function (li) {
      lastId = Math.max(lastId, parseInt(li.dataset.messageId, 10));
    });
    function label(message) {
      return message.mine ? (box.dataset.labelMine || "") : (box.dataset.labelOther || "");
    }
    function add(message) {
      if (message.id <= lastId) { return; }
      lastId = message.id;
      var li = document.createElement("li");
      li.className = "chat-line chat-" + message.sender;
      li.dataset.messageId = String(message.id);
      var who = document.createElement("span");
      who.className = "chat-who"; who.textContent = label(message) + ":";
      li.appendChild(who); li.appendChild(document.createTextNode(" " + message.body));
      log.appendChild(li);
    }
    function show(state) {
      (state.messages || []).forEach(add);
      if (status) {
        if (state.closed) { status.textContent = box.dataset.textClosed || ""; }
        else if (state.position) { status.textContent = (box.dataset.textPosition || "").replace("{n}", state.position); }
        else if (state.agent) { status.textContent = (box.dataset.textAgent || "").replace("{agent}", state.agent); }
      }
      if (state.closed && form) { form.hidden = true; clearInterval(timer); }
    }
    function poll() {
      fetch(url + "?after=" + lastId, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) { if (state) { show(state); } })
        .catch(function () {});
    }
    if (form) {
      form.addEventListener("submit", function (e) {
        var field = form.querySelector("textarea[name=body]");
        var text = field.value.trim();
        e.preventDefault();
        if (!text) { return; }
        send(url, { body: text }).then(function (r) {
          if (r.ok) { field.value = ""; poll(); }
        }).catch(function () {});
      });
    }
    timer = setInterval(poll, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var presence = document.querySelector("[data-agent-presence]");
    if (presence) { setupPresence(presence); }
    document.querySelectorAll("[data-chat]").forEach(setupChat);
  });
})();

// Returns form: details only for chosen items, photos for a defect or wrong item, exchange sizes only for an exchange.
(function () {
  "use strict";

  function setupReturnForm(form) {
    var resolution = function () {
      var checked = form.querySelector("[data-resolution]:checked");
      return checked ? checked.value : "refund";
    };
    function update() {
      form.querySelectorAll("[data-return-item]").forEach(function (item) {
        var chosen = item.querySelector("[data-select-item]").checked;
        var details = item.querySelector("[data-item-details]");
        details.hidden = !chosen;
        var reason = item.querySelector("[data-reason]").value;
        var photos = item.querySelector("[data-photos]");
        if (photos) { photos.hidden = !(reason === "defekt" || reason === "falscher-artikel"); }
        var exchange = item.querySelector("[data-exchange]");
        if (exchange) { exchange.hidden = resolution() !== "exchange"; }
      });
    }
    form.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-return-form]").forEach(setupReturnForm);
  });
})();

// A carrier label being fetched: ask the return's JSON every 5 s and show the page again once the label is there
// (without script, the page's "Seite neu laden" link does the same). Gives up after 15 minutes: the mail follows.
(function () {
  "use strict";

  function watchLabel(box) {
    var url = box.getAttribute("data-label-poll");
    var tries = 0;
    function check() {
      tries += 1;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (body && body.label_status && body.label_status !== "pending") { window.location.reload(); }
          else if (tries < 180) { window.setTimeout(check, 5000); }
        })
        .catch(function () { if (tries < 180) { window.setTimeout(check, 5000); } });
    }
    window.setTimeout(check, 3000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-label-poll]").forEach(watchLabel);
  });
})();
