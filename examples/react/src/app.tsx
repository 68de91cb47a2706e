import { NpsPrompt, ProgressCard, usePageViews, useTrack, useUptake, type WidgetHandle } from '@uptake/react';
import { useEffect, useState, type ReactNode } from 'react';
import type { CurrentUser } from './current-user.ts';
import { Link, useRouter } from './router.tsx';

const BASE = '/examples/react/';

export function App({ user }: { user: CurrentUser }) {
  const uptake = useUptake();
  const { location } = useRouter();
  const [log, setLog] = useState<string[]>([]);
  const note = (text: string) => setLog((lines) => [`${new Date().toLocaleTimeString()}  ${text}`, ...lines]);

  // One page view per location: the provider sent the first one, this counts the navigations.
  usePageViews(location);

  useEffect(() => {
    // Another user than last time in this browser: log the previous one out first (as your app's logout would).
    const previous = localStorage.getItem('lumen.user');
    if (previous !== user.id) {
      if (previous) uptake.reset();
      localStorage.setItem('lumen.user', user.id);
    }
    uptake.identify(user.id, user.traits, { userHash: user.userHash });
    if (user.accountId) uptake.group(user.accountId);
    uptake.onError((error) => setLog((lines) => [`error: ${error.code}`, ...lines]));
  }, [uptake, user]);

  return (
    <>
      <header>
        <span className="logo">Lumen Reports</span>
        <nav aria-label="Main">
          <Link to={BASE}>Reports</Link>
          <Link to={`${BASE}feedback`}>Feedback</Link>
        </nav>
        <div className="who">
          Signed in as <strong id="user-name">{user.name}</strong>
          <br />
          <span id="account-name">{user.accountName}</span> · <a href="./" style={{ color: '#c9d3ea' }}>another demo user</a>
        </div>
      </header>
      <div className="layout">
        <main>{location.pathname === `${BASE}feedback` ? <Feedback user={user} /> : <Reports note={note} />}</main>
        <aside>
          <section aria-labelledby="progress-heading">
            <h2 id="progress-heading">Your progress</h2>
            <Widget render={(onResult) => <ProgressCard userId={user.id} userHash={user.userHash} inline onResult={onResult} />} id="progress-status" empty="Nothing to show" />
          </section>
          <section aria-labelledby="log-heading">
            <h2 id="log-heading">Sent to Uptake</h2>
            <ul id="log">
              {log.map((line, index) => (
                <li key={log.length - index}>{line}</li>
              ))}
            </ul>
          </section>
        </aside>
      </div>
    </>
  );
}

/** A button that records `event`: `useTrack` gives the same callback on every render. */
function TrackedButton({ id, event, properties, label, note }: { id: string; event: string; properties?: Record<string, unknown>; label: string; note(text: string): void }) {
  const uptake = useUptake();
  const send = useTrack(event);
  const onClick = () => {
    send(properties);
    void uptake.flush(); // only so that the demo shows the event at once; the SDK batches by itself
    note(`track ${event}`);
  };
  return (
    <button id={id} onClick={onClick}>
      {label}
    </button>
  );
}

function Reports({ note }: { note(text: string): void }) {
  return (
    <>
      <h1>Reports</h1>
      <p className="muted">
        A fake SaaS app in <strong>React</strong> instrumented with <code>@uptake/react</code>: one <code>&lt;UptakeProvider&gt;</code>, <code>useTrack</code> on every
        button, <code>usePageViews</code> for the in-app navigation. Every button sends an event.
      </p>
      <div className="tiles">
        <div className="tile"><h2>Quarterly revenue</h2><p className="muted">Build a report from your data.</p><TrackedButton id="create-report" event="Report Created" properties={{ format: 'pdf' }} label="Create report" note={note} /></div>
        <div className="tile"><h2>Ops dashboard</h2><p className="muted">Share it with your team.</p><TrackedButton id="share-dashboard" event="Dashboard Shared" label="Share dashboard" note={note} /></div>
        <div className="tile"><h2>Churn alert</h2><p className="muted">Get told when a number moves.</p><TrackedButton id="set-alert" event="Alert Set" properties={{ channel: 'email' }} label="Set alert" note={note} /></div>
        <div className="tile"><h2>Raw data</h2><p className="muted">Take it to a spreadsheet.</p><TrackedButton id="download-export" event="Export Downloaded" properties={{ format: 'csv' }} label="Download CSV" note={note} /></div>
      </div>
      <p className="note">
        This page was rendered by the Uptake service for the local demo: it signs you in as a demo user and computes that user's <code>userHash</code> from the demo
        project's identity secret on the server. In your product, <strong>your backend</strong> computes <code>userHash = hex(HMAC-SHA256(identitySecret, userId))</code>{' '}
        and puts it in the page; never send the identity secret to a browser. See <code>examples/react/README.md</code>.
      </p>
    </>
  );
}

function Feedback({ user }: { user: CurrentUser }) {
  return (
    <>
      <h1>Feedback</h1>
      <p className="muted">
        This page renders <code>&lt;NpsPrompt&gt;</code>: its code (<code>@uptake/browser/nps</code>) was downloaded when you opened it, not before. The service decides
        whether to ask; the prompt appears at the bottom right when this user is due.
      </p>
      <Widget render={(onResult) => <NpsPrompt userId={user.id} userHash={user.userHash} onResult={onResult} />} id="nps-status" empty="Not shown now" />
    </>
  );
}

/** A widget component and a line saying what became of it (`data-reason` for the browser test). */
function Widget({ render, id, empty }: { render(onResult: (handle: WidgetHandle) => void): ReactNode; id: string; empty: string }) {
  const [handle, setHandle] = useState<WidgetHandle>();
  return (
    <>
      {render(setHandle)}
      <p className="muted" id={id} data-reason={handle?.reason}>
        {!handle ? 'Asking Uptake…' : handle.shown ? '' : `${empty} (${handle.reason}).`}
      </p>
    </>
  );
}
