import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, date, type Page } from '../api';
import { idToken } from '../auth';
import { config } from '../config';
import { Empty, Field, go, isVendor, ProblemBox, useForm, type Me } from '../ui';

interface Partner {
  id: string;
  name: string;
  type: string;
  tier: string;
  region: string;
  country: string;
  status: string;
  contact_email: string;
  specialties: string[];
}
interface User {
  id: string;
  email: string;
  name: string;
  role: string;
  status?: string;
  invited_at?: string;
}

/** Vendor staff: every partner, by tier and status; vendor admins add partners. */
export function Partners(props: { me: Me }) {
  const [tier, setTier] = useState('');
  const [page, setPage] = useState<Page<Partner> | undefined>();
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const q = new URLSearchParams({ limit: '100' });
    if (tier) q.set('tier', tier);
    api<Page<Partner>>('GET', `/v1/partners?${q}`).then(setPage, setError);
  }, [tier, tick]);
  return html`<section>
    <h1>Partners</h1>
    ${props.me.roles.includes('vendor-admin') ? html`<${NewPartner} onDone=${() => setTick(tick + 1)} />` : null}
    <div class="field">
      <label for="tier-filter">Tier</label>
      <select id="tier-filter" value=${tier} onChange=${(e: Event) => setTier((e.target as HTMLSelectElement).value)}>
        <option value="">All</option>
        ${['registered', 'silver', 'gold', 'platinum'].map((t) => html`<option value=${t}>${t}</option>`)}
      </select>
    </div>
    <${ProblemBox} error=${error} />
    ${page && !page.items.length ? html`<${Empty}>No partner.</${Empty}>` : null}
    ${page && page.items.length
      ? html`<table>
          <thead><tr><th scope="col">Partner</th><th scope="col">Type</th><th scope="col">Tier</th><th scope="col">Region</th><th scope="col">Status</th></tr></thead>
          <tbody>${page.items.map((p) => html`<tr><td><a href=${`#/partners/${p.id}`}>${p.name}</a></td><td>${p.type}</td><td>${p.tier}</td><td>${p.region}</td><td><span class=${`badge ${p.status}`}>${p.status}</span></td></tr>`)}</tbody>
        </table>`
      : null}
  </section>`;
}

function NewPartner(props: { onDone: () => void }) {
  const { f, set, error, run, err } = useForm({ name: '', type: 'reseller', tier: 'registered', region: 'NA', country: 'US', email: '', specialties: '' });
  const submit = run(async () => {
    const p = await api<Partner>('POST', '/v1/partners', {
      name: f.name, type: f.type, tier: f.tier, region: f.region, country: f.country, contact_email: f.email,
      specialties: f.specialties.split(',').map((x) => x.trim()).filter(Boolean),
    });
    props.onDone();
    go(`/partners/${p.id}`);
  });
  const select = (id: string, label: string, key: keyof typeof f, values: string[]) =>
    html`<div class="field"><label for=${id}>${label}</label><select id=${id} value=${f[key]} onChange=${(e: Event) => set(key)((e.target as HTMLSelectElement).value)}>${values.map((v) => html`<option value=${v}>${v}</option>`)}</select></div>`;
  return html`<details class="card">
    <summary>Add a partner</summary>
    <form onSubmit=${submit} class="grid">
      <${Field} id="partner-name" label="Company name" value=${f.name} onInput=${set('name')} required error=${err('name')} />
      ${select('partner-type', 'Type', 'type', ['reseller', 'var', 'distributor', 'msp', 'referral'])}
      ${select('partner-tier', 'Tier', 'tier', ['registered', 'silver', 'gold', 'platinum'])}
      <${Field} id="partner-region" label="Region" value=${f.region} onInput=${set('region')} required error=${err('region')} />
      <${Field} id="partner-country" label="Country" value=${f.country} onInput=${set('country')} required error=${err('country')} />
      <${Field} id="partner-email" label="Contact email" type="email" value=${f.email} onInput=${set('email')} required error=${err('contact_email')} />
      <${Field} id="partner-specialties" label="Specialties (comma-separated)" value=${f.specialties} onInput=${set('specialties')} error=${err('specialties')} />
      <${ProblemBox} error=${error} />
      <button type="submit">Add partner</button>
    </form>
  </details>`;
}

/** One partner: profile, scorecard, people and invitations (vendor staff, and the partner's own admins). */
export function PartnerView(props: { me: Me; id: string }) {
  const [partner, setPartner] = useState<Partner | undefined>();
  const [users, setUsers] = useState<User[] | undefined>();
  const [score, setScore] = useState<any>();
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);
  const admin = props.me.roles.includes('vendor-admin') || (props.me.roles.includes('partner-admin') && props.me.partner_id === props.id);
  const seesUsers = isVendor(props.me) || admin;
  useEffect(() => {
    api<Partner>('GET', `/v1/partners/${props.id}`).then(setPartner, setError);
    api('GET', `/v1/partners/${props.id}/scorecard`).then(setScore, () => undefined);
    if (seesUsers) api<Page<User>>('GET', `/v1/partners/${props.id}/users?limit=100`).then((p) => setUsers(p.items), setError);
  }, [props.id, tick]);
  if (!partner) return html`<section><${ProblemBox} error=${error} /></section>`;
  return html`<section>
    <h1>${partner.name} <span class=${`badge ${partner.status}`}>${partner.status}</span></h1>
    <dl class="facts">
      <dt>Type</dt><dd>${partner.type}</dd><dt>Tier</dt><dd>${partner.tier}</dd>
      <dt>Region</dt><dd>${partner.region} (${partner.country})</dd><dt>Contact</dt><dd>${partner.contact_email}</dd>
      ${partner.specialties.length ? html`<dt>Specialties</dt><dd>${partner.specialties.join(', ')}</dd>` : null}
    </dl>
    ${score?.next_tier ? html`<p><small>Next tier: ${score.next_tier.tier ?? ''} ${score.next_tier.missing ? `(${JSON.stringify(score.next_tier.missing)})` : ''}</small></p>` : null}
    <${ProblemBox} error=${error} />
    ${seesUsers
      ? html`<h2>People</h2>
          ${users && !users.length ? html`<${Empty}>Nobody has been invited yet.</${Empty}>` : null}
          ${users && users.length
            ? html`<table>
                <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Invited</th></tr></thead>
                <tbody>${users.map((u) => html`<tr><td>${u.name}</td><td>${u.email}</td><td>${u.role}</td><td>${date(u.invited_at)}</td></tr>`)}</tbody>
              </table>`
            : null}
          ${admin ? html`<${Invite} partnerId=${props.id} onDone=${() => setTick(tick + 1)} />` : null}`
      : null}
  </section>`;
}

