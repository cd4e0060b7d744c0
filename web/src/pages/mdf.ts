import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, date, money, type Money, type Page } from '../api';
import { Empty, Field, isVendor, ProblemBox, useForm, type Me } from '../ui';
import { put, type Upload } from '../upload';

interface Balances {
  allocated: number;
  reserved: number;
  claimed: number;
  paid: number;
  available: number;
  currency: string;
}
interface FundRequest {
  id: string;
  partner_id: string;
  title: string;
  activity_type: string;
  period: string;
  status: string;
  requested_amount: Money;
  approved_amount?: Money | null;
  claimable_minor?: number;
  claim_deadline?: string | null;
  start_date: string;
  end_date: string;
  created_at: string;
}
interface Claim {
  id: string;
  request_id: string;
  partner_id: string;
  status: string;
  amount: Money;
  created_at: string;
  proofs: { name: string }[];
}

const ACTIVITIES = ['event', 'webinar', 'digital', 'co-branded-campaign', 'print', 'training', 'other'];
export const currentPeriod = () => {
  const d = new Date();
  return `${d.getUTCFullYear()}-H${d.getUTCMonth() < 6 ? 1 : 2}`;
};
const minor = (s: string) => Math.round(Number(s) * 100);
const m = (amount_minor: number, currency: string) => money({ amount_minor, currency });

