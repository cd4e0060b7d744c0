// The platform's definitions shared with the Rust side: `resources.json` (the
// stateful resources, also read by local provisioning) and `routes.json` (the
// HTTP routes, generated from the functions' routers by `make openapi`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface IndexDef {
  name: string;
  partition_key: string;
  sort_key: string;
  projection: 'ALL';
}

export interface RuleDef {
  name: string;
  description: string;
  event_pattern: { source?: unknown[]; 'detail-type'?: string[] };
  target: string;
}

export interface ScheduleDef {
  name: string;
  description: string;
  rate_minutes: number;
  target: string;
}

export interface Resources {
  table: {
    partition_key: string;
    sort_key: string;
    ttl_attribute: string;
    billing_mode: 'PAY_PER_REQUEST';
    global_secondary_indexes: IndexDef[];
  };
  bucket: {
    cors: { allowed_methods: string[]; allowed_headers: string[]; exposed_headers: string[]; max_age_seconds: number };
  };
  user_pool: {
    username_attributes: string[];
    auto_verified_attributes: string[];
    password_policy: {
      minimum_length: number;
      require_uppercase: boolean;
      require_lowercase: boolean;
      require_numbers: boolean;
      require_symbols: boolean;
      temporary_password_validity_days: number;
    };
    custom_attributes: { name: string; type: 'String'; mutable: boolean; min_length: number; max_length: number }[];
    groups: { name: string; precedence: number; description: string }[];
    client: {
      name: string;
      explicit_auth_flows: string[];
      local_extra_auth_flows: string[];
      read_attributes: string[];
      write_attributes: string[];
      id_token_validity_minutes: number;
      refresh_token_validity_days: number;
    };
  };
  email: { sender: string };
  event_bus: { name: string };
  rules: RuleDef[];
  schedules: ScheduleDef[];
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  function: string;
  public: boolean;
}

const here = join(__dirname, '..');

/** The repository root (the Cargo workspace). */
export const workspaceRoot = join(here, '..');

export function loadResources(): Resources {
  return JSON.parse(readFileSync(join(here, 'resources.json'), 'utf8')) as Resources;
}

export function loadRoutes(): RouteDef[] {
  return JSON.parse(readFileSync(join(here, 'routes.json'), 'utf8')) as RouteDef[];
}
