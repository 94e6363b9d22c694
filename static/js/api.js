// The site's REST API from its pages: JSON both ways, same-origin with the
// CSRF token; errors come back as {error: {code, message}} (SPEC.md) and are
// thrown as ApiError, whose message can be shown as it is. One place for what
// the live room, the pins, the product picker and the shop's buttons each
// used to spell out.

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = "ApiError";
    this.code = code; // the API's code; "network" when no answer came
    this.status = status; // the HTTP status; 0 when no answer came
  }
}

/** The page's CSRF token: a form's hidden field, or a `data-csrf` holder. */
export function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken], [data-sheet-csrf], [data-csrf]");
  if (!field) return "";
  return field.value || field.dataset.csrf || "";
}

/**
 * Calls the API and resolves to its JSON answer (null for 204 or a body that
 * is not JSON). Rejects with an ApiError: the API's code and message; when it
 * says none, `fallback` (or `notFound` for a 404), with the code "error" (or
 * "not_found"); "network" when no answer came at all.
 */
export async function apiCall(url, {
  method = "GET",
  body,
  csrf = csrfToken(),
  fallback = "Something went wrong: try again.",
  notFound = fallback,
} = {}) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrf };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("network", "No connection: check your network and try again.", 0);
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error;
    const missing = response.status === 404;
    throw new ApiError(
      error?.code || (missing ? "not_found" : "error"),
      error?.message || (missing ? notFound : fallback),
      response.status,
    );
  }
  return data;
}