/** Market development funds: balances, requests and claims; vendor staff allocate and decide. */
export function Mdf(props: { me: Me }) {
  const vendor = isVendor(props.me);
  const [balances, setBalances] = useState<Balances | undefined>();
  const [requests, setRequests] = useState<FundRequest[] | undefined>();
  const [claims, setClaims] = useState<Claim[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);
  const reload = () => setTick(tick + 1);
  useEffect(() => {
    if (!vendor) api<Balances>('GET', '/v1/mdf/allocations').then(setBalances, setError);
    api<Page<FundRequest>>('GET', '/v1/mdf/requests?limit=100').then((p) => setRequests(p.items), setError);
    api<Page<Claim>>('GET', '/v1/mdf/claims?limit=100').then((p) => setClaims(p.items), setError);
  }, [tick]);
  const act = async (path: string, body: unknown) => {
    setError(undefined);
    try {
      await api('POST', path, body);
      reload();
    } catch (e) {
      setError(e);
    }
  };
  return html`<section>
    <h1>Market development funds</h1>
    <${ProblemBox} error=${error} />
    ${balances
      ? html`<dl class="balances" aria-label="Balances">
          ${(['allocated', 'available', 'reserved', 'claimed', 'paid'] as const).map((k) => html`<div><dt>${k}</dt><dd>${m(balances[k], balances.currency)}</dd></div>`)}
        </dl>`
      : null}
    ${vendor && props.me.roles.includes('vendor-admin') ? html`<${Allocate} onDone=${reload} />` : null}
    ${vendor ? null : html`<${RequestFunds} currency=${balances?.currency ?? 'USD'} onDone=${reload} />`}
    <h2>Fund requests</h2>
    ${requests && !requests.length ? html`<${Empty}>No fund request yet.</${Empty}>` : null}
    ${requests && requests.length
      ? html`<table>
          <thead><tr><th scope="col">Activity</th><th scope="col">Dates</th><th scope="col">Requested</th><th scope="col">Approved</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
          <tbody>
            ${requests.map(
              (r) => html`<tr>
                <td>${r.title} <small>${r.activity_type}</small></td>
                <td>${date(r.start_date)} – ${date(r.end_date)}</td>
                <td>${money(r.requested_amount)}</td>
                <td>${money(r.approved_amount)}${r.claim_deadline ? html`<br /><small>claim by ${date(r.claim_deadline)}</small>` : null}</td>
                <td><span class=${`badge ${r.status}`}>${r.status}</span></td>
                <td>
                  ${vendor && r.status === 'submitted'
                    ? html`<button type="button" onClick=${() => act(`/v1/mdf/requests/${r.id}/approve`, {})} aria-label=${`Approve ${r.title}`}>Approve</button>
                        <button type="button" class="secondary" onClick=${() => act(`/v1/mdf/requests/${r.id}/reject`, { reason: 'Not in this period\u2019s plan' })} aria-label=${`Reject ${r.title}`}>Reject</button>`
                    : null}
                  ${!vendor && r.status === 'approved' && (r.claimable_minor ?? 1) > 0 ? html`<${ClaimForm} request=${r} onDone=${reload} />` : null}
                </td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : null}
    <h2>Claims</h2>
    ${claims && !claims.length ? html`<${Empty}>No claim yet.</${Empty}>` : null}
    ${claims && claims.length
      ? html`<table>
          <thead><tr><th scope="col">Claim</th><th scope="col">Amount</th><th scope="col">Proofs</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
          <tbody>
            ${claims.map(
              (c) => html`<tr>
                <td>${requests?.find((r) => r.id === c.request_id)?.title ?? c.request_id} <small>${date(c.created_at)}</small></td>
                <td>${money(c.amount)}</td>
                <td>${c.proofs.map((p) => p.name).join(', ')}</td>
                <td><span class=${`badge ${c.status}`}>${c.status}</span></td>
                <td>
                  ${vendor && c.status === 'submitted'
                    ? html`<button type="button" onClick=${() => act(`/v1/mdf/claims/${c.id}/approve`, {})}>Approve claim</button>
                        <button type="button" class="secondary" onClick=${() => act(`/v1/mdf/claims/${c.id}/reject`, { reason: 'Proof does not show the activity' })}>Reject claim</button>`
                    : null}
                  ${vendor && c.status === 'approved' ? html`<button type="button" onClick=${() => act(`/v1/mdf/claims/${c.id}/pay`, {})}>Mark paid</button>` : null}
                </td>
              </tr>`,
            )}
          </tbody>
        </table>`
      : null}
  </section>`;
}

function Allocate(props: { onDone: () => void }) {
  const [partners, setPartners] = useState<{ id: string; name: string }[]>([]);
  const { f, setF, set, error, setError, done, run, err } = useForm({ partner: '', period: currentPeriod(), amount: '', currency: 'USD' });
  useEffect(() => {
    api<Page<{ id: string; name: string }>>('GET', '/v1/partners?limit=100').then((p) => {
      setPartners(p.items);
      setF((x) => ({ ...x, partner: x.partner || p.items[0]?.id || '' }));
    }, setError);
  }, []);
  const submit = run(async () => {
    await api('POST', '/v1/mdf/allocations', { partner_id: f.partner, period: f.period, amount: { amount_minor: minor(f.amount), currency: f.currency } });
    props.onDone();
    return `Allocated ${money({ amount_minor: minor(f.amount), currency: f.currency })} to ${partners.find((p) => p.id === f.partner)?.name} for ${f.period}.`;
  });
  return html`<details class="card">
    <summary>Allocate funds</summary>
    <form onSubmit=${submit} class="grid">
      <div class="field">
        <label for="alloc-partner">Partner</label>
        <select id="alloc-partner" value=${f.partner} onChange=${(e: Event) => set('partner')((e.target as HTMLSelectElement).value)}>
          ${partners.map((p) => html`<option value=${p.id}>${p.name}</option>`)}
        </select>
      </div>
      <${Field} id="alloc-period" label="Period" value=${f.period} onInput=${set('period')} required error=${err('period')} hint="e.g. 2026-H2" />
      <${Field} id="alloc-amount" label="Amount to allocate" type="number" value=${f.amount} onInput=${set('amount')} required error=${err('amount')} />
      <${Field} id="alloc-currency" label="Allocation currency" value=${f.currency} onInput=${set('currency')} required error=${err('amount.currency')} />
      <${ProblemBox} error=${error} />
      ${done ? html`<p class="ok" role="status">${done}</p>` : null}
      <button type="submit">Allocate</button>
    </form>
  </details>`;
}

const NO_REQUEST = { title: '', description: '', activity: 'event', start: '', end: '', amount: '', leads: '', pipeline: '' };

function RequestFunds(props: { currency: string; onDone: () => void }) {
  const { f, setF, set, error, run, err } = useForm(NO_REQUEST);
  const submit = run(async () => {
    await api('POST', '/v1/mdf/requests', {
      period: currentPeriod(),
      activity_type: f.activity,
      title: f.title,
      description: f.description,
      start_date: f.start,
      end_date: f.end,
      requested_amount: { amount_minor: minor(f.amount), currency: props.currency },
      expected: { leads: Number(f.leads) || 0, pipeline: { amount_minor: minor(f.pipeline || '0'), currency: props.currency } },
    });
    setF(NO_REQUEST);
    props.onDone();
  });
  return html`<details class="card">
    <summary>Request funds</summary>
    <form onSubmit=${submit} class="grid">
      <${Field} id="req-title" label="Activity title" value=${f.title} onInput=${set('title')} required error=${err('title')} />
      <${Field} id="req-description" label="What you will do" value=${f.description} onInput=${set('description')} required error=${err('description')} />
      <div class="field">
        <label for="req-activity">Activity type</label>
        <select id="req-activity" value=${f.activity} onChange=${(e: Event) => set('activity')((e.target as HTMLSelectElement).value)}>
          ${ACTIVITIES.map((a) => html`<option value=${a}>${a}</option>`)}
        </select>
      </div>
      <${Field} id="req-start" label="Starts" type="date" value=${f.start} onInput=${set('start')} required error=${err('start_date')} />
      <${Field} id="req-end" label="Ends" type="date" value=${f.end} onInput=${set('end')} required error=${err('end_date')} />
      <${Field} id="req-amount" label=${`Amount requested (${props.currency})`} type="number" value=${f.amount} onInput=${set('amount')} required error=${err('requested_amount')} />
      <${Field} id="req-leads" label="Expected leads" type="number" value=${f.leads} onInput=${set('leads')} error=${err('expected.leads')} />
      <${Field} id="req-pipeline" label=${`Expected pipeline (${props.currency})`} type="number" value=${f.pipeline} onInput=${set('pipeline')} error=${err('expected.pipeline')} />
      <${ProblemBox} error=${error} />
      <button type="submit">Submit request</button>
    </form>
  </details>`;
}

async function sha256(file: File): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function ClaimForm(props: { request: FundRequest; onDone: () => void }) {
  const r = props.request;
  const currency = r.approved_amount?.currency ?? r.requested_amount.currency;
  const { f, setF, set, error, run, err } = useForm({ amount: '', leads: '', attendees: '', pipeline: '' });
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState<number | undefined>();
  const submit = run(async () => {
    try {
      const proofs = await Promise.all(
        files.map(async (file) => ({ name: file.name, content_type: file.type || 'application/octet-stream', size_bytes: file.size, sha256: await sha256(file) })),
      );
      const created = await api<{ claim: Claim; uploads: (Upload & { name: string })[] }>('POST', `/v1/mdf/requests/${r.id}/claims`, {
        amount: { amount_minor: minor(f.amount), currency },
        results: { leads: Number(f.leads) || 0, attendees: Number(f.attendees) || 0, pipeline: { amount_minor: minor(f.pipeline || '0'), currency } },
        proofs,
      });
      setProgress(0);
      for (const [i, up] of created.uploads.entries()) {
        const file = files.find((x) => x.name === up.name) ?? files[i];
        await put(up, file, (p) => setProgress((i + p) / created.uploads.length));
      }
      setF({ amount: '', leads: '', attendees: '', pipeline: '' });
      setFiles([]);
      props.onDone();
    } finally {
      setProgress(undefined);
    }
  });
  return html`<details>
    <summary>Claim</summary>
    <form onSubmit=${submit}>
      <p><small>Up to ${m(r.claimable_minor ?? 0, currency)}${r.claim_deadline ? `, by ${date(r.claim_deadline)}` : ''}</small></p>
      <${Field} id=${`claim-amount-${r.id}`} label=${`Amount claimed (${currency})`} type="number" value=${f.amount} onInput=${set('amount')} required error=${err('amount')} />
      <${Field} id=${`claim-leads-${r.id}`} label="Leads generated" type="number" value=${f.leads} onInput=${set('leads')} error=${err('results.leads')} />
      <${Field} id=${`claim-attendees-${r.id}`} label="Attendees" type="number" value=${f.attendees} onInput=${set('attendees')} error=${err('results.attendees')} />
      <${Field} id=${`claim-pipeline-${r.id}`} label=${`Pipeline generated (${currency})`} type="number" value=${f.pipeline} onInput=${set('pipeline')} error=${err('results.pipeline')} />
      <div class="field">
        <label for=${`claim-proofs-${r.id}`}>Proof of performance</label>
        <input id=${`claim-proofs-${r.id}`} type="file" multiple onChange=${(e: Event) => setFiles([...((e.target as HTMLInputElement).files ?? [])])} />
      </div>
      ${progress !== undefined ? html`<label>Uploading proofs <progress max="1" value=${progress}>${Math.round(progress * 100)} %</progress></label>` : null}
      <${ProblemBox} error=${error} />
      <button type="submit" disabled=${progress !== undefined}>Submit claim</button>
    </form>
  </details>`;
}
