import type { TestApp } from './app.js';

export type Json = Record<string, unknown>;

export interface AdminReply {
  status: number;
  body: string;
  json(): Json;
}

export type AdminCall = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  headers?: Record<string, string>,
) => Promise<AdminReply>;

/** Calls the admin API with an admin key; a string payload is sent as it is. */
export function adminClient(ta: TestApp, key: string): AdminCall {
  return async (method, url, payload, headers = {}) => {
    const res = await ta.admin.inject({
      method,
      url,
      headers: { 'x-api-key': key, 'content-type': 'application/json', ...headers },
      ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
    return { status: res.statusCode, body: res.body, json: () => JSON.parse(res.body) as Json };
  };
}

/** Creates a list and subscribes the given entities; returns its id. */
export async function makeList(
  call: AdminCall,
  name: string,
  subscribe: { type: string; ids: string[] }[] = [],
  items: string[] = [],
  extra: Json = {},
): Promise<string> {
  const id = (await call('POST', '/v1/allowlists', { name })).json().id as string;
  for (const s of subscribe) {
    const ids = s.type === 'org' ? [(await call('GET', `/v1/allowlists/${id}`)).json().organization_id as string] : s.ids;
    const r = await call('POST', `/v1/allowlists/${id}/subscribers`, { ids, entity_type: s.type });
    if (r.status !== 200 || (r.json().errors as unknown[]).length > 0) throw new Error(`subscribe failed: ${r.body}`);
  }
  if (items.length > 0) {
    const r = await call('POST', `/v1/allowlists/${id}/items`, { items, description: '', ...extra });
    if (r.status !== 201) throw new Error(`add items failed: ${r.body}`);
  }
  return id;
}