function Invite(props: { partnerId: string; onDone: () => void }) {
  const { f, setF, set, error, done, run, err } = useForm({ email: '', name: '', role: 'partner-user' });
  const submit = run(async () => {
    await api('POST', `/v1/partners/${props.partnerId}/users`, f);
    setF({ email: '', name: '', role: 'partner-user' });
    props.onDone();
    return `${f.email} is invited: the invitation email carries a temporary password.`;
  });
  return html`<form onSubmit=${submit} class="grid" aria-label="Invite a person">
    <h3>Invite a person</h3>
    <${Field} id="invite-email" label="Email" type="email" value=${f.email} onInput=${set('email')} required error=${err('email')} />
    <${Field} id="invite-name" label="Full name" value=${f.name} onInput=${set('name')} required error=${err('name')} />
    <div class="field"><label for="invite-role">Role</label>
      <select id="invite-role" value=${f.role} onChange=${(e: Event) => set('role')((e.target as HTMLSelectElement).value)}>
        <option value="partner-user">partner-user</option><option value="partner-admin">partner-admin</option>
      </select></div>
    <${ProblemBox} error=${error} />
    ${done ? html`<p class="ok" role="status">${done}</p>` : null}
    <button type="submit">Send invitation</button>
  </form>`;
}

/** The program report (vendor staff), with each list as CSV. */
export function Reports() {
  const [report, setReport] = useState<any>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api('GET', '/v1/reports/program').then(setReport, setError);
  }, []);
  const csv = async (list: string) => {
    try {
      const c = await config();
      const res = await fetch(`${c.api_url}/v1/reports/program?format=csv&list=${list}`, { headers: { authorization: `Bearer ${await idToken()}` } });
      const url = URL.createObjectURL(await res.blob());
      const a = Object.assign(document.createElement('a'), { href: url, download: `program-${list}.csv` });
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(e);
    }
  };
  if (!report) return html`<section><h1>Program report</h1><${ProblemBox} error=${error} /></section>`;
  const m = (minor: number) => new Intl.NumberFormat('en', { style: 'currency', currency: report.currency }).format(minor / 100);
  return html`<section>
    <h1>Program report <small>${report.period}</small></h1>
    <p>${report.partner_count} partners · generated ${new Date(report.generated_at).toLocaleString('en')}</p>
    <div class="actions">${['partners', 'tiers', 'regions', 'mdf', 'onboarding', 'top', 'at_risk'].map((l) => html`<button type="button" class="secondary" onClick=${() => csv(l)}>CSV: ${l}</button>`)}</div>
    <h2>Partners by tier</h2>
    <table><thead><tr><th scope="col">Tier</th><th scope="col">Onboarding</th><th scope="col">Active</th><th scope="col">Suspended</th><th scope="col">Total</th></tr></thead>
      <tbody>${report.tiers.map((t: any) => html`<tr><td>${t.tier}</td><td>${t.onboarding}</td><td>${t.active}</td><td>${t.suspended}</td><td>${t.total}</td></tr>`)}</tbody></table>
    <h2>Regions</h2>
    <table><thead><tr><th scope="col">Region</th><th scope="col">Partners</th><th scope="col">Open pipeline</th><th scope="col">Won (12 months)</th></tr></thead>
      <tbody>${report.regions.map((r: any) => html`<tr><td>${r.region}</td><td>${r.partners}</td><td>${m(r.open_pipeline_minor)}</td><td>${m(r.won_revenue_12_months_minor)}</td></tr>`)}</tbody></table>
    <h2>At risk</h2>
    ${report.at_risk.length
      ? html`<ul>${report.at_risk.map((r: any) => html`<li><a href=${`#/partners/${r.partner_id}`}>${r.name}</a>: ${r.reasons.map((x: any) => x.detail).join('; ')}</li>`)}</ul>`
      : html`<${Empty}>No partner is at risk.</${Empty}>`}
  </section>`;
}
