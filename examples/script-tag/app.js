/* global window, document, localStorage, location, history, uptake */
// Lumen Reports' own code: who is signed in (window.currentUser, rendered by the backend), the
// buttons' events, and the two Uptake widgets. Every uptake.* call works before uptake.min.js has
// loaded: the snippet's stub keeps the calls and the SDK replays them in order.
(function () {
  var user = window.currentUser;
  var log = document.getElementById('log');
  function note(text) {
    var li = document.createElement('li');
    li.textContent = new Date().toLocaleTimeString() + '  ' + text;
    log.insertBefore(li, log.firstChild);
  }

  // Keep this user on reload (the service picks a demo user when the URL names none).
  if (!/[?&]user=/.test(location.search)) history.replaceState(null, '', '?user=' + encodeURIComponent(user.id));

  // Another user than last time in this browser: log the previous one out first (as your app's logout would).
  if (localStorage.getItem('lumen.user') !== user.id) {
    if (localStorage.getItem('lumen.user')) uptake.reset();
    localStorage.setItem('lumen.user', user.id);
  }
  uptake.identify(user.id, user.traits, { userHash: user.userHash });
  note('identify ' + user.id);
  if (user.accountId) {
    uptake.group(user.accountId);
    note('group ' + user.accountId);
  }
  uptake.onError(function (error) { note('error: ' + error.code); });

  document.querySelectorAll('button[data-event]').forEach(function (button) {
    button.addEventListener('click', function () {
      var properties = button.dataset.properties ? JSON.parse(button.dataset.properties) : {};
      uptake.track(button.dataset.event, properties);
      uptake.flush(); // only so that the demo shows the event at once; the SDK batches by itself
      note('track ' + button.dataset.event);
    });
  });

  // The NPS prompt: the service decides; it appears at the bottom right when the user is due.
  var npsStatus = document.getElementById('nps-status');
  uptake.nps({ userId: user.id, userHash: user.userHash }).then(function (prompt) {
    npsStatus.dataset.reason = prompt.reason;
    npsStatus.textContent = prompt.shown
      ? 'Shown (' + prompt.reason + '): answer it at the bottom right, or dismiss it.'
      : 'Not shown now: ' + prompt.reason + '. A user sees it at most once a week; "another demo user" signs in as the next one who is due.';
  }, function () { npsStatus.textContent = 'Could not load uptake-nps.min.js.'; });

  // The progress card, rendered into the sidebar instead of floating.
  var progressStatus = document.getElementById('progress-status');
  uptake.progress({ userId: user.id, userHash: user.userHash, container: document.getElementById('progress') }).then(function (card) {
    progressStatus.dataset.reason = card.reason;
    progressStatus.textContent = card.shown ? '' : 'Nothing to show (' + card.reason + ').';
  }, function () { progressStatus.textContent = 'Could not load uptake-progress.min.js.'; });
})();
