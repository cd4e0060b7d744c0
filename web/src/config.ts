// What the deployment tells the page (served as /config.json next to it).
export interface Config {
  api_url: string;
  cognito_url: string;
  client_id: string;
  region: string;
  program_name: string;
}

let loaded: Config | undefined;

export async function config(): Promise<Config> {
  if (!loaded) {
    const res = await fetch('/config.json', { cache: 'no-store' });
    if (!res.ok) throw new Error(`config.json: ${res.status}`);
    loaded = (await res.json()) as Config;
  }
  return loaded;
}
