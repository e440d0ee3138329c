// Lex Ledger: in-place updates and live events, in plain JavaScript.
// Every page works without this script: its controls are GET forms. With
// it, changing a control fetches the page's parts (partial=1), puts them in
// place and rewrites the URL (history.replaceState), so that the address
// stays shareable; and the page listens to the server's events
// (/ui/events) to refresh its parts when an event is recorded.
(function () {
  'use strict';
  var body = document.body;
  var form = document.querySelector('form[data-live-form]');
  var notice = document.getElementById('notice');
  var seq = Number(body.getAttribute('data-seq')) || 0;
  var latest = 0; // the number of the newest request: older answers are dropped
  var timer = 0;
  var fresh = []; // ids of rows to highlight once they arrive

  function say(text, isError) {
    if (!notice) return;
    notice.textContent = text;
    notice.classList.toggle('error', !!isError);
  }

  function query() {
    var p = new URLSearchParams();
    new FormData(form).forEach(function (v, k) {
      if (v !== '') p.append(k, v);
    });
    return p.toString();
  }

  // A date control may hold a half-typed year: wait for a whole day.
  function complete() {
    var ok = true;
    form.querySelectorAll('input[type=date]').forEach(function (el) {
      if (el.value ? !/^[12]\d{3}-\d\d-\d\d$/.test(el.value) : el.required) ok = false;
    });
    return ok;
  }

  function refresh(message) {
    var q = query();
    var url = form.getAttribute('action') + (q ? '?' + q : '');
    var mine = ++latest;
    var highlight = fresh;
    fresh = [];
    body.setAttribute('aria-busy', 'true');
    return fetch(url + (q ? '&' : '?') + 'partial=1', { headers: { Accept: 'text/html' }, cache: 'no-store' })
      .then(function (r) {
        return r.text().then(function (html) {
          return { ok: r.ok, html: html, seq: Number(r.headers.get('Lex-Projection-Seq')) || 0 };
        });
      })
      .then(function (res) {
        if (mine !== latest) return;
        var t = document.createElement('template');
        t.innerHTML = res.html;
        if (!res.ok) {
          say(t.content.textContent.trim(), true);
          return;
        }
        t.content.querySelectorAll('[data-part][id]').forEach(function (el) {
          var old = document.getElementById(el.id);
          if (old) old.replaceWith(el);
        });
        var title = t.content.querySelector('[data-title]');
        if (title) document.title = title.getAttribute('data-title');
        showCursor();
        var missing = 0;
        highlight.forEach(function (id) {
          var row = document.getElementById(id);
          if (row) row.classList.add('fresh');
          else missing++;
        });
        seq = Math.max(seq, res.seq);
        body.setAttribute('data-seq', String(seq));
        var s = document.getElementById('seq');
        if (s) s.textContent = String(seq);
        if (location.pathname + location.search !== url) history.replaceState(null, '', url);
        if (missing && form.elements.known_at && form.elements.known_at.value) {
          message += ' It is not shown: “as known at” is earlier.';
        }
        say(message || '', false);
      })
      .catch(function () {
        if (mine === latest) say('The page could not be updated: check the connection, or press “Show”.', true);
      })
      .finally(function () {
        if (mine === latest) body.removeAttribute('aria-busy');
      });
  }

  // On a narrow screen the chart scrolls: bring the day asked into view.
  function showCursor() {
    document.querySelectorAll('.chart').forEach(function (box) {
      var svg = box.querySelector('svg[data-cursor]');
      if (!svg || box.scrollWidth <= box.clientWidth) return;
      var vb = svg.viewBox.baseVal;
      var x = Number(svg.getAttribute('data-cursor')) * svg.getBoundingClientRect().width / (vb && vb.width || 1);
      box.scrollLeft = Math.max(0, x - box.clientWidth / 2);
    });
  }
  showCursor();
  window.addEventListener('resize', showCursor);

  function soon(message) {
    clearTimeout(timer);
    timer = setTimeout(function () { refresh(message); }, 120);
  }

  if (!form) return;
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (complete()) refresh('Updated.');
    else say('Give a whole day, such as 2009-07-01.', true);
  });
  form.addEventListener('change', function () {
    if (complete()) soon('Updated.');
  });

  var live = body.getAttribute('data-live');
  if (!live || !window.EventSource) return;
  var es = new EventSource(live);
  es.addEventListener('hello', function (e) {
    var d = JSON.parse(e.data);
    if (d.sequence > seq) soon('Updated: events were recorded since this page was shown.');
  });
  es.addEventListener('recorded', function (e) {
    var d = JSON.parse(e.data);
    if (d.sequence <= seq) return;
    fresh.push('ev-' + d.id);
    soon('New event recorded: ' + d.type.replace(/_/g, ' ') + ' on ' + d.act + ' (sequence ' + d.sequence + ').');
  });
  body.setAttribute('data-listening', 'true');
})();
