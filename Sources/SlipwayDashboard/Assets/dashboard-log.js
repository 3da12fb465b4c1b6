// Slipway's deployment page: the windowed log viewer (docs/dashboard.md "The log viewer") and the live refresh of
// the summary, stages and actions as the deployment moves.
//
// The viewer renders only the rows on screen: a spacer as tall as the log (fixed line height; scaled down past
// MAX_HEIGHT, which browsers cannot exceed), over it a pool of rows reused as the user scrolls. Lines are fetched by
// number from the log API (`?line=N&limit=CHUNK`, numbered answers with the log's line count) in chunks of CHUNK
// lines; chunks far from the viewport are dropped, so memory stays bounded whatever the log's length. At the bottom
// it follows the tail over Server-Sent Events. The filter asks the server (`contains=`), "jump to first error" too
// (`errors=true`). Text is always inserted as text, never HTML; ANSI colours become spans.
(function () {
  'use strict';
  var log = document.getElementById('log');
  if (!log || !window.fetch) return;
  var api = log.getAttribute('data-follow');
  var statusLine = document.getElementById('log-status');
  var filterBox = document.getElementById('log-filter');

  var LINE = 18; // px: the height of one row (also in dashboard.css, .log.windowed .line)
  var CHUNK = 500; // lines fetched at a time
  var KEEP = 8; // chunks kept; the ones farthest from the viewport are dropped first
  var MAX_HEIGHT = 8000000; // px: a taller spacer is scaled down
  var MAX_MATCHES = 20000; // filtered lines held at most

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

  // The parts of the page that change as the deployment moves, fetched again at most every 700 ms.
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

  function getJSON(query) {
    return fetch(api + '?' + query, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) throw new Error('the log answered ' + response.status);
        return response.json();
      });
  }
  function entryOf(data) { return { line: data.line, stream: data.stream, number: data.number, offset: data.offset }; }
  function say(text) { if (statusLine.textContent !== text) statusLine.textContent = text; }

  // The whole log: `total` lines, those near the viewport in chunks of CHUNK by number.
  var total = 0;
  var chunks = new Map();
  var ended = null;
  var following = true;
  var highlight = 0;
  function chunkIndex(number) { return Math.floor((number - 1) / CHUNK); }
  function store(entry) {
    var index = chunkIndex(entry.number);
    var chunk = chunks.get(index);
    if (!chunk) { chunk = { lines: [], loading: false }; chunks.set(index, chunk); }
    chunk.lines[(entry.number - 1) % CHUNK] = entry;
  }
  function load(index) {
    var chunk = chunks.get(index);
    if (!chunk) { chunk = { lines: [], loading: false }; chunks.set(index, chunk); }
    if (chunk.loading) return;
    var first = index * CHUNK + 1, missing = -1;
    for (var i = 0; i < CHUNK && first + i <= total; i++) { if (!chunk.lines[i]) { missing = i; break; } }
    if (missing < 0) return;
    chunk.loading = true;
    getJSON('line=' + (first + missing) + '&limit=' + (CHUNK - missing))
      .then(function (page) {
        chunk.loading = false;
        if (chunks.get(index) !== chunk) return;
        page.data.forEach(function (data) { store(entryOf(data)); });
        if (page.lines > total) total = page.lines;
        // Lines the server did not give (a page stops at about 1 MiB) are asked for again; a chunk that made no
        // progress is not (the next scroll asks again).
        if (page.data.length > 0) schedule();
      })
      .catch(function () { chunk.loading = false; });
  }
  function evict(center) {
    if (chunks.size <= KEEP) return;
    var indexes = Array.from(chunks.keys()).sort(function (a, b) { return Math.abs(b - center) - Math.abs(a - center); });
    for (var i = 0; i < indexes.length && chunks.size > KEEP; i++) {
      if (Math.abs(indexes[i] - center) > 1) chunks.delete(indexes[i]);
    }
  }

  // The filtered view: the lines the server found, in order, at most MAX_MATCHES.
  var filter = null; // { text, matches, done, end (offset scanned to), run }
  var filterRuns = 0;

  function count() { return filter ? filter.matches.length : total; }
  function entryAt(position) { // 0-based position in the current view
    if (filter) return filter.matches[position];
    var chunk = chunks.get(chunkIndex(position + 1));
    return chunk ? chunk.lines[position % CHUNK] : undefined;
  }

  // The DOM: the scroll box (#log) holds a spacer and a window of pooled rows.
  log.classList.add('windowed');
  log.textContent = '';
  var spacer = document.createElement('div');
  spacer.className = 'log-spacer';
  var frame = document.createElement('div');
  frame.className = 'log-window';
  // The rows sit inside the spacer, which clips them vertically: translated rows must not make the box scroll
  // further than the spacer (that would move the view on, and on).
  spacer.appendChild(frame);
  log.appendChild(spacer);
  var rows = [];

  function geometry() {
    var lines = count();
    var height = Math.max(lines * LINE, 0);
    return { lines: lines, height: Math.min(height, MAX_HEIGHT), scaled: height > MAX_HEIGHT };
  }
  function firstVisible(g) {
    var visible = Math.floor(log.clientHeight / LINE);
    if (!g.scaled) return Math.floor(log.scrollTop / LINE);
    var room = g.height - log.clientHeight;
    var ratio = room > 0 ? Math.min(1, log.scrollTop / room) : 0;
    return Math.round(ratio * Math.max(0, g.lines - visible));
  }
  function scrollToLine(position) { // 0-based position at the top of the view
    var g = geometry();
    if (!g.scaled) { log.scrollTop = position * LINE; return; }
    var visible = Math.floor(log.clientHeight / LINE);
    var room = g.height - log.clientHeight;
    log.scrollTop = room * Math.min(1, position / Math.max(1, g.lines - visible));
  }
  function atBottom() { return log.scrollTop + log.clientHeight >= log.scrollHeight - LINE; }

  var pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(render);
  }
  // Sizes the box and the spacer to the current view (before any scroll is computed from them).
  function size() {
    var g = geometry();
    var boxHeight = Math.min(Math.round(window.innerHeight * 0.7), Math.max(120, g.height + 2));
    if (log.style.height !== boxHeight + 'px') log.style.height = boxHeight + 'px';
    if (spacer.style.height !== g.height + 'px') spacer.style.height = g.height + 'px';
    return g;
  }
  function render() {
    pending = false;
    var g = size();
    if (following && !filter) log.scrollTop = log.scrollHeight;
    var first = firstVisible(g);
    var needed = Math.ceil(log.clientHeight / LINE) + 1;
    while (rows.length < needed) {
      var row = document.createElement('div');
      row.className = 'line';
      frame.appendChild(row);
      rows.push(row);
    }
    while (rows.length > needed) frame.removeChild(rows.pop());
    frame.style.transform = 'translateY(' + (g.scaled ? log.scrollTop : first * LINE) + 'px)';
    for (var i = 0; i < rows.length; i++) {
      var position = first + i;
      var entry = position < g.lines ? entryAt(position) : undefined;
      var key = position < g.lines ? (entry ? entry.number + ':' + (filter ? 'f' : 'l') : 'p' + position) : '';
      var row = rows[i];
      var hit = entry && entry.number === highlight;
      if (row.dataset.key === key && row.classList.contains('hit') === !!hit) continue;
      row.dataset.key = key;
      row.textContent = '';
      row.className = 'line' + (entry ? ' stream-' + entry.stream : position < g.lines ? ' pending' : '') + (hit ? ' hit' : '');
      if (entry) {
        row.dataset.number = entry.number;
        renderANSI(row, entry.line);
      } else {
        delete row.dataset.number;
      }
    }
    log.dataset.lines = String(total);
    log.dataset.first = String(first + 1);
    if (!filter && g.lines > 0) {
      var last = Math.min(g.lines, first + needed);
      for (var index = chunkIndex(first + 1); index <= chunkIndex(last); index++) load(index);
      evict(chunkIndex(first + 1));
    }
    if (!filter) say(describe());
  }
  function describe() {
    var lines = total.toLocaleString('en') + (total === 1 ? ' line' : ' lines');
    if (ended) return 'The deployment ended (' + ended + '); ' + lines + '.';
    return (following ? 'Following the log live: ' : 'Scrolled up (jump to the end to follow): ') + lines + '.';
  }

  log.addEventListener('scroll', function () {
    if (!filter) following = atBottom();
    schedule();
  });
  window.addEventListener('resize', schedule);

  // A click on a filtered line shows it in the whole log.
  log.addEventListener('click', function (event) {
    var row = event.target.closest && event.target.closest('.line');
    if (!filter || !row || !row.dataset.number) return;
    var number = parseInt(row.dataset.number, 10);
    filterBox.value = '';
    setFilter('');
    jumpTo(number);
  });

  function jumpTo(number) {
    following = false;
    highlight = number;
    size();
    scrollToLine(Math.max(0, number - 4));
    following = atBottom();
    schedule();
  }

  // The live tail: every line after the last one loaded, numbered on from it.
  var tailNumber = 0;
  function follow(after) {
    if (!window.EventSource) return;
    var source = new EventSource(api + '?after=' + after);
    source.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (error) { return; }
      tailNumber += 1;
      var entry = { line: data.line, stream: data.stream, number: tailNumber, offset: parseInt(event.lastEventId, 10) };
      if (tailNumber > total) total = tailNumber;
      if (chunks.has(chunkIndex(tailNumber)) || following) store(entry);
      if (filter && filter.done && filter.matches.length < MAX_MATCHES && entry.offset > filter.end &&
          data.line.toLowerCase().indexOf(filter.text) >= 0) {
        filter.matches.push(entry);
      }
      schedule();
      scheduleRefresh();
    };
    source.addEventListener('end', function (event) {
      source.close();
      var end = {};
      try { end = JSON.parse(event.data); } catch (error) {}
      ended = end.state || 'finished';
      log.setAttribute('data-ended', ended);
      schedule();
      refreshPage();
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED && !ended) say('The log stream closed.');
    };
  }

  // Opens at the end: the line count, the last chunk, then the live tail from there.
  getJSON('line=1&limit=1')
    .then(function (page) {
      total = page.lines;
      if (total === 0) return { data: [], next_offset: 0 };
      return getJSON('line=' + (chunkIndex(total) * CHUNK + 1) + '&limit=' + CHUNK);
    })
    .then(function (page) {
      page.data.forEach(function (data) { store(entryOf(data)); });
      if (page.lines > total) total = page.lines;
      var last = page.data[page.data.length - 1];
      tailNumber = last ? last.number : 0;
      if (tailNumber > total) total = tailNumber;
      schedule();
      follow(last ? last.offset : 0);
    })
    .catch(function (error) { say('The log could not be loaded: ' + error.message); });

  // The filter: the lines containing the text (case-insensitive), found by the server a page at a time.
  function setFilter(text) {
    filterRuns += 1;
    highlight = 0;
    if (!text) {
      filter = null;
      following = true;
      schedule();
      return;
    }
    var run = filterRuns;
    filter = { text: text.toLowerCase(), matches: [], done: false, end: 0 };
    log.scrollTop = 0;
    say('Filtering…');
    schedule();
    var scan = function (after) {
      getJSON('contains=' + encodeURIComponent(text) + '&after=' + after + '&limit=1000')
        .then(function (page) {
          if (run !== filterRuns) return;
          page.data.forEach(function (data) {
            if (filter.matches.length < MAX_MATCHES) filter.matches.push(entryOf(data));
          });
          schedule();
          var full = filter.matches.length >= MAX_MATCHES;
          if (page.next_offset !== after && !full) {
            say('Filtering… ' + filter.matches.length.toLocaleString('en') + ' lines so far.');
            scan(page.next_offset);
            return;
          }
          filter.done = true;
          filter.end = page.next_offset;
          say(filter.matches.length.toLocaleString('en') + (filter.matches.length === 1 ? ' line contains' : ' lines contain') +
            ' “' + text + '”' + (full ? ' (the first ' + MAX_MATCHES.toLocaleString('en') + ' shown)' : '') +
            '. Select a line to see it in the whole log.');
        })
        .catch(function (error) { if (run === filterRuns) say('The filter failed: ' + error.message); });
    };
    scan(0);
  }
  var filterTimer = null;
  filterBox.addEventListener('input', function () {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () { setFilter(filterBox.value); }, 250);
  });
  filterBox.addEventListener('keydown', function (event) {
    if (event.key === 'Enter') { clearTimeout(filterTimer); setFilter(filterBox.value); }
    if (event.key === 'Escape') { filterBox.value = ''; setFilter(''); }
  });

  // The first error line (stream stderr, or "error"/"fail" in any case), found by the server.
  document.getElementById('log-first-error').addEventListener('click', function () {
    say('Looking for the first error…');
    var look = function (after) {
      getJSON('errors=true&after=' + after + '&limit=1')
        .then(function (page) {
          if (page.data.length > 0) {
            if (filter) { filterBox.value = ''; setFilter(''); }
            if (page.lines > total) total = page.lines;
            jumpTo(page.data[0].number);
            say('The first error is line ' + page.data[0].number.toLocaleString('en') + '.');
            log.focus();
            return;
          }
          if (page.next_offset !== after) { look(page.next_offset); return; }
          say('No line of this log looks like an error.');
        })
        .catch(function (error) { say('The search failed: ' + error.message); });
    };
    look(0);
  });
  document.getElementById('log-end').addEventListener('click', function () {
    if (filter) { filterBox.value = ''; setFilter(''); }
    highlight = 0;
    following = true;
    size();
    log.scrollTop = log.scrollHeight;
    schedule();
    log.focus();
  });
})();
