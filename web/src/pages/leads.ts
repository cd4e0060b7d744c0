import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, date, type Page } from '../api';
import { Empty, Field, isVendor, ProblemBox, useForm, type Me } from '../ui';

interface Lead {
  id: string;
  company_name: string;
  domain: string;
  country: string;
  region: string;
  product_interest: string[];
  contact: { name: string; email: string };
  status: string;
  partner_id?: string | null;
  accept_by?: string | null;
  created_at: string;
}
interface Evidence {
  rule_version?: number | string;
  seed?: string | number;
  outcome?: string;
  partner_id?: string | null;
  candidates?: { partner_id: string; eligible: boolean; weight: number; reasons: string[] }[];
}

/** Leads: partners accept or decline what they are given; vendor staff create leads and read why they went where they went. */
export function Leads(props: { me: Me }) {
  const vendor = isVendor(props.me);
  const [leads, setLeads] = useState<Lead[] | undefined>();
  const [evidence, setEvidence] = useState<Record<string, Evidence>>({});
  const [names, setNames] = useState<Record<string, string>>({});
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    api<Page<Lead>>('GET', '/v1/leads?limit=100').then((p) => setLeads(p.items), setError);
    if (vendor) {
      api<Page<{ id: string; name: string }>>('GET', '/v1/partners?limit=100').then(
        (p) => setNames(Object.fromEntries(p.items.map((x) => [x.id, x.name]))),
        () => undefined,
      );
    }
  }, [tick]);
  const act = async (path: string, body: unknown) => {
    setError(undefined);
    try {
      await api('POST', path, body);
      setTick(tick + 1);
    } catch (e) {
      setError(e);
    }
  };
  const why = async (id: string) => {
    try {
      setEvidence({ ...evidence, [id]: await api<Evidence>('GET', `/v1/leads/${id}/assignment`) });
    } catch (e) {
      setError(e);
    }
  };
  return html`<section>
    <h1>Leads</h1>
    ${vendor ? html`<${NewLead} onDone=${() => setTick(tick + 1)} />` : null}
    <${ProblemBox} error=${error} />
    ${leads && !leads.length ? html`<${Empty}>No lead ${vendor ? 'yet' : 'has been given to your partner yet'}.</${Empty}>` : null}
    ${!vendor && leads?.some((l) => l.status === 'assigned')
      ? html`<div class="field"><label for="decline-reason">Reason when declining</label><input id="decline-reason" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} /></div>`
      : null}
    <ul class="assets">
      ${(leads ?? []).map(
        (l) => html`<li class="card">
          <h2>${l.company_name} <span class=${`badge ${l.status}`}>${l.status}</span></h2>
          <p>${l.domain} · ${l.country} · ${l.region}${l.product_interest.length ? ` · interested in ${l.product_interest.join(', ')}` : ''}</p>
          <p><small>Contact ${l.contact.name} (${l.contact.email})${l.accept_by && l.status === 'assigned' ? ` · answer by ${date(l.accept_by)}` : ''}${vendor && l.partner_id ? ` · with ${names[l.partner_id] ?? l.partner_id}` : ''}</small></p>
          ${!vendor && l.status === 'assigned'
            ? html`<div class="actions">
                <button type="button" onClick=${() => act(`/v1/leads/${l.id}/accept`, {})} aria-label=${`Accept ${l.company_name}`}>Accept</button>
                <button type="button" class="secondary" onClick=${() => act(`/v1/leads/${l.id}/decline`, { reason: reason || 'No capacity this quarter' })} aria-label=${`Decline ${l.company_name}`}>Decline</button>
              </div>`
            : null}
          ${vendor ? html`<button type="button" class="link" onClick=${() => why(l.id)}>Why this partner?</button>` : null}
          ${evidence[l.id]
            ? html`<div class="evidence">
                <p><small>Rule version ${evidence[l.id].rule_version} · seed ${evidence[l.id].seed} · ${evidence[l.id].outcome ?? ''}</small></p>
                <table>
                  <thead><tr><th scope="col">Candidate</th><th scope="col">Eligible</th><th scope="col">Weight</th><th scope="col">Reasons</th></tr></thead>
                  <tbody>${(evidence[l.id].candidates ?? []).map((c) => html`<tr><td>${names[c.partner_id] ?? c.partner_id}</td><td>${c.eligible ? 'yes' : 'no'}</td><td>${c.weight}</td><td>${c.reasons.join('; ')}</td></tr>`)}</tbody>
                </table>
              </div>`
            : null}
        </li>`,
      )}
    </ul>
  </section>`;
}

function NewLead(props: { onDone: () => void }) {
  const { f, set, error, done, run, err } = useForm({ company: '', domain: '', country: 'US', region: 'NA', interest: '', contact: '', email: '' });
  const submit = run(async () => {
    const l = await api<Lead>('POST', '/v1/leads', {
      company_name: f.company,
      domain: f.domain,
      country: f.country,
      region: f.region,
      product_interest: f.interest.split(',').map((x) => x.trim()).filter(Boolean),
      contact: { name: f.contact, email: f.email },
    });
    props.onDone();
    return l.status === 'assigned' ? `${f.company} was assigned.` : `${f.company} is waiting: no partner is eligible.`;
  });
  return html`<details class="card">
    <summary>Create a lead</summary>
    <form onSubmit=${submit} class="grid">
      <${Field} id="lead-company" label="Company" value=${f.company} onInput=${set('company')} required error=${err('company_name')} />
      <${Field} id="lead-domain" label="Domain" value=${f.domain} onInput=${set('domain')} required error=${err('domain')} />
      <${Field} id="lead-country" label="Country" value=${f.country} onInput=${set('country')} required error=${err('country')} />
      <${Field} id="lead-region" label="Region" value=${f.region} onInput=${set('region')} required error=${err('region')} />
      <${Field} id="lead-interest" label="Products of interest (comma-separated)" value=${f.interest} onInput=${set('interest')} error=${err('product_interest')} />
      <${Field} id="lead-contact" label="Contact name" value=${f.contact} onInput=${set('contact')} required error=${err('contact.name')} />
      <${Field} id="lead-email" label="Contact email" type="email" value=${f.email} onInput=${set('email')} required error=${err('contact.email')} />
      <${ProblemBox} error=${error} />
      ${done ? html`<p class="ok" role="status">${done}</p>` : null}
      <button type="submit">Create and distribute</button>
    </form>
  </details>`;
}
