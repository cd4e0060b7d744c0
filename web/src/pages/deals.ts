import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, date, money, type Money, type Page } from '../api';
import { Empty, Field, go, isVendor, ProblemBox, useForm, type Me } from '../ui';

export interface Deal {
  id: string;
  title: string;
  status: string;
  partner_id: string;
  customer: { company_name: string; domain: string; country: string };
  contact: { name: string; email: string };
  amount: Money;
  expected_close_date: string;
  created_at: string;
  protection_expires_at?: string | null;
  review_overdue?: boolean;
  conflict?: { conflict: boolean; reasons: string[] } | null;
  notes?: string | null;
  extension_request?: { days: number; reason?: string | null; requested_at: string } | null;
  history: { at: string; by: string; from?: string | null; to: string; reason?: string | null }[];
}

const STATUSES = ['submitted', 'approved', 'rejected', 'won', 'lost', 'expired'];

export const statusBadge = (s: string) => html`<span class=${`badge ${s}`}>${s}</span>`;

/** The caller's deals (vendor staff: every partner's), by status, a page at a time. */
export function DealList(props: { me: Me }) {
  const [status, setStatus] = useState('');
  const [page, setPage] = useState<Page<Deal> | undefined>();
  const [cursor, setCursor] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setError(undefined);
    const q = new URLSearchParams({ limit: '25' });
    if (status) q.set('status', status);
    if (cursor) q.set('cursor', cursor);
    api<Page<Deal>>('GET', `/v1/deals?${q}`).then(setPage, setError);
  }, [status, cursor]);
  return html`<section>
    <div class="heading">
      <h1>Deals</h1>
      ${isVendor(props.me) ? null : html`<a class="button" href="#/deals/new">Register a deal</a>`}
    </div>
    <label for="status-filter">Status</label>
    <select id="status-filter" value=${status} onChange=${(e: Event) => { setCursor(undefined); setStatus((e.target as HTMLSelectElement).value); }}>
      <option value="">All</option>
      ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
    </select>
    <${ProblemBox} error=${error} />
    ${page && !page.items.length ? html`<${Empty}>No deals${status ? ` with status ${status}` : ''} yet.</${Empty}>` : null}
    ${page && page.items.length
      ? html`<table>
          <thead><tr><th scope="col">Deal</th><th scope="col">Customer</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Registered</th></tr></thead>
          <tbody>
            ${page.items.map(
              (d) => html`<tr>
                <td><a href=${`#/deals/${d.id}`}>${d.title}</a></td>
                <td>${d.customer.company_name}</td>
                <td>${money(d.amount)}</td>
                <td>${statusBadge(d.status)}${d.conflict?.conflict ? html` <span class="badge warn">conflict</span>` : null}</td>
                <td>${date(d.created_at)}</td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : null}
    ${page?.next_cursor ? html`<button type="button" onClick=${() => setCursor(page.next_cursor ?? undefined)}>Next page</button>` : null}
  </section>`;
}

const REASONS: Record<string, string> = {
  same_domain: 'the same company domain',
  same_company_name: 'the same company name',
};

/** Registration, with a live check for another partner's open registration of the customer. */
export function RegisterDeal() {
  const { f, set, error, busy, run, err } = useForm({
    title: '', company: '', domain: '', country: 'US', contact: '', email: '', amount: '', currency: 'USD', close: '', notes: '',
  });
  const [check, setCheck] = useState<{ conflict: boolean; reasons: string[] } | undefined>();
  const amountMinor = Math.round(Number(f.amount) * 100);
  const body = () => ({
    title: f.title,
    customer: { company_name: f.company, domain: f.domain, country: f.country },
    contact: { name: f.contact, email: f.email },
    products: [],
    amount: { amount_minor: Number.isFinite(amountMinor) ? amountMinor : 0, currency: f.currency },
    expected_close_date: f.close,
    ...(f.notes ? { notes: f.notes } : {}),
  });
  // The check runs when the customer's name or domain settles.
  const timer = useRef<number | undefined>();
  useEffect(() => {
    window.clearTimeout(timer.current);
    if (f.company.trim().length < 2 && !f.domain.includes('.')) {
      setCheck(undefined);
      return;
    }
    timer.current = window.setTimeout(() => {
      // Only the customer decides a conflict; the rest is a placeholder the check accepts.
      const soon = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
      const b = {
        title: 'conflict check',
        customer: { company_name: f.company, domain: f.domain, country: f.country },
        contact: { name: 'check', email: 'check@example.com' },
        products: [],
        amount: { amount_minor: 1, currency: 'USD' },
        expected_close_date: soon,
      };
      api<{ conflict: boolean; reasons: string[] }>('POST', '/v1/deals/check', b).then(setCheck, () => setCheck(undefined));
    }, 400);
  }, [f.company, f.domain, f.country]);

  const submit = run(async () => {
    const d = await api<Deal>('POST', '/v1/deals', body());
    go(`/deals/${d.id}`);
  });
  return html`<section>
    <h1>Register a deal</h1>
    <form onSubmit=${submit} class="grid">
      <${Field} id="title" label="Opportunity" value=${f.title} onInput=${set('title')} required error=${err('title')} />
      <fieldset>
        <legend>Customer</legend>
        <${Field} id="company" label="Company name" value=${f.company} onInput=${set('company')} required error=${err('customer.company_name')} />
        <${Field} id="domain" label="Web or email domain" value=${f.domain} onInput=${set('domain')} required error=${err('customer.domain')} hint="e.g. contoso.com" />
        <${Field} id="country" label="Country (ISO code)" value=${f.country} onInput=${set('country')} required error=${err('customer.country')} />
        <div aria-live="polite" id="conflict-check">
          ${check?.conflict
            ? html`<p class="warning" role="status">Another partner already has an open registration for this customer (${check.reasons.map((r) => REASONS[r] ?? r).join(', ')}). You can still register: the channel team decides.</p>`
            : check
              ? html`<p class="ok" role="status">No other open registration for this customer.</p>`
              : null}
        </div>
      </fieldset>
      <fieldset>
        <legend>Contact</legend>
        <${Field} id="contact" label="Contact name" value=${f.contact} onInput=${set('contact')} required error=${err('contact.name')} />
        <${Field} id="contact-email" label="Contact email" type="email" value=${f.email} onInput=${set('email')} required error=${err('contact.email')} />
      </fieldset>
      <${Field} id="amount" label="Amount" type="number" value=${f.amount} onInput=${set('amount')} required error=${err('amount')} />
      <${Field} id="currency" label="Currency" value=${f.currency} onInput=${set('currency')} required error=${err('amount.currency')} />
      <${Field} id="close" label="Expected close date" type="date" value=${f.close} onInput=${set('close')} required error=${err('expected_close_date')} />
      <${Field} id="notes" label="Notes" value=${f.notes} onInput=${set('notes')} error=${err('notes')} />
      <${ProblemBox} error=${error} />
      <button type="submit" disabled=${busy}>${busy ? 'Registering…' : 'Register'}</button>
    </form>
  </section>`;
}

/** One deal with its history; vendor staff approve or reject, the partner closes. */
export function DealDetail(props: { me: Me; id: string }) {
  const [deal, setDeal] = useState<Deal | undefined>();
  const [error, setError] = useState<unknown>();
  const [reason, setReason] = useState('');
  const load = () => api<Deal>('GET', `/v1/deals/${props.id}`).then(setDeal, setError);
  useEffect(() => {
    load();
  }, [props.id]);
  const act = async (path: string, body: unknown) => {
    setError(undefined);
    try {
      setDeal(await api<Deal>('POST', `/v1/deals/${props.id}/${path}`, body));
    } catch (e) {
      setError(e);
    }
  };
  if (!deal) return html`<section><${ProblemBox} error=${error} />${error ? null : html`<p aria-busy="true">Loading…</p>`}</section>`;
  const vendor = isVendor(props.me);
  return html`<section>
    <h1>${deal.title} ${statusBadge(deal.status)}</h1>
    ${deal.conflict?.conflict
      ? html`<p class="warning">Registered while another partner had an open registration of this customer (${deal.conflict.reasons.map((r) => REASONS[r] ?? r).join(', ')}).</p>`
      : null}
    <dl class="facts">
      <dt>Customer</dt><dd>${deal.customer.company_name} (${deal.customer.domain}, ${deal.customer.country})</dd>
      <dt>Contact</dt><dd>${deal.contact.name} · ${deal.contact.email}</dd>
      <dt>Amount</dt><dd>${money(deal.amount)}</dd>
      <dt>Expected close</dt><dd>${date(deal.expected_close_date)}</dd>
      ${deal.protection_expires_at ? html`<dt>Protected until</dt><dd>${date(deal.protection_expires_at)}</dd>` : null}
    </dl>
    <${ProblemBox} error=${error} />
    ${vendor && deal.status === 'submitted'
      ? html`<div class="actions">
          <button type="button" onClick=${() => act('approve', {})}>Approve</button>
          <label for="reject-reason">Reason to reject</label>
          <input id="reject-reason" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} />
          <button type="button" class="secondary" onClick=${() => act('reject', { reason })}>Reject</button>
        </div>`
      : null}
    ${!vendor && deal.status === 'approved'
      ? html`<div class="actions">
          <button type="button" onClick=${() => act('close', { outcome: 'won' })}>Closed won</button>
          <button type="button" class="secondary" onClick=${() => act('close', { outcome: 'lost' })}>Closed lost</button>
          ${deal.extension_request
            ? html`<span>Extension of ${deal.extension_request.days} days requested ${date(deal.extension_request.requested_at)}</span>`
            : html`<label for="ext-reason">Why more time</label>
                <input id="ext-reason" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} />
                <button type="button" class="secondary" onClick=${() => act('extension', { days: 30, ...(reason ? { reason } : {}) })}>Request 30 more days</button>`}
        </div>`
      : null}
    ${vendor && deal.status === 'approved'
      ? html`<div class="actions">
          ${deal.extension_request
            ? html`<span>The partner asks for ${deal.extension_request.days} more days${deal.extension_request.reason ? `: ${deal.extension_request.reason}` : ''}.</span>
                <button type="button" onClick=${() => act('extension', { days: deal.extension_request!.days })}>Grant extension</button>`
            : html`<button type="button" class="secondary" onClick=${() => act('extension', { days: 30 })}>Extend protection by 30 days</button>`}
        </div>`
      : null}
    <h2>History</h2>
    <ol class="history">
      ${deal.history.map((h) => html`<li><time datetime=${h.at}>${new Date(h.at).toLocaleString('en')}</time> ${h.from ? `${h.from} → ` : ''}<strong>${h.to}</strong>${h.reason ? ` · ${h.reason}` : ''}</li>`)}
    </ol>
  </section>`;
}

interface Waiting {
  id: string;
  title?: string;
  request_id?: string;
  amount?: Money;
  requested_amount?: Money;
  created_at: string;
}

/** Vendor staff: registrations, fund requests and claims waiting, oldest first, with how long they have waited. */
export function Approvals() {
  const [deals, setDeals] = useState<Deal[] | undefined>();
  const [requests, setRequests] = useState<Waiting[] | undefined>();
  const [claims, setClaims] = useState<Waiting[] | undefined>();
  const [error, setError] = useState<unknown>();
  const oldest = <T extends { created_at: string }>(xs: T[]) => [...xs].sort((a, b) => a.created_at.localeCompare(b.created_at));
  const load = () =>
    Promise.all([
      api<Page<Deal>>('GET', '/v1/deals?status=submitted&limit=100').then((p) => setDeals(oldest(p.items))),
      api<Page<Waiting>>('GET', '/v1/mdf/requests?status=submitted&limit=100').then((p) => setRequests(oldest(p.items))),
      api<Page<Waiting>>('GET', '/v1/mdf/claims?status=submitted&limit=100').then((p) => setClaims(oldest(p.items))),
    ]).catch(setError);
  useEffect(() => {
    load();
  }, []);
  const approve = async (path: string) => {
    setError(undefined);
    try {
      await api('POST', path, {});
      await load();
    } catch (e) {
      setError(e);
    }
  };
  const age = (iso: string) => {
    const h = Math.floor((Date.now() - Date.parse(iso)) / 3_600_000);
    return h < 1 ? 'under an hour' : h < 48 ? `${h} h` : `${Math.floor(h / 24)} days`;
  };
  return html`<section>
    <h1>Approvals</h1>
    <h2>Deal registrations</h2>
    <${ProblemBox} error=${error} />
    ${deals && !deals.length ? html`<${Empty}>No registration is waiting.</${Empty}>` : null}
    ${deals && deals.length
      ? html`<table>
          <thead><tr><th scope="col">Deal</th><th scope="col">Customer</th><th scope="col">Amount</th><th scope="col">Waiting</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
          <tbody>
            ${deals.map(
              (d) => html`<tr class=${d.review_overdue ? 'overdue' : ''}>
                <td><a href=${`#/deals/${d.id}`}>${d.title}</a>${d.conflict?.conflict ? html` <span class="badge warn">conflict</span>` : null}</td>
                <td>${d.customer.company_name}</td>
                <td>${money(d.amount)}</td>
                <td>${age(d.created_at)}${d.review_overdue ? ' (past the review SLA)' : ''}</td>
                <td><button type="button" onClick=${() => approve(`/v1/deals/${d.id}/approve`)} aria-label=${`Approve ${d.title}`}>Approve</button></td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : null}
    <h2>Fund requests</h2>
    ${requests && !requests.length ? html`<${Empty}>No fund request is waiting.</${Empty}>` : null}
    ${requests && requests.length
      ? html`<table>
          <thead><tr><th scope="col">Activity</th><th scope="col">Requested</th><th scope="col">Waiting</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
          <tbody>${requests.map((r) => html`<tr><td>${r.title}</td><td>${money(r.requested_amount)}</td><td>${age(r.created_at)}</td>
            <td><button type="button" onClick=${() => approve(`/v1/mdf/requests/${r.id}/approve`)} aria-label=${`Approve request ${r.title}`}>Approve</button></td></tr>`)}</tbody>
        </table>`
      : null}
    <h2>Claims</h2>
    ${claims && !claims.length ? html`<${Empty}>No claim is waiting.</${Empty}>` : null}
    ${claims && claims.length
      ? html`<table>
          <thead><tr><th scope="col">Claim</th><th scope="col">Amount</th><th scope="col">Waiting</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
          <tbody>${claims.map((c) => html`<tr><td><a href="#/mdf">${c.id.slice(-8)}</a></td><td>${money(c.amount)}</td><td>${age(c.created_at)}</td>
            <td><button type="button" onClick=${() => approve(`/v1/mdf/claims/${c.id}/approve`)} aria-label=${`Approve claim ${c.id.slice(-8)}`}>Approve</button></td></tr>`)}</tbody>
        </table>`
      : null}
  </section>`;
}
