import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Page } from '../api';
import { Empty, ProblemBox } from '../ui';

interface Notification {
  id: string;
  event_type: string;
  title: string;
  body: string;
  link?: string | null;
  created_at: string;
  read_at?: string | null;
}
type Prefs = Record<string, { email: boolean; in_app: boolean; digest: boolean }>;

/** In-app notifications, and per event type how the person wants to hear of it. */
export function Inbox() {
  const [items, setItems] = useState<Notification[] | undefined>();
  const [prefs, setPrefs] = useState<Prefs | undefined>();
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState('');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    api<Page<Notification>>('GET', '/v1/notifications?limit=50').then((p) => setItems(p.items), setError);
    api<{ preferences?: Prefs } & Prefs>('GET', '/v1/me/notification-preferences').then((p) => setPrefs((p.preferences ?? p) as Prefs), setError);
  }, [tick]);
  const read = async (id: string) => {
    try {
      await api('POST', `/v1/notifications/${id}/read`, {});
      setTick(tick + 1);
    } catch (e) {
      setError(e);
    }
  };
  const save = async () => {
    setError(undefined);
    try {
      await api('PUT', '/v1/me/notification-preferences', { preferences: prefs });
      setSaved('Preferences saved.');
    } catch (e) {
      setError(e);
    }
  };
  const toggle = (type: string, channel: 'email' | 'in_app' | 'digest') =>
    prefs && setPrefs({ ...prefs, [type]: { ...prefs[type], [channel]: !prefs[type][channel] } });
  return html`<section>
    <h1>Notifications</h1>
    <${ProblemBox} error=${error} />
    ${items && !items.length ? html`<${Empty}>Nothing new.</${Empty}>` : null}
    <ul class="assets">
      ${(items ?? []).map(
        (n) => html`<li class=${`card ${n.read_at ? 'read' : 'unread'}`}>
          <h2>${n.title}</h2>
          <p class="module-text">${n.body}</p>
          <p><small>${new Date(n.created_at).toLocaleString('en')}</small> ${n.link ? html`<a href=${n.link}>Open</a>` : null}
          ${n.read_at ? null : html` <button type="button" class="link" onClick=${() => read(n.id)}>Mark as read</button>`}</p>
        </li>`,
      )}
    </ul>
    <h2>How you hear of each event</h2>
    ${prefs
      ? html`<table>
          <thead><tr><th scope="col">Event</th><th scope="col">Email</th><th scope="col">In the portal</th><th scope="col">Daily digest instead of email</th></tr></thead>
          <tbody>
            ${Object.keys(prefs).sort().map(
              (t) => html`<tr><th scope="row">${t}</th>
                ${(['email', 'in_app', 'digest'] as const).map(
                  (c) => html`<td><input type="checkbox" aria-label=${`${t}: ${c.replace('_', '-')}`} checked=${prefs[t][c]} onChange=${() => toggle(t, c)} /></td>`,
                )}
              </tr>`,
            )}
          </tbody>
        </table>
        <button type="button" onClick=${save}>Save preferences</button> ${saved ? html`<span role="status" class="ok">${saved}</span>` : null}`
      : null}
  </section>`;
}
