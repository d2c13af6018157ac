import { API_VERSION } from "./render.js";

/**
 * The simple API's root (PEP 503 `/simple/`, PEP 691 `projects`): every project, by normalized name,
 * in name order. Rendered in pieces so that a listing of 700,000 projects (about 30 MB) streams one
 * shard at a time instead of being built whole in a Worker's 128 MB.
 */
export interface RootRendering {
  readonly head: string;
  /** One project's entry; `first` for the first of the listing (JSON needs no comma before it). */
  entry(project: string, first: boolean): string;
  readonly tail: string;
}

// Normalized names are [a-z0-9-] (PEP 503), which need no escaping; anything else is refused here.
const checked = (project: string) => {
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(project)) throw new Error(`not a normalized project name: ${JSON.stringify(project)}`);
  return project;
};

export const ROOT_HTML: RootRendering = {
  head: [
    "<!DOCTYPE html>",
    "<html>",
    "  <head>",
    `    <meta name="pypi:repository-version" content="${API_VERSION}">`,
    "    <title>Simple index</title>",
    "  </head>",
    "  <body>",
    "",
  ].join("\n"),
  // Relative to /simple/, like the file URLs of the project pages: the listing names no host.
  entry: (project) => `    <a href="${checked(project)}/">${project}</a>\n`,
  tail: "  </body>\n</html>\n",
};

export const ROOT_JSON: RootRendering = {
  head: `{"meta":{"api-version":"${API_VERSION}"},"projects":[`,
  entry: (project, first) => `${first ? "" : ","}{"name":"${checked(project)}"}`,
  tail: "]}",
};

/** The whole root at once (for small listings and tests). */
export function renderRoot(rendering: RootRendering, projects: readonly string[]): string {
  return rendering.head + projects.map((p, i) => rendering.entry(p, i === 0)).join("") + rendering.tail;
}
