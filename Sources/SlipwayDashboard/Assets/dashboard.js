// Slipway's dashboard: confirmations, the workspace switcher, relative times. The deployment page's log viewer and
// its live refresh are in dashboard-log.js, which that page alone loads.
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
})();
