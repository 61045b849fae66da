// The article editor (/redaktion/artikel/…): live preview, toolbar, pictures by drag and drop.
// Progressive enhancement only: without this file the "Vorschau" button and the plain file input do the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-editor]");
  if (!form) { return; }
  var body = form.querySelector("textarea[name=body]");
  var preview = document.querySelector("[data-preview]");
  var status = form.querySelector("[data-upload-status]");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var timer = null, controller = null;
  // Texts come from the page (translated there): data-msg-* on the status line, data-placeholder on the buttons.
  function message(name) { return status.getAttribute("data-msg-" + name) || ""; }
  function placeholder(name) {
    var button = form.querySelector('[data-md="' + name + '"]');
    return (button && button.getAttribute("data-placeholder")) || "";
  }

  function refreshPreview() {
    if (controller) { controller.abort(); }
    controller = new AbortController();
    var data = new FormData();
    data.append("csrf_token", csrf);
    data.append("title", form.querySelector("[name=title]").value);
    data.append("body", body.value);
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST", credentials: "same-origin", body: data, signal: controller.signal,
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer) { preview.innerHTML = answer.html; } })  // sanitized by the server
      .catch(function () { /* the "Vorschau" button still works */ });
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(refreshPreview, 400); }
  body.addEventListener("input", schedule);
  form.querySelector("[name=title]").addEventListener("input", schedule);
  if (!preview.querySelector(".article-body")) { refreshPreview(); }

  // Toolbar: wrap the selection or insert a pattern at the cursor.
  function surround(before, after, placeholder) {
    var start = body.selectionStart, end = body.selectionEnd;
    var chosen = body.value.slice(start, end) || placeholder;
    body.setRangeText(before + chosen + after, start, end, "end");
    body.focus();
    body.setSelectionRange(start + before.length, start + before.length + chosen.length);
    schedule();
  }
  function atLineStart(prefix, placeholder) {
    var start = body.selectionStart;
    var lineStart = body.value.lastIndexOf("\n", start - 1) + 1;
    var needsBreak = lineStart !== start;
    var insert = (needsBreak ? "\n\n" : "") + prefix + (body.value.slice(start, body.selectionEnd) || placeholder);
    body.setRangeText(insert, start, body.selectionEnd, "end");
    body.focus();
    schedule();
  }
  var actions = {
    bold: function () { surround("**", "**", placeholder("bold")); },
    link: function () { surround("[", "](/hilfe/kategorie/artikel)", placeholder("link")); },
    heading: function () { atLineStart("## ", placeholder("heading")); },
    list: function () { atLineStart("- ", placeholder("list")); },
    box: function () {
      var button = form.querySelector('[data-md="box"]');
      atLineStart('!!! note "' + button.getAttribute("data-title") + '"\n    ', placeholder("box"));
    }
  };
  var toolbar = form.querySelector("[data-toolbar]");
  if (toolbar) {
    toolbar.hidden = false;
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("[data-md]");
      if (button && actions[button.getAttribute("data-md")]) { actions[button.getAttribute("data-md")](); }
    });
  }

  // Pictures: dropped on the text, pasted, or chosen with the file input — uploaded at once, linked at the cursor.
  function upload(file) {
    var data = new FormData();
    data.append("csrf_token", csrf);
    data.append("bild", file, file.name || "bild.png");
    status.textContent = message("uploading");
    return fetch(form.getAttribute("data-upload-url"), {
      method: "POST", credentials: "same-origin", body: data,
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (r) { return r.json().then(function (answer) { return { ok: r.ok, answer: answer }; }); })
      .then(function (result) {
        if (!result.ok) {
          var error = result.answer && result.answer.error;
          status.textContent = (error && error.fields && error.fields.bild) || (error && error.message) || message("failed");
          return;
        }
        var start = body.selectionStart;
        body.setRangeText("\n" + result.answer.markdown + "\n", start, body.selectionEnd, "end");
        status.textContent = message("inserted");
        schedule();
      })
      .catch(function () { status.textContent = message("failed"); });
  }
  body.addEventListener("dragover", function (event) { event.preventDefault(); body.classList.add("drop-active"); });
  body.addEventListener("dragleave", function () { body.classList.remove("drop-active"); });
  body.addEventListener("drop", function (event) {
    body.classList.remove("drop-active");
    var files = event.dataTransfer && event.dataTransfer.files;
    if (files && files.length) {
      event.preventDefault();
      Array.prototype.forEach.call(files, upload);
    }
  });
  body.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) { event.preventDefault(); Array.prototype.forEach.call(files, upload); }
  });
  var input = form.querySelector("input[type=file][name=bild]");
  if (input) {
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, upload);
      input.value = "";
    });
  }
}());
