// The public API, with the session's token. Errors are RFC 9457 problems,
// shown to people as the API wrote them.
import { config } from './config';
import { idToken } from './auth';

export interface FieldError {
  field: string;
  message: string;
}

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail || title);
  }
}

export async function api<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  const c = await config();
  const token = await idToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method === 'POST') headers['idempotency-key'] = idempotencyKey ?? crypto.randomUUID();
  let res: Response;
  try {
    res = await fetch(`${c.api_url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new Problem(0, 'Network error', 'The portal could not reach the server. Check your connection and try again.');
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    throw new Problem(res.status, data?.title ?? res.statusText, data?.detail ?? '', data?.errors ?? []);
  }
  return data as T;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface Money {
  amount_minor: number;
  currency: string;
}

export function money(m: Money | undefined | null): string {
  if (!m) return '';
  return new Intl.NumberFormat('en', { style: 'currency', currency: m.currency }).format(m.amount_minor / 100);
}

export function date(iso: string | undefined | null): string {
  return iso ? new Date(iso).toLocaleDateString('en', { year: 'numeric', month: 'short', day: 'numeric' }) : '';
}
