// Slipway's dashboard: confirmations, the workspace switcher, relative times, and the live log over Server-Sent
// Events with ANSI colours; the deployment page refreshes its stages and actions as the deployment moves.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  document.addEventListener('submit', function (event) {
    var message = event.target.getAttribute('data-confirm');
    if (message && !window.confirm(message)) event.preventDefault();
  });
  document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
    select.addEventListener('change', function () { select.form.submit(); });
  });

  function ago(date) {
    var seconds = Math.round((Date.now() - date.getTime()) / 1000);
    if (seconds < 0) return 'just now';
    if (seconds < 60) return seconds + ' s ago';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ago';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h ago';
    return Math.floor(seconds / 86400) + ' d ago';
  }
  function refreshTimes(root) {
    root.querySelectorAll('time[data-relative]').forEach(function (time) {
      var date = new Date(time.getAttribute('datetime'));
      if (!isNaN(date.getTime())) time.textContent = ago(date);
    });
  }
  setInterval(function () { refreshTimes(document); }, 15000);

  // SGR colours (30–37, 90–97), bold, resets; any other escape sequence is dropped.
  var escape = /\x1b\[([0-9;?]*)([A-Za-z])/g;
  function applySGR(state, codes) {
    (codes === '' ? ['0'] : codes.split(';')).forEach(function (code) {
      var n = parseInt(code, 10);
      if (n === 0) { state.fg = null; state.bold = false; }
      else if (n === 1) state.bold = true;
      else if (n === 22) state.bold = false;
      else if (n >= 30 && n <= 37) state.fg = n - 30;
      else if (n >= 90 && n <= 97) state.fg = n - 90 + 8;
      else if (n === 39) state.fg = null;
    });
  }
  function addText(parent, text, state) {
    if (!text) return;
    if (state.fg === null && !state.bold) { parent.appendChild(document.createTextNode(text)); return; }
    var span = document.createElement('span');
    var classes = [];
    if (state.fg !== null) classes.push('ansi-' + state.fg);
    if (state.bold) classes.push('ansi-bold');
    span.className = classes.join(' ');
    span.textContent = text;
    parent.appendChild(span);
  }
  function renderANSI(parent, text) {
    var state = { fg: null, bold: false };
    var last = 0, match;
    escape.lastIndex = 0;
    while ((match = escape.exec(text)) !== null) {
      addText(parent, text.slice(last, match.index), state);
      if (match[2] === 'm') applySGR(state, match[1]);
      last = escape.lastIndex;
    }
    addText(parent, text.slice(last), state);
  }

  // The parts of the deployment page that change as it moves, fetched again at most every 700 ms.
  var refreshTimer = null;
  function refreshPage() {
    refreshTimer = null;
    fetch(window.location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, 'text/html');
        ['summary', 'actions', 'stages'].forEach(function (id) {
          var now = document.getElementById(id), next = fresh.getElementById(id);
          if (now && next) now.replaceWith(document.importNode(next, true));
        });
      })
      .catch(function () {});
  }
  function scheduleRefresh() { if (refreshTimer === null) refreshTimer = setTimeout(refreshPage, 700); }

  // A list that follows by itself (the queue): the page is fetched again every few seconds and the list swapped in.
  document.querySelectorAll('[data-refresh]').forEach(function (section) {
    var every = Math.max(2000, parseInt(section.getAttribute('data-refresh'), 10) || 5000);
    setInterval(function () {
      if (document.hidden) return;
      fetch(window.location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          var now = document.getElementById(section.id);
          var next = new DOMParser().parseFromString(html, 'text/html').getElementById(section.id);
          if (now && next) now.replaceWith(document.importNode(next, true));
        })
        .catch(function () {});
    }, every);
  });

  var log = document.getElementById('log');
  if (log && window.EventSource) {
    var status = document.getElementById('log-status');
    var source = new EventSource(log.getAttribute('data-follow'));
    var lines = 0;
    source.onmessage = function (event) {
      var entry;
      try { entry = JSON.parse(event.data); } catch (error) { return; }
      var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
      var line = document.createElement('div');
      line.className = 'line stream-' + entry.stream;
      renderANSI(line, entry.line);
      log.appendChild(line);
      lines += 1;
      if (atBottom) log.scrollTop = log.scrollHeight;
      scheduleRefresh();
    };
    source.addEventListener('end', function (event) {
      source.close();
      var end = {};
      try { end = JSON.parse(event.data); } catch (error) {}
      status.textContent = 'The deployment ended (' + (end.state || 'finished') + '); ' + lines + ' lines.';
      log.setAttribute('data-ended', end.state || 'finished');
      refreshPage();
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) status.textContent = 'The log stream closed.';
    };
  }
})();
