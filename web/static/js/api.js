// The HTTP API from the browser: cookie session, the CSRF header on writes, errors carrying the server's detail
// in the page's language where the server gave its reason.
import { explain, t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    // What a screen shows: the server's reason in the page's language, else its words (kept in .message).
    const said = this.body.detail || (status ? `HTTP ${status}` : t('error.network'));
    this.detail = explain({ ...this.body, detail: said });
  }

  // Field errors of a 422 as "where: what" lines (the loc path without the leading "body"/"query").
  get fieldErrors() {
    return (this.body.errors || [])
      .filter((e) => Array.isArray(e.loc))
      .map((e) => `${e.loc.filter((p) => p !== 'body' && p !== 'query').join('.')}: ${e.msg}`);
  }
}

export function cookie(name) {
  const found = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : '';
}

export function loginUrl() {
  const here = location.pathname + location.search;
  return here.startsWith('/app/login') ? '/app/login' : `/app/login?next=${encodeURIComponent(here)}`;
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request(method, path, { body, query, redirectOn401 = true } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = cookie('cauhop_csrf');
  let response;
  try {
    response = await fetch(withQuery(path, query), {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { detail: t('error.network') });
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && redirectOn401) location.assign(loginUrl());
    throw new ApiError(response.status, data);
  }
  return data;
}

// POST a multipart form (a file upload) with XMLHttpRequest, which reports upload progress (fetch does not):
// onProgress(sent, total) as the bytes leave; resolves with the JSON answer, rejects with an ApiError.
export function upload(path, form, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('x-csrf-token', cookie('cauhop_csrf'));
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON: the status says enough */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        if (xhr.status === 401) location.assign(loginUrl());
        reject(new ApiError(xhr.status, data));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { detail: t('error.network') })));
    xhr.send(form);
  });
}

export const api = {
  get: (path, query, options = {}) => request('GET', path, { query, ...options }),
  post: (path, body, options = {}) => request('POST', path, { body, ...options }),
  patch: (path, body, options = {}) => request('PATCH', path, { body, ...options }),
};
