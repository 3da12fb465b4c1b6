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
})();
