// PEP 691 content negotiation of /simple/{project}/ (pure; the routes are in simple-routes.test.ts).
import { describe, expect, test } from "vitest";
import { chooseRepresentation } from "../../worker/http/simple-accept.js";

const HTML = "text/html; charset=utf-8";
const V1_HTML = "application/vnd.pypi.simple.v1+html";
const V1_JSON = "application/vnd.pypi.simple.v1+json";
const PIP = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";

describe("chooseRepresentation", () => {
  test.each([
    ["no Accept", null, HTML],
    ["an empty Accept", "", HTML],
    ["*/*", "*/*", HTML],
    ["text/html", "text/html", HTML],
    ["text/*", "text/*", HTML],
    ["v1+json", V1_JSON, V1_JSON],
    ["v1+html", V1_HTML, V1_HTML],
    ["latest+json (answered as v1)", "application/vnd.pypi.simple.latest+json", V1_JSON],
    ["latest+html (answered as v1)", "application/vnd.pypi.simple.latest+html", V1_HTML],
    ["pip's header", PIP, V1_JSON],
    ["pip's header, upper case", PIP.toUpperCase(), V1_JSON],
    ["a higher q for text/html", `${V1_JSON};q=0.5, text/html;q=0.6`, HTML],
    ["application/* (JSON preferred)", "application/*", V1_JSON],
    ["text/html refused, the rest at q=0.1", "text/html;q=0, */*;q=0.1", V1_JSON],
    ["a specific q=0 beats a wildcard", `${V1_JSON};q=0, application/*;q=1`, V1_HTML],
    ["unknown types beside a known one", "image/png, application/json;q=0.9, text/html;q=0.2", HTML],
    ["a malformed element beside a good one", "garbage, ;;, application/vnd.pypi.simple.v1+json", V1_JSON],
  ])("%s → %s", (_, accept, contentType) => {
    expect(chooseRepresentation(accept, null)?.contentType).toBe(contentType);
  });

  test.each([
    ["a type we do not offer", "application/json"],
    ["only refusals", "text/html;q=0, application/*;q=0"],
    ["the legacy v0", "application/vnd.pypi.simple.v0+json"],
    ["garbage", "garbage"],
  ])("nothing acceptable for %s", (_, accept) => {
    expect(chooseRepresentation(accept, null)).toBeNull();
  });

  test("?format= overrides Accept and must name an offered type", () => {
    expect(chooseRepresentation("text/html", V1_JSON)?.contentType).toBe(V1_JSON);
    expect(chooseRepresentation(PIP, "text/html")?.contentType).toBe(HTML);
    expect(chooseRepresentation(null, "application/vnd.pypi.simple.latest+html")?.contentType).toBe(V1_HTML);
    expect(chooseRepresentation("*/*", "application/json")).toBeNull();
    expect(chooseRepresentation("*/*", "")).toBeNull();
  });

  test("text/html and its v1 alias carry the same page, with different ETag tags", () => {
    const a = chooseRepresentation("text/html", null)!;
    const b = chooseRepresentation(V1_HTML, null)!;
    expect([a.format, b.format]).toEqual(["html", "html"]);
    expect(a.tag).not.toBe(b.tag);
  });
});
