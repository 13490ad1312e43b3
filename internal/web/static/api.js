// api.js: the signed-in session and calls to the node's /v1 API.
//
// The bearer token lives in this tab's sessionStorage only (closed with the
// tab, never in a cookie, so cross-site requests carry no credentials) and
// is sent as an Authorization header.

const KEY = "bix.session";

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

// APIError carries the HTTP status and the API's error message.
export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// call sends a request to the API with the session's token. body may be
// an object (sent as JSON), a Blob/ArrayBuffer (sent as is) or undefined.
export async function call(method, path, body, token) {
  const s = session();
  const headers = { "Accept": "application/json" };
  const tok = token || (s && s.token);
  if (tok) headers["Authorization"] = "Bearer " + tok;
  let payload;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    headers["Content-Type"] = "application/octet-stream";
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload, credentials: "omit", cache: "no-store" });
  const text = await r.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: text };
    }
  }
  if (!r.ok) {
    throw new APIError(r.status, (data && data.error) || r.statusText);
  }
  return data;
}

// signIn checks a token with /v1/whoami and keeps it for this tab.
export async function signIn(token) {
  const me = await call("GET", "/v1/whoami", undefined, token);
  sessionStorage.setItem(KEY, JSON.stringify({ token, user: me.user, role: me.role }));
  return me;
}

// fileBase64 reads a File as base64 (the API's encoding of images in JSON).
export function fileBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ""));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}
