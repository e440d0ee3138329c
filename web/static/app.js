// Lex Ledger: in-place updates and live events, in plain JavaScript.
// Every page works without this script: its controls are GET forms. With
// it, changing a control fetches the page's parts (partial=1), puts them in
// place and rewrites the URL (history.replaceState), so that the address
// stays shareable; and the page listens to the server's events
// (/ui/events) to refresh its parts when an event is recorded. Live
// refreshes are throttled, not debounced: the first event of a quiet spell
// refreshes at once, later ones at most every THROTTLE ms, and the last
// one of a burst always gets its refresh; so a steady stream of events
// refreshes the page about four times a second, never not at all. A live
// refresh asks for the page as it is (its URL, with its cursor), and the
// server sends only the events that can change it.
(function () {
  'use strict';
  var body = document.body;
  var form = document.querySelector('form[data-live-form]');
  var notice = document.getElementById('notice');
  var seq = Number(body.getAttribute('data-seq')) || 0;
  var latest = 0; // the number of the newest request: older answers are dropped
  var timer = 0;
  var THROTTLE = 250; // ms: the least time between two live refreshes
  // The parts shown, as fetched: their URL and ETag. A refresh of the same
  // URL sends If-None-Match, and a 304 leaves the page as it is.
  var shownURL = '';
  var shownTag = '';
  var unchanged = 0; // refreshes answered 304, in data-unchanged
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

  // The URL of the form's values: the first page of what they ask.
  function asked() {
    var q = query();
    return form.getAttribute('action') + (q ? '?' + q : '');
  }

  // refresh fetches url's parts (the form's values when url is empty) and
  // puts them in place; live says an event asked for it. It returns a
  // promise that always resolves.
  function refresh(message, url, live) {
    url = url || asked();
    var q = url.indexOf('?') >= 0;
    var mine = ++latest;
    var highlight = fresh;
    fresh = [];
    body.setAttribute('aria-busy', 'true');
    var headers = { Accept: 'text/html' };
    if (url === shownURL && shownTag) headers['If-None-Match'] = shownTag;
    return fetch(url + (q ? '&' : '?') + 'partial=1', { headers: headers, cache: 'no-store' })
      .then(function (r) {
        return r.text().then(function (html) {
          return { ok: r.ok || r.status === 304, same: r.status === 304, html: html, tag: r.headers.get('ETag') || '',
            seq: Number(r.headers.get('Lex-Projection-Seq')) || 0 };
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
        // 304: the parts are those shown, and stay as they are.
        if (!res.same) {
          t.content.querySelectorAll('[data-part][id]').forEach(function (el) {
            var old = document.getElementById(el.id);
            if (old) old.replaceWith(el);
          });
          shownURL = url;
          shownTag = res.tag;
        } else {
          body.setAttribute('data-unchanged', String(++unchanged));
        }
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
        if (live) {
          refreshes++;
          body.setAttribute('data-refreshes', String(refreshes));
        }
        follow();
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

  // soon refreshes after 120 ms without another change of the form: a
  // person typing.
  function soon(message) {
    clearTimeout(timer);
    timer = setTimeout(function () { refresh(message); }, 120);
  }

  // Live refreshes: at most one in flight, at most one every THROTTLE ms,
  // and one more after the last event.
  var refreshes = 0; // live refreshes applied, in data-refreshes (tests count them)
  var lastLive = -Infinity;
  var liveTimer = 0;
  var liveBusy = false;
  var liveDue = '';  // the message of a refresh owed, '' when none
  function onEvent(message) {
    liveDue = message;
    pump();
  }
  function pump() {
    if (liveTimer || liveBusy || !liveDue) return;
    liveTimer = setTimeout(function () {
      var message = liveDue;
      liveTimer = 0;
      liveDue = '';
      liveBusy = true;
      lastLive = Date.now();
      refresh(message, location.pathname + location.search, true).then(function () {
        liveBusy = false;
        pump();
      });
    }, Math.max(0, lastLive + THROTTLE - Date.now()));
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

  // The events a page listens to depend on what it shows (its
  // jurisdiction, its act, "as known at"): its parts name their stream in
  // data-live-url, and a page that now shows something else listens anew.
  var es = null;
  var liveURL = '';
  function listen(url) {
    if (!url || !window.EventSource || url === liveURL) return;
    if (es) es.close();
    liveURL = url;
    es = new EventSource(url);
    es.addEventListener('hello', function (e) {
      var d = JSON.parse(e.data);
      if (d.sequence > seq) onEvent('Updated: events were recorded since this page was shown.');
    });
    es.addEventListener('recorded', function (e) {
      var d = JSON.parse(e.data);
      if (d.sequence <= seq) return;
      fresh.push('ev-' + d.id);
      onEvent('New event recorded: ' + d.type.replace(/_/g, ' ') + ' on ' + d.act + ' (sequence ' + d.sequence + ').');
    });
    body.setAttribute('data-listening', 'true');
  }
  function follow() {
    var el = document.querySelector('[data-live-url]');
    if (el) listen(el.getAttribute('data-live-url'));
  }
  listen(body.getAttribute('data-live'));
})();
