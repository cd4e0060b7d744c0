// Shared pieces: the layout, problem display, form fields.
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Problem } from './api';

export interface Me {
  sub: string;
  email: string;
  roles: string[];
  partner_id?: string | null;
  partner?: { id: string; name: string; tier: string; region: string } | null;
}

export const isVendor = (me: Me) => me.roles.includes('vendor-admin') || me.roles.includes('channel-manager');

export function go(path: string) {
  location.hash = `#${path}`;
}

export function Layout(props: { me: Me; program: string; onSignOut: () => void; children: ComponentChildren }) {
  const { me } = props;
  const vendor = isVendor(me);
  const here = location.hash.slice(1) || '/';
  const link = (path: string, label: string) =>
    html`<a href=${`#${path}`} aria-current=${here === path || (path !== '/' && here.startsWith(path)) ? 'page' : undefined}>${label}</a>`;
  return html`
    <header class="top">
      <div class="brand">${props.program}</div>
      <nav aria-label="Main">
        ${link('/', 'Home')} ${link('/content', 'Content')} ${link('/training', 'Training')} ${link('/deals', 'Deals')} ${link('/leads', 'Leads')} ${link('/mdf', 'Funds')} ${link('/notifications', 'Notifications')} ${vendor ? link('/approvals', 'Approvals') : null} ${vendor ? link('/partners', 'Partners') : me.partner_id ? link(`/partners/${me.partner_id}`, 'Team') : null}
        ${vendor ? link('/reports', 'Reports') : null}
      </nav>
      <div class="who">
        <span>${me.email}${me.partner ? html` · ${me.partner.name}` : vendor ? ' · vendor' : ''}</span>
        <button type="button" class="link" onClick=${props.onSignOut}>Sign out</button>
      </div>
    </header>
    <main id="main">${props.children}</main>
  `;
}

export function ProblemBox(props: { error: unknown }) {
  const e = props.error;
  if (!e) return null;
  if (e instanceof Problem) {
    return html`<div class="problem" role="alert">
      <strong>${e.title}</strong>${e.detail ? html`<p>${e.detail}</p>` : null}
      ${e.errors.length
        ? html`<ul>
            ${e.errors.map((f) => html`<li><code>${f.field}</code>: ${f.message}</li>`)}
          </ul>`
        : null}
    </div>`;
  }
  return html`<div class="problem" role="alert"><strong>Something went wrong</strong><p>${String((e as Error).message ?? e)}</p></div>`;
}

export function Field(props: {
  id: string;
  label: string;
  value: string;
  onInput: (v: string) => void;
  type?: string;
  required?: boolean;
  error?: string;
  autocomplete?: string;
  hint?: string;
}) {
  return html`<div class="field">
    <label for=${props.id}>${props.label}${props.required ? html`<span aria-hidden="true"> *</span>` : null}</label>
    <input
      id=${props.id}
      name=${props.id}
      type=${props.type ?? 'text'}
      value=${props.value}
      required=${props.required}
      autocomplete=${props.autocomplete}
      aria-invalid=${props.error ? 'true' : undefined}
      aria-describedby=${props.error ? `${props.id}-error` : props.hint ? `${props.id}-hint` : undefined}
      onInput=${(e: Event) => props.onInput((e.target as HTMLInputElement).value)}
    />
    ${props.hint && !props.error ? html`<small id=${`${props.id}-hint`}>${props.hint}</small>` : null}
    ${props.error ? html`<small class="error" id=${`${props.id}-error`}>${props.error}</small>` : null}
  </div>`;
}

/** The message a problem gives for one field (or a field inside it). */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof Problem)) return undefined;
  return error.errors.find((f) => f.field === field || f.field.startsWith(`${field}.`))?.message;
}

export const Empty = (props: { children: ComponentChildren }) => html`<p class="empty">${props.children}</p>`;

/** A form's text fields, its problem and its success message; `run` wraps a submit handler. */
export function useForm<T extends Record<string, string>>(initial: T) {
  const [f, setF] = useState(initial);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (k: keyof T) => (v: string) => setF((x) => ({ ...x, [k]: v }));
  const run = (action: () => Promise<string | void>) => async (e?: Event) => {
    e?.preventDefault();
    setError(undefined);
    setDone('');
    setBusy(true);
    try {
      const message = await action();
      if (message) setDone(message);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { f, setF, set, error, setError, done, busy, run, err: (field: string) => fieldError(error, field) };
}
